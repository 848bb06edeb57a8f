//! Uploads of any size: the devices split into parts, in order, each its own logical
//! call; the first part creates the batch (for a new batch) and the others add to it.
//!
//! The plan is pure ([`plan`]), and so is the sending of it ([`UploadFlow`]: which part
//! goes next, an add-devices POST tried again while the service may not know a batch
//! just created (a `404` within [`UploadOptions::not_found_grace`]), the error that
//! ends an upload half-way). The clients' `upload` is a thin driver: it sends each
//! part the flow names, sleeps when it says so, and reports each accepted part.

use std::time::{Duration, Instant};

use http::Method;
use pc_models::{BatchId, CustomerId, Device, DeviceBatchCreationRequest};

use crate::Error;
use crate::accepted::UploadAccepted;
pub use crate::accepted::UploadPart;
pub use crate::error::UploadIncomplete;
use crate::ops::{AddDevices, CreateDeviceBatch, Operation};

/// The shortest time between two tries of an add answered `404`, whatever the options
/// say.
const MIN_RETRY_INTERVAL: Duration = Duration::from_millis(100);

/// The default devices per request: 1,000.
pub const DEFAULT_DEVICES_PER_REQUEST: usize = 1_000;
/// The most devices one request may carry: 10,000.
pub const MAX_DEVICES_PER_REQUEST: usize = 10_000;
/// The default time a `404` is taken for "not known yet": one minute.
pub const DEFAULT_NOT_FOUND_GRACE: Duration = Duration::from_secs(60);

/// Where an upload's devices go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadTarget {
    /// Create this batch with the first part; every other part adds to it.
    NewBatch(BatchId),
    /// Add every part to this existing batch.
    ExistingBatch(BatchId),
}

impl UploadTarget {
    /// The batch the devices go to.
    pub fn batch(&self) -> &BatchId {
        match self {
            Self::NewBatch(batch) | Self::ExistingBatch(batch) => batch,
        }
    }
}

/// How an upload is sent: plain data with documented defaults.
///
/// ```
/// use pc_devices::UploadOptions;
/// let options = UploadOptions { devices_per_request: 500, ..Default::default() };
/// assert_eq!(options.not_found_grace, std::time::Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOptions {
    /// The most devices in one request, from 1 to [`MAX_DEVICES_PER_REQUEST`]. Default
    /// [`DEFAULT_DEVICES_PER_REQUEST`].
    pub devices_per_request: usize,
    /// How long a `404` to an add-devices POST of this upload is taken for "the service
    /// does not know the batch yet" and tried again, counted per batch from its first
    /// add. Default [`DEFAULT_NOT_FOUND_GRACE`].
    pub not_found_grace: Duration,
    /// The time between two tries of such an add. Default 5 seconds.
    pub retry_interval: Duration,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            devices_per_request: DEFAULT_DEVICES_PER_REQUEST,
            not_found_grace: DEFAULT_NOT_FOUND_GRACE,
            retry_interval: crate::wait::DEFAULT_POLL_INTERVAL,
        }
    }
}

/// One request of an upload's plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PlannedPart {
    /// The first part of a new batch.
    Create(CreateDeviceBatch),
    /// A part added to the batch.
    Add(AddDevices),
}

impl PlannedPart {
    /// How many devices the part holds.
    pub fn devices(&self) -> usize {
        match self {
            Self::Create(op) => op.request.devices.as_ref().map_or(0, Vec::len),
            Self::Add(op) => op.devices.len(),
        }
    }
}

/// A planned part is itself the operation it sends: the `POST` that creates the batch
/// or adds to it, answered by the part's tracking id.
impl Operation for PlannedPart {
    type Output = UploadAccepted;
    const METHOD: Method = Method::POST;

