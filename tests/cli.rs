//! The `netinit` command line, run as a user runs it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use netinit::{Origin, SamplerFormat};

/// A `.net` file in a temporary folder of its own, removed when dropped.
struct NetFile(PathBuf);

impl std::ops::Deref for NetFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for NetFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// A `.net` file with this text in a fresh temporary folder.
fn net_file(name: &str, text: &str) -> NetFile {
    let dir = std::env::temp_dir().join(format!("netinit-cli-{}-{name}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    NetFile(path)
}

fn netinit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netinit"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn check_reports_a_shape_error_and_an_unknown_activation_with_line_and_column() {
    let path = net_file(
        "broken.net",
        "// two mistakes\ndense(784 -> 256, rleu),\ndense(128 -> 10, softmax),\n",
    );
    let output = netinit(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let name = path.display().to_string();
    assert!(
        stderr.contains("error: unknown activation `rleu`; did you mean `relu`?"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("--> {name}:2:19")), "{stderr}");
    assert!(
        stderr.contains("error: layer 1 takes 128 inputs, but layer 0 before it gives 256 outputs"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("--> {name}:3:7")), "{stderr}");
    assert!(stderr.contains("3 | dense(128 -> 10, softmax),"), "{stderr}");
    assert!(stderr.contains("= help: write `256 -> …` here"), "{stderr}");
    assert!(stderr.contains("due to 2 previous errors"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn check_passes_the_card_network() {
    let output = netinit(&["check", "examples/card.net"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty());
    assert_eq!(
        text(&output.stdout),
        "examples/card.net: ok (2 layers, 203530 parameters)\n"
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let path = net_file("mismatch.net", "dense(64 -> 64, relu, init = xavier_normal)\n");
    let path = path.to_str().unwrap();
    let warned = netinit(&["check", path]);
    assert_eq!(warned.status.code(), Some(0));
    assert!(text(&warned.stderr).contains("warning: Xavier init does not match `relu`"));
    let denied = netinit(&["check", "--deny", "warnings", path]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text(&denied.stderr).contains("error: Xavier init does not match `relu`"));
}

#[test]
fn summary_prints_the_table() {
    let output = netinit(&["summary", "examples/card.net"]);
    assert_eq!(output.status.code(), Some(0));
    let table = text(&output.stdout);
    assert!(table.contains("he_normal fan_in std=0.0505"), "{table}");
    assert!(table.ends_with("Total params: 203,530\n"), "{table}");
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let output = netinit(&["check", "no/such/file.net"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read `no/such/file.net`"));
}

#[test]
fn init_writes_a_checkpoint_that_loads_as_the_network() {
    let output = std::env::temp_dir().join(format!("netinit-cli-{}-card.safetensors", std::process::id()));
    let run = netinit(&[
        "init",
        "examples/card.net",
        "--seed",
        "7",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("203530 parameters sampled with seed 7 (philox4x32-boxmuller-2)"));
    let loaded = netinit::Network::load(&output).unwrap();
    let card: netinit::NetworkSpec = fs::read_to_string("examples/card.net").unwrap().parse().unwrap();
    assert_eq!(loaded, card.init(7));
    assert_eq!(loaded.origin(), Some(Origin::from(7)));
    let broken = net_file("init-broken.net", "dense(784 -> 256, rleu)\n");
    let refused = netinit(&["init", broken.to_str().unwrap(), "-o", output.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        netinit::Network::load(&output).unwrap(),
        card.init(7),
        "the old file is intact"
    );
    fs::remove_file(&output).unwrap();
}

#[test]
fn init_reproduces_the_0_1_format_on_request() {
    let output = std::env::temp_dir().join(format!("netinit-cli-{}-old.safetensors", std::process::id()));
    let path = output.to_str().unwrap();
    let run = netinit(&[
        "init",
        "examples/card.net",
        "--seed",
        "7",
        "--sampler",
        "0.1",
        "-o",
        path,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let loaded = netinit::Network::load(&output).unwrap();
    let card: netinit::NetworkSpec = fs::read_to_string("examples/card.net").unwrap().parse().unwrap();
    let old = Origin::new(7, SamplerFormat::ChaChaRows);
    assert_eq!(loaded, card.init(old));
    assert_eq!(loaded.origin(), Some(old), "the checkpoint records the format");
    let refused = netinit(&["init", "examples/card.net", "--sampler", "0.3", "-o", path]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("expected `counter`, `0.1` or a format's name"),
        "{}",
        text(&refused.stderr)
    );
    fs::remove_file(&output).unwrap();
}

#[test]
fn check_refuses_a_device_a_folder_and_a_fifo_instead_of_reading_them() {
    // /dev/zero was read until memory ran out; a FIFO blocked the command.
    let output = netinit(&["check", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot read `/dev/zero`: not a regular file: it is a character device"),
        "{stderr}"
    );
    let folder = std::env::temp_dir();
    let output = netinit(&["check", folder.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("it is a directory"));
    let fifo = std::env::temp_dir().join(format!("netinit-cli-{}-fifo.net", std::process::id()));
    let _ = fs::remove_file(&fifo);
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|status| status.success())
    {
        let output = netinit(&["check", fifo.to_str().unwrap()]);
        fs::remove_file(&fifo).unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(text(&output.stderr).contains("it is a FIFO"));
    }
    // A description past 16 MiB is refused before it is read.
    let large = net_file("large.net", &" ".repeat((16 << 20) + 1));
    let output = netinit(&["check", large.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("a description is at most"),
        "{}",
        text(&output.stderr)
    );
}
