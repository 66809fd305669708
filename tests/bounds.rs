//! Hostile inputs that once cost time or memory far beyond their size, or
//! crashed: generators of deep nesting, long literals, repeated blocks and
//! large declared planes (the fuzz suite's, for time and memory), each case
//! run through `netinit check` under a 2 GiB address-space limit, and the
//! panics they found, as library calls.
//!
//! The bound on time: in a release build every case answers within 2 s
//! (most in 0.01 s); these tests run the test profile's build (the core
//! optimised, the command line not), so they allow 10 s. Before the fixes
//! the same inputs took 17 s to over a minute, ran out of memory or
//! aborted: the bound fails on any of that, and on work that grows faster
//! than the input, without timing anything fine-grained.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use netinit::{Network, NetworkSpec};

/// The most time a case may take in this build (see the module docs).
const BOUND: Duration = Duration::from_secs(10);

/// The address space the command line gets: 2 GiB, in KiB for `ulimit -v`.
const ADDRESS_SPACE_KIB: u64 = 2 * 1024 * 1024;

/// `text` written to a file of its own, checked by the command line under
/// the address-space limit: its exit code and its error output, and the
/// time it took, which must be within [`BOUND`].
fn check(name: &str, text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("netinit-bounds-{}-{name}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(format!("{name}.net"));
    fs::write(&path, text).unwrap();
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" check \"$1\""
        ))
        .arg(env!("CARGO_BIN_EXE_netinit"))
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let took = started.elapsed();
    fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    assert!(took < BOUND, "{name}: {took:?}");
    // 0 clean, 1 diagnostics, 2 an I/O error: never a signal, a panic (101)
    // or the allocator's abort.
    assert!(
        matches!(code, 0 | 1),
        "{name}: exit {code}\n{}",
        &stderr[..stderr.len().min(2000)]
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    (code, stderr)
}

/// `count` copies of `piece`, separated by commas.
fn repeated(piece: &str, count: usize) -> String {
    vec![piece; count].join(", ")
}

