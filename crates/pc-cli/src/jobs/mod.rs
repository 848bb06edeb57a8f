//! `pc jobs list | show | wait | prune`: the upload journal read back. Only `wait`
//! contacts anyone; it follows jobs as `batch-status --wait` does ([`follow`]) and
//! records each ending.

pub mod follow;

use std::time::{Duration, SystemTime};

use pc_models::{CustomerId, TrackingId, UtcDateTime};
use serde::Serialize;

use crate::api::StatusAnswer;
use crate::cli::{JobsCommand, JobsListArgs, JobsWaitArgs, OutputFormat};
use crate::devices::journaled;
use crate::devices::verdict::{interrupted, judge, timed_out};
use crate::exit::{Exit, Failure};
use crate::journal::{self, Contents, ErrorCount, Job, JobFilter, Journal, State};
use crate::output::csv::{self, CsvOut};
use crate::output::shown::escape;
use crate::output::{Ctx, ErrorJson, emit, fail, note, table, write_json};
use crate::settings::Settings;
use crate::{select, signin};
use follow::{Ended, Pace, Target};

/// Runs a `pc jobs` command.
pub fn run(ctx: &Ctx, settings: &Settings, command: JobsCommand) -> Exit {
    let result = match command {
        JobsCommand::List(args) => list(ctx, settings, &args),
        JobsCommand::Show { tracking } => show(ctx, settings, tracking),
        JobsCommand::Wait(args) => wait(ctx, settings, &args),
        JobsCommand::Prune {
            older_than,
            forget_base_url,
        } => prune(ctx, settings, older_than, forget_base_url.as_deref()),
    };
    result.unwrap_or_else(|failure| fail(&failure))
}

/// The journal the settings name, or why there is none to read.
pub fn open(settings: &Settings) -> Result<Journal, Failure> {
    settings
        .journal
        .open()?
        .ok_or_else(|| Failure::usage("--journal off keeps no journal: there is none to read"))
}

/// Reads the journal, its unreadable lines named on stderr.
pub fn read(journal: &Journal) -> Result<Contents, Failure> {
    let contents = journal.read().map_err(|error| error.failure())?;
    for warning in contents.warnings() {
        note(format!("warning: {}", escape(warning)));
    }
    Ok(contents)
}

/// `808:1;806:2`: an ending's error codes and their counts, `blank` for a failed
/// device without a code.
struct ErrorCodes<'a> {
    errors: &'a [ErrorCount],
    blank: &'static str,
}

impl<'a> ErrorCodes<'a> {
    fn of(job: &'a Job, blank: &'static str) -> Self {
        Self {
            errors: job
                .finished()
                .and_then(|finished| finished.errors.as_deref())
                .unwrap_or_default(),
            blank,
        }
    }
}

impl std::fmt::Display for ErrorCodes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str(";")?;
            }
            let code = if error.code.is_empty() {
                self.blank
            } else {
                &error.code
            };
            write!(f, "{code}:{}", error.count)?;
        }
        Ok(())
    }
}

/// `pc jobs list`'s csv columns.
const LIST_COLUMNS: [&str; 10] = [
    "AcceptedAt",
    "CustomerId",
    "BatchId",
    "TrackingId",
    "Part",
    "Parts",
    "Devices",
    "State",
    "Failed",
    "ErrorCodes",
];

/// One job of `pc jobs list`'s json.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobJson<'a> {
    tracking_id: Option<&'a TrackingId>,
    customer_id: &'a CustomerId,
    batch_id: &'a str,
    devices: u32,
    part: u32,
    parts: u32,
    accepted_at: Option<String>,
    base_url: &'a str,
    state: &'a str,
    failed: Option<u32>,
    errors: Option<&'a [ErrorCount]>,
}

impl<'a> JobJson<'a> {
    fn of(job: &'a Job) -> Self {
        let finished = job.finished();
        Self {
            tracking_id: job.tracking_id(),
            customer_id: job.customer_id(),
            batch_id: job.batch_id().as_str(),
            devices: job.devices(),
            part: job.part(),
            parts: job.parts(),
            accepted_at: job.accepted_at().map(|at| at.to_string()),
            base_url: job.base_url(),
            state: job.state().as_str(),
            failed: finished.and_then(|finished| finished.failed),
            errors: finished.and_then(|finished| finished.errors.as_deref()),
        }
    }
}

/// `{"totalCount": N, "items": […]}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListJson<'a> {
    total_count: usize,
    items: Vec<JobJson<'a>>,
}