    fn path(&self) -> Result<String, Error> {
        match self {
            Self::Create(op) => op.path(),
            Self::Add(op) => op.path(),
        }
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Self::Create(op) => op.body(),
            Self::Add(op) => op.body(),
        }
    }

    fn continuation_token(&self) -> Option<&str> {
        match self {
            Self::Create(op) => op.continuation_token(),
            Self::Add(op) => op.continuation_token(),
        }
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        match self {
            Self::Create(op) => op.parse_success(response),
            Self::Add(op) => op.parse_success(response),
        }
    }
}

/// The requests of an upload, in file order: `devices` cut into parts of at most
/// `options.devices_per_request`. Refuses, sending nothing, an upload with no devices,
/// a part size out of range, or a batch id that cannot be sent.
///
/// ```
/// use pc_devices::upload::{plan, PlannedPart, UploadTarget};
/// use pc_devices::UploadOptions;
/// use pc_devices::models::{BatchId, Device};
///
/// let devices = vec![Device::default(); 2_500];
/// let target = UploadTarget::NewBatch(BatchId::new("Lab A")?);
/// let parts = plan(&"47021739-3426-40bf-9601-61b4b6d7c793".parse()?, &target, devices, &UploadOptions::default())?;
/// assert_eq!(parts.iter().map(PlannedPart::devices).collect::<Vec<_>>(), [1000, 1000, 500]);
/// assert!(matches!(parts[0], PlannedPart::Create(_)));
/// assert!(matches!(parts[2], PlannedPart::Add(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(
    customer: &CustomerId,
    target: &UploadTarget,
    devices: Vec<Device>,
    options: &UploadOptions,
) -> Result<Vec<PlannedPart>, Error> {
    let size = options.devices_per_request;
    if !(1..=MAX_DEVICES_PER_REQUEST).contains(&size) {
        return Err(Error::invalid(
            "devices per request",
            size.to_string(),
            format!("it must be from 1 to {MAX_DEVICES_PER_REQUEST}"),
        ));
    }
    if devices.is_empty() {
        return Err(Error::invalid(
            "upload",
            "(no devices)",
            "there are no devices to upload",
        ));
    }
    // The batch id must be sendable before anything is sent.
    crate::path::encode_segment("batch id", target.batch().as_str())?;
    let mut parts = Vec::with_capacity(devices.len().div_ceil(size));
    let mut devices = devices.into_iter().peekable();
    while devices.peek().is_some() {
        let chunk: Vec<Device> = devices.by_ref().take(size).collect();
        let batch = target.batch().clone();
        parts.push(match target {
            UploadTarget::NewBatch(_) if parts.is_empty() => PlannedPart::Create(
                CreateDeviceBatch::new(*customer, DeviceBatchCreationRequest::new(batch, chunk)),
            ),
            _ => PlannedPart::Add(AddDevices::new(*customer, batch, chunk)),
        });
    }
    Ok(parts)
}

/// What an upload does after a part was sent; see [`UploadFlow::after_send`].
#[derive(Debug)]
pub enum UploadStep<'a> {
    /// The part was accepted: tell whoever follows the upload, then send the next
    /// part.
    Accepted(&'a UploadPart),
    /// The service does not know the batch yet (an add answered `404` within the
    /// grace): sleep this long, then send the same part again.
    Retry {
        /// How long to sleep first.
        after: Duration,
    },
    /// The upload ends with this error: the first part's own error when no part was
    /// accepted, else [`Error::UploadIncomplete`] naming the accepted parts and the
    /// devices not sent.
    Fail(Error),
}

