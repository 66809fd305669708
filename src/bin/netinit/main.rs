//! The `netinit` command line: checks `.net` files (what goes between the
//! brackets of `network![…]`) and prints a network's summary table, with
//! the library's errors and warnings rendered like rustc's.

mod render;

use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use netinit::dsl::{Diagnostic, Severity};
use netinit::{NetworkSpec, Origin, SamplerFormat};

/// Check neural networks declared in netinit's DSL, outside a Rust build.
///
/// A `.net` file holds what goes between the brackets of
/// `netinit::network![…]`: layers such as `dense(784 -> 256, relu),`, lint
/// attributes such as `#[allow(init_mismatch)]`, and `//` comments. netinit
/// reports the errors and warnings the macro would give at compile time:
/// unknown names, shape mismatches between layers, constant or mismatched
/// weight initialisations, and signal that grows or vanishes with depth.
#[derive(Debug, Parser)]
#[command(version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check .net files and report every error and warning in them.
    ///
    /// Diagnostics go to stderr; each clean file gets one `ok` line on
    /// stdout with its layer and parameter counts. The exit status is 0 when
    /// every file is free of errors, 1 when one has an error (or, with
    /// `--deny warnings`, a warning), and 2 when a file cannot be read.
    Check {
        /// The .net files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Report every warning as an error, making the check fail.
        #[arg(long, value_enum, value_name = "WHAT")]
        deny: Vec<Deny>,
    },
    /// Print a network's layers, shapes, initialisations and parameter counts.
    ///
    /// The table goes to stdout and any warnings to stderr. A network with
    /// errors gets them reported as `netinit check` would, and exit status 1.
    Summary {
        /// The .net file to summarise.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a PyTorch module whose state_dict matches the checkpoints.
    ///
    /// The module's parameter names and shapes are exactly those of the
    /// file `netinit init` (or `Network::save`) writes, so
    /// `model.load_state_dict(safetensors.torch.load_file(path))` loads it
    /// in strict mode. Its `forward` returns logits where the last layer
    /// ends in softmax (what `nn.CrossEntropyLoss` takes), and
    /// `probabilities(x)` applies that softmax.
    Export {
        /// The .net file that declares the network.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print a PyTorch `nn.Module` (the one target there is).
        #[arg(long, required = true)]
        pytorch: bool,
        /// The Python class's name.
        #[arg(long, default_value = "Network", value_parser = python_class_name)]
        class: String,
    },
    /// Sample a network's initial weights into a safetensors checkpoint.
    ///
    /// The file holds every layer's weights and biases (f32, PyTorch's layout,
    /// named `layers.0.weight`, …) and, in its metadata, the network's DSL
    /// text and the seed, so `Network::load` and PyTorch's
    /// `safetensors.torch.load_file` read it as it is. It is written
    /// atomically: on any error an existing file is left as it was.
    Init {
        /// The .net file that declares the network.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The seed: the same seed gives the same weights on every machine.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_seed)]
        seed: u64,
        /// Where to write the checkpoint (with --shard-size, the name the
        /// shards and the index take after: `model.safetensors` gives
        /// `model-00001-of-0000N.safetensors` and `model.safetensors.index.json`).
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// Write Hugging Face's sharded layout, shards of at most this much
        /// tensor data: `1GiB`, `1.5GB`, `512MiB`, `100MB`, or bytes
        /// (fractions rounded to whole bytes). Each shard is sampled and
        /// streamed on its own; a tensor larger than the size gets a shard
        /// of its own, larger than the size (as Hugging Face's writers do).
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        shard_size: Option<u64>,
        /// With --shard-size, write only shard K (from 1) and the index, so
        /// separate machines each write their own.
        #[arg(long, value_name = "K", requires = "shard_size", value_parser = clap::value_parser!(u64).range(1..))]
        shard: Option<u64>,
        /// The sampler format: `counter` (the default since 0.2: any block
        /// of a tensor samples alone) or `0.1`, which reproduces weights
        /// made with netinit 0.1.
        #[arg(long, value_name = "FORMAT", default_value = "counter", value_parser = parse_sampler)]
        sampler: SamplerFormat,
    },
}

