//! The `pc devices` commands: batch status, upload, listings, delete.

use std::io::{self, BufWriter, Write};
use std::time::Duration;

use pc_models::{BatchId, CustomerId, Device, TrackingId};
use serde::Serialize;

use pc_devices::{UploadOptions, UploadPart};

use crate::api::{Api, Failure, StatusAnswer, UploadTarget};
use crate::cli::{BatchStatusArgs, OutputFormat, UploadArgs, WaitArgs};
use crate::duration::show_duration;
use crate::exit::Exit;
use crate::progress::{Progress, ProgressMode};
use crate::table::{self, Style};
use crate::wait::{Polled, Wait};

/// What every command needs to know about output.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `-o`.
    pub output: OutputFormat,
    /// `--allow-error-codes`.
    pub allowed: Vec<String>,
    /// How tables are drawn.
    pub style: Style,
    /// How a wait shows progress.
    pub progress: ProgressMode,
    /// Whether stderr says which devices made the exit code 3 (the demo fails two on
    /// purpose and says so itself).
    pub explain_failures: bool,
}

/// Writes `error: …` (and a hint) on stderr and answers the failure's exit code.
pub fn fail(failure: &Failure) -> Exit {
    eprintln!("error: {failure}");
    if let Some(hint) = failure.hint() {
        eprintln!("hint: {hint}");
    }
    failure.exit
}

/// Writes stdout through one buffer. A reader that went away (`| head`) is not the
/// command's failure, so write errors are dropped.
fn emit(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let _ = write(&mut out).and_then(|()| out.flush());
}

