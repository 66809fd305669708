//! A deterministic mutational fuzzer over what reads user input: the DSL
//! (`NetworkSpec::from_dsl`, `parse::<Init>`) and the IDX reader. Valid
//! inputs are mutated at the token or byte level from a fixed ChaCha8
//! stream; every case must come back as a value or a typed error, never a
//! panic. A spec that reads must print as text that reads back to it and
//! lint without panicking. `cargo test` runs a few thousand cases; the
//! ignored `*_at_length` tests run 100,000 each
//! (`cargo test --release --test fuzz -- --ignored`).

use std::fs;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use netinit::rand::Rng;
use netinit::{Generator, Init, NetworkSpec};

/// Valid networks to start from: every grammar feature at least once.
const NETWORKS: &[&str] = &[
    "dense(784 -> 256, relu), dense(256 -> 10, softmax)",
    "#![deny(init_mismatch)]\n#[allow(constant_init)] dense(8 -> 4, identity, init = zeros), dense(4 -> 2, tanh)",
    "dense(1_024 -> 512, leaky_relu(0.2), init = he_uniform, gain = 1.3, bias = normal(std = 0.01),),",
    "dense(64 -> 64, elu(1.0), dist = truncated_normal, mode = fan_out), dense(64 -> 3, sigmoid, init = orthogonal)",
    "pub struct Net { dense(3 -> 3, gelu, init = uniform(bound = 0.1)), dense(3 -> 1, selu, bias = constant(-0.5)) }",
    "// comment\ndense(2 -> 2, silu, init = truncated_normal(std = 0.05)), /* block */ dense(2 -> 2, softplus)",
];

/// Inits to start from.
const INITS: &[&str] = &[
    "he_normal",
    "he_uniform, mode = fan_out, gain = 1.2",
    "normal(std = 0.01)",
    "uniform(bound = 0.05)",
    "truncated_normal(std = 0.02)",
    "constant(0.5)",
    "orthogonal, gain = 2",
    "xavier_normal, dist = truncated_normal",
];

/// What a mutation may put in: the grammar's words and marks, and numbers
/// and characters at the edges of what is valid.
const PIECES: &[&str] = &[
    "dense",
    "relu",
    "leaky_relu",
    "elu",
    "softmax",
    "init",
    "bias",
    "gain",
    "dist",
    "mode",
    "std",
    "bound",
    "orthogonal",
    "zeros",
    "constant",
    "he_normal",
    "fan_in",
    "#[allow(constant_init)]",
    "#![forbid(init_scale)]",
    "->",
    ",",
    "=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "#",
    "!",
    "-",
    "::",
    ";",
    "0",
    "-0",
    "1e999",
    "1e-999",
    "NaN",
    "18446744073709551616",
    "4294967296",
    "0.0",
    "1.5",
    "1e308",
    "5e-324",
    "_",
    "__",
    "→",
    "é",
    "\"",
    "'",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "pub",
    "struct",
    "Net",
];

/// The input split at word boundaries: runs of letters, digits and `_`,
/// and single other characters.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for character in text.chars() {
        let word = character.is_alphanumeric() || character == '_' || character == '.';
        match tokens.last_mut() {
            Some(last) if word && last.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') => {
                last.push(character)
            }
            _ => tokens.push(character.to_string()),
        }
    }
    tokens
}

fn index(rng: &mut Generator, length: usize) -> usize {
    (rng.next_u64() % length.max(1) as u64) as usize
}

/// One to four token-level mutations of `text`: delete, duplicate, swap,
/// replace with a piece, insert a piece, or nest in parentheses.
fn mutate(text: &str, rng: &mut Generator) -> String {
    let mut tokens = tokens(text);
    for _ in 0..1 + rng.next_u64() % 4 {
        let at = index(rng, tokens.len());
        let piece = PIECES[index(rng, PIECES.len())].to_owned();
        match rng.next_u64() % 6 {
            0 if !tokens.is_empty() => {
                tokens.remove(at);
            }
            1 if !tokens.is_empty() => {
                let copy = tokens[at].clone();
                tokens.insert(at, copy);
            }
            2 if tokens.len() > 1 => {
                let other = index(rng, tokens.len());
                tokens.swap(at, other);
            }
            3 if !tokens.is_empty() => tokens[at] = piece,
            4 => {
                let depth = 1 + index(rng, 200);
                tokens.insert(at.min(tokens.len()), "(".repeat(depth) + &")".repeat(depth));
            }
            _ => tokens.insert(at.min(tokens.len()), piece),
        }
    }
    tokens.concat()
}

