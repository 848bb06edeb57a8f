//! The status of a device batch upload, blocking: the few lines a user needs.
//!
//! ```sh
//! PARTNER_CENTER_ACCESS_TOKEN=… cargo run -p pc-devices --example batch_status_blocking -- CUSTOMER_ID TRACKING_ID
//! ```
//!
//! `PARTNER_CENTER_BASE_URL` points it at another endpoint (e.g. a local `pc sim`).

use std::process::ExitCode;

use pc_devices::DevicesClient;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(customer), Some(tracking)) = (args.next(), args.next()) else {
        return Err("usage: batch_status_blocking CUSTOMER_ID TRACKING_ID".into());
    };
    let token = std::env::var("PARTNER_CENTER_ACCESS_TOKEN")
        .map_err(|_| "set PARTNER_CENTER_ACCESS_TOKEN to a bearer token")?;

    let mut builder = DevicesClient::builder().token(token);
    if let Ok(base_url) = std::env::var("PARTNER_CENTER_BASE_URL") {
        builder = builder.base_url(base_url);
    }
    let client = builder.build()?;

    let details = client.batch_upload_status(&customer.parse()?, &tracking.parse()?)?;

    let status = details.status.as_ref().map_or("unknown", |s| s.as_str());
    let counts = details.status_counts();
    println!(
        "batch {tracking}: {status}, {} of {} devices done, {} failed",
        counts.done(),
        counts.total,
        counts.failed
    );
    for failed in details.failed_devices() {
        let serial = failed.device.serial_number.as_deref().unwrap_or("-");
        println!("  {serial}: {}", failed.hint());
    }
    Ok(())
}