/// Writes one JSON document given as bytes, with a final newline.
fn write_json_bytes(out: &mut dyn Write, json: &[u8]) -> io::Result<()> {
    out.write_all(json)?;
    if !json.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes one serializable value as a JSON document.
fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes one serializable value as stdout's one JSON document.
pub fn emit_json(value: &impl Serialize) {
    emit(|out| write_json(out, value));
}

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
                .to_owned()
        })
        .collect();
    if refused.is_empty() {
        eprintln!(
            "error: the batch is {} but names no failed device",
            scan.status.as_deref().unwrap_or("-")
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
fn judge(ctx: &Ctx, answer: &StatusAnswer) -> Result<Exit, Failure> {
    let exit = answer.scan()?.exit(&ctx.allowed);
    if exit == Exit::DeviceFailed && ctx.explain_failures {
        explain_device_failure(answer, &ctx.allowed);
    }
    Ok(exit)
}

/// Writes one batch's details in the chosen format.
fn show_batch(ctx: &Ctx, answer: &StatusAnswer) -> Result<(), Failure> {
    match ctx.output {
        OutputFormat::Json => {
            // The light pass has checked the bytes; they go out as they came.
            answer.scan()?;
            emit(|out| write_json_bytes(out, answer.json()));
        }
        OutputFormat::Table => {
            let details = answer.details()?;
            emit(|out| table::write_batch_status(out, &details, &ctx.allowed, ctx.style));
        }
    }
    Ok(())
}

/// Writes one line to stderr in one write: a Ctrl-C can stop `pc` between two writes,
/// and a line that names a tracking id must never be cut before the id.
fn note(mut line: String) {
    line.push('\n');
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

fn timed_out(customer: CustomerId, tracking: TrackingId, wait: &Wait<'_>) -> Exit {
    note(format!(
        "error: batch {tracking} was not finished after waiting {} (--wait-timeout); \
         ask again later with: pc devices batch-status {customer} {tracking} --wait",
        show_duration(wait.elapsed())
    ));
    Exit::WaitTimeout
}

/// `pc devices batch-status`.
pub fn batch_status(ctx: &Ctx, api: &Api, args: &BatchStatusArgs) -> Exit {
    let (customer, tracking) = (args.customer, args.tracking);
    if !args.wait.wait {
        return match api.batch_status(customer, tracking, None) {
            Ok(answer) => finish_batch(ctx, &answer),
            Err(error) => fail(&api.failure(error)),
        };
    }
    let wait = Wait::new(
        api,
        customer,
        args.wait.poll_interval,
        args.wait.wait_timeout,
    );
    let mut progress = Progress::new(ctx.progress, 0);
    let mut last = None;
    let polled = wait.follow(tracking, None, &mut last, &mut |scan| {
        progress.update(
            scan.done as u64,
            scan.total as u64,
            scan.failed_count() as u64,
            scan.status.as_deref().unwrap_or("-"),
        );
    });
    progress.finish();
    match polled {
        Polled::Done(answer) => finish_batch(ctx, &answer),
        Polled::Failed(failure) => fail(&failure),
        Polled::TimedOut => {
            if let Some(last) = &last
                && let Err(failure) = show_batch(ctx, last)
            {
                return fail(&failure);
            }
            timed_out(customer, tracking, &wait)
        }
    }
}

fn finish_batch(ctx: &Ctx, answer: &StatusAnswer) -> Exit {
    let exit = match judge(ctx, answer) {
        Ok(exit) => exit,
        Err(failure) => return fail(&failure),
    };
    match show_batch(ctx, answer) {
        Ok(()) => exit,
        Err(failure) => fail(&failure),
    }
}

/// What an upload is to do, from `pc devices upload` or `pc demo`.
#[derive(Debug, Clone)]
pub struct UploadPlan {
    /// The customer.
    pub customer: CustomerId,
    /// A new batch or an existing one.
    pub target: UploadTarget,
    /// Devices per request.
    pub per_request: usize,
    /// How long a `404` just after an accepted upload is tried again.
    pub not_found_grace: Duration,
    /// `--wait` and its options.
    pub wait: WaitArgs,
}

/// One accepted part of an upload, and how its wait ended.
#[derive(Debug)]
pub struct Part {
    /// The tracking id and `Location`.
    pub accepted: Accepted,
    /// How many devices it holds.
    pub devices: usize,
    /// The last status seen (terminal unless the wait stopped early).
    pub last: Option<StatusAnswer>,
    /// The outcome of this part.
    pub exit: Exit,
}

/// An upload's parts and its exit code.
#[derive(Debug)]
pub struct UploadReport {
    /// The accepted parts, in file order.
    pub parts: Vec<Part>,
    /// How many parts the devices were split into.
    pub planned: usize,
    /// The most severe outcome over all parts.
    pub exit: Exit,
}

/// An accepted upload as a single part prints it: `{"trackingId": …, "location": …}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// The tracking id of the batch job.
    pub tracking_id: TrackingId,
    /// The `Location` header it was read from; `None` when it came from the body.
    pub location: Option<String>,
}

impl From<&UploadPart> for Accepted {
    fn from(part: &UploadPart) -> Self {
        Self {
            tracking_id: part.tracking_id,
            location: part.location.clone(),
        }
    }
}

/// Sends `devices` in parts (the library splits them, and tries again an add the
/// service answers `404` during the not-found grace) and, with `--wait`, follows each
/// part to its end. Stderr names each accepted part's tracking id as soon as it is
/// known.
pub fn upload_devices(ctx: &Ctx, api: &Api, plan: &UploadPlan, devices: &[Device]) -> UploadReport {
    let count = devices.len().div_ceil(plan.per_request.max(1));
    let name = plan.target.batch().clone();
    let options = UploadOptions {
        devices_per_request: plan.per_request,
        not_found_grace: plan.not_found_grace,
        retry_interval: plan.wait.poll_interval,
    };
    let mut index = 0;
    let uploaded = api.upload(
        plan.customer,
        &plan.target,
        devices.to_vec(),
        &options,
        |part| {
            index += 1;
            let which = if count == 1 {
                String::new()
            } else {
                format!("part {index}/{count} of ")
            };
            note(format!(
                "accepted {which}upload to batch \"{name}\": tracking id {} ({} device{})",
                part.tracking_id,
                part.devices,
                if part.devices == 1 { "" } else { "s" }
            ));
        },
    );
    let to_part = |part: &UploadPart| Part {
        accepted: Accepted::from(part),
        devices: part.devices,
        last: None,
        exit: Exit::Success,
    };
    let mut parts: Vec<Part> = match uploaded {
        Ok(accepted) => accepted.iter().map(to_part).collect(),
        Err(pc_devices::Error::UploadIncomplete(incomplete)) => {
            let parts: Vec<Part> = incomplete.accepted.iter().map(to_part).collect();
            let sent: usize = parts.iter().map(|part| part.devices).sum();
            let exit = fail(&api.failure(incomplete.error));
            note(format!(
                "{} of {count} parts ({sent} devices) were accepted before this one failed \
                 (tracking ids {}); re-running the whole upload is safe with \
                 --batch \"{name}\" --allow-error-codes 806",
                parts.len(),
                parts
                    .iter()
                    .map(|part| part.accepted.tracking_id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return UploadReport {
                parts,
                planned: count,
                exit,
            };
        }
        Err(error) => {
            return UploadReport {
                parts: Vec::new(),
                planned: count,
                exit: fail(&api.failure(error)),
            };
        }
    };
    let mut exit = Exit::Success;
    if plan.wait.wait {
        exit = wait_for_parts(ctx, api, plan, &mut parts);
    }
    UploadReport {
        parts,
        planned: count,
        exit,
    }
}

/// Follows every part in order under one deadline, progress counting all devices.
fn wait_for_parts(ctx: &Ctx, api: &Api, plan: &UploadPlan, parts: &mut [Part]) -> Exit {
    let wait = Wait::new(
        api,
        plan.customer,
        plan.wait.poll_interval,
        plan.wait.wait_timeout,
    );
    let total: usize = parts.iter().map(|part| part.devices).sum();
    let mut progress = Progress::new(ctx.progress, total as u64);
    let mut done_before = 0usize;
    let mut exit = Exit::Success;
    for part in parts.iter_mut() {
        let tracking = part.accepted.tracking_id;
        let mut last = None;
        let polled = wait.follow(
            tracking,
            Some(plan.not_found_grace),
            &mut last,
            &mut |scan| {
                progress.update(
                    (done_before + scan.done) as u64,
                    total.max(done_before + scan.total) as u64,
                    scan.failed_count() as u64,
                    scan.status.as_deref().unwrap_or("-"),
                );
            },
        );
        part.exit = match polled {
            Polled::Done(answer) => {
                let judged = judge(ctx, &answer);
                part.last = Some(answer);
                judged.unwrap_or_else(|failure| fail(&failure))
            }
            Polled::Failed(failure) => {
                part.last = last;
                progress.finish();
                fail(&failure)
            }
            Polled::TimedOut => {
                part.last = last;
                progress.finish();
                timed_out(plan.customer, tracking, &wait)
            }
        };
        exit = exit.worst(part.exit);
        if !matches!(part.exit, Exit::Success | Exit::DeviceFailed) {
            break;
        }
        done_before += part.devices;
    }
    progress.finish();
    exit
}

/// `{"trackingId", "location", "devices"}`: one part in `{"parts": […]}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartJson<'a> {
    tracking_id: &'a TrackingId,
    location: &'a Option<String>,
    devices: usize,
}

/// Writes an upload's result: one part as a single upload, several as `{"parts": …}`.
pub fn show_upload(ctx: &Ctx, plan: &UploadPlan, report: &UploadReport) {
    let parts = &report.parts;
    if parts.is_empty() {
        return;
    }
    let single = report.planned == 1;
    let shown = |part| shown_details(plan, part);
    match ctx.output {
        OutputFormat::Json if single => {
            let part = &parts[0];
            match shown(part) {
                Some(last) => emit(|out| write_json_bytes(out, last.json())),
                None if !plan.wait.wait => emit(|out| write_json(out, &part.accepted)),
                None => {}
            }
        }
        OutputFormat::Json => emit(|out| {
            out.write_all(b"{\"parts\":[")?;
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    out.write_all(b",")?;
                }
                match shown(part) {
                    Some(last) => out.write_all(last.json())?,
                    None => serde_json::to_writer(
                        &mut *out,
                        &PartJson {
                            tracking_id: &part.accepted.tracking_id,
                            location: &part.accepted.location,
                            devices: part.devices,
                        },
                    )
                    .map_err(io::Error::other)?,
                }
            }
            out.write_all(b"]}\n")
        }),
        OutputFormat::Table if !plan.wait.wait || parts.len() < report.planned => emit(|out| {
            if single {
                let part = &parts[0];
                writeln!(
                    out,
                    "tracking id {} ({} devices)",
                    part.accepted.tracking_id, part.devices
                )?;
            } else {
                let rows: Vec<(Accepted, usize)> = parts
                    .iter()
                    .map(|part| (part.accepted.clone(), part.devices))
                    .collect();
                table::write_parts(out, &rows, ctx.style)?;
            }
            writeln!(
                out,
                "follow it with: pc devices batch-status {} {} --wait",
                plan.customer, parts[0].accepted.tracking_id
            )
        }),
        OutputFormat::Table => {
            for (index, part) in parts.iter().enumerate() {
                let Some(last) = shown(part) else { continue };
                let details = match last.details() {
                    Ok(details) => details,
                    Err(failure) => {
                        fail(&failure);
                        continue;
                    }
                };
                emit(|out| {
                    if !single {
                        if index > 0 {
                            writeln!(out)?;
                        }
                        writeln!(out, "Part {}/{}", index + 1, report.planned)?;
                    }
                    table::write_batch_status(out, &details, &ctx.allowed, ctx.style)
                });
            }
        }
    }
}

/// After a wait, a part's last details are shown unless its poll failed (4 or 5).
fn shown_details<'a>(plan: &UploadPlan, part: &'a Part) -> Option<&'a StatusAnswer> {
    part.last
        .as_ref()
        .filter(|_| plan.wait.wait && !matches!(part.exit, Exit::Service | Exit::Transport))
}

