//! The `pc devices` commands, one file per command family: [`batch_status`],
//! [`upload`] (with [`csv`], its file), [`listings`], [`delete`]; the wait they share
//! ([`wait`]) and the verdict on a batch's final answer ([`verdict`]).

pub mod batch_status;
pub mod csv;
pub mod delete;
pub mod journaled;
pub mod listings;
pub mod upload;
pub mod verdict;
pub mod wait;

use crate::cli::DevicesCommand;
use crate::exit::Exit;
use crate::output::{Ctx, fail, shown};
use crate::settings::Settings;
use crate::signin;
use journaled::UploadJournal;

/// Runs a `pc devices` command: a bad CSV file is refused before anything else is
/// looked at, then the client is connected (credentials, settings, the token file's
/// first refresh), then the command runs.
pub fn run(ctx: &Ctx, settings: &Settings, command: DevicesCommand) -> Exit {
    let csv = match &command {
        DevicesCommand::Upload(args) => match csv::read_autopilot_csv(&args.csv) {
            Ok(csv) => {
                for warning in &csv.warnings {
                    eprintln!("warning: {}", shown::escape(warning));
                }
                Some(csv)
            }
            Err(failure) => return fail(&failure),
        },
        _ => None,
    };
    // An upload's journal is checked before anything is sent.
    let journal = match (&command, &csv) {
        (DevicesCommand::Upload(args), Some(csv)) => match settings.journal.open() {
            Ok(journal) => {
                journal.map(|journal| UploadJournal::new(journal, &args.csv, csv.sha256.clone()))
            }
            Err(failure) => return fail(&failure),
        },
        _ => None,
    };
    let api = match signin::connect(settings, |name| std::env::var(name).ok()) {
        Ok(api) => api,
        Err(failure) => return fail(&failure),
    };
    match command {
        DevicesCommand::BatchStatus(args) => {
            batch_status::batch_status(ctx, &api, &args, &settings.journal)
        }
        DevicesCommand::Upload(args) => {
            let devices = csv.map(|csv| csv.devices).unwrap_or_default();
            upload::upload(ctx, &api, &args, &devices, journal.as_ref())
        }
        DevicesCommand::Batches { customer } => listings::batches(ctx, &api, customer),
        DevicesCommand::List { customer, batch } => listings::list(ctx, &api, customer, &batch),
        DevicesCommand::Delete {
            customer,
            batch,
            device,
        } => delete::delete(ctx, &api, customer, &batch, &device),
    }
}