#[test]
fn ten_thousand_nested_parentheses_are_an_error_not_a_stack_overflow() {
    let text = format!(
        "dense(2 -> 2, relu, init = {}{})",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let (code, stderr) = check("parentheses", &text);
    assert_eq!(code, 1);
    assert!(stderr.contains("at most 64 deep"), "{stderr}");
}

#[test]
fn residual_nested_1400_deep_is_an_error_not_a_stack_overflow() {
    let text = format!(
        "dense(4 -> 4, relu), {}dense(4 -> 4, relu){}",
        "residual(".repeat(1400),
        ")".repeat(1400)
    );
    let (code, stderr) = check("nested", &text);
    assert_eq!(code, 1);
    assert!(stderr.contains("this group opens 65 levels deep"), "{stderr}");
    // The same text as a checkpoint's spec is read by the same reader.
    let error = text.parse::<NetworkSpec>().unwrap_err().to_string();
    assert!(error.contains("at most 64 deep"), "{error}");
}

#[test]
fn nesting_within_the_bound_is_read() {
    let text = format!(
        "dense(4 -> 4, relu), {}dense(4 -> 4, relu){}",
        "residual(dense(4 -> 4, relu), ".repeat(60),
        ")".repeat(60)
    );
    let spec: NetworkSpec = text.parse().unwrap();
    assert_eq!(spec.layers().len(), 2 + 60 * 3);
}

#[test]
fn a_100000_digit_width_and_a_30000_digit_scale_are_errors_at_once() {
    let (code, stderr) = check("digits", &format!("dense({} -> 10, relu)", "1".repeat(100_000)));
    assert_eq!(code, 1);
    assert!(stderr.contains("is 100000 characters long"), "{stderr}");
    // The message quotes the number shortened, not all of it.
    assert!(stderr.len() < 2000, "{}", stderr.len());
    let (code, stderr) = check(
        "float",
        &format!("dense(10 -> 10, relu, gain = {}.5)", "1".repeat(30_000)),
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("write it with an exponent"), "{stderr}");
}

#[test]
fn a_thousand_residual_blocks_check_in_linear_time() {
    let block = "residual(dense(64 -> 64, relu), dense(64 -> 64, identity))";
    let (code, _) = check(
        "blocks",
        &format!("dense(64 -> 64, relu), {}", repeated(block, 1000)),
    );
    assert_eq!(code, 0);
    let pre_norm = "residual(layer_norm(64), dense(64 -> 256, gelu), dense(256 -> 64, identity))";
    let (code, _) = check(
        "pre_norm",
        &format!("dense(64 -> 64, relu), {}", repeated(pre_norm, 400)),
    );
    assert_eq!(code, 0);
}

#[test]
fn a_long_chain_of_flatten_and_dense_mismatches_is_linear() {
    let text = format!(
        "dense(10 -> 10, relu), {}",
        repeated("flatten, dense(11 -> 10, relu)", 4000)
    );
    let (code, stderr) = check("chain", &text);
    assert_eq!(code, 1);
    assert!(stderr.contains("dense takes 11 inputs"), "{stderr}");
}

#[test]
fn ten_thousand_warnings_on_one_line_render_in_linear_time() {
    let (code, stderr) = check("gains", &repeated("dense(4 -> 4, relu, gain = 1.0)", 10_000));
    assert_eq!(code, 0);
    assert_eq!(stderr.matches("warning: `he_normal, gain = 1`").count(), 10_000);
    // The last one, at the last layer's `1.0`: its column counts from the
    // line's start, not from where the rendering cut the line.
    let column = "dense(4 -> 4, relu, gain = 1.0), ".len() * 9_999 + "dense(4 -> 4, relu, gain = ".len() + 1;
    assert!(stderr.contains(&format!(":1:{column}\n")), "no column {column}");
}

#[test]
fn large_declared_planes_are_checked_without_following_every_position() {
    let conv = "conv2d(1 -> 1, relu, kernel = 3, padding = 1)";
    for (name, text) in [
        ("plane", format!("input(1, 8192, 8192), {conv}")),
        ("planes", format!("input(1, 8192, 8192), {}", repeated(conv, 50))),
        (
            "tall",
            "input(3, 100000, 32), conv2d(3 -> 8, identity, kernel = 3, padding = 1), batch_norm(8), relu, \
             global_avg_pool2d"
                .to_owned(),
        ),
        (
            "pool",
            "input(1, 8192, 8192), max_pool2d(4096, stride = 1)".to_owned(),
        ),
        (
            "average",
            "input(1, 8192, 8192), avg_pool2d(4096, stride = 1)".to_owned(),
        ),
        (
            "kernel",
            "input(1, 8, 8), conv2d(1 -> 1, relu, kernel = 1_000_000_001, padding = same)".to_owned(),
        ),
    ] {
        check(name, &text);
    }
}

#[test]
fn a_pooling_residual_branch_is_an_error_not_a_panic() {
    for pooling in ["avg_pool2d", "max_pool2d"] {
        let text = format!("input(1, 4, 4), residual({pooling}(2))");
        let error = text.parse::<NetworkSpec>().unwrap_err().to_string();
        assert!(
            error.contains("the branch gives 1 × 2 × 2 and the block's input is 1 × 4 × 4"),
            "{error}"
        );
        let (code, _) = check(pooling, &text);
        assert_eq!(code, 1);
    }
}

#[test]
fn a_checkpoint_whose_spec_nests_too_deep_is_an_error() {
    // A valid checkpoint, its spec then replaced by one nested past the
    // bound, as a file from elsewhere could be: a typed error, not an abort.
    let spec: NetworkSpec = "dense(4 -> 4, relu)".parse().unwrap();
    let dir = std::env::temp_dir().join(format!("netinit-bounds-{}-checkpoint", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.safetensors");
    spec.init(3).save(&path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let deep = format!(
        "{}dense(4 -> 4, relu){}",
        "residual(".repeat(2000),
        ")".repeat(2000)
    );
    let header_length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_length]).unwrap();
    let written = spec.to_string();
    assert!(header.contains(&written), "{header}");
    let header = header.replace(&written, &deep);
    let mut forged = (header.len() as u64).to_le_bytes().to_vec();
    forged.extend_from_slice(header.as_bytes());
    forged.extend_from_slice(&bytes[8 + header_length..]);
    fs::write(&path, forged).unwrap();
    let error = Network::load(&path).unwrap_err().to_string();
    fs::remove_dir_all(&dir).unwrap();
    assert!(error.contains("at most 64 deep"), "{error}");
}
