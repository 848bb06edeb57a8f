//! What the `pc devices` commands record in the upload journal, and when: each part's
//! `sending` line before its first attempt (the first one the upload's pre-flight), its
//! `accepted` line before anything is said about it, and a batch's ending once a
//! command sees it (best effort). `crate::journal` writes and reads; this decides.

use std::path::Path;
use std::time::{Duration, SystemTime};

use pc_devices::UploadPart;
use pc_devices::upload::PlannedPart;
use pc_models::{BatchId, CustomerId, TrackingId, UtcDateTime};

use crate::api::{Api, StatusAnswer};
use crate::exit::Failure;
use crate::journal::{self, Accepted, ErrorCount, Finished, Journal, Line, Sending};
use crate::output::note;
use crate::output::shown::escape;

/// The journal of an upload and what each of its lines says of the CSV file.
#[derive(Debug)]
pub struct UploadJournal {
    /// The journal.
    pub journal: Journal,
    /// The SHA-256 of the CSV file's bytes.
    pub csv_sha256: String,
    /// The CSV file's absolute path.
    pub csv_file: String,
}

impl UploadJournal {
    /// The journal at `journal` for an upload of the CSV file `csv`, whose bytes hash
    /// to `csv_sha256`.
    pub fn new(journal: Journal, csv: &Path, csv_sha256: String) -> Self {
        let csv_file = std::path::absolute(csv)
            .unwrap_or_else(|_| csv.to_path_buf())
            .display()
            .to_string();
        Self {
            journal,
            csv_sha256,
            csv_file,
        }
    }

    /// Warns on stderr when this CSV file was already accepted for this customer and
    /// batch: the earlier tracking ids, their state and when they were accepted.
    pub fn warn_of_earlier_uploads(&self, customer: &CustomerId, batch: &BatchId) {
        let Ok(contents) = self.journal.read() else {
            return;
        };
        for warning in contents.warnings() {
            note(format!("warning: {}", escape(warning)));
        }
        let earlier: Vec<String> = contents
            .earlier_uploads(&self.csv_sha256, customer, batch)
            .iter()
            .filter_map(|job| {
                Some(format!(
                    "{} ({}, accepted {})",
                    job.tracking_id()?,
                    escape(&job.state().to_string()),
                    job.accepted_at()?
                ))
            })
            .collect();
        if !earlier.is_empty() {
            note(format!(
                "warning: this CSV file was already uploaded to batch \"{}\" of customer \
                 {customer}: {}; going on (devices already registered come back 806: \
                 --allow-error-codes 806 accepts them)",
                escape(batch.as_str()),
                earlier.join(", ")
            ));
        }
    }

    /// The `sending` line of part `index` of `parts`.
    pub fn sending(&self, api: &Api, part: &PartFacts, index: usize, parts: usize) -> Line {
        Line::Sending(Sending {
            request_id: part.request_id.clone(),
            customer_id: part.customer,
            batch_id: part.batch.clone(),
            part: count(index + 1),
            parts: count(parts),
            devices: count(part.serials.len()),
            csv_sha256: self.csv_sha256.clone(),
            base_url: api.base_url().to_owned(),
            at: now(),
        })
    }

    /// The `accepted` line of part `index` of `parts`, accepted as `accepted`.
    pub fn accepted(
        &self,
        api: &Api,
        part: &PartFacts,
        accepted: &UploadPart,
        index: usize,
        parts: usize,
    ) -> Line {
        Line::Accepted(Accepted {
            tracking_id: accepted.tracking_id,
            customer_id: part.customer,
            batch_id: part.batch.clone(),
            devices: count(accepted.devices),
            serial_numbers: part.serials.clone(),
            csv_sha256: self.csv_sha256.clone(),
            csv_file: self.csv_file.clone(),
            part: count(index + 1),
            parts: count(parts),
            accepted_at: now(),
            base_url: api.base_url().to_owned(),
            partner_tenant: api.partner_tenant().map(str::to_owned),
            correlation_id: api.correlation_id().to_owned(),
            request_id: part.request_id.clone(),
        })
    }

    /// Appends a line after the pre-flight: a failure is a warning (naming `about`),
    /// and the upload goes on.
    pub fn append_or_warn(&self, line: &Line, about: &str) {
        if let Err(error) = self.journal.append(line, journal::UPLOAD_LOCK_WAIT) {
            note(format!(
                "warning: {about} was not recorded in the journal: {error}"
            ));
        }
    }

    /// Appends the upload's first line, its pre-flight: a failure stops the upload
    /// before anything is sent (exit 2, or 5 for a lock not obtained).
    pub fn preflight(&self, line: &Line) -> Result<(), Failure> {
        self.journal
            .append(line, journal::UPLOAD_LOCK_WAIT)
            .map_err(|error| error.failure())
    }
}

