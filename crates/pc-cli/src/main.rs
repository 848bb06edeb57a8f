//! `pc`: the command-line tool for Partner Center device deployment.
//!
//! Its contract (flags, environment, output and exit codes) is written down in the
//! project's CLI specification. So far it runs the bundled simulator (`pc sim`).

mod duration;
mod sim;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Partner Center device deployment from the command line.
#[derive(Debug, Parser)]
#[command(name = "pc", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the bundled Partner Center simulator in the foreground.
    Sim(sim::SimArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim(args) => args.run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