/// The sending of an upload's parts as a pure state machine: the clock is given to
/// each step, so every branch is tested without waiting.
///
/// A driver asks for the [`next_part`](Self::next_part), sends it (a [`PlannedPart`]
/// is an [`Operation`]), and hands the answer to [`after_send`](Self::after_send),
/// which says what to do next ([`UploadStep`]):
///
/// - an accepted part is recorded, and the next part follows;
/// - an add-devices part answered `404` while [`UploadOptions::not_found_grace`] lasts,
///   counted from the upload's first add (the service may not know a batch just
///   created), is sent again after [`UploadOptions::retry_interval`] (at least
///   100 ms); a `404` to the part that creates the batch is not;
/// - any other failure ends the upload: with the part's own error when it was the
///   first, else with [`Error::UploadIncomplete`]. An interrupted part (the
///   pipeline's [`pc_http::Interrupt`] was set) is such a failure, never tried again,
///   even within the grace; [`Error::kind`] of the error that ends the upload, an
///   incomplete one included, is then
///   [`ErrorKind::Interrupted`](crate::ErrorKind::Interrupted).
///
/// When [`next_part`](Self::next_part) answers `None`, every part was accepted:
/// [`into_accepted`](Self::into_accepted) gives them, in order.
///
/// ```
/// use std::time::Instant;
/// use pc_devices::upload::{plan, UploadFlow, UploadStep, UploadTarget};
/// use pc_devices::{UploadAccepted, UploadOptions};
/// use pc_devices::models::{BatchId, Device, TrackingId, Uuid};
///
/// let options = UploadOptions { devices_per_request: 2, ..Default::default() };
/// let target = UploadTarget::NewBatch(BatchId::new("Lab A")?);
/// let customer = "47021739-3426-40bf-9601-61b4b6d7c793".parse()?;
/// let parts = plan(&customer, &target, vec![Device::default(); 3], &options)?;
/// let mut flow = UploadFlow::new(parts, &options);
/// let accepted = |n| Ok(UploadAccepted::new(TrackingId::from_uuid(Uuid::from_u128(n)), None));
/// let t0 = Instant::now();
/// assert_eq!(flow.next_part(t0).map(|part| part.devices()), Some(2));
/// assert!(matches!(flow.after_send(accepted(1), t0), UploadStep::Accepted(part) if part.devices == 2));
/// assert_eq!(flow.next_part(t0).map(|part| part.devices()), Some(1));
/// assert!(matches!(flow.after_send(accepted(2), t0), UploadStep::Accepted(_)));
/// assert!(flow.next_part(t0).is_none());
/// assert_eq!(flow.into_accepted().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UploadFlow {
    parts: Vec<PlannedPart>,
    /// The part being sent: the first not yet accepted.
    next: usize,
    accepted: Vec<UploadPart>,
    devices_not_sent: usize,
    not_found_grace: Duration,
    retry_interval: Duration,
    first_add: Option<Instant>,
    ended: bool,
}

impl UploadFlow {
    /// A flow sending `parts` (the output of [`plan`]) in order, as `options` say.
    pub fn new(parts: Vec<PlannedPart>, options: &UploadOptions) -> Self {
        Self {
            devices_not_sent: parts.iter().map(PlannedPart::devices).sum(),
            accepted: Vec::with_capacity(parts.len()),
            parts,
            next: 0,
            not_found_grace: options.not_found_grace,
            retry_interval: options.retry_interval.max(MIN_RETRY_INTERVAL),
            first_add: None,
            ended: false,
        }
    }

    /// The part to send at `now`: the first not yet accepted (the same one again after
    /// [`UploadStep::Retry`]); `None` when every part was accepted, or the upload
    /// failed. The first add-devices part asked for starts the not-found grace.
    pub fn next_part(&mut self, now: Instant) -> Option<&PlannedPart> {
        if self.ended {
            return None;
        }
        if matches!(self.parts.get(self.next), Some(PlannedPart::Add(_))) {
            self.first_add.get_or_insert(now);
        }
        self.parts.get(self.next)
    }

