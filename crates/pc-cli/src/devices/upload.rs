//! `pc devices upload` (and `pc demo`'s uploads): the devices sent in parts through
//! the library, each accepted part's tracking id on stderr at once, then with
//! `--wait` every part followed to its end, and the result shown.

use std::io;
use std::time::Duration;

use pc_devices::{UploadOptions, UploadPart, UploadTarget};
use pc_models::{CustomerId, Device, TrackingId};
use serde::Serialize;

use crate::api::{Api, StatusAnswer};
use crate::cli::{OutputFormat, UploadArgs, WaitArgs};
use crate::devices::journaled::{Ending, PartFacts, UploadJournal, record_ending};
use crate::devices::verdict::{interrupted, judge, timed_out};
use crate::devices::wait::{Polled, Wait};
use crate::exit::{Exit, Failure};
use crate::journal::Journal;
use crate::output::csv::{self, CsvOut};
use crate::output::progress::Progress;
use crate::output::{Ctx, ErrorJson, emit, fail, note, table, write_json, write_json_bytes};

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
    /// The tracking id, `Location` and device count, as the library answered them.
    pub accepted: UploadPart,
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
    /// The failures, for the `"errors"` of a document over several parts.
    pub errors: Vec<ErrorJson>,
}

impl UploadReport {
    /// An upload that stopped with `failure` before any part was accepted (said on
    /// stderr now).
    fn stopped(planned: usize, customer: CustomerId, failure: &Failure) -> Self {
        Self {
            parts: Vec::new(),
            planned,
            exit: fail(failure),
            errors: vec![ErrorJson::of(failure, Some(customer), None)],
        }
    }
}

/// An accepted upload as a single part prints it: `{"trackingId": …, "location": …}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcceptedJson<'a> {
    tracking_id: &'a TrackingId,
    location: &'a Option<String>,
}