/// `pc jobs list`.
fn list(ctx: &Ctx, settings: &Settings, args: &JobsListArgs) -> Result<Exit, Failure> {
    let customers = select::customers(&args.customer_ids, args.customers.as_deref())?;
    let journal = open(settings)?;
    let contents = read(&journal)?;
    let now = SystemTime::now();
    let filter = JobFilter {
        pending_only: args.pending,
        sent_since: args.since.map(|since| {
            UtcDateTime::from(now.checked_sub(since).unwrap_or(SystemTime::UNIX_EPOCH))
        }),
        customers,
    };
    let jobs = contents.list(&filter);
    match ctx.output {
        OutputFormat::Json => emit(|out| {
            write_json(
                out,
                &ListJson {
                    total_count: jobs.len(),
                    items: jobs.iter().map(|job| JobJson::of(job)).collect(),
                },
            )
        }),
        OutputFormat::Csv => emit(|out| {
            let mut csv = CsvOut::start(out, ctx.bom, &[&LIST_COLUMNS])?;
            for job in &jobs {
                csv.opt_shown(job.accepted_at())?;
                csv.shown(job.customer_id())?;
                csv.field(job.batch_id().as_str())?;
                csv.opt_shown(job.tracking_id())?;
                csv.shown(job.part())?;
                csv.shown(job.parts())?;
                csv.shown(job.devices())?;
                csv.shown(job.state())?;
                csv.opt_shown(job.finished().and_then(|finished| finished.failed))?;
                csv.shown(ErrorCodes::of(job, ""))?;
                csv.end_row()?;
            }
            csv.finish()
        }),
        OutputFormat::Table if jobs.is_empty() => {
            emit(|out| writeln!(out, "no jobs in the journal {}", journal.path().display()));
        }
        OutputFormat::Table => {
            let rows = jobs
                .iter()
                .map(|job| {
                    let finished = job.finished();
                    vec![
                        // To the second, for people; json and csv keep the fraction.
                        job.accepted_at().map_or_else(
                            || "-".to_owned(),
                            |at| UtcDateTime::from_unix_seconds(at.unix_seconds()).to_string(),
                        ),
                        job.customer_id().to_string(),
                        job.batch_id().to_string(),
                        job.tracking_id()
                            .map_or_else(|| "-".to_owned(), ToString::to_string),
                        format!("{}/{}", job.part(), job.parts()),
                        job.devices().to_string(),
                        job.state().to_string(),
                        finished
                            .and_then(|finished| finished.failed)
                            .map_or_else(|| "-".to_owned(), |failed| failed.to_string()),
                        ErrorCodes::of(job, "-").to_string(),
                    ]
                })
                .collect();
            emit(|out| {
                table::write_rows(
                    out,
                    &[
                        ("ACCEPTED", false),
                        ("CUSTOMER", false),
                        ("BATCH", true),
                        ("TRACKING ID", false),
                        ("PART", false),
                        ("DEVICES", false),
                        ("STATE", false),
                        ("FAILED", false),
                        ("ERRORS", true),
                    ],
                    rows,
                    ctx.style,
                )?;
                writeln!(
                    out,
                    "{} job{}",
                    jobs.len(),
                    if jobs.len() == 1 { "" } else { "s" }
                )
            });
        }
    }
    Ok(Exit::Success)
}

/// `pc jobs show`: the job's lines as recorded, its `sending` line first.
fn show(ctx: &Ctx, settings: &Settings, tracking: TrackingId) -> Result<Exit, Failure> {
    let journal = open(settings)?;
    let contents = read(&journal)?;
    let job = contents
        .job(&tracking)
        .ok_or_else(|| not_held(&journal, tracking))?;
    let lines = contents.lines_of(job);
    match ctx.output {
        OutputFormat::Json => emit(|out| {
            write!(out, "{{\"trackingId\":\"{tracking}\",\"events\":[")?;
            for (index, entry) in lines.iter().enumerate() {
                if index > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(entry.bytes.trim_ascii())?;
            }
            out.write_all(b"]}\n")
        }),
        // `-o csv` is refused before the command runs.
        OutputFormat::Table | OutputFormat::Csv => emit(|out| {
            for entry in &lines {
                writeln!(out, "{}", escape(&entry.text()))?;
            }
            Ok(())
        }),
    }
    Ok(Exit::Success)
}

fn not_held(journal: &Journal, tracking: TrackingId) -> Failure {
    Failure::usage(format!(
        "the journal {} holds no job {tracking}",
        journal.path().display()
    ))
}