/// A `--sampler` value: `counter`, `0.1`, or a format's full name.
fn parse_sampler(text: &str) -> Result<SamplerFormat, String> {
    match text {
        "counter" => Ok(SamplerFormat::Counter),
        "0.1" => Ok(SamplerFormat::ChaChaRows),
        name => SamplerFormat::from_name(name).ok_or_else(|| {
            format!(
                "expected `counter`, `0.1` or a format's name ({}); found `{name}`",
                SamplerFormat::ALL.map(SamplerFormat::name).join(", ")
            )
        }),
    }
}

/// What `--deny` can turn into errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Deny {
    /// Every warning, whichever lint it comes from.
    Warnings,
}

/// How a file, or a whole run, ended; the worst outcome over all files
/// decides the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// No errors (warnings are allowed unless denied).
    Clean,
    /// The network has errors.
    Failed,
    /// A file could not be read, or the output could not be written.
    IoError,
}

impl Outcome {
    /// The process exit status: 0, 1 or 2, as rustc and clap use them.
    fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Clean => 0,
            Outcome::Failed => 1,
            Outcome::IoError => 2,
        })
    }
}

/// A `.net` file read into memory, named as the user gave it.
struct SpecFile {
    /// The path as typed on the command line, for messages.
    name: String,
    /// The file's contents.
    text: String,
}

/// How many errors and warnings were reported for one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Diagnostics of severity error.
    errors: usize,
    /// Diagnostics of severity warning.
    warnings: usize,
}

/// Parses the command line, runs the command, and exits 0, 1 or 2.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let styled = stderr_is_colour_terminal();
    let outcome = match &cli.command {
        Command::Check { files, deny } => {
            let deny_warnings = deny.contains(&Deny::Warnings);
            files
                .iter()
                .map(|path| check(path, deny_warnings, styled))
                .fold(Outcome::Clean, Outcome::max)
        }
        Command::Summary { file } => summary(file, styled),
        Command::Init {
            file,
            seed,
            output,
            shard_size,
            shard,
            sampler,
        } => {
            let sharding =
                shard_size.map(|size| (size, shard.map(|k| usize::try_from(k - 1).unwrap_or(usize::MAX))));
            init(file, Origin::new(*seed, *sampler), output, sharding, styled)
        }
        Command::Export { file, class, .. } => export(file, class, styled),
    };
    outcome.exit_code()
}

/// Whether stderr is a terminal that should get colours; `NO_COLOR`
/// (see no-color.org) turns them off.
fn stderr_is_colour_terminal() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    io::stderr().is_terminal() && !no_color
}

/// `netinit check` for one file: report its diagnostics, then a closing
/// summary on stderr or an `ok` line on stdout.
fn check(path: &Path, deny_warnings: bool, styled: bool) -> Outcome {
    let Some(source) = read_source(path, styled) else {
        return Outcome::IoError;
    };
    let (spec, mut diagnostics) = match NetworkSpec::from_dsl(&source.text) {
        Ok((spec, warnings)) => (Some(spec), warnings),
        Err(error) => (None, error.diagnostics),
    };
    if deny_warnings {
        diagnostics = diagnostics.into_iter().map(denied).collect();
    }
    let tally = report(&diagnostics, &source, styled);
    let spec = match spec {
        Some(spec) if tally.errors == 0 => spec,
        _ => {
            report_failure("check", &source, tally, styled);
            return Outcome::Failed;
        }
    };
    report_warnings_emitted(&source, tally, styled);
    let line = format!(
        "{}: ok ({}, {})",
        source.name,
        counted(spec.layers().len(), "layer"),
        counted(spec.parameter_count(), "parameter"),
    );
    print_stdout(&line)
}

