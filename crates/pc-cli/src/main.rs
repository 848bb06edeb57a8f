//! `pc`: the command-line tool for Partner Center device deployment.
//!
//! Its contract (flags, environment, output and exit codes) is written down in the
//! project's CLI specification. This file parses, starts the diagnostics and hands the
//! command to the module whose job it is; docs/ARCHITECTURE.md maps the rest.

mod api;
mod cli;
mod demo;
mod devices;
mod duration;
mod exit;
mod interrupt;
mod jobs;
mod journal;
mod lock;
mod output;
mod select;
mod settings;
mod signin;
mod sim;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{AuthCommand, Cli, Command, DevicesCommand, JobsCommand, OutputFormat};
use crate::exit::{Exit, Failure};
use crate::output::progress::ProgressMode;
use crate::output::table::{Style, no_color};
use crate::output::{Ctx, fail};
use crate::settings::Settings;

fn main() -> ExitCode {
    let mut command = Cli::command();
    let matches = match command.try_get_matches_from_mut(std::env::args_os()) {
        Ok(matches) => matches,
        Err(error) => refuse(&command, error),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    init_tracing(cli.global.verbose);
    run(cli, &matches)
}

/// Exits on a command line clap refused. A bad value that came from an environment
/// variable (its flag not on the command line) is named by the variable and its flag.
fn refuse(command: &clap::Command, error: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        error.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) && let Some(ContextValue::String(shown)) = error.get(ContextKind::InvalidArg)
        && let Some(long) = shown
            .split_whitespace()
            .next()
            .and_then(|flag| flag.strip_prefix("--"))
        && let Some(env) = env_of(command, long)
        && std::env::var_os(&env).is_some()
        && !std::env::args().any(|arg| {
            arg.strip_prefix("--")
                .and_then(|arg| arg.strip_prefix(long))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    {
        let text = error.render().to_string();
        eprint!(
            "{}",
            text.replacen(&format!("'{shown}'"), &format!("{env} (--{long})"), 1)
        );
        std::process::exit(2);
    }
    error.exit()
}

/// The environment variable of the flag `--long`, in `command` or its subcommands.
fn env_of(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .or_else(|| command.get_subcommands().find_map(|sub| env_of(sub, long)))
}

/// Diagnostics on stderr: `-v` info, `-vv` debug, `-vvv` trace; without `-v`,
/// `RUST_LOG`; else warnings only.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        1 => EnvFilter::new("info"),
        2 => EnvFilter::new("debug"),
        _ => EnvFilter::new("trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !no_color())
        .with_target(false)
        .try_init();
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> ExitCode {
    let global = &cli.global;
    let ctx = Ctx {
        output: global.output,
        allowed: global
            .allow_error_codes
            .iter()
            .map(|code| code.trim().to_owned())
            .filter(|code| !code.is_empty())
            .collect(),
        style: Style::for_stdout(),
        bom: !global.no_bom,
        progress: if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Quiet
        },
        explain_failures: true,
    };
    let correlation_id = global
        .correlation_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let settings = || {
        Settings::new(global, matches, correlation_id.clone(), &|name| {
            std::env::var(name).ok()
        })
    };
    if global.output == OutputFormat::Csv
        && let Some(name) = without_csv(&cli.command)
    {
        return fail(&Failure::usage(format!(
            "{name} has no csv output: use -o table or -o json; nothing was sent"
        )))
        .into();
    }
    // `pc sim` stops on Ctrl-C; every other command finishes what is in flight.
    if !matches!(cli.command, Command::Sim(_)) {
        interrupt::install();
    }
    let exit = match cli.command {
        // The simulator has exit codes of its own (5 when it cannot start).
        Command::Sim(args) => return args.run(),
        Command::Demo => demo::run(&ctx, correlation_id.clone()),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "pc", &mut std::io::stdout());
            Exit::Success
        }
        Command::Devices(command) => devices::run(&ctx, &settings(), command),
        Command::Jobs(command) => jobs::run(&ctx, &settings(), command),
        Command::Auth(command) => {
            let settings = settings();
            match command {
                AuthCommand::Login { tenant, client_id } => {
                    signin::auth::login(&ctx, &settings, tenant, client_id)
                }
                AuthCommand::Status => signin::auth::status(&ctx, &settings),
                AuthCommand::Logout => signin::auth::logout(&ctx, &settings),
            }
        }
    };
    interrupt::outcome(exit).into()
}

/// The command's name when it writes no csv (`-o csv` is refused before it runs).
fn without_csv(command: &Command) -> Option<&'static str> {
    match command {
        Command::Devices(DevicesCommand::Delete { .. }) => Some("pc devices delete"),
        Command::Jobs(JobsCommand::Show { .. }) => Some("pc jobs show"),
        Command::Jobs(JobsCommand::Prune { .. }) => Some("pc jobs prune"),
        Command::Auth(AuthCommand::Login { .. }) => Some("pc auth login"),
        Command::Auth(AuthCommand::Status) => Some("pc auth status"),
        Command::Auth(AuthCommand::Logout) => Some("pc auth logout"),
        Command::Demo => Some("pc demo"),
        Command::Completions { .. } => Some("pc completions"),
        Command::Sim(_) => Some("pc sim"),
        Command::Devices(_) | Command::Jobs(_) => None,
    }
}
