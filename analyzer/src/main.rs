//! The `harden` command line: argument parsing only; the work is in the
//! library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use harden::{CheckRequest, ExitStatus, OutputFormat, ReportOptions, RunOptions};

/// Find concurrency and resource hazards in Python and Rust services.
#[derive(Parser)]
#[command(name = "harden", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files and directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: code, name, languages, summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        output_format: ListFormat,
    },
    /// Show a rule's documentation.
    Rule {
        /// A rule code (`BLK001`) or name (`blocking-sleep-in-async`).
        rule: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Args)]
struct CheckArgs {
    /// Files or directories to check.
    paths: Vec<PathBuf>,
    /// Rules to enable (codes, prefixes such as `BLK`, names, or `ALL`),
    /// replacing the configured selection.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    select: Option<Vec<String>>,
    /// Rules to disable; wins over any selection.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    ignore: Vec<String>,
    /// Rules to enable on top of the selection.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    extend_select: Vec<String>,
    /// Also enable preview rules (rules whose precision on real code is
    /// still being proven) when selecting by `ALL` or prefix.
    #[arg(long)]
    preview: bool,
    /// Globs of paths to skip, relative to each checked directory.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Exit with status 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
    /// Print a count per rule instead of the findings.
    #[arg(long)]
    statistics: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Print findings only, without the summary line.
    #[arg(short, long)]
    quiet: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Use this configuration file instead of discovering one.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore all configuration files.
    #[arg(long)]
    isolated: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules { output_format } => {
            let format = match output_format {
                ListFormat::Text => OutputFormat::Text,
                ListFormat::Json => OutputFormat::Json,
            };
            written(harden::list_rules(&mut std::io::stdout().lock(), format))
        }
        Command::Rule { rule } => match harden::explain_rule(&rule) {
            Some(doc) => written(std::io::stdout().lock().write_all(doc.as_bytes())),
            None => fail(&format!("unknown rule `{rule}` (see `harden rules`)")),
        },
    };
    ExitCode::from(status as u8)
}

fn check(args: CheckArgs) -> ExitStatus {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => return fail(&format!("cannot read the current directory: {error}")),
    };
    let color = args.output_file.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let request = CheckRequest {
        paths: args.paths,
        select: args.select,
        ignore: args.ignore,
        extend_select: args.extend_select,
        preview: args.preview,
        exclude: args.exclude,
        config: args.config,
        isolated: args.isolated,
    };
    let options = RunOptions {
        report: ReportOptions {
            format: args.output_format,
            statistics: args.statistics,
            quiet: args.quiet,
            color,
        },
        threads: args.threads,
        exit_zero: args.exit_zero,
        output_file: args.output_file,
    };
    harden::check(&request, &options, &cwd).unwrap_or_else(|error| fail(&error))
}

/// A closed pipe (`harden rules | head`) is not a failure.
fn written(result: std::io::Result<()>) -> ExitStatus {
    match result {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => fail(&error),
        _ => ExitStatus::Success,
    }
}

fn fail(error: &dyn std::fmt::Display) -> ExitStatus {
    eprintln!("error: {error}");
    ExitStatus::Error
}
