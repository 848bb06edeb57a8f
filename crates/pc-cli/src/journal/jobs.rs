//! The journal read: its lines in order, a warning for each line that cannot be read,
//! and the jobs they fold into.
//!
//! A job is one upload part: its `sending` line, the `accepted` line of the same
//! `requestId` (an `accepted` line without one is a job too) and the `finished` line of
//! its tracking id. Its state is `unknown` until accepted, `pending` until finished,
//! then the ending's status.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use pc_models::{BatchId, CustomerId, TrackingId, UtcDateTime};

use super::lines::{self, Accepted, Finished, Line, Sending};
use super::scope::same_base_url;

/// One line of the journal as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its line number, from 1.
    pub number: usize,
    /// Its bytes as recorded, without the newline.
    pub bytes: Vec<u8>,
    /// What it says; `None` for a line that cannot be read (it was warned about) or an
    /// event this version does not know.
    pub line: Option<Line>,
}

impl Entry {
    /// The line as text, as recorded (a line that was read is always UTF-8).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

/// A job's state, the fold of its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State<'a> {
    /// Sent, and no acceptance recorded: the service may have accepted it.
    Unknown,
    /// Accepted, and no ending recorded.
    Pending,
    /// Ended, with the status of its `finished` line (`finished`,
    /// `finished_with_errors`, `not_found` or any other text).
    Ended(&'a str),
}

impl<'a> State<'a> {
    /// The state as the contract writes it: `unknown`, `pending` or the status.
    pub fn as_str(&self) -> &'a str {
        match self {
            State::Unknown => "unknown",
            State::Pending => "pending",
            State::Ended(status) => status,
        }
    }
}

impl fmt::Display for State<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a job began: sent (and maybe accepted), or accepted with no `sending` line.
#[derive(Debug, Clone)]
enum Origin {
    Sent(Sending, Option<Accepted>),
    Accepted(Accepted),
}

/// One upload part and what the journal knows of it.
#[derive(Debug, Clone)]
pub struct Job {
    origin: Origin,
    finished: Option<Finished>,
    /// Indices of its entries, in file order.
    lines: Vec<usize>,
}

impl Job {
    /// Its `sending` line, unless only its acceptance was recorded.
    #[cfg(test)]
    pub fn sending(&self) -> Option<&Sending> {
        match &self.origin {
            Origin::Sent(sending, _) => Some(sending),
            Origin::Accepted(_) => None,
        }
    }

    /// Its `accepted` line, once accepted.
    pub fn accepted(&self) -> Option<&Accepted> {
        match &self.origin {
            Origin::Sent(_, accepted) => accepted.as_ref(),
            Origin::Accepted(accepted) => Some(accepted),
        }
    }

    /// Its `finished` line, once ended.
    pub fn finished(&self) -> Option<&Finished> {
        self.finished.as_ref()
    }

    /// A field from its `accepted` line when there is one, else from its `sending` line.
    fn pick<'a, T>(
        &'a self,
        sent: impl FnOnce(&'a Sending) -> T,
        accepted: impl FnOnce(&'a Accepted) -> T,
    ) -> T {
        match &self.origin {
            Origin::Sent(_, Some(line)) | Origin::Accepted(line) => accepted(line),
            Origin::Sent(line, None) => sent(line),
        }
    }

    /// Its state: `unknown`, `pending`, or its ending's status.
    pub fn state(&self) -> State<'_> {
        match (&self.finished, self.accepted()) {
            (Some(finished), _) => State::Ended(&finished.status),
            (None, Some(_)) => State::Pending,
            (None, None) => State::Unknown,
        }
    }

    /// The part's `MS-RequestId`.
    #[cfg(test)]
    pub fn request_id(&self) -> &str {
        self.pick(|line| &line.request_id, |line| &line.request_id)
    }

    /// The customer uploaded to.
    pub fn customer_id(&self) -> &CustomerId {
        self.pick(|line| &line.customer_id, |line| &line.customer_id)
    }

    /// The batch.
    pub fn batch_id(&self) -> &BatchId {
        self.pick(|line| &line.batch_id, |line| &line.batch_id)
    }