/// `pc devices upload`.
pub fn upload(ctx: &Ctx, api: &Api, args: &UploadArgs, devices: &[Device]) -> Exit {
    let target = match (&args.new_batch, &args.batch) {
        (Some(name), _) => UploadTarget::NewBatch(name.clone()),
        (None, Some(name)) => UploadTarget::ExistingBatch(name.clone()),
        (None, None) => return fail(&Failure::usage("give --new-batch NAME or --batch NAME")),
    };
    let plan = UploadPlan {
        customer: args.customer,
        target,
        per_request: args.devices_per_request as usize,
        not_found_grace: args.not_found_grace,
        wait: args.wait.clone(),
    };
    let report = upload_devices(ctx, api, &plan, devices);
    show_upload(ctx, &plan, &report);
    report.exit
}

/// `{"totalCount": N, "items": […]}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing<'a, T> {
    total_count: usize,
    items: &'a [T],
}

/// Prints a whole listing: `{"totalCount": N, "items": […]}` or its table.
fn show_listing<T: Serialize>(
    ctx: &Ctx,
    listed: Result<Vec<T>, Failure>,
    table: impl FnOnce(&mut dyn Write, &[T], Style) -> io::Result<()>,
) -> Exit {
    let items = match listed {
        Ok(items) => items,
        Err(failure) => return fail(&failure),
    };
    match ctx.output {
        OutputFormat::Json => emit(|out| {
            write_json(
                out,
                &Listing {
                    total_count: items.len(),
                    items: &items,
                },
            )
        }),
        OutputFormat::Table => emit(|out| table(out, &items, ctx.style)),
    }
    Exit::Success
}