/// Run `case` on each input, catching panics: the inputs that panicked,
/// and how many inputs `case` read as valid.
fn failures<T: Clone + std::fmt::Debug>(
    inputs: impl Iterator<Item = T>,
    case: impl Fn(T) -> bool,
) -> (Vec<T>, usize) {
    let mut failed = Vec::new();
    let mut valid = 0;
    for input in inputs {
        match catch_unwind(AssertUnwindSafe(|| case(input.clone()))) {
            Ok(read) => valid += usize::from(read),
            Err(_) => failed.push(input),
        }
    }
    (failed, valid)
}

/// A network read at run time: it reads back from its text, and lints.
/// Whether it read.
fn read_network(text: String) -> bool {
    let read = NetworkSpec::from_dsl(&text);
    if let Ok((spec, _)) = &read {
        let printed = spec.to_string();
        let again: NetworkSpec = NetworkSpec::from_dsl(&printed)
            .map(|(spec, _)| spec)
            .unwrap_or_else(|error| panic!("{printed:?} does not read back: {error}"));
        assert_eq!(&again, spec, "{printed:?}");
        let _ = spec.lint();
        let _ = spec.summary().to_string();
    }
    read.is_ok()
}

/// Mutate `sources` `cases` times from `seed` and read each mutant with
/// `read` (which says whether it read): none may panic, and more than one
/// in 50 must stay valid, so the read-back path is exercised too (a
/// duplicated comma or a new number keeps a text valid).
fn fuzz_texts(what: &str, sources: &[&str], seed: u64, cases: u64, read: impl Fn(String) -> bool) {
    let mut rng = netinit::generator(seed);
    let inputs: Vec<String> = (0..cases)
        .map(|case| mutate(sources[case as usize % sources.len()], &mut rng))
        .collect();
    let (failed, valid) = failures(inputs.into_iter(), read);
    assert!(
        failed.is_empty(),
        "{} of {cases} {what} panicked, first: {:?}",
        failed.len(),
        failed[0]
    );
    assert!(valid as u64 > cases / 50, "only {valid} of {cases} {what} read");
    eprintln!("{what}: {cases} cases, {valid} read and read back, 0 panicked");
}

fn fuzz_dsl(cases: u64) {
    fuzz_texts("networks", NETWORKS, 2026, cases, read_network);
}

fn fuzz_init(cases: u64) {
    fuzz_texts("inits", INITS, 1117, cases, |text| match text.parse::<Init>() {
        Ok(init) => {
            assert_eq!(init.to_string().parse::<Init>().ok(), Some(init), "{text:?}");
            true
        }
        Err(_) => false,
    });
}

/// A small valid IDX image file, gzip or plain.
fn idx_images(gzip: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0000_0803_u32, 3, 28, 28] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.extend((0..3 * 28 * 28).map(|i| (i % 256) as u8));
    if !gzip {
        return bytes;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&bytes).unwrap();
    encoder.finish().unwrap()
}

fn fuzz_idx(cases: u64) {
    let path: PathBuf =
        std::env::temp_dir().join(format!("netinit-fuzz-{}-images-idx3-ubyte", std::process::id()));
    let mut rng = netinit::generator(77);
    let mut failed = 0;
    for case in 0..cases {
        let mut bytes = idx_images(case % 2 == 0);
        for _ in 0..1 + rng.next_u64() % 3 {
            match rng.next_u64() % 3 {
                0 if !bytes.is_empty() => {
                    let at = index(&mut rng, bytes.len());
                    bytes[at] = rng.next_u64() as u8;
                }
                1 | 0 => bytes.truncate(index(&mut rng, bytes.len())),
                _ => bytes.extend((0..index(&mut rng, 64)).map(|_| rng.next_u64() as u8)),
            }
        }
        fs::write(&path, &bytes).unwrap();
        let read = catch_unwind(|| {
            let _ = netinit::data::read_images(&path, (28, 28));
            let _ = netinit::data::read_labels(&path, 10);
        });
        failed += u64::from(read.is_err());
    }
    assert_eq!(failed, 0, "{failed} of {cases} IDX files panicked the reader");
    eprintln!("IDX files: {cases} cases, 0 panicked");
}

#[test]
fn mutated_networks_read_or_fail_cleanly() {
    fuzz_dsl(2_000);
}

#[test]
fn mutated_inits_read_or_fail_cleanly() {
    fuzz_init(2_000);
}

#[test]
fn mutated_idx_files_read_or_fail_cleanly() {
    fuzz_idx(1_000);
}

#[test]
#[ignore = "100,000 cases: run with --release --ignored"]
fn mutated_networks_at_length() {
    fuzz_dsl(100_000);
}

#[test]
#[ignore = "100,000 cases: run with --release --ignored"]
fn mutated_inits_at_length() {
    fuzz_init(100_000);
}

#[test]
#[ignore = "100,000 cases: run with --release --ignored"]
fn mutated_idx_files_at_length() {
    fuzz_idx(100_000);
}