    /// After the part of [`next_part`](Self::next_part) was sent and `sent` came back
    /// at `now`: what the upload does next (see [`UploadFlow`] for the rules). Called
    /// with no part waiting for its answer (every part accepted, or the upload
    /// ended), it is [`UploadStep::Fail`] with [`Error::InvalidInput`].
    pub fn after_send(
        &mut self,
        sent: Result<UploadAccepted, Error>,
        now: Instant,
    ) -> UploadStep<'_> {
        let part = match self.parts.get(self.next) {
            Some(part) if !self.ended => part,
            _ => {
                return UploadStep::Fail(Error::invalid(
                    "upload answer",
                    "(no part sent)",
                    "every part of the upload was already answered",
                ));
            }
        };
        let devices = part.devices();
        let error = match sent {
            Ok(answer) => {
                self.next += 1;
                self.devices_not_sent = self.devices_not_sent.saturating_sub(devices);
                self.accepted.push(UploadPart::new(answer, devices));
                return UploadStep::Accepted(&self.accepted[self.accepted.len() - 1]);
            }
            Err(error) => error,
        };
        let not_known_yet = error.kind() != crate::ErrorKind::Interrupted
            && matches!(part, PlannedPart::Add(_))
            && error.status() == Some(http::StatusCode::NOT_FOUND)
            && now.saturating_duration_since(self.first_add.unwrap_or(now)) < self.not_found_grace;
        if not_known_yet {
            return UploadStep::Retry {
                after: self.retry_interval,
            };
        }
        self.ended = true;
        if self.accepted.is_empty() {
            return UploadStep::Fail(error);
        }
        UploadStep::Fail(Error::UploadIncomplete(Box::new(UploadIncomplete {
            accepted: std::mem::take(&mut self.accepted),
            devices_not_sent: self.devices_not_sent,
            error,
        })))
    }

    /// The parts accepted so far, in order.
    pub fn accepted(&self) -> &[UploadPart] {
        &self.accepted
    }

    /// How many devices were not sent yet: those of the parts not accepted.
    pub fn devices_not_sent(&self) -> usize {
        self.devices_not_sent
    }

    /// The accepted parts, in order: every part once [`next_part`](Self::next_part)
    /// answers `None` after a whole upload.
    pub fn into_accepted(self) -> Vec<UploadPart> {
        self.accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> CustomerId {
        "47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap()
    }

    fn devices(n: usize) -> Vec<Device> {
        (0..n)
            .map(|i| Device {
                serial_number: Some(format!("SN-{i}")),
                ..Device::default()
            })
            .collect()
    }

    fn serials(part: &PlannedPart) -> Vec<String> {
        let devices = match part {
            PlannedPart::Create(op) => op.request.devices.clone().unwrap_or_default(),
            PlannedPart::Add(op) => op.devices.clone(),
        };
        devices
            .into_iter()
            .map(|d| d.serial_number.unwrap_or_default())
            .collect()
    }

    #[test]
    fn parts_keep_file_order_and_only_a_new_batch_is_created() {
        let options = UploadOptions {
            devices_per_request: 2,
            ..Default::default()
        };
        let lab = BatchId::new("Lab").unwrap();
        let parts = plan(
            &customer(),
            &UploadTarget::NewBatch(lab.clone()),
            devices(5),
            &options,
        )
        .unwrap();
        assert_eq!(parts.len(), 3);
        assert!(matches!(parts[0], PlannedPart::Create(_)));
        assert!(parts[1..].iter().all(|p| matches!(p, PlannedPart::Add(_))));
        let all: Vec<String> = parts.iter().flat_map(serials).collect();
        assert_eq!(all, ["SN-0", "SN-1", "SN-2", "SN-3", "SN-4"]);
        let parts = plan(
            &customer(),
            &UploadTarget::ExistingBatch(lab),
            devices(5),
            &options,
        )
        .unwrap();
        assert!(parts.iter().all(|p| matches!(p, PlannedPart::Add(_))));
        assert_eq!(parts.iter().map(PlannedPart::devices).sum::<usize>(), 5);
    }

    #[test]
    fn bad_plans_are_refused_before_anything_is_sent() {
        let lab = UploadTarget::NewBatch(BatchId::new("Lab").unwrap());
        for size in [0, MAX_DEVICES_PER_REQUEST + 1] {
            let options = UploadOptions {
                devices_per_request: size,
                ..Default::default()
            };
            let error = plan(&customer(), &lab, devices(1), &options).unwrap_err();
            assert!(error.to_string().contains("from 1 to 10000"), "{error}");
        }
        let error = plan(&customer(), &lab, vec![], &UploadOptions::default()).unwrap_err();
        assert!(error.to_string().contains("no devices"), "{error}");
        let dots = UploadTarget::ExistingBatch(BatchId::new("..").unwrap());
        let error = plan(&customer(), &dots, devices(1), &UploadOptions::default()).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
    }

    fn answer(status: u16) -> Error {
        let response = http::Response::builder()
            .status(status)
            .body(Vec::new())
            .unwrap();
        let error = pc_http::ApiError::from_response(
            &response,
            pc_http::Diagnostics::default(),
            std::time::SystemTime::now(),
        );
        Error::Http(error.into())
    }

    fn accepted(n: u128) -> Result<UploadAccepted, Error> {
        let tracking = pc_models::TrackingId::from_uuid(pc_models::Uuid::from_u128(n));
        Ok(UploadAccepted::new(tracking, None))
    }

    /// A flow over `devices` devices in parts of `size`, to a new batch or an
    /// existing one.
    fn flow(
        new_batch: bool,
        devices_count: usize,
        size: usize,
        options: &UploadOptions,
    ) -> UploadFlow {
        let batch = BatchId::new("Lab").unwrap();
        let target = if new_batch {
            UploadTarget::NewBatch(batch)
        } else {
            UploadTarget::ExistingBatch(batch)
        };
        let options_with_size = UploadOptions {
            devices_per_request: size,
            ..options.clone()
        };
        let parts = plan(
            &customer(),
            &target,
            devices(devices_count),
            &options_with_size,
        )
        .unwrap();
        UploadFlow::new(parts, options)
    }

    /// What a step is, without its borrow: accepted (its devices), retry (after), or
    /// the error's text.
    fn step(step: UploadStep<'_>) -> Result<Option<usize>, String> {
        match step {
            UploadStep::Accepted(part) => Ok(Some(part.devices)),
            UploadStep::Retry { after } => {
                assert_eq!(after, Duration::from_secs(5));
                Ok(None)
            }
            UploadStep::Fail(error) => Err(error.to_string()),
        }
    }

    const RETRY: Result<Option<usize>, String> = Ok(None);

    #[test]
    fn each_part_is_sent_in_turn_and_the_accepted_parts_kept_in_order() {
        let t0 = Instant::now();
        let mut flow = flow(true, 5, 2, &UploadOptions::default());
        assert_eq!(flow.devices_not_sent(), 5);
        let mut sent = Vec::new();
        let mut n = 0;
        while let Some(part) = flow.next_part(t0) {
            sent.push((matches!(part, PlannedPart::Create(_)), part.devices()));
            n += 1;
            assert_eq!(
                step(flow.after_send(accepted(n), t0)),
                Ok(Some(sent[sent.len() - 1].1))
            );
        }
        assert_eq!(sent, [(true, 2), (false, 2), (false, 1)]);
        assert_eq!(flow.devices_not_sent(), 0);
        assert_eq!(flow.accepted().len(), 3);
        let parts = flow.into_accepted();
        let ids: Vec<u128> = parts
            .iter()
            .map(|part| part.tracking_id.as_uuid().as_u128())
            .collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(parts.iter().map(|part| part.devices).sum::<usize>(), 5);
    }

    #[test]
    fn an_add_answered_404_is_tried_again_until_the_grace_ends_exactly() {
        let t0 = Instant::now();
        let grace = DEFAULT_NOT_FOUND_GRACE;
        let options = UploadOptions::default();
        let mut flow = flow(false, 3, 3, &options);
        // The first add starts the grace.
        assert!(matches!(flow.next_part(t0), Some(PlannedPart::Add(_))));
        assert_eq!(step(flow.after_send(Err(answer(404)), t0)), RETRY);
        let almost = t0 + grace - Duration::from_millis(1);
        assert!(flow.next_part(almost).is_some());
        assert_eq!(step(flow.after_send(Err(answer(404)), almost)), RETRY);
        // At the grace's end exactly, the 404 is the upload's error: nothing was
        // accepted, so it is the part's own.
        assert!(flow.next_part(t0 + grace).is_some());
        let Err(error) = step(flow.after_send(Err(answer(404)), t0 + grace)) else {
            panic!("not a failure");
        };
        assert!(error.contains("404"), "{error}");
        assert!(!error.contains("the upload stopped"), "{error}");
        assert!(flow.next_part(t0 + grace).is_none());
    }

    #[test]
    fn the_grace_counts_from_the_uploads_first_add() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let mut flow = flow(true, 3, 1, &UploadOptions::default());
        assert!(flow.next_part(at(0)).is_some());
        assert_eq!(step(flow.after_send(accepted(1), at(0))), Ok(Some(1)));
        // The create does not start the grace; the first add does, at 10 s.
        assert!(flow.next_part(at(10)).is_some());
        assert_eq!(step(flow.after_send(Err(answer(404)), at(69))), RETRY);
        assert!(flow.next_part(at(69)).is_some());
        assert_eq!(step(flow.after_send(accepted(2), at(69))), Ok(Some(1)));
        // The next add, first sent at 69 s, is past the grace of the upload's first.
        assert!(flow.next_part(at(69)).is_some());
        let Err(error) = step(flow.after_send(Err(answer(404)), at(70))) else {
            panic!("not a failure");
        };
        assert!(
            error.starts_with("the upload stopped after 2 accepted part(s) holding 2 device(s)"),
            "{error}"
        );
    }

    #[test]
    fn a_404_to_the_create_or_another_error_is_not_tried_again() {
        let t0 = Instant::now();
        let mut create = flow(true, 2, 1, &UploadOptions::default());
        assert!(matches!(create.next_part(t0), Some(PlannedPart::Create(_))));
        let Err(error) = step(create.after_send(Err(answer(404)), t0)) else {
            panic!("not a failure");
        };
        assert!(error.contains("404"), "{error}");
        assert!(create.next_part(t0).is_none());
        for status in [400, 409, 500] {
            let mut add = flow(false, 2, 1, &UploadOptions::default());
            assert!(add.next_part(t0).is_some());
            assert!(
                step(add.after_send(Err(answer(status)), t0)).is_err(),
                "{status}"
            );
        }
    }

    #[test]
    fn an_upload_that_stops_half_way_names_what_was_sent_and_what_was_not() {
        let t0 = Instant::now();
        let mut flow = flow(true, 7, 2, &UploadOptions::default());
        for n in 1..=2 {
            assert!(flow.next_part(t0).is_some());
            assert!(matches!(
                flow.after_send(accepted(n), t0),
                UploadStep::Accepted(_)
            ));
        }
        assert_eq!(flow.devices_not_sent(), 3);
        assert!(flow.next_part(t0).is_some());
        let UploadStep::Fail(Error::UploadIncomplete(incomplete)) =
            flow.after_send(Err(answer(500)), t0)
        else {
            panic!("not an incomplete upload");
        };
        let ids: Vec<u128> = incomplete
            .accepted
            .iter()
            .map(|part| part.tracking_id.as_uuid().as_u128())
            .collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(incomplete.devices_not_sent, 3);
        assert_eq!(
            incomplete.error.status(),
            Some(http::StatusCode::INTERNAL_SERVER_ERROR)
        );
        // The upload has ended: nothing more to send, and no answer is awaited.
        assert!(flow.next_part(t0).is_none());
        assert!(flow.accepted().is_empty());
        let UploadStep::Fail(late) = flow.after_send(accepted(9), t0) else {
            panic!("an answer after the end was taken");
        };
        assert_eq!(late.kind(), crate::ErrorKind::InvalidInput);
    }

    use crate::error::tests::interrupted;

    #[test]
    fn an_interrupted_part_ends_the_upload_naming_the_accepted_ones() {
        let t0 = Instant::now();
        // The first part interrupted: the upload's error is the interruption itself.
        let mut first = flow(false, 2, 1, &UploadOptions::default());
        assert!(first.next_part(t0).is_some());
        let UploadStep::Fail(error) = first.after_send(Err(interrupted()), t0) else {
            panic!("not a failure");
        };
        assert_eq!(error.kind(), crate::ErrorKind::Interrupted);
        assert!(!matches!(error, Error::UploadIncomplete(_)));
        assert!(first.next_part(t0).is_none());
        // After accepted parts: incomplete, naming them, of the class of the interruption;
        // an add within the not-found grace is not tried again.
        let mut flow = flow(true, 5, 2, &UploadOptions::default());
        assert!(flow.next_part(t0).is_some());
        assert_eq!(step(flow.after_send(accepted(1), t0)), Ok(Some(2)));
        assert!(matches!(flow.next_part(t0), Some(PlannedPart::Add(_))));
        let UploadStep::Fail(error) = flow.after_send(Err(interrupted()), t0) else {
            panic!("not a failure");
        };
        assert_eq!(error.kind(), crate::ErrorKind::Interrupted);
        let Error::UploadIncomplete(incomplete) = &error else {
            panic!("not an incomplete upload: {error}");
        };
        assert_eq!(incomplete.accepted.len(), 1);
        assert_eq!(incomplete.accepted[0].tracking_id.as_uuid().as_u128(), 1);
        assert_eq!(incomplete.devices_not_sent, 3);
        assert!(flow.next_part(t0).is_none());
    }

    #[test]
    fn the_retry_interval_is_at_least_100_ms() {
        let t0 = Instant::now();
        for (asked, slept) in [
            (Duration::ZERO, Duration::from_millis(100)),
            (Duration::from_millis(99), Duration::from_millis(100)),
            (Duration::from_secs(2), Duration::from_secs(2)),
        ] {
            let options = UploadOptions {
                retry_interval: asked,
                ..Default::default()
            };
            let mut flow = flow(false, 1, 1, &options);
            assert!(flow.next_part(t0).is_some());
            let UploadStep::Retry { after } = flow.after_send(Err(answer(404)), t0) else {
                panic!("not a retry");
            };
            assert_eq!(after, slept, "{asked:?}");
        }
        // No grace at all: a 404 is the upload's error at once.
        let options = UploadOptions {
            not_found_grace: Duration::ZERO,
            ..Default::default()
        };
        let mut flow = flow(false, 1, 1, &options);
        assert!(flow.next_part(t0).is_some());
        assert!(step(flow.after_send(Err(answer(404)), t0)).is_err());
    }

    #[test]
    fn a_planned_part_sends_the_request_of_its_operation() {
        let target = UploadTarget::NewBatch(BatchId::new("Lab A").unwrap());
        let options = UploadOptions {
            devices_per_request: 2,
            ..Default::default()
        };
        let parts = plan(&customer(), &target, devices(3), &options).unwrap();
        for part in &parts {
            let planned = part.to_request().unwrap();
            let own = match part {
                PlannedPart::Create(op) => op.to_request().unwrap(),
                PlannedPart::Add(op) => op.to_request().unwrap(),
            };
            assert_eq!(planned.method(), own.method());
            assert_eq!(planned.uri(), own.uri());
            assert_eq!(planned.headers(), own.headers());
            assert_eq!(planned.body(), own.body());
        }
        assert_eq!(
            parts[1].to_request().unwrap().uri(),
            "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches/Lab%20A/devices"
        );
        let response = http::Response::builder()
            .status(202)
            .header(
                "Location",
                "/customers/c/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932",
            )
            .body(Vec::new())
            .unwrap();
        let answer = parts[0].parse_response(response).unwrap();
        assert_eq!(
            answer.tracking_id.to_string(),
            "0127ed8e-ff72-4983-a3d8-e8d8bd378932"
        );
    }
}