    /// The part, from 1.
    pub fn part(&self) -> u32 {
        self.pick(|line| line.part, |line| line.part)
    }

    /// How many parts its upload has.
    pub fn parts(&self) -> u32 {
        self.pick(|line| line.parts, |line| line.parts)
    }

    /// How many devices the part holds.
    pub fn devices(&self) -> u32 {
        self.pick(|line| line.devices, |line| line.devices)
    }

    /// The SHA-256 of its CSV file.
    #[cfg(test)]
    pub fn csv_sha256(&self) -> &str {
        self.pick(|line| &line.csv_sha256, |line| &line.csv_sha256)
    }

    /// The base URL it was sent to.
    pub fn base_url(&self) -> &str {
        self.pick(|line| &line.base_url, |line| &line.base_url)
    }

    /// Its tracking id, once accepted.
    pub fn tracking_id(&self) -> Option<&TrackingId> {
        self.accepted().map(|line| &line.tracking_id)
    }

    /// When it was accepted.
    pub fn accepted_at(&self) -> Option<UtcDateTime> {
        self.accepted().map(|line| line.accepted_at)
    }

    /// When it was sent: its `sending` line's `at`, else when it was accepted.
    pub fn sent_at(&self) -> UtcDateTime {
        match &self.origin {
            Origin::Sent(sending, _) => sending.at,
            Origin::Accepted(accepted) => accepted.accepted_at,
        }
    }

    /// Whether this job may be polled with `base_url` configured and credentials of
    /// `partner_tenant`: it was accepted, on the same base URL (as [`same_base_url`]
    /// compares them), and for the same tenant, or one of the two tenants is unknown.
    pub fn may_poll(&self, base_url: &str, partner_tenant: Option<&str>) -> bool {
        let Some(accepted) = self.accepted() else {
            return false;
        };
        let known = |tenant: Option<&str>| {
            tenant
                .map(str::trim)
                .filter(|tenant| !tenant.is_empty())
                .map(str::to_owned)
        };
        let same_tenant = match (
            known(accepted.partner_tenant.as_deref()),
            known(partner_tenant),
        ) {
            (Some(recorded), Some(configured)) => recorded.eq_ignore_ascii_case(&configured),
            _ => true,
        };
        same_tenant && same_base_url(&accepted.base_url, base_url)
    }
}

/// Whether `pc jobs prune --older-than` drops `job`, `now`, with `base_url`
/// configured: a job that ended or is `unknown` and was sent longer than `older_than`
/// ago, or a pending job of another base URL accepted longer ago than that. Other
/// pending jobs are never dropped.
pub fn expired(job: &Job, now: UtcDateTime, older_than: Duration, base_url: &str) -> bool {
    let longer_ago = |time: UtcDateTime| {
        let nanos = |time: UtcDateTime| {
            i128::from(time.unix_seconds()) * 1_000_000_000 + i128::from(time.subsec_nanos())
        };
        let age = nanos(now) - nanos(time);
        u128::try_from(age).is_ok_and(|age| age > older_than.as_nanos())
    };
    match (job.state(), job.accepted_at()) {
        (State::Pending, Some(accepted_at)) => {
            !same_base_url(job.base_url(), base_url) && longer_ago(accepted_at)
        }
        _ => longer_ago(job.sent_at()),
    }
}

/// Which jobs `pc jobs list` shows.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Pending jobs only (`--pending`).
    pub pending_only: bool,
    /// Jobs sent at or after this instant only (`--since`).
    pub sent_since: Option<UtcDateTime>,
    /// These customers' jobs only; every customer's when empty.
    pub customers: Vec<CustomerId>,
}

impl JobFilter {
    fn keeps(&self, job: &Job) -> bool {
        (!self.pending_only || job.state() == State::Pending)
            && self.sent_since.is_none_or(|since| job.sent_at() >= since)
            && (self.customers.is_empty() || self.customers.contains(job.customer_id()))
    }
}