/// What the journal says of one planned part: its customer, batch, serial numbers (in
/// file order, empty for rows without one) and the `MS-RequestId` of its first attempt.
#[derive(Debug, Clone)]
pub struct PartFacts {
    /// The customer.
    pub customer: CustomerId,
    /// The batch.
    pub batch: BatchId,
    /// The serial numbers of its devices.
    pub serials: Vec<String>,
    /// Its first attempt's `MS-RequestId`.
    pub request_id: String,
}

impl PartFacts {
    /// The facts of `part` of an upload to `batch` of `customer`, to be sent first
    /// with `request_id`.
    pub fn of(
        part: &PlannedPart,
        customer: CustomerId,
        batch: &BatchId,
        request_id: String,
    ) -> Self {
        let devices = match part {
            PlannedPart::Create(op) => op.request.devices.as_deref().unwrap_or_default(),
            PlannedPart::Add(op) => op.devices.as_slice(),
            _ => &[],
        };
        Self {
            customer,
            batch: batch.clone(),
            serials: devices
                .iter()
                .map(|device| device.serial_number.clone().unwrap_or_default())
                .collect(),
            request_id,
        }
    }
}

/// A count for a line (the journal's counts are 32-bit).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Now, as the journal writes times.
pub fn now() -> UtcDateTime {
    UtcDateTime::from(SystemTime::now())
}

/// The `finished` line of a terminal answer (`None` when the answer cannot be read
/// or names no status).
pub fn finished_line(tracking: TrackingId, answer: &StatusAnswer) -> Option<Finished> {
    let scan = answer.scan().ok()?;
    let mut errors: Vec<ErrorCount> = Vec::new();
    for device in &scan.failed {
        let code = device.code.as_deref().unwrap_or("").trim().to_owned();
        let description = device.description.as_deref().unwrap_or("").to_owned();
        match errors
            .iter_mut()
            .find(|seen| seen.code == code && seen.description == description)
        {
            Some(seen) => seen.count += 1,
            None => errors.push(ErrorCount {
                code,
                description,
                count: 1,
            }),
        }
    }
    Some(Finished {
        tracking_id: tracking,
        status: scan.status.as_deref()?.to_owned(),
        devices: u32::try_from(scan.total).ok(),
        failed: u32::try_from(scan.failed.len()).ok(),
        errors: Some(errors),
        completed_time: answer
            .details()
            .ok()
            .and_then(|details| details.completed_time.clone()),
        seen_at: now(),
    })
}

/// What is left of `grace` for a job accepted at `accepted_at`, `now`; a job whose
/// acceptance is unknown gets the whole grace, from its first poll.
pub fn grace_left(grace: Duration, accepted_at: Option<SystemTime>, now: SystemTime) -> Duration {
    let since = accepted_at
        .and_then(|at| now.duration_since(at).ok())
        .unwrap_or_default();
    grace.saturating_sub(since)
}

/// Records the ending of `tracking` that a command following it saw, when the journal
/// holds the job: its `finished` line for a terminal answer; `not_found` for a `404`
/// once the not-found grace, counted from its acceptance, has passed. Best effort.
pub fn record_ending(journal: &Journal, tracking: TrackingId, ending: Ending<'_>) {
    let Ok(contents) = journal.read() else {
        return;
    };
    let Some(job) = contents.job(&tracking) else {
        return;
    };
    let finished = match ending {
        Ending::Terminal(answer) => finished_line(tracking, answer),
        Ending::NotFound { grace } => job
            .accepted_at()
            .map(SystemTime::from)
            .filter(|accepted| grace_left(grace, Some(*accepted), SystemTime::now()).is_zero())
            .map(|_| Finished::not_found(tracking, now())),
    };
    if let Some(finished) = finished {
        record(journal, &finished);
    }
}

/// What a command saw of a job's end.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// A terminal answer.
    Terminal(&'a StatusAnswer),
    /// A `404`, the not-found grace being this long.
    NotFound {
        /// The grace, counted from the job's acceptance.
        grace: Duration,
    },
}

/// Appends `finished` unless the journal holds one for its job: best effort (a lock
/// waited for at most a second), a warning at worst.
pub fn record(journal: &Journal, finished: &Finished) {
    if let Err(error) = journal.append_finished(finished, journal::ENDING_LOCK_WAIT) {
        note(format!(
            "warning: the ending of job {} was not recorded in the journal: {error}",
            finished.tracking_id
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_counts_from_the_acceptance() {
        let grace = Duration::from_secs(60);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let after = |secs| at + Duration::from_secs(secs);
        assert_eq!(grace_left(grace, Some(at), after(0)), grace);
        assert_eq!(
            grace_left(grace, Some(at), after(45)),
            Duration::from_secs(15)
        );
        assert_eq!(grace_left(grace, Some(at), after(60)), Duration::ZERO);
        assert_eq!(grace_left(grace, Some(at), after(3_600)), Duration::ZERO);
        // A clock behind the acceptance, or an acceptance unknown: the whole grace.
        assert_eq!(grace_left(grace, Some(after(10)), at), grace);
        assert_eq!(grace_left(grace, None, at), grace);
    }
}