/// Sends `devices` in parts (the library splits them, and tries again an add the
/// service answers `404` during the not-found grace) and, with `--wait`, follows each
/// part to its end. Stderr names each accepted part's tracking id as soon as it is
/// known.
pub fn upload_devices(
    ctx: &Ctx,
    api: &Api,
    plan: &UploadPlan,
    devices: &[Device],
    journal: Option<&UploadJournal>,
) -> UploadReport {
    let count = devices.len().div_ceil(plan.per_request.max(1));
    let name = plan.target.batch().clone();
    let options = UploadOptions {
        devices_per_request: plan.per_request,
        not_found_grace: plan.not_found_grace,
        retry_interval: plan.wait.poll_interval,
    };
    let parts =
        match pc_devices::upload::plan(&plan.customer, &plan.target, devices.to_vec(), &options) {
            Ok(parts) => parts,
            Err(error) => return UploadReport::stopped(count, plan.customer, &error.into()),
        };
    // Each part's first attempt goes out with an `MS-RequestId` chosen here, which
    // its journal lines name.
    let request_ids: Vec<String> = (0..parts.len())
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let facts: Vec<PartFacts> = parts
        .iter()
        .zip(&request_ids)
        .map(|(part, id)| PartFacts::of(part, plan.customer, &name, id.clone()))
        .collect();
    if let Some(journal) = journal {
        journal.warn_of_earlier_uploads(&plan.customer, &name);
        // The first part's `sending` line is the upload's pre-flight.
        if let Err(failure) = journal.preflight(&journal.sending(api, &facts[0], 0, count)) {
            return UploadReport::stopped(count, plan.customer, &failure);
        }
    }
    let uploaded = api.upload_parts(
        parts,
        &request_ids,
        &options,
        |index| {
            if let Some(journal) = journal.filter(|_| index > 0) {
                let line = journal.sending(api, &facts[index], index, count);
                journal
                    .append_or_warn(&line, &format!("the sending of part {}/{count}", index + 1));
            }
        },
        |index, part| {
            // Recorded before anything is said about it.
            if let Some(journal) = journal {
                let line = journal.accepted(api, &facts[index], part, index, count);
                journal.append_or_warn(
                    &line,
                    &format!("the acceptance of tracking id {}", part.tracking_id),
                );
            }
            let which = if count == 1 {
                String::new()
            } else {
                format!("part {}/{count} of ", index + 1)
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
        accepted: part.clone(),
        last: None,
        exit: Exit::Success,
    };
    let mut parts: Vec<Part> = match uploaded {
        Ok(accepted) => accepted.iter().map(to_part).collect(),
        Err(pc_devices::Error::UploadIncomplete(incomplete)) => {
            let parts: Vec<Part> = incomplete.accepted.iter().map(to_part).collect();
            let sent: usize = parts.iter().map(|part| part.accepted.devices).sum();
            let failure: Failure = incomplete.error.into();
            let exit = fail(&failure);
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
                errors: vec![ErrorJson::of(&failure, Some(plan.customer), None)],
            };
        }
        Err(error) => return UploadReport::stopped(count, plan.customer, &error.into()),
    };
    let mut exit = Exit::Success;
    let mut errors = Vec::new();
    if plan.wait.wait {
        let journal = journal.map(|j| &j.journal);
        exit = wait_for_parts(ctx, api, plan, &mut parts, journal, &mut errors);
    }
    UploadReport {
        parts,
        planned: count,
        exit,
        errors,
    }
}

/// Follows every part in order under one deadline, progress counting all devices.
fn wait_for_parts(
    ctx: &Ctx,
    api: &Api,
    plan: &UploadPlan,
    parts: &mut [Part],
    journal: Option<&Journal>,
    errors: &mut Vec<ErrorJson>,
) -> Exit {
    let wait = Wait::new(
        api,
        plan.customer,
        plan.wait.poll_interval,
        plan.wait.wait_timeout,
    );
    let total: usize = parts.iter().map(|part| part.accepted.devices).sum();
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
        if let Some(journal) = journal {
            match &polled {
                Polled::Done(answer) => {
                    record_ending(journal, tracking, Ending::Terminal(answer));
                }
                Polled::Failed(failure) if failure.status == Some(404) => {
                    let grace = plan.not_found_grace;
                    record_ending(journal, tracking, Ending::NotFound { grace });
                }
                _ => {}
            }
        }
        part.exit = match polled {
            Polled::Done(answer) => {
                let judged = judge(ctx, &answer);
                part.last = Some(answer);
                judged.unwrap_or_else(|failure| fail(&failure))
            }
            Polled::Failed(failure) => {
                part.last = last;
                progress.finish();
                errors.push(ErrorJson::of(&failure, Some(plan.customer), Some(tracking)));
                fail(&failure)
            }
            Polled::TimedOut => {
                part.last = last;
                progress.finish();
                timed_out(plan.customer, tracking, wait.elapsed())
            }
            Polled::Interrupted => {
                part.last = last;
                progress.finish();
                interrupted(plan.customer, tracking)
            }
        };
        exit = exit.worst(part.exit);
        if !matches!(part.exit, Exit::Success | Exit::DeviceFailed) {
            break;
        }
        done_before += part.accepted.devices;
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
    let single = report.planned == 1;
    // A document over several parts is written whatever the exit code but 2.
    let document = !single && ctx.output == OutputFormat::Json && report.exit != Exit::Usage;
    if parts.is_empty() && !document {
        return;
    }
    let shown = |part| shown_details(plan, part);
    match ctx.output {
        OutputFormat::Json if single => {
            let part = &parts[0];
            match shown(part) {
                Some(last) => emit(|out| write_json_bytes(out, last.json())),
                None if !plan.wait.wait => emit(|out| {
                    write_json(
                        out,
                        &AcceptedJson {
                            tracking_id: &part.accepted.tracking_id,
                            location: &part.accepted.location,
                        },
                    )
                }),
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
                            devices: part.accepted.devices,
                        },
                    )
                    .map_err(io::Error::other)?,
                }
            }
            out.write_all(b"],\"errors\":")?;
            serde_json::to_writer(&mut *out, &report.errors).map_err(io::Error::other)?;
            out.write_all(b"}\n")
        }),
        OutputFormat::Csv if !plan.wait.wait => emit(|out| {
            let rows: Vec<&UploadPart> = parts.iter().map(|part| &part.accepted).collect();
            csv::write_parts(out, &rows, report.planned, ctx.bom)
        }),
        // With `--wait`, the columns are fixed: a row per device of each part followed.
        OutputFormat::Csv => {
            let mut followed = Vec::new();
            for (index, part) in parts.iter().enumerate() {
                let Some(last) = shown(part) else { continue };
                match last.details() {
                    Ok(details) => followed.push((index + 1, details)),
                    Err(failure) => {
                        fail(&failure);
                    }
                }
            }
            emit(|out| {
                let mut csv = CsvOut::start(out, ctx.bom, &[&["Part"], csv::BATCH_STATUS])?;
                for (part, details) in &followed {
                    csv.device_rows(&[&part.to_string()], details, &ctx.allowed)?;
                }
                csv.finish()
            });
        }
        OutputFormat::Table if !plan.wait.wait || parts.len() < report.planned => emit(|out| {
            if single {
                let part = &parts[0];
                writeln!(
                    out,
                    "tracking id {} ({} devices)",
                    part.accepted.tracking_id, part.accepted.devices
                )?;
            } else {
                let rows: Vec<&UploadPart> = parts.iter().map(|part| &part.accepted).collect();
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
                    table::write_batch_status(out, details, &ctx.allowed, ctx.style)
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
pub fn upload(
    ctx: &Ctx,
    api: &Api,
    args: &UploadArgs,
    devices: &[Device],
    journal: Option<&UploadJournal>,
) -> Exit {
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
    let report = upload_devices(ctx, api, &plan, devices, journal);
    show_upload(ctx, &plan, &report);
    report.exit
}
