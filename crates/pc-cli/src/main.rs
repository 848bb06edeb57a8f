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

use crate::cli::{AuthCommand, Cli, Command};
use crate::exit::Exit;
use crate::output::Ctx;
use crate::output::progress::ProgressMode;
use crate::output::table::{Style, no_color};
use crate::settings::Settings;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    init_tracing(cli.global.verbose);
    run(cli, &matches)
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
