//! Reads a batch status answer (a file given as the first argument, or the documented
//! example) and explains it: the counts by status and each failed device with a hint.
//!
//! `cargo run -p pc-models --example batch_status [FILE]`

use std::process::ExitCode;

const DOCUMENTED: &[u8] = include_bytes!("../tests/fixtures/batch-status-documented.json");

fn main() -> ExitCode {
    let bytes = match std::env::args_os().nth(1) {
        Some(path) => match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", path.to_string_lossy());
                return ExitCode::from(2);
            }
        },
        None => DOCUMENTED.to_vec(),
    };
    let details: pc_models::BatchUploadDetails = match pc_models::from_slice(&bytes) {
        Ok(details) => details,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(5);
        }
    };
    let status = details
        .status
        .as_ref()
        .map_or("-", pc_models::UploadStatus::as_str);
    let tracking = details
        .batch_tracking_id
        .map_or_else(|| "-".to_owned(), |id| id.to_string());
    let counts = details.status_counts();
    println!("batch {tracking}: {status}");
    println!(
        "  {} device(s): {} finished, {} with errors, {} still queued or processing",
        counts.total,
        counts.finished,
        counts.finished_with_errors,
        counts.queued + counts.processing
    );
    for (label, time) in [
        ("started", &details.started_time),
        ("completed", &details.completed_time),
    ] {
        if let Some(time) = time {
            println!("  {label} {time}");
        }
    }
    for failed in details.failed_devices() {
        let device = failed.device;
        println!(
            "  failed: serial {} — {} {}: {}",
            device.serial_number.as_deref().unwrap_or("-"),
            device.error_code.as_ref().map_or("-", |code| code.as_str()),
            device.error_description.as_deref().unwrap_or(""),
            failed.hint()
        );
    }
    ExitCode::SUCCESS
}