/// `pc jobs prune`.
fn prune(
    ctx: &Ctx,
    settings: &Settings,
    older_than: Option<Duration>,
    forget: Option<&str>,
) -> Result<Exit, Failure> {
    if older_than.is_none() && forget.is_none() {
        return Err(Failure::usage(
            "say what to prune: --older-than DUR (jobs that ended, or are unknown, sent \
             longer ago) or --forget-base-url URL; nothing was changed",
        ));
    }
    let base_url = settings.base_url()?.to_string();
    let journal = open(settings)?;
    let now = journaled::now();
    let pruned = journal
        .prune(journal::UPLOAD_LOCK_WAIT, |job| {
            older_than.is_some_and(|older| journal::expired(job, now, older, &base_url))
                || forget.is_some_and(|url| journal::same_base_url(job.base_url(), url))
        })
        .map_err(|error| error.failure())?;
    for warning in &pruned.warnings {
        note(format!("warning: {}", escape(warning)));
    }
    #[derive(Serialize)]
    struct PrunedJson {
        dropped: usize,
        kept: usize,
    }
    match ctx.output {
        OutputFormat::Json => emit(|out| {
            write_json(
                out,
                &PrunedJson {
                    dropped: pruned.dropped,
                    kept: pruned.kept,
                },
            )
        }),
        OutputFormat::Table | OutputFormat::Csv => emit(|out| {
            writeln!(
                out,
                "dropped {} job{}, kept {}",
                pruned.dropped,
                if pruned.dropped == 1 { "" } else { "s" },
                pruned.kept
            )
        }),
    }
    Ok(Exit::Success)
}

/// A job `pc jobs wait` follows, with what its heading and json name.
struct Followed<'a> {
    job: &'a Job,
    target: Target,
}