/// `netinit summary`: the network's table on stdout, or its errors.
fn summary(path: &Path, styled: bool) -> Outcome {
    let Some(source) = read_source(path, styled) else {
        return Outcome::IoError;
    };
    match NetworkSpec::from_dsl(&source.text) {
        Ok((spec, warnings)) => {
            let tally = report(&warnings, &source, styled);
            report_warnings_emitted(&source, tally, styled);
            // Whether the table ends in a line break is the library's
            // business; print exactly one.
            let table = spec.summary().to_string();
            print_stdout(table.trim_end())
        }
        Err(error) => {
            let tally = report(&error.diagnostics, &source, styled);
            report_failure("summarise", &source, tally, styled);
            Outcome::Failed
        }
    }
}

/// `netinit export --pytorch`: the network as a PyTorch module on stdout.
fn export(path: &Path, class: &str, styled: bool) -> Outcome {
    let Some(source) = read_source(path, styled) else {
        return Outcome::IoError;
    };
    match NetworkSpec::from_dsl(&source.text) {
        Ok((spec, warnings)) => {
            let tally = report(&warnings, &source, styled);
            report_warnings_emitted(&source, tally, styled);
            print_stdout(spec.to_pytorch(class).trim_end())
        }
        Err(error) => {
            let tally = report(&error.diagnostics, &source, styled);
            report_failure("export", &source, tally, styled);
            Outcome::Failed
        }
    }
}

/// `netinit init`: the network's weights sampled from `origin`, saved to
/// `output`, or in shards of the given size (all of them, or one).
fn init(
    path: &Path,
    origin: Origin,
    output: &Path,
    sharding: Option<(u64, Option<usize>)>,
    styled: bool,
) -> Outcome {
    let Some(source) = read_source(path, styled) else {
        return Outcome::IoError;
    };
    let spec = match NetworkSpec::from_dsl(&source.text) {
        Ok((spec, warnings)) => {
            let tally = report(&warnings, &source, styled);
            report_warnings_emitted(&source, tally, styled);
            spec
        }
        Err(error) => {
            let tally = report(&error.diagnostics, &source, styled);
            report_failure("initialise", &source, tally, styled);
            return Outcome::Failed;
        }
    };
    let written = match sharding {
        None => {
            let bar = progress_bar(spec.shard_plan(u64::MAX).total_bytes());
            let written = spec.write_initial(origin, output, &mut |done| bar.inc(done));
            bar.finish_and_clear();
            written.map(|()| vec![output.to_owned()])
        }
        Some((shard_bytes, only)) => {
            let plan = spec.shard_plan(shard_bytes);
            let bytes = match only.and_then(|index| plan.shards().get(index)) {
                Some(shard) => shard.iter().map(|tensor| tensor.bytes()).sum(),
                None => plan.total_bytes(),
            };
            let bar = progress_bar(bytes);
            let written = spec.write_sharded(origin, output, shard_bytes, only, &mut |done| bar.inc(done));
            bar.finish_and_clear();
            written
        }
    };
    match written {
        Ok(files) => {
            let sampled = format!(
                "{} parameters sampled with seed {} ({})",
                spec.parameter_count(),
                origin.seed,
                origin.format
            );
            match files.as_slice() {
                [file] => print_stdout(format!("{}: {sampled}", file.display())),
                // A sharded set: its files one a line, then what they hold.
                files => {
                    let names: Vec<String> = files.iter().map(|file| file.display().to_string()).collect();
                    print_stdout(format!("{}\n{sampled}", names.join("\n")))
                }
            }
        }
        Err(error) => {
            eprintln!(
                "{}",
                render::render_message(Severity::Error, &error.to_string(), styled)
            );
            Outcome::IoError
        }
    }
}

/// A progress bar over `bytes` (indicatif draws it only on a terminal).
fn progress_bar(bytes: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(bytes);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
    {
        bar.set_style(style);
    }
    bar
}

/// A name Python accepts for a class: letters, digits and `_`, not
/// starting with a digit, and not a keyword.
fn python_class_name(text: &str) -> Result<String, String> {
    const KEYWORDS: [&str; 35] = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
        "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
        "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ];
    let starts_well = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let is_word = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !starts_well || !is_word || KEYWORDS.contains(&text) {
        return Err(format!(
            "`{text}` is not a Python class name: use letters, digits and `_`, not starting with a digit, not a keyword"
        ));
    }
    Ok(text.to_owned())
}

