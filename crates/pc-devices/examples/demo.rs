//! The tour: upload a sample batch, wait for it, and show the result with a hint for
//! each device error. No network and no credentials needed.
//!
//! ```sh
//! cargo run -p pc-devices --example demo
//! ```
//!
//! Without `PARTNER_CENTER_BASE_URL` it starts the simulator in-process on a free
//! loopback port. With it (say, a `pc sim` running elsewhere) it talks to that, with
//! `PARTNER_CENTER_ACCESS_TOKEN` (default `demo`) and `PARTNER_CENTER_CUSTOMER_ID`
//! (default a demo GUID). Progress goes to stderr, the result table to stdout. It exits
//! 0 when the batch came out as intended: two devices failing on purpose, one with 808
//! (registered to another tenant) and one with 806 (already registered here).

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pc_devices::{DevicesClient, WaitOptions};
use pc_models::{BatchId, BatchUploadDetails, CustomerId, Device, DeviceBatchCreationRequest};

const DEMO_CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
/// A hardware hash is base64 of several KB; a short valid one does for the demo.
const SAMPLE_HASH: &str = "T0FCAAEAHAAAAAoAHgZhSgAACgAeBmFKAAAKAB4GYUoAAA==";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("demo: the batch did not come out as intended (see above)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    // A simulator of our own unless a base URL is given; dropping it stops it.
    let (base_url, _simulator) = match std::env::var("PARTNER_CENTER_BASE_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let sim = pc_sim::spawn(pc_sim::SimConfig::default())?;
            (sim.base_url(), Some(sim))
        }
    };
    let token = std::env::var("PARTNER_CENTER_ACCESS_TOKEN").unwrap_or_else(|_| "demo".to_owned());
    let customer: CustomerId = std::env::var("PARTNER_CENTER_CUSTOMER_ID")
        .unwrap_or_else(|_| DEMO_CUSTOMER.to_owned())
        .parse()?;
    eprintln!("Partner Center at {base_url}, customer {customer}");

    let client = DevicesClient::builder()
        .base_url(&base_url)
        .token(token)
        .build()?;
    let wait = WaitOptions {
        interval: Duration::from_millis(250),
        deadline: Duration::from_secs(60),
        ..Default::default()
    };
    // Batch names are the partner's to choose; a run number keeps reruns apart.
    let run = std::process::id();

    // One device registered in an earlier batch, so that uploading it again says 806.
    let earlier = BatchId::new(format!("Demo earlier {run}"))?;
    eprint!("registering {EARLIER_SERIAL} in batch \"{earlier}\" … ");
    let accepted = client.create_device_batch(
        &customer,
        DeviceBatchCreationRequest::new(earlier, vec![sample_device(EARLIER_SERIAL)]),
    )?;
    let details = client.wait_for_completion(&customer, &accepted.tracking_id, &wait)?;
    eprintln!("{}", status_of(&details));

    // The sample batch: four new devices, one another tenant owns, one seen before.
    let devices: Vec<Device> = SAMPLE_SERIALS
        .iter()
        .map(|serial| sample_device(serial))
        .collect();
    let name = BatchId::new(format!("Demo lab {run}"))?;
    eprint!("uploading {} devices as batch \"{name}\" … ", devices.len());
    let accepted = client.create_device_batch(
        &customer,
        DeviceBatchCreationRequest::new(name.clone(), devices),
    )?;
    eprintln!("accepted, tracking id {}", accepted.tracking_id);

    let last_line = Arc::new(Mutex::new(String::new()));
    let shown = Arc::clone(&last_line);
    let options = wait.with_progress(move |progress| {
        let line = format!(
            "  {:<21} {}/{} devices done, {} failed",
            progress.status.map_or("unknown", |status| status.as_str()),
            progress.counts.done(),
            progress.counts.total,
            progress.counts.failed,
        );
        let mut last = shown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *last != line {
            eprintln!("{line}  ({:.1}s)", progress.elapsed.as_secs_f64());
            *last = line;
        }
    });
    let details = client.wait_for_completion(&customer, &accepted.tracking_id, &options)?;

    let mut out = std::io::stdout().lock();
    print_table(&mut out, &name, &details)?;
    Ok(came_out_as_intended(&details))
}

const EARLIER_SERIAL: &str = "DEMO-0006";
const SAMPLE_SERIALS: [&str; 6] = [
    "DEMO-0001",
    "DEMO-0002",
    "OTHER-0003",
    "DEMO-0004",
    "DEMO-0005",
    EARLIER_SERIAL,
];

fn sample_device(serial: &str) -> Device {
    Device::with_hardware_hash(SAMPLE_HASH).serial_number(serial)
}

fn status_of(details: &BatchUploadDetails) -> &str {
    details
        .status
        .as_ref()
        .map_or("unknown", |status| status.as_str())
}

fn print_table(
    out: &mut impl Write,
    name: &BatchId,
    details: &BatchUploadDetails,
) -> std::io::Result<()> {
    let counts = details.status_counts();
    let tracking = details
        .batch_tracking_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    writeln!(out)?;
    writeln!(out, "Batch \"{name}\"  (tracking id {tracking})")?;
    writeln!(
        out,
        "  status {}, {} devices: {} finished, {} failed",
        status_of(details),
        counts.total,
        counts.total - counts.failed,
        counts.failed
    )?;
    let time =
        |t: &Option<pc_models::Timestamp>| t.as_ref().map_or("-".to_owned(), ToString::to_string);
    writeln!(
        out,
        "  started {}, completed {}",
        time(&details.started_time),
        time(&details.completed_time)
    )?;
    writeln!(out)?;

    let rows: Vec<[String; 4]> = details
        .devices()
        .iter()
        .map(|device| {
            let error = match (&device.error_code, &device.error_description) {
                (Some(code), Some(name)) if !code.is_empty() && code.as_str() != name => {
                    format!("{code} {name}")
                }
                (Some(code), _) if !code.is_empty() => code.to_string(),
                (_, Some(name)) if device.is_failed() => name.clone(),
                _ => String::new(),
            };
            let hint = match (device.is_failed(), device.ztd_error()) {
                (true, Some(known)) => known.hint().to_owned(),
                (true, None) => "see the service's description".to_owned(),
                (false, _) => String::new(),
            };
            [
                device.serial_number.clone().unwrap_or_default(),
                device
                    .status
                    .as_ref()
                    .map_or("-", |s| s.as_str())
                    .to_owned(),
                error,
                hint,
            ]
        })
        .collect();
    let header = ["SERIAL NUMBER", "STATUS", "ERROR", "WHAT TO DO"];
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .chain([header[column].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let line = |cells: [&str; 4]| {
        format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
        .trim_end()
        .to_owned()
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        writeln!(out, "{}", line([&row[0], &row[1], &row[2], &row[3]]))?;
    }
    writeln!(out)?;
    Ok(())
}

/// Exactly two devices failed, with 808 and 806; the others finished.
fn came_out_as_intended(details: &BatchUploadDetails) -> bool {
    let mut codes: Vec<u16> = details
        .failed_devices()
        .filter_map(|failed| failed.error.and_then(|error| error.code()))
        .collect();
    codes.sort_unstable();
    codes == [806, 808] && details.status_counts().total == SAMPLE_SERIALS.len()
}
