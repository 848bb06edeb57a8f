//! `pc`: the command-line tool for Partner Center device deployment.
//!
//! Its contract (flags, environment, output and exit codes) is written down in the
//! project's CLI specification. Every call into the libraries goes through [`api`];
//! exit codes live in [`exit`].

mod api;
mod auth;
mod cli;
mod commands;
mod config;
mod demo;
mod duration;
mod exit;
mod progress;
mod refresh;
mod scan;
mod sim;
mod table;
mod token_file;
mod wait;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::api::{Api, Settings};
use crate::cli::{AuthCommand, Cli, Command, DevicesCommand, GlobalArgs, Shell};
use crate::commands::{Ctx, fail};
use crate::exit::Exit;
use crate::progress::ProgressMode;
use crate::table::{Style, no_color};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    run(cli)
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

fn run(cli: Cli) -> ExitCode {
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
    let exit = match cli.command {
        // The simulator has exit codes of its own (5 when it cannot start).
        Command::Sim(args) => return args.run(),
        Command::Demo => demo::run(&ctx, correlation_id),
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
                Shell::Powershell => clap_complete::Shell::PowerShell,
            };
            clap_complete::generate(shell, &mut Cli::command(), "pc", &mut std::io::stdout());
            Exit::Success
        }
        Command::Devices(command) => devices(&ctx, global, correlation_id, command),
        Command::Auth(command) => {
            let settings = settings(global, correlation_id);
            let token_path = token_path(global);
            let token_path = token_path.as_deref();
            match command {
                AuthCommand::Login { tenant, client_id } => {
                    auth::login(&ctx, &settings, token_path, tenant, client_id)
                }
                AuthCommand::Status => auth::status(&ctx, &settings, token_path),
                AuthCommand::Logout => auth::logout(&ctx, token_path),
            }
        }
    };
    exit.into()
}

/// The token file: `--token-file` / `PARTNER_CENTER_TOKEN_FILE`, else the default
/// under the user's config folder.
fn token_path(global: &GlobalArgs) -> Option<std::path::PathBuf> {
    global
        .token_file
        .clone()
        .filter(|path| !path.as_os_str().is_empty())
        .or_else(|| token_file::default_path(&|name| std::env::var(name).ok()))
}

/// The authority a refresh uses: the command line's (`--authority-url`, then
/// `--cloud`), else the environment's (`PARTNER_CENTER_AUTHORITY_URL`, then
/// `PARTNER_CENTER_CLOUD`), else the token file's, else the global cloud's.
pub(crate) fn authority_for(
    settings: &Settings,
    file: Option<&token_file::SignIn>,
) -> Result<String, crate::api::Failure> {
    let on_command_line = std::env::args().any(|arg| {
        ["--authority-url", "--cloud"]
            .iter()
            .any(|flag| arg == *flag || arg.starts_with(&format!("{flag}=")))
    });
    let in_environment = ["PARTNER_CENTER_AUTHORITY_URL", "PARTNER_CENTER_CLOUD"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
    match file {
        Some(file) if !on_command_line && !in_environment => {
            let from_file = Settings {
                authority_url: Some(file.authority.clone()),
                ..settings.clone()
            };
            api::Api::authority(&from_file)
        }
        _ => api::Api::authority(settings),
    }
}

/// The configuration table's values, resolved by clap from flags, environment and
/// defaults.
fn settings(global: &GlobalArgs, correlation_id: String) -> Settings {
    Settings {
        base_url: global.base_url.clone(),
        cloud: global.cloud.to_ascii_lowercase(),
        authority_url: global.authority_url.clone(),
        locale: global.locale.clone(),
        correlation_id,
        timeout: global.timeout,
        max_retries: global.max_retries,
        max_retry_after: global.max_retry_after,
        ca_file: global.ca_file.clone(),
    }
}

fn devices(
    ctx: &Ctx,
    global: &GlobalArgs,
    correlation_id: String,
    command: DevicesCommand,
) -> Exit {
    // A bad CSV file is refused before anything else is looked at.
    let csv = match &command {
        DevicesCommand::Upload(args) => match api::read_autopilot_csv(&args.csv) {
            Ok(csv) => {
                for warning in &csv.warnings {
                    eprintln!("warning: {warning}");
                }
                Some(csv)
            }
            Err(failure) => return fail(&failure),
        },
        _ => None,
    };
    let mut settings = settings(global, correlation_id);
    let connected = config::credentials(
        |name| std::env::var(name).ok(),
        token_path(global).as_deref(),
    )
    .and_then(|credentials| {
        if let api::Credentials::TokenFile { sign_in, .. } = &credentials {
            settings.authority_url = Some(authority_for(&settings, Some(sign_in))?);
        }
        Api::connect(&settings, credentials)
    });
    let api = match connected {
        Ok(api) => api,
        Err(failure) => return fail(&failure),
    };
    match command {
        DevicesCommand::BatchStatus(args) => commands::batch_status(ctx, &api, &args),
        DevicesCommand::Upload(args) => {
            let devices = csv.map(|csv| csv.devices).unwrap_or_default();
            commands::upload(ctx, &api, &args, &devices)
        }
        DevicesCommand::Batches { customer } => commands::batches(ctx, &api, customer),
        DevicesCommand::List { customer, batch } => commands::list(ctx, &api, customer, &batch),
        DevicesCommand::Delete {
            customer,
            batch,
            device,
        } => commands::delete(ctx, &api, customer, &batch, &device),
    }
}