/// `1GiB`, `512MiB`, `100MB`, `64KiB` or plain bytes, as a number of bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let not_a_size = || format!("`{text}` is not a size; write e.g. `1GiB`, `1.5GB`, `512MiB` or `100MB`");
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    // Digits on at least one side, at most 9 after the point, and one point.
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 9 || fraction.contains('.') {
        return Err(not_a_size());
    }
    let whole: u128 = match whole {
        "" => 0,
        digits => digits.parse().map_err(|_| not_a_size())?,
    };
    let fraction_value: u128 = match fraction {
        "" => 0,
        digits => digits.parse().map_err(|_| not_a_size())?,
    };
    let scale: u128 = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit `{other}`; use B, KB, MB, GB, KiB, MiB or GiB"
            ))
        }
    };
    // Exactly, then rounded to the nearest byte: 1.5GiB is 1,610,612,736.
    let denominator = 10_u128.pow(fraction.len() as u32);
    let bytes = whole
        .checked_mul(denominator)
        .and_then(|scaled| scaled.checked_add(fraction_value))
        .and_then(|numerator| numerator.checked_mul(scale))
        .map(|numerator| (numerator + denominator / 2) / denominator)
        .and_then(|bytes| u64::try_from(bytes).ok());
    match bytes {
        Some(0) => Err("a shard holds at least one byte".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{text}` is more bytes than fit in 64 bits")),
    }
}

/// A seed: a whole number from 0 to 2^64 - 1. A negative one is said to
/// be out of range, not taken for a flag.
fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("a seed is a whole number from 0 to {}; found `{text}`", u64::MAX))
}

/// The largest `.net` file read: a network of ten thousand layers is
/// about 300 KB.
const MAX_SOURCE: u64 = 16 << 20;

/// The text of `path`, which must be a regular file (as the library's
/// readers require: `/dev/zero` would never end, a FIFO would block) of at
/// most [`MAX_SOURCE`] bytes.
fn source_text(path: &Path) -> io::Result<String> {
    let (file, length) = netinit::files::open_regular(path)?;
    let too_large = |length: u64| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it holds {length} bytes, and a description is at most {MAX_SOURCE} (16 MiB)"),
        )
    };
    if length > MAX_SOURCE {
        return Err(too_large(length));
    }
    let mut text = String::new();
    // Read one byte past the bound, in case the file grew since.
    file.take(MAX_SOURCE + 1).read_to_string(&mut text)?;
    match text.len() as u64 {
        read if read > MAX_SOURCE => Err(too_large(read)),
        _ => Ok(text),
    }
}

/// Reads `path`, or reports `error: cannot read `PATH`: …` and gives `None`.
fn read_source(path: &Path, styled: bool) -> Option<SpecFile> {
    let name = path.display().to_string();
    match source_text(path) {
        Ok(text) => Some(SpecFile { name, text }),
        Err(error) => {
            let message = format!("cannot read `{name}`: {error}");
            eprintln!("{}", render::render_message(Severity::Error, &message, styled));
            None
        }
    }
}

/// Under `--deny warnings`, a warning becomes an error that says why.
fn denied(mut diagnostic: Diagnostic) -> Diagnostic {
    if diagnostic.severity == Severity::Warning {
        diagnostic.severity = Severity::Error;
        diagnostic
            .notes
            .push("`--deny warnings` turned this warning into an error".to_owned());
    }
    diagnostic
}

/// Renders every diagnostic to stderr, each followed by a blank line as
/// rustc does, and counts them.
fn report(diagnostics: &[Diagnostic], source: &SpecFile, styled: bool) -> Tally {
    let mut tally = Tally::default();
    for diagnostic in diagnostics {
        match diagnostic.severity {
            Severity::Error => tally.errors += 1,
            Severity::Warning => tally.warnings += 1,
        }
        let rendered = render::render(diagnostic, &source.name, &source.text, styled);
        eprintln!("{rendered}\n");
    }
    tally
}

/// The closing line of a file that failed, e.g. ``error: could not check
/// `net.net` due to 2 previous errors; 1 warning emitted``.
fn report_failure(verb: &str, source: &SpecFile, tally: Tally, styled: bool) {
    let mut message = format!("could not {verb} `{}`", source.name);
    if tally.errors > 0 {
        message += &format!(" due to {}", counted(tally.errors, "previous error"));
    }
    if tally.warnings > 0 {
        message += &format!("; {} emitted", counted(tally.warnings, "warning"));
    }
    eprintln!("{}", render::render_message(Severity::Error, &message, styled));
}

/// The closing line of a file that passed with warnings, e.g. ``warning:
/// `net.net` generated 1 warning``; nothing for a clean file.
fn report_warnings_emitted(source: &SpecFile, tally: Tally, styled: bool) {
    if tally.warnings == 0 {
        return;
    }
    let message = format!(
        "`{}` generated {}",
        source.name,
        counted(tally.warnings, "warning")
    );
    eprintln!("{}", render::render_message(Severity::Warning, &message, styled));
}

/// Writes one line to stdout. A closed pipe (`netinit summary … | head`)
/// must not panic, as `println!` would.
fn print_stdout(line: impl fmt::Display) -> Outcome {
    match writeln!(io::stdout().lock(), "{line}") {
        Ok(()) => Outcome::Clean,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Outcome::Clean,
        Err(error) => {
            let message = format!("cannot write to stdout: {error}");
            eprintln!("{}", render::render_message(Severity::Error, &message, false));
            Outcome::IoError
        }
    }
}

/// `count` and `noun`, pluralised in English: `1 layer`, `203530 parameters`.
fn counted(count: usize, noun: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {noun}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pluralises() {
        assert_eq!(counted(1, "layer"), "1 layer");
        assert_eq!(counted(2, "previous error"), "2 previous errors");
        assert_eq!(counted(0, "warning"), "0 warnings");
    }

    #[test]
    fn class_names_are_python_identifiers() {
        assert!(python_class_name("Network").is_ok());
        assert!(python_class_name("_Net2").is_ok());
        assert!(python_class_name("My Net").is_err());
        assert!(python_class_name("2Net").is_err());
        assert!(python_class_name("class").is_err());
    }

    #[test]
    fn sizes_read_with_their_units() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1 GB").is_ok());
        assert!(parse_size("1TiB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
        // Fractions, rounded to the nearest byte; `1.5GB` said "unknown unit `.5GB`".
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("0.5KiB"), Ok(512));
        assert_eq!(parse_size(".25MiB"), Ok(1 << 18));
        assert_eq!(parse_size("2.5"), Ok(3));
        assert_eq!(parse_size("0.4B"), Err("a shard holds at least one byte".into()));
        assert!(parse_size("1.2.3GB").is_err());
        assert!(parse_size(".GB").is_err());
    }

    #[test]
    fn a_negative_seed_is_out_of_range_not_a_flag() {
        // clap's tip "use '-- -3'" could not work: a seed is never negative.
        for arguments in [["--seed", "-3"], ["--seed", "1e3"]] {
            let error = Cli::try_parse_from(
                ["netinit", "init", "a.net", "-o", "a.safetensors"]
                    .into_iter()
                    .chain(arguments),
            )
            .map(|_| ())
            .unwrap_err()
            .to_string();
            assert!(
                error.contains("a seed is a whole number from 0 to 18446744073709551615"),
                "{error}"
            );
            assert!(!error.contains("-- -3"), "{error}");
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn deny_accepts_only_warnings() {
        let parsed = Cli::try_parse_from(["netinit", "check", "a.net", "--deny", "warnings"]);
        assert!(parsed.is_ok());
        let typo = Cli::try_parse_from(["netinit", "check", "a.net", "--deny", "warning"]);
        assert!(typo.is_err());
        let no_files = Cli::try_parse_from(["netinit", "check"]);
        assert!(no_files.is_err());
    }
}
