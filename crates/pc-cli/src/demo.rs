//! `pc demo`: the simulator in this process, a sample batch, the result explained.

use std::time::Duration;

use pc_models::{BatchId, CustomerId, Device};

use pc_devices::UploadTarget;

use crate::cli::WaitArgs;
use crate::devices::upload::{UploadPlan, show_upload, upload_devices};
use crate::exit::{Exit, Failure};
use crate::output::progress::ProgressMode;
use crate::output::{Ctx, fail};
use crate::settings::Settings;
use crate::signin::{self, credentials::Credentials};

const DEMO_CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
/// A hardware hash is base64 of several KB; a short valid one does for the demo.
const SAMPLE_HASH: &str = "T0FCAAEAHAAAAAoAHgZhSgAACgAeBmFKAAAKAB4GYUoAAA==";
/// Registered in an earlier batch, so uploading it again answers 806.
const EARLIER_SERIAL: &str = "DEMO-0006";
/// The sample batch: four new devices, one another tenant owns (the simulator's
/// `OTHER-` prefix: 808), one seen before (806).
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

/// Runs the demo. `ctx` decides the output format; the simulator stops when it returns.
pub fn run(ctx: &Ctx, correlation_id: String) -> Exit {
    match demo(ctx, correlation_id) {
        Ok(exit) => exit,
        Err(failure) => fail(&failure),
    }
}

fn demo(ctx: &Ctx, correlation_id: String) -> Result<Exit, Failure> {
    let sim = pc_sim::spawn(pc_sim::SimConfig {
        log_requests: false,
        ..Default::default()
    })
    .map_err(|error| {
        Failure::new(
            Exit::Transport,
            format!("cannot start the simulator: {error}"),
        )
    })?;
    eprintln!(
        "Partner Center simulator at {} (in this process: no network, no credentials)",
        sim.base_url()
    );
    let settings = Settings {
        base_url: Some(sim.base_url()),
        cloud: pc_http::Cloud::Global,
        authority_url: Some(sim.base_url()),
        authority_named: true,
        locale: "en-US".to_owned(),
        correlation_id,
        timeout: Duration::from_secs(30),
        max_retries: 3,
        max_retry_after: Duration::from_secs(120),
        ca_file: None,
        token_file: None,
        // `pc demo` keeps no journal.
        journal: crate::settings::JournalSetting::Off,
        concurrency: 8,
    };
    let api = signin::connect_with(&settings, Credentials::access_token("demo".to_owned()))?;
    let customer: CustomerId = DEMO_CUSTOMER
        .parse()
        .map_err(|_| Failure::usage("the demo's customer id is not a GUID"))?;
    let name = |text: &str| BatchId::new(text).map_err(|error| Failure::usage(error.to_string()));
    let wait = WaitArgs {
        wait: true,
        poll_interval: Duration::from_millis(250),
        wait_timeout: Duration::from_secs(60),
    };
    let quiet = Ctx {
        progress: ProgressMode::Quiet,
        ..ctx.clone()
    };

    // First, one device registered in an earlier batch: uploading it again says 806.
    let earlier = UploadPlan {
        customer,
        target: UploadTarget::NewBatch(name("Demo earlier")?),
        per_request: 1000,
        not_found_grace: Duration::from_secs(60),
        wait,
    };
    eprintln!(
        "{EARLIER_SERIAL} is registered first in batch \"Demo earlier\", so that uploading it again fails with 806:"
    );
    let report = upload_devices(
        &quiet,
        &api,
        &earlier,
        &[sample_device(EARLIER_SERIAL)],
        None,
    );
    if report.exit != Exit::Success {
        return Ok(report.exit);
    }

    let devices: Vec<Device> = SAMPLE_SERIALS
        .iter()
        .map(|serial| sample_device(serial))
        .collect();
    eprintln!(
        "Uploading {} sample devices as batch \"Demo lab\"; OTHER-0003 belongs to another tenant (808):",
        devices.len()
    );
    let plan = UploadPlan {
        target: UploadTarget::NewBatch(name("Demo lab")?),
        ..earlier
    };
    let progress = if ctx.progress == ProgressMode::Bar {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    };
    let shown = Ctx {
        progress,
        explain_failures: false,
        ..ctx.clone()
    };
    let report = upload_devices(&shown, &api, &plan, &devices, None);
    show_upload(&shown, &plan, &report);
    let as_intended = report
        .parts
        .first()
        .and_then(|part| part.last.as_ref())
        .is_some_and(|last| {
            last.scan().is_ok_and(|scan| {
                let mut codes: Vec<&str> = scan
                    .failed
                    .iter()
                    .filter_map(|device| device.code.as_deref())
                    .collect();
                codes.sort_unstable();
                scan.total == SAMPLE_SERIALS.len() && codes == ["806", "808"]
            })
        });
    if as_intended {
        eprintln!(
            "Two devices failed on purpose, each with a hint of what to do; the demo ran as intended."
        );
        Ok(Exit::Success)
    } else if matches!(report.exit, Exit::Success | Exit::DeviceFailed) {
        eprintln!(
            "error: the sample batch did not come out as intended (two failures: 808 and 806)"
        );
        Ok(Exit::DeviceFailed)
    } else {
        Ok(report.exit)
    }
}