/// What the journal holds: its lines, the warnings about those that cannot be read,
/// and the jobs.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    entries: Vec<Entry>,
    warnings: Vec<String>,
    jobs: Vec<Job>,
}

impl Contents {
    /// Reads the bytes of the journal at `path` (named in the warnings). Blank lines
    /// are passed over; a line that cannot be read, or whose `customerId` or
    /// `trackingId` is not a GUID, gets one warning naming the file and line.
    pub fn parse(path: &Path, bytes: &[u8]) -> Self {
        let mut entries = Vec::new();
        let mut warnings = Vec::new();
        let mut pieces: Vec<&[u8]> = bytes.split(|byte| *byte == b'\n').collect();
        if bytes.ends_with(b"\n") {
            pieces.pop();
        }
        for (index, piece) in pieces.into_iter().enumerate() {
            let number = index + 1;
            if piece.trim_ascii().is_empty() {
                continue;
            }
            let line = match lines::parse(piece) {
                Ok(line) => line,
                Err(why) => {
                    warnings.push(format!(
                        "{}:{number}: a line of the journal cannot be read ({}); it was \
                         skipped and left as it is",
                        path.display(),
                        printable(&why)
                    ));
                    None
                }
            };
            entries.push(Entry {
                number,
                bytes: piece.to_vec(),
                line,
            });
        }
        let jobs = fold(&entries);
        Self {
            entries,
            warnings,
            jobs,
        }
    }

    /// Every line, in file order (blank lines left out).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// One warning per line that cannot be read, for stderr.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The jobs, in journal order (by their first line).
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// The jobs `filter` keeps, newest first: by when they were accepted, an `unknown`
    /// one by when it was sent; among equals, the later in the journal first.
    pub fn list(&self, filter: &JobFilter) -> Vec<&Job> {
        let mut jobs: Vec<(usize, &Job)> = self
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, job)| filter.keeps(job))
            .collect();
        jobs.sort_by_key(|(index, job)| {
            std::cmp::Reverse((job.accepted_at().unwrap_or_else(|| job.sent_at()), *index))
        });
        jobs.into_iter().map(|(_, job)| job).collect()
    }

    /// The (first) job accepted with `tracking_id`.
    pub fn job(&self, tracking_id: &TrackingId) -> Option<&Job> {
        self.jobs
            .iter()
            .find(|job| job.tracking_id() == Some(tracking_id))
    }

    /// A job's lines as recorded: its `sending` line first, then the others in file
    /// order.
    pub fn lines_of(&self, job: &Job) -> Vec<&Entry> {
        let mut lines: Vec<&Entry> = job
            .lines
            .iter()
            .filter_map(|index| self.entries.get(*index))
            .collect();
        // A stable sort: sending lines first, the rest in file order.
        lines.sort_by_key(|entry| !matches!(entry.line, Some(Line::Sending(_))));
        lines
    }

    /// The jobs already accepted from a CSV file of this hash, for this customer and
    /// batch, in journal order: what a re-upload warns about.
    pub fn earlier_uploads(
        &self,
        csv_sha256: &str,
        customer_id: &CustomerId,
        batch_id: &BatchId,
    ) -> Vec<&Job> {
        self.jobs
            .iter()
            .filter(|job| {
                job.accepted().is_some_and(|accepted| {
                    accepted.csv_sha256.eq_ignore_ascii_case(csv_sha256)
                        && accepted.customer_id == *customer_id
                        && accepted.batch_id == *batch_id
                })
            })
            .collect()
    }

    /// Whether a `finished` line of `tracking_id` is recorded.
    pub fn has_finished(&self, tracking_id: &TrackingId) -> bool {
        self.entries.iter().any(|entry| {
            matches!(&entry.line, Some(Line::Finished(finished)) if finished.tracking_id == *tracking_id)
        })
    }

    /// Indices of the entries of the jobs `drop` picks, and how many jobs it picked.
    pub(super) fn dropped_lines(&self, mut drop: impl FnMut(&Job) -> bool) -> (Vec<bool>, usize) {
        let mut dropped = vec![false; self.entries.len()];
        let mut jobs = 0;
        for job in self.jobs.iter().filter(|job| drop(job)) {
            jobs += 1;
            for index in &job.lines {
                if let Some(slot) = dropped.get_mut(*index) {
                    *slot = true;
                }
            }
        }
        (dropped, jobs)
    }
}