/// `pc devices batches`.
pub fn batches(ctx: &Ctx, api: &Api, customer: CustomerId) -> Exit {
    show_listing(ctx, api.batches(customer), |out, items, style| {
        table::write_batches(out, items, style)
    })
}

/// `pc devices list`.
pub fn list(ctx: &Ctx, api: &Api, customer: CustomerId, batch: &BatchId) -> Exit {
    show_listing(ctx, api.devices(customer, batch), |out, items, style| {
        table::write_devices(out, items, style)
    })
}

/// `{"batchId": …, "deviceId": …, "deleted": true}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Deleted<'a> {
    batch_id: &'a str,
    device_id: &'a str,
    deleted: bool,
}

/// `pc devices delete`.
pub fn delete(
    ctx: &Ctx,
    api: &Api,
    customer: CustomerId,
    batch: &BatchId,
    device: &pc_models::DeviceId,
) -> Exit {
    match api.delete_device(customer, batch, device) {
        Ok(()) => {
            match ctx.output {
                OutputFormat::Json => emit(|out| {
                    write_json(
                        out,
                        &Deleted {
                            batch_id: batch.as_str(),
                            device_id: device.as_str(),
                            deleted: true,
                        },
                    )
                }),
                OutputFormat::Table => {
                    emit(|out| writeln!(out, "deleted device {device} from batch \"{batch}\""));
                }
            }
            Exit::Success
        }
        Err(failure) => fail(&failure),
    }
}