/// `pc jobs wait`.
fn wait(ctx: &Ctx, settings: &Settings, args: &JobsWaitArgs) -> Result<Exit, Failure> {
    let journal = open(settings)?;
    let contents = read(&journal)?;
    let credentials = signin::credentials::credentials(
        |name| std::env::var(name).ok(),
        settings.token_file.as_deref(),
    )?;
    let partner_tenant = signin::partner_tenant(&credentials);
    let base_url = settings.base_url()?.to_string();
    let target_of = |job: &Job, tracking: TrackingId| Target {
        tracking,
        customer: *job.customer_id(),
        accepted_at: job.accepted_at().map(SystemTime::from),
    };
    let mut followed = Vec::new();
    if args.pending {
        for job in contents.jobs() {
            let (State::Pending, Some(tracking)) = (job.state(), job.tracking_id()) else {
                continue;
            };
            if job.may_poll(&base_url, partner_tenant.as_deref()) {
                followed.push(Followed {
                    job,
                    target: target_of(job, *tracking),
                });
            } else {
                note(format!(
                    "skipped job {tracking}: it was sent to {} or as another partner, so \
                     it is not polled with these settings",
                    journal::name_base_url(job.base_url())
                ));
            }
        }
    } else {
        for tracking in &args.tracking {
            let job = contents
                .job(tracking)
                .ok_or_else(|| not_held(&journal, *tracking))?;
            if !job.may_poll(&base_url, partner_tenant.as_deref()) {
                return Err(Failure::usage(format!(
                    "job {tracking} was sent to {} or as another partner: it is not polled \
                     with these settings (give the --base-url and credentials it was sent \
                     with); nothing was sent",
                    journal::name_base_url(job.base_url())
                )));
            }
            if followed
                .iter()
                .all(|seen: &Followed<'_>| seen.target.tracking != *tracking)
            {
                followed.push(Followed {
                    job,
                    target: target_of(job, *tracking),
                });
            }
        }
    }
    if followed.is_empty() {
        show_waited(ctx, &[], &[]);
        return Ok(Exit::Success);
    }
    let api = signin::connect_with(settings, credentials)?;
    let targets: Vec<Target> = followed.iter().map(|one| one.target.clone()).collect();
    let pace = Pace {
        interval: args.poll_interval,
        timeout: args.wait_timeout,
        grace: args.not_found_grace,
    };
    let ends = follow::follow_all(
        &api,
        &targets,
        pace,
        settings.concurrency,
        &|target, end| {
            record_ending(&journal, target.tracking, end, pace.grace);
        },
    );
    let mut exit = Exit::Success;
    let mut outcomes = Vec::with_capacity(ends.len());
    for (one, end) in followed.iter().zip(&ends) {
        let (outcome, error) = match end {
            Ended::Done(answer) => (judge(ctx, answer).unwrap_or_else(|f| fail(&f)), None),
            Ended::Failed(failure) => (fail(failure), Some(failure)),
            Ended::TimedOut(_) => (
                timed_out(one.target.customer, one.target.tracking, args.wait_timeout),
                None,
            ),
            Ended::Interrupted(_) => (interrupted(one.target.customer, one.target.tracking), None),
        };
        exit = exit.worst(outcome);
        outcomes.push(error.map(|failure| {
            ErrorJson::of(
                failure,
                Some(one.target.customer),
                Some(one.target.tracking),
            )
        }));
    }
    show_waited(
        ctx,
        &followed,
        &ends.iter().zip(outcomes).collect::<Vec<_>>(),
    );
    Ok(exit)
}

/// Records how a followed job ended, when it did: best effort, a warning at worst.
fn record_ending(journal: &Journal, tracking: TrackingId, end: &Ended, grace: Duration) {
    let ending = match end {
        Ended::Done(answer) => journaled::Ending::Terminal(answer),
        Ended::Failed(failure) if failure.status == Some(404) => {
            journaled::Ending::NotFound { grace }
        }
        _ => return,
    };
    journaled::record_ending(journal, tracking, ending);
}

/// Writes `pc jobs wait`'s result: json `{"jobs": […], "errors": []}`, or a heading per
/// job over its batch.
fn show_waited(ctx: &Ctx, followed: &[Followed<'_>], ends: &[(&Ended, Option<ErrorJson>)]) {
    match ctx.output {
        OutputFormat::Json => emit(|out| {
            out.write_all(b"{\"jobs\":[")?;
            for (index, (one, (end, error))) in followed.iter().zip(ends).enumerate() {
                if index > 0 {
                    out.write_all(b",")?;
                }
                #[derive(Serialize)]
                #[serde(rename_all = "camelCase")]
                struct Head<'a> {
                    tracking_id: &'a TrackingId,
                    customer_id: &'a CustomerId,
                    batch_id: &'a str,
                    part: u32,
                    parts: u32,
                }
                let head = serde_json::to_vec(&Head {
                    tracking_id: &one.target.tracking,
                    customer_id: &one.target.customer,
                    batch_id: one.job.batch_id().as_str(),
                    part: one.job.part(),
                    parts: one.job.parts(),
                })
                .map_err(std::io::Error::other)?;
                // The object's fields, then the details as the service sent them.
                out.write_all(&head[..head.len() - 1])?;
                out.write_all(b",\"details\":")?;
                match last_details(end) {
                    Some(answer) => out.write_all(answer.json().trim_ascii())?,
                    None => out.write_all(b"null")?,
                }
                out.write_all(b",\"error\":")?;
                serde_json::to_writer(&mut *out, error).map_err(std::io::Error::other)?;
                out.write_all(b"}")?;
            }
            out.write_all(b"],\"errors\":[]}\n")
        }),
        OutputFormat::Csv => {
            let mut shown = Vec::new();
            for (one, (end, _)) in followed.iter().zip(ends) {
                if let Some(Ok(details)) = last_details(end).map(StatusAnswer::details) {
                    shown.push((one, details));
                }
            }
            emit(|out| {
                let header: &[&str] = &["CustomerId", "BatchId", "Part"];
                let mut csv = CsvOut::start(out, ctx.bom, &[header, csv::BATCH_STATUS])?;
                for (one, details) in &shown {
                    let customer = one.target.customer.to_string();
                    let part = one.job.part().to_string();
                    let prefix = [customer.as_str(), one.job.batch_id().as_str(), &part];
                    csv.device_rows(&prefix, details, &ctx.allowed)?;
                }
                csv.finish()
            });
        }
        OutputFormat::Table => {
            if followed.is_empty() {
                emit(|out| writeln!(out, "no job to follow"));
            }
            for (index, (one, (end, _))) in followed.iter().zip(ends).enumerate() {
                emit(|out| {
                    if index > 0 {
                        writeln!(out)?;
                    }
                    writeln!(
                        out,
                        "customer {} · batch {} · part {}/{}",
                        one.target.customer,
                        escape(one.job.batch_id().as_str()),
                        one.job.part(),
                        one.job.parts()
                    )?;
                    match last_details(end).map(StatusAnswer::details) {
                        Some(Ok(details)) => {
                            table::write_batch_status(out, details, &ctx.allowed, ctx.style)
                        }
                        Some(Err(_)) | None if matches!(end, Ended::Failed(..)) => {
                            writeln!(out, "  (not followed to its end: see stderr)")
                        }
                        _ => writeln!(out, "  (no answer seen yet)"),
                    }
                });
            }
        }
    }
}

/// The details a job's end shows: its final answer, or the last one seen before a
/// timeout (a failed poll shows none).
fn last_details(end: &Ended) -> Option<&StatusAnswer> {
    match end {
        Ended::Done(answer) => Some(answer),
        Ended::TimedOut(last) | Ended::Interrupted(last) => last.as_ref(),
        Ended::Failed(..) => None,
    }
}