/// A reason with control characters escaped, so a hand-edited line cannot drive the
/// terminal through a warning.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The jobs of `entries`: `sending` and `accepted` lines joined by `requestId` in file
/// order, then each `finished` line joined to the job of its tracking id (a `finished`
/// line of no job's tracking id joins none).
fn fold(entries: &[Entry]) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_request: HashMap<&str, usize> = HashMap::new();
    let mut by_tracking: HashMap<TrackingId, usize> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        match &entry.line {
            Some(Line::Sending(sending)) => match by_request.get(sending.request_id.as_str()) {
                // The same part recorded again: one job.
                Some(&job) => jobs[job].lines.push(index),
                None => {
                    by_request.insert(&sending.request_id, jobs.len());
                    jobs.push(Job {
                        origin: Origin::Sent(sending.clone(), None),
                        finished: None,
                        lines: vec![index],
                    });
                }
            },
            Some(Line::Accepted(accepted)) => {
                let joins = by_request.get(accepted.request_id.as_str()).copied();
                let job = match joins.map(|job| (job, &mut jobs[job])) {
                    Some((
                        job,
                        Job {
                            origin: Origin::Sent(_, slot @ None),
                            ..
                        },
                    )) => {
                        *slot = Some(accepted.clone());
                        job
                    }
                    Some((job, same)) if same.tracking_id() == Some(&accepted.tracking_id) => job,
                    // Another acceptance of a request already accepted, or no sending
                    // line: a job of its own.
                    other => {
                        if other.is_none() {
                            by_request.insert(&accepted.request_id, jobs.len());
                        }
                        jobs.push(Job {
                            origin: Origin::Accepted(accepted.clone()),
                            finished: None,
                            lines: Vec::new(),
                        });
                        jobs.len() - 1
                    }
                };
                jobs[job].lines.push(index);
                by_tracking.entry(accepted.tracking_id).or_insert(job);
            }
            _ => {}
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        if let Some(Line::Finished(finished)) = &entry.line
            && let Some(&job) = by_tracking.get(&finished.tracking_id)
        {
            let job = &mut jobs[job];
            job.finished.get_or_insert_with(|| finished.clone());
            job.lines.push(index);
        }
    }
    for job in &mut jobs {
        job.lines.sort_unstable();
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::super::lines::tests::{
        CUSTOMER, OTHER_TRACKING, TRACKING, accepted, at, finished, sending,
    };
    use super::super::lines::to_json;
    use super::*;

    const THIRD_TRACKING: &str = "70ad3e3c-7ad6-4d81-86cb-4c6c9151d203";

    fn journal(lines: &[Line]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend(to_json(line));
            bytes.push(b'\n');
        }
        bytes
    }

    fn read(lines: &[Line]) -> Contents {
        Contents::parse(Path::new("/j/jobs.jsonl"), &journal(lines))
    }

    fn states(contents: &Contents) -> Vec<&str> {
        contents
            .jobs()
            .iter()
            .map(|job| job.state().as_str())
            .collect()
    }

    #[test]
    fn lines_fold_into_jobs_with_their_states() {
        let contents = read(&[
            Line::Sending(sending("r-1", 100)),
            Line::Sending(sending("r-2", 101)),
            Line::Accepted(accepted("r-1", TRACKING, 102)),
            Line::Sending(sending("r-3", 103)),
            Line::Accepted(accepted("r-3", OTHER_TRACKING, 104)),
            Line::Finished(finished(OTHER_TRACKING, "finished_with_errors", 105)),
            // Accepted with no sending line: a job still.
            Line::Accepted(accepted("r-4", THIRD_TRACKING, 106)),
            Line::Finished(finished(THIRD_TRACKING, "not_found", 107)),
        ]);
        assert!(contents.warnings().is_empty());
        assert_eq!(
            states(&contents),
            ["pending", "unknown", "finished_with_errors", "not_found"]
        );
        let jobs = contents.jobs();
        assert_eq!(jobs[0].tracking_id().unwrap().to_string(), TRACKING);
        assert_eq!(jobs[1].tracking_id(), None);
        assert_eq!(jobs[1].accepted_at(), None);
        assert_eq!(jobs[1].sent_at(), at(101));
        assert_eq!(jobs[0].sent_at(), at(100));
        assert_eq!(jobs[0].accepted_at(), Some(at(102)));
        assert!(jobs[3].sending().is_none());
        assert_eq!(jobs[3].sent_at(), at(106));
        assert_eq!(jobs[3].request_id(), "r-4");
        let job = &jobs[1];
        assert_eq!(
            (
                job.batch_id().as_str(),
                job.part(),
                job.parts(),
                job.devices()
            ),
            ("lab-1", 1, 2, 3)
        );
        assert_eq!(
            job.csv_sha256(),
            lines::csv_sha256(b"Device Serial Number\n")
        );
        assert_eq!(job.base_url(), "https://api.partnercenter.microsoft.com");
        assert_eq!(jobs[2].finished().unwrap().failed, Some(1));
        let numbers = |job: &Job| -> Vec<usize> {
            contents
                .lines_of(job)
                .iter()
                .map(|entry| entry.number)
                .collect()
        };
        assert_eq!(numbers(&jobs[0]), [1, 3]);
        assert_eq!(numbers(&jobs[2]), [4, 5, 6]);
        assert_eq!(numbers(&jobs[3]), [7, 8]);
        let other: TrackingId = OTHER_TRACKING.parse().unwrap();
        assert_eq!(contents.job(&other).unwrap().request_id(), "r-3");
        assert!(contents.has_finished(&other));
        assert!(!contents.has_finished(&TRACKING.parse().unwrap()));
    }

    #[test]
    fn a_jobs_lines_are_shown_as_recorded_with_its_sending_line_first() {
        let mut bytes = journal(&[Line::Accepted(accepted("r-1", TRACKING, 2))]);
        // Recorded with extra spaces and a field from a later version: shown as is.
        let sending_line = String::from_utf8(to_json(&Line::Sending(sending("r-1", 1))))
            .unwrap()
            .replacen('{', r#"{ "later": true, "#, 1);
        bytes.extend(sending_line.as_bytes());
        bytes.push(b'\n');
        let contents = Contents::parse(Path::new("j"), &bytes);
        let job = contents.job(&TRACKING.parse().unwrap()).unwrap();
        let shown: Vec<String> = contents
            .lines_of(job)
            .iter()
            .map(|entry| entry.text().into_owned())
            .collect();
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[0], sending_line);
        assert!(shown[1].starts_with(r#"{"event":"accepted""#));
    }

    #[test]
    fn an_ending_joins_by_tracking_id_and_the_first_one_counts() {
        let contents = read(&[
            Line::Sending(sending("r-1", 1)),
            Line::Accepted(accepted("r-1", TRACKING, 2)),
            Line::Finished(finished(TRACKING, "finished", 3)),
            Line::Finished(finished(TRACKING, "finished_with_errors", 4)),
            // An ending of no job in the journal joins none.
            Line::Finished(finished(OTHER_TRACKING, "finished", 5)),
        ]);
        assert_eq!(states(&contents), ["finished"]);
        let job = &contents.jobs()[0];
        assert_eq!(contents.lines_of(job).len(), 4);
    }

    #[test]
    fn unreadable_lines_are_skipped_with_one_warning_each_naming_file_and_line() {
        let mut bytes = journal(&[Line::Sending(sending("r-1", 1))]);
        bytes.extend(b"not json at all\n\n");
        let good =
            String::from_utf8(to_json(&Line::Accepted(accepted("r-1", TRACKING, 2)))).unwrap();
        bytes.extend(good.replace(CUSTOMER, "contoso\\u001b[2J").as_bytes());
        bytes.extend(b"\n");
        bytes.extend(good.as_bytes());
        bytes.extend(b"\n");
        bytes.extend(br#"{"event":"cancelled","requestId":"r-1"}"#);
        bytes.extend(b"\n");
        bytes.extend(br#"{"event":"finished","trackingId":"not-a-guid","status":"finished"#);
        let contents = Contents::parse(Path::new("/j/jobs.jsonl"), &bytes);
        let warnings = contents.warnings();
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        assert!(
            warnings[0].starts_with("/j/jobs.jsonl:2: a line of the journal cannot be read ("),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[1].starts_with("/j/jobs.jsonl:4: "),
            "{}",
            warnings[1]
        );
        assert!(
            warnings[1].contains("invalid customer id"),
            "{}",
            warnings[1]
        );
        assert!(!warnings[1].contains('\u{1b}'), "{}", warnings[1]);
        assert!(
            warnings[2].starts_with("/j/jobs.jsonl:7: "),
            "{}",
            warnings[2]
        );
        assert!(
            warnings[2].ends_with("it was skipped and left as it is"),
            "{}",
            warnings[2]
        );
        // The readable lines still make their job; every line is kept as recorded.
        assert_eq!(states(&contents), ["pending"]);
        let numbers: Vec<usize> = contents
            .entries()
            .iter()
            .map(|entry| entry.number)
            .collect();
        assert_eq!(numbers, [1, 2, 4, 5, 6, 7]);
    }

    #[test]
    fn a_list_is_newest_first_and_filtered_by_state_time_and_customer() {
        let other_customer: CustomerId = "11111111-2222-4333-8444-555555555555".parse().unwrap();
        let mut theirs = sending("r-5", 500);
        theirs.customer_id = other_customer;
        let contents = read(&[
            Line::Sending(sending("r-1", 100)),
            Line::Accepted(accepted("r-1", TRACKING, 400)),
            Line::Sending(sending("r-2", 200)),
            Line::Sending(sending("r-3", 300)),
            Line::Accepted(accepted("r-3", OTHER_TRACKING, 301)),
            Line::Finished(finished(OTHER_TRACKING, "finished", 302)),
            Line::Sending(theirs),
        ]);
        let ids = |filter: &JobFilter| -> Vec<String> {
            contents
                .list(filter)
                .iter()
                .map(|job| job.request_id().to_owned())
                .collect()
        };
        assert_eq!(ids(&JobFilter::default()), ["r-5", "r-1", "r-3", "r-2"]);
        let pending = JobFilter {
            pending_only: true,
            ..JobFilter::default()
        };
        assert_eq!(ids(&pending), ["r-1"]);
        // "Sent" is the sending line's time, not the acceptance's.
        let since = JobFilter {
            sent_since: Some(at(200)),
            ..JobFilter::default()
        };
        assert_eq!(ids(&since), ["r-5", "r-3", "r-2"]);
        let mine = JobFilter {
            customers: vec![CUSTOMER.parse().unwrap()],
            ..JobFilter::default()
        };
        assert_eq!(ids(&mine), ["r-1", "r-3", "r-2"]);
        let theirs = JobFilter {
            customers: vec![other_customer],
            ..JobFilter::default()
        };
        assert_eq!(ids(&theirs), ["r-5"]);
    }

    #[test]
    fn a_reupload_finds_the_accepted_jobs_of_the_same_file_customer_and_batch() {
        let mut other_batch = accepted("r-3", THIRD_TRACKING, 5);
        other_batch.batch_id = BatchId::new("lab-2").unwrap();
        let contents = read(&[
            Line::Sending(sending("r-1", 1)),
            Line::Accepted(accepted("r-1", TRACKING, 2)),
            Line::Finished(finished(TRACKING, "finished", 3)),
            Line::Sending(sending("r-2", 4)),
            Line::Accepted(other_batch),
            Line::Accepted(accepted("r-4", OTHER_TRACKING, 6)),
        ]);
        let hash = lines::csv_sha256(b"Device Serial Number\n");
        let customer: CustomerId = CUSTOMER.parse().unwrap();
        let batch = BatchId::new("lab-1").unwrap();
        let earlier: Vec<(String, &str, Option<UtcDateTime>)> = contents
            .earlier_uploads(&hash.to_uppercase(), &customer, &batch)
            .iter()
            .map(|job| {
                (
                    job.tracking_id().unwrap().to_string(),
                    job.state().as_str(),
                    job.accepted_at(),
                )
            })
            .collect();
        assert_eq!(
            earlier,
            [
                (TRACKING.to_owned(), "finished", Some(at(2))),
                (OTHER_TRACKING.to_owned(), "pending", Some(at(6))),
            ]
        );
        assert!(
            contents
                .earlier_uploads(&lines::csv_sha256(b"other"), &customer, &batch)
                .is_empty()
        );
    }

    #[test]
    fn a_job_may_be_polled_on_the_same_base_url_and_tenant_or_an_unknown_one() {
        let job = |tenant: Option<&str>, base_url: &str| {
            let mut line = accepted("r-1", TRACKING, 1);
            line.partner_tenant = tenant.map(str::to_owned);
            line.base_url = base_url.to_owned();
            read(&[Line::Accepted(line)]).jobs()[0].clone()
        };
        let global = "https://api.partnercenter.microsoft.com";
        let tenant = "0F7A1A43-1111-4A55-9E5E-1C3B52A5C0DE";
        let ours = job(Some("0f7a1a43-1111-4a55-9e5e-1c3b52a5c0de"), global);
        assert!(ours.may_poll("https://API.partnercenter.microsoft.com:443/", Some(tenant)));
        assert!(ours.may_poll(global, None));
        assert!(!ours.may_poll(global, Some("contoso.onmicrosoft.com")));
        assert!(!ours.may_poll("http://127.0.0.1:8080", Some(tenant)));
        assert!(job(None, global).may_poll(global, Some(tenant)));
        assert!(job(Some(" "), global).may_poll(global, Some(tenant)));
        // Never accepted: nothing to poll.
        let unknown = read(&[Line::Sending(sending("r-1", 1))]);
        assert!(!unknown.jobs()[0].may_poll(global, None));
    }

    #[test]
    fn prune_by_age_drops_ended_and_unknown_jobs_and_pending_ones_of_another_base_url() {
        const DAY: i64 = 86_400;
        let week = Duration::from_secs(7 * 86_400);
        let global = "https://api.partnercenter.microsoft.com";
        let local = "http://127.0.0.1:8080";
        let now = at(100 * DAY);
        let mut local_sending = sending("r-local", 0);
        local_sending.base_url = local.to_owned();
        let mut local_accepted = accepted("r-local", THIRD_TRACKING, 0);
        local_accepted.base_url = local.to_owned();
        let contents = read(&[
            // Unknown, sent 8 days ago.
            Line::Sending(sending("r-1", 92 * DAY)),
            // Ended: sent 10 days ago (the ending's own time does not count).
            Line::Sending(sending("r-2", 90 * DAY)),
            Line::Accepted(accepted("r-2", TRACKING, 90 * DAY)),
            Line::Finished(finished(TRACKING, "finished", 99 * DAY)),
            // Pending on the configured base URL, accepted long ago: kept.
            Line::Sending(sending("r-3", DAY)),
            Line::Accepted(accepted("r-3", OTHER_TRACKING, DAY)),
            // Pending on another base URL, accepted long ago.
            Line::Sending(local_sending),
            Line::Accepted(local_accepted),
            // Unknown, sent exactly a week ago: not longer ago than that.
            Line::Sending(sending("r-5", 93 * DAY)),
        ]);
        let dropped: Vec<bool> = contents
            .jobs()
            .iter()
            .map(|job| expired(job, now, week, global))
            .collect();
        assert_eq!(dropped, [true, true, false, true, false]);
        // A pending job of the configured base URL, whatever its age.
        let pending = &contents.jobs()[2];
        assert!(!expired(pending, now, Duration::ZERO, global));
        assert!(expired(pending, now, Duration::ZERO, local));
        // Nothing is older than a wait longer than time itself.
        assert!(!expired(&contents.jobs()[1], now, Duration::MAX, global));
    }
}
