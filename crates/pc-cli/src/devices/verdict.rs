//! The verdict on a batch's final answer: its exit code, stderr's word on the devices
//! that earned it, the batch shown in the chosen format, and a wait that timed out.

use pc_models::{CustomerId, TrackingId};

use crate::api::StatusAnswer;
use crate::cli::OutputFormat;
use crate::duration::show_duration;
use crate::exit::{Exit, Failure};
use crate::output::shown::escape;
use crate::output::{Ctx, csv, emit, note, table, write_json_bytes};

/// Says on stderr which devices made the exit code 3.
fn explain_device_failure(answer: &StatusAnswer, allowed: &[String]) {
    let Ok(scan) = answer.scan() else { return };
    let refused: Vec<String> = scan
        .failed
        .iter()
        .filter(|device| !device.is_allowed(allowed))
        .map(|device| {
            device
                .code
                .as_deref()
                .filter(|code| !code.trim().is_empty())
                .or(device.description.as_deref())
                .unwrap_or("no code")
        })
        .map(|text| escape(text).into_owned())
        .collect();
    if refused.is_empty() {
        eprintln!(
            "error: the batch is {} but names no failed device",
            escape(scan.status.as_deref().unwrap_or("-"))
        );
        return;
    }
    let mut codes = refused.clone();
    codes.sort();
    codes.dedup();
    eprintln!(
        "error: {} device{} failed (error {}); --allow-error-codes {} would accept {}",
        refused.len(),
        if refused.len() == 1 { "" } else { "s" },
        codes.join(", "),
        codes.join(","),
        if refused.len() == 1 { "it" } else { "them" },
    );
}

/// The exit code a batch's final answer earns, and stderr's word on it.
pub fn judge(ctx: &Ctx, answer: &StatusAnswer) -> Result<Exit, Failure> {
    let exit = match ctx.output {
        OutputFormat::Json => answer.scan()?.exit(&ctx.allowed),
        // A table or csv is drawn from the typed details: they decide too, with no
        // light pass beside (pc-models states the rule once for both).
        OutputFormat::Table | OutputFormat::Csv => {
            if answer.details()?.is_failed(&ctx.allowed) {
                Exit::DeviceFailed
            } else {
                Exit::Success
            }
        }
    };
    if exit == Exit::DeviceFailed && ctx.explain_failures {
        explain_device_failure(answer, &ctx.allowed);
    }
    Ok(exit)
}

/// Whether a batch's answer is terminal, read as its output will read it (the light
/// pass for json, the typed details for a table or csv); an answer that cannot be read
/// is not.
pub fn is_terminal(ctx: &Ctx, answer: &StatusAnswer) -> bool {
    match ctx.output {
        OutputFormat::Json => answer.scan().is_ok_and(|scan| scan.is_terminal()),
        OutputFormat::Table | OutputFormat::Csv => answer
            .details()
            .is_ok_and(pc_models::BatchUploadDetails::is_terminal),
    }
}

/// Writes one batch's details in the chosen format.
pub fn show_batch(ctx: &Ctx, answer: &StatusAnswer) -> Result<(), Failure> {
    match ctx.output {
        OutputFormat::Json => {
            // The light pass has checked the bytes; they go out as they came.
            answer.scan()?;
            write_document(answer.json());
        }
        OutputFormat::Table => {
            let details = answer.details()?;
            emit(|out| table::write_batch_status(out, details, &ctx.allowed, ctx.style));
        }
        OutputFormat::Csv => {
            let details = answer.details()?;
            emit(|out| csv::write_batch_status(out, details, &ctx.allowed, ctx.bom));
        }
    }
    Ok(())
}

/// Writes a JSON document given as bytes, and its final newline, straight to stdout's
/// file descriptor: stdout's own handle is line-buffered and would first search the
/// whole document for its last newline. Write errors are dropped, as `emit` drops them.
fn write_document(json: &[u8]) {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        // The lock is held so that nothing else writes to stdout in between.
        let stdout = std::io::stdout().lock();
        if let Ok(fd) = stdout.as_fd().try_clone_to_owned() {
            let _ = write_json_bytes(&mut std::fs::File::from(fd), json);
            return;
        }
    }
    emit(|out| write_json_bytes(out, json));
}

/// Says that `tracking` was not finished within the wait (exit 6), and how to ask again.
pub fn timed_out(customer: CustomerId, tracking: TrackingId, waited: std::time::Duration) -> Exit {
    note(format!(
        "error: batch {tracking} was not finished after waiting {} (--wait-timeout); \
         ask again later with: pc devices batch-status {customer} {tracking} --wait",
        show_duration(waited)
    ));
    Exit::WaitTimeout
}

/// Says that the wait for `tracking` was interrupted (exit 130), and how to ask again.
pub fn interrupted(customer: CustomerId, tracking: TrackingId) -> Exit {
    note(format!(
        "error: the wait for batch {tracking} was interrupted; ask again later with: \
         pc devices batch-status {customer} {tracking} --wait"
    ));
    Exit::Interrupted
}
