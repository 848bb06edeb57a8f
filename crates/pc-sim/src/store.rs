//! The simulated service's state and every operation on it. Handlers are plain
//! synchronous functions over the store, run under one lock, so a request and its
//! `MS-RequestId` bookkeeping are atomic: concurrent duplicates cannot both create.

use crate::answer::{Answer, codes};
use crate::config::SimConfig;
use crate::json::parse_body;
use crate::quirks::{self, Paging};
use crate::route::{Operation, Route};
use crate::rules;
use crate::strict;
use crate::tokens::Tokens;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use pc_models::{
    Attributes, BatchId, BatchUploadDetails, Collection, ConfigurationPolicy, CustomerId, Device,
    DeviceBatch, DeviceBatchCreationRequest, DeviceId, DevicePolicyUpdateRequest,
    DeviceUploadDetails, ErrorCode, KeyValuePair, Link, Links, PolicyCategory, PolicyId, Timestamp,
    TrackingId, UploadStatus, UtcDateTime, ZtdError,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

/// The request header carrying the idempotency key.
pub(crate) const REQUEST_ID: &str = "ms-requestid";
/// The request header carrying a continuation token.
pub(crate) const CONTINUATION_TOKEN: &str = "ms-continuationtoken";

/// One request, as a handler sees it.
pub(crate) struct Call<'a> {
    pub(crate) route: &'a Route,
    pub(crate) headers: &'a HeaderMap,
    /// The query string, without `?`.
    pub(crate) query: Option<&'a str>,
    pub(crate) body: &'a [u8],
    pub(crate) now: Duration,
}

/// Everything the simulated service holds.
#[derive(Debug)]
pub(crate) struct Store {
    rng: StdRng,
    customers: HashMap<CustomerId, Customer>,
    /// Who registered each device identity, for 808 across customers.
    owners: HashMap<String, CustomerId>,
    device_ids: HashSet<String>,
    batches: usize,
    devices: usize,
    jobs: usize,
    replies: Replies,
    pub(crate) tokens: Tokens,
}

#[derive(Debug, Default)]
struct Customer {
    batches: Vec<Batch>,
    /// Device id → index of its batch.
    device_index: HashMap<String, usize>,
    /// The identities of the devices registered to this customer.
    identities: HashSet<String>,
    jobs: HashMap<TrackingId, Job>,
    policies: Vec<ConfigurationPolicy>,
    uploaded: usize,
}

#[derive(Debug)]
struct Batch {
    id: String,
    created: Duration,
    devices: Vec<StoredDevice>,
    last_job: Option<TrackingId>,
}

#[derive(Debug)]
struct StoredDevice {
    device: Device,
    identity: String,
    /// When its upload job finishes: listed from then on.
    visible_at: Duration,
}

#[derive(Debug)]
struct Job {
    created: Duration,
    devices: Vec<Outcome>,
}

#[derive(Debug)]
struct Outcome {
    serial_number: Option<String>,
    product_key: Option<String>,
    device_id: Option<String>,
    error: Option<(String, String)>,
}

/// The phase of a job at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    Processing,
    Done,
}

/// A request body's fingerprint, to tell a repeated request from another one that
/// reuses its `MS-RequestId`.
fn fingerprint(body: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// Answers kept per `MS-RequestId` (with the fingerprint of the body that got them),
/// the oldest forgotten first.
#[derive(Debug, Default)]
struct Replies {
    answers: HashMap<(Route, String), (u64, Answer)>,
    order: VecDeque<(Route, String)>,
}

impl Replies {
    fn get(&self, key: &(Route, String)) -> Option<&(u64, Answer)> {
        self.answers.get(key)
    }

    fn keep(&mut self, key: (Route, String), answer: (u64, Answer), capacity: usize) {
        if capacity == 0 {
            return;
        }
        while self.order.len() >= capacity {
            if let Some(old) = self.order.pop_front() {
                self.answers.remove(&old);
            }
        }
        self.order.push_back(key.clone());
        self.answers.insert(key, answer);
    }
}

/// A timestamp as the simulator writes them: UTC with a `Z`, to the millisecond.
pub(crate) fn timestamp(at: Duration) -> Timestamp {
    let seconds = i64::try_from(at.as_secs()).unwrap_or(i64::MAX);
    let nanos = at.subsec_millis() * 1_000_000;
    UtcDateTime::from_unix(seconds, nanos)
        .map(Timestamp::from)
        .unwrap_or_else(|| Timestamp::new("1970-01-01T00:00:00Z"))
}

fn phase(config: &SimConfig, created: Duration, now: Duration) -> Phase {
    let elapsed = now.saturating_sub(created);
    if elapsed < config.queue_time {
        Phase::Queued
    } else if elapsed < config.queue_time + config.process_time {
        Phase::Processing
    } else {
        Phase::Done
    }
}

fn finish_time(config: &SimConfig, created: Duration) -> Duration {
    created + config.queue_time + config.process_time
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

fn customer_id(text: &str) -> Result<CustomerId, Answer> {
    text.parse::<CustomerId>()
        .map_err(|error| Answer::bad_request(error.to_string()))
}

/// One listed collection: which one (for its continuation tokens), how it pages, and
/// the `uri` of its `links.next`.
struct Listing {
    /// Names the collection inside its tokens, e.g. `devices/{cid}/{batch}`.
    key: String,
    paging: Paging,
    /// As the service writes it: relative, no `/v1`, a batch name unencoded, and the
    /// `?seekOperation=Next` query.
    next_uri: String,
}

impl Listing {
    fn new(config: &SimConfig, operation: Operation, key: String, path: String) -> Self {
        Self {
            key,
            paging: quirks::paging(config, operation),
            next_uri: format!("{path}?seekOperation=Next"),
        }
    }

    /// A token for the page at `offset` of this collection: `offset:N@key`, base64.
    fn token(&self, offset: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("offset:{offset}@{}", self.key))
    }

    /// Where the asked-for page starts: 0 without a token. A token that is not one of
    /// the simulator's is refused; in strict mode so is a token of another collection,
    /// and a next page asked for without the query of the `links.next` sent with it.
    fn offset(&self, config: &SimConfig, call: &Call<'_>) -> Result<usize, Answer> {
        let Some(token) = header(call.headers, CONTINUATION_TOKEN) else {
            return Ok(0);
        };
        let text = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        let (offset, key) = match text.strip_prefix("offset:") {
            Some(rest) => rest
                .split_once('@')
                .map_or((rest, None), |(n, k)| (n, Some(k))),
            None => ("", None),
        };
        let offset = offset
            .parse::<usize>()
            .map_err(|_| Answer::bad_request(format!("invalid continuation token {token:?}")))?;
        if config.strict {
            if key != Some(self.key.as_str()) {
                return Err(Answer::bad_request(format!(
                    "the continuation token {token:?} was not issued for this collection"
                )));
            }
            if self.paging.link && !strict::has_seek_next(call.query) {
                return Err(Answer::bad_request(
                    "a next page is asked for with the query of links.next: ?seekOperation=Next",
                ));
            }
        }
        Ok(offset)
    }

    /// One page of `items` from `offset`, with `continuationToken` and `links.next`
    /// (as [`Paging`] says) when more follow. `totalCount` counts the items of this
    /// page.
    fn page<T>(&self, items: Vec<T>, offset: usize, more: bool) -> Collection<T> {
        let next = more.then(|| self.token(offset + items.len()));
        Collection {
            total_count: Some(items.len() as u64),
            links: Some(Links {
                next: next
                    .as_ref()
                    .filter(|_| self.paging.link)
                    .map(|token| Link {
                        uri: Some(self.next_uri.clone()),
                        method: Some("GET".to_owned()),
                        headers: Some(vec![KeyValuePair::new("MS-ContinuationToken", token)]),
                        ..Default::default()
                    }),
                ..Default::default()
            }),
            items: Some(items),
            continuation_token: next.filter(|_| self.paging.token),
            attributes: Some(Attributes::of("Collection")),
            ..Default::default()
        }
    }
}

fn link(uri: String) -> Link {
    Link {
        uri: Some(uri),
        method: Some("GET".to_owned()),
        headers: Some(Vec::new()),
        ..Default::default()
    }
}

impl Store {
    pub(crate) fn new(config: &SimConfig) -> Self {
        Self {
            rng: StdRng::seed_from_u64(config.seed),
            customers: HashMap::new(),
            owners: HashMap::new(),
            device_ids: HashSet::new(),
            batches: 0,
            devices: 0,
            jobs: 0,
            replies: Replies::default(),
            tokens: Tokens::new(),
        }
    }

    /// Serves one API call, replaying the kept answer when a mutation repeats an
    /// `MS-RequestId`. Returns the answer and whether it was replayed.
    pub(crate) fn serve(&mut self, config: &SimConfig, call: &Call<'_>) -> (Answer, bool) {
        let key = call
            .route
            .operation()
            .is_mutation()
            .then(|| header(call.headers, REQUEST_ID))
            .flatten()
            .map(|id| (call.route.clone(), id.to_ascii_lowercase()));
        let body = fingerprint(call.body);
        if let Some((first, answer)) = key.as_ref().and_then(|key| self.replies.get(key)) {
            if config.strict && *first != body {
                let answer = Answer::error(
                    StatusCode::CONFLICT,
                    codes::REQUEST_ID_REUSED,
                    "the MS-RequestId was already used on this route with another body: \
                     send a new MS-RequestId for each logical call",
                );
                return (answer, false);
            }
            return (answer.clone(), true);
        }
        let answer = self.handle(config, call).unwrap_or_else(|answer| answer);
        if let Some(key) = key {
            self.replies.keep(
                key,
                (body, answer.clone()),
                config.limits.max_idempotency_entries,
            );
        }
        (answer, false)
    }

    fn handle(&mut self, config: &SimConfig, call: &Call<'_>) -> Result<Answer, Answer> {
        let now = call.now;
        match call.route {
            Route::Token { .. } => Ok(self.tokens.grant(config, call.body, now)),
            Route::DeviceCode { .. } => Ok(self.tokens.start_device_code(config, call.body, now)),
            Route::BatchStatus { customer, tracking } => {
                let cid = customer_id(customer)?;
                let tid = tracking
                    .parse::<TrackingId>()
                    .map_err(|error| Answer::bad_request(error.to_string()))?;
                let job = self
                    .customers
                    .get(&cid)
                    .and_then(|customer| customer.jobs.get(&tid))
                    .ok_or_else(|| {
                        Answer::not_found(format!("no batch job {tid} for customer {cid}"))
                    })?;
                Ok(Answer::json(
                    StatusCode::OK,
                    &render_job(config, tid, job, now),
                ))
            }
            Route::CreateBatch { customer } => {
                let cid = customer_id(customer)?;
                let request: DeviceBatchCreationRequest =
                    parse_body(call.body, "a DeviceBatchCreationRequest")
                        .map_err(|error| Answer::bad_request(error.0))?;
                let batch_id = request
                    .batch_id
                    .as_ref()
                    .map(BatchId::as_str)
                    .filter(|id| !id.trim().is_empty())
                    .ok_or_else(|| Answer::bad_request("the request has no batchId"))?
                    .to_owned();
                let devices = request.devices.unwrap_or_default();
                if self
                    .customers
                    .get(&cid)
                    .is_some_and(|customer| customer.batches.iter().any(|b| b.id == batch_id))
                {
                    return Err(Answer::error(
                        StatusCode::CONFLICT,
                        codes::CONFLICT,
                        format!("the batch {batch_id:?} already exists"),
                    ));
                }
                self.check_upload_limits(config, cid, devices.len())?;
                let customer_batches = self.customers.get(&cid).map_or(0, |c| c.batches.len());
                if customer_batches >= config.limits.max_batches_per_customer {
                    return Err(Answer::limit(format!(
                        "a customer has at most {} batches in the simulator",
                        config.limits.max_batches_per_customer
                    )));
                }
                if self.batches >= config.limits.max_batches {
                    return Err(Answer::limit(format!(
                        "the simulator holds at most {} batches",
                        config.limits.max_batches
                    )));
                }
                self.batches += 1;
                self.customers.entry(cid).or_default().batches.push(Batch {
                    id: batch_id.clone(),
                    created: now,
                    devices: Vec::new(),
                    last_job: None,
                });
                Ok(self.upload(config, cid, &batch_id, devices, now))
            }
            Route::AddDevices { customer, batch } => {
                let cid = customer_id(customer)?;
                let devices: Vec<Device> = parse_body(call.body, "an array of Device")
                    .map_err(|error| Answer::bad_request(error.0))?;
                self.find_batch(cid, batch)?;
                self.check_upload_limits(config, cid, devices.len())?;
                Ok(self.upload(config, cid, batch, devices, now))
            }
            Route::ListBatches { customer } => {
                let cid = customer_id(customer)?;
                let listing = Listing::new(
                    config,
                    Operation::ListBatches,
                    format!("batches/{cid}"),
                    format!("/customers/{cid}/deviceBatches"),
                );
                let offset = listing.offset(config, call)?;
                let batches = self
                    .customers
                    .get(&cid)
                    .map(|customer| customer.batches.as_slice())
                    .unwrap_or_default();
                let items: Vec<DeviceBatch> = batches
                    .iter()
                    .skip(offset)
                    .take(config.page_size.max(1))
                    .map(|batch| render_batch(config, cid, batch, self.customers.get(&cid), now))
                    .collect();
                let more = offset + items.len() < batches.len();
                Ok(Answer::json(
                    StatusCode::OK,
                    &listing.page(items, offset, more),
                ))
            }
            Route::ListDevices { customer, batch } => {
                let cid = customer_id(customer)?;
                let index = self.find_batch(cid, batch)?;
                let stored = &self.customers[&cid].batches[index];
                // Informational, as the service writes it: no /v1, the name unencoded.
                let listing = Listing::new(
                    config,
                    Operation::ListDevices,
                    format!("devices/{cid}/{}", stored.id),
                    format!("/customers/{cid}/deviceBatches/{}/devices", stored.id),
                );
                let offset = listing.offset(config, call)?;
                let mut visible = stored.devices.iter().filter(|d| d.visible_at <= now);
                let items: Vec<Device> = visible
                    .by_ref()
                    .skip(offset)
                    .take(config.page_size.max(1))
                    .map(|d| d.device.clone())
                    .collect();
                let more = visible.next().is_some();
                Ok(Answer::json(
                    StatusCode::OK,
                    &listing.page(items, offset, more),
                ))
            }
            Route::DeleteDevice {
                customer,
                batch,
                device,
            } => {
                let cid = customer_id(customer)?;
                let index = self.find_batch(cid, batch)?;
                let not_found =
                    || Answer::not_found(format!("no device {device:?} in the batch {batch:?}"));
                let customer = self.customers.get_mut(&cid).ok_or_else(not_found)?;
                let stored = &mut customer.batches[index];
                let position = stored
                    .devices
                    .iter()
                    .position(|d| {
                        d.visible_at <= now
                            && d.device.id.as_ref().is_some_and(|id| id.as_str() == device)
                    })
                    .ok_or_else(not_found)?;
                let removed = stored.devices.remove(position);
                customer.device_index.remove(device.as_str());
                customer.identities.remove(&removed.identity);
                if self.owners.get(&removed.identity) == Some(&cid) {
                    self.owners.remove(&removed.identity);
                }
                self.device_ids.remove(device.as_str());
                Ok(Answer::empty(StatusCode::NO_CONTENT))
            }
            Route::UpdateDevicePolicies { customer } => {
                let cid = customer_id(customer)?;
                let request: DevicePolicyUpdateRequest =
                    parse_body(call.body, "a DevicePolicyUpdateRequest")
                        .map_err(|error| Answer::bad_request(error.0))?;
                let devices = request.devices.unwrap_or_default();
                self.check_upload_limits(config, cid, devices.len())?;
                Ok(self.update_policies(cid, devices, now))
            }
            Route::ListPolicies { customer } => {
                let cid = customer_id(customer)?;
                let listing = Listing::new(
                    config,
                    Operation::ListPolicies,
                    format!("policies/{cid}"),
                    format!("/customers/{cid}/policies"),
                );
                let offset = listing.offset(config, call)?;
                let customer = self.customers.get(&cid);
                let policies = customer.map_or(&[][..], |c| c.policies.as_slice());
                let items: Vec<ConfigurationPolicy> = customer
                    .map(|c| {
                        policies
                            .iter()
                            .skip(offset)
                            .take(config.page_size.max(1))
                            .map(|p| render_policy(c, p))
                            .collect()
                    })
                    .unwrap_or_default();
                let more = offset + items.len() < policies.len();
                Ok(Answer::json(
                    StatusCode::OK,
                    &listing.page(items, offset, more),
                ))
            }
            Route::GetPolicy { customer, policy } => {
                let cid = customer_id(customer)?;
                let customer = self.customers.get(&cid);
                let found = customer.and_then(|c| {
                    let p = c.policies.iter().find(|p| is_policy(p, policy))?;
                    Some(render_policy(c, p))
                });
                found
                    .map(|p| Answer::json(StatusCode::OK, &p))
                    .ok_or_else(|| Answer::not_found(format!("no policy {policy:?}")))
            }
            Route::CreatePolicy { customer } => {
                let cid = customer_id(customer)?;
                let mut policy: ConfigurationPolicy =
                    parse_body(call.body, "a ConfigurationPolicy")
                        .map_err(|error| Answer::bad_request(error.0))?;
                if policy
                    .name
                    .as_deref()
                    .is_none_or(|name| name.trim().is_empty())
                {
                    return Err(Answer::bad_request("the policy has no name"));
                }
                let count = self.customers.get(&cid).map_or(0, |c| c.policies.len());
                if count >= config.limits.max_policies_per_customer {
                    return Err(Answer::limit(format!(
                        "a customer has at most {} policies in the simulator",
                        config.limits.max_policies_per_customer
                    )));
                }
                let id = self.new_guid().to_string();
                policy.id = PolicyId::new(id).ok();
                policy
                    .category
                    .get_or_insert(PolicyCategory::OutOfBoxExperience);
                policy.policy_settings.get_or_insert_with(Vec::new);
                policy.devices_assigned = None;
                policy.devices_assigned_count = None;
                policy.created_date = Some(timestamp(now));
                policy.last_modified_date = Some(timestamp(now));
                policy.attributes = Some(Attributes::of("ConfigurationPolicy"));
                let customer = self.customers.entry(cid).or_default();
                let rendered = render_policy(customer, &policy);
                customer.policies.push(policy);
                Ok(Answer::json(StatusCode::OK, &rendered))
            }
            Route::UpdatePolicy { customer, policy } => {
                let cid = customer_id(customer)?;
                let update: ConfigurationPolicy = parse_body(call.body, "a ConfigurationPolicy")
                    .map_err(|error| Answer::bad_request(error.0))?;
                let not_found = || Answer::not_found(format!("no policy {policy:?}"));
                let customer = self.customers.get_mut(&cid).ok_or_else(not_found)?;
                let stored = customer
                    .policies
                    .iter_mut()
                    .find(|p| is_policy(p, policy))
                    .ok_or_else(not_found)?;
                if let Some(name) = update.name {
                    stored.name = Some(name);
                }
                if let Some(description) = update.description {
                    stored.description = Some(description);
                }
                if let Some(category) = update.category {
                    stored.category = Some(category);
                }
                if let Some(settings) = update.policy_settings {
                    stored.policy_settings = Some(settings);
                }
                stored.last_modified_date = Some(timestamp(now));
                let stored = stored.clone();
                Ok(Answer::json(
                    StatusCode::OK,
                    &render_policy(customer, &stored),
                ))
            }
            Route::DeletePolicy { customer, policy } => {
                let cid = customer_id(customer)?;
                let not_found = || Answer::not_found(format!("no policy {policy:?}"));
                let customer = self.customers.get_mut(&cid).ok_or_else(not_found)?;
                let position = customer
                    .policies
                    .iter()
                    .position(|p| is_policy(p, policy))
                    .ok_or_else(not_found)?;
                customer.policies.remove(position);
                Ok(Answer::empty(StatusCode::NO_CONTENT))
            }
        }
    }

    fn find_batch(&self, cid: CustomerId, batch: &str) -> Result<usize, Answer> {
        self.customers
            .get(&cid)
            .and_then(|customer| customer.batches.iter().position(|b| b.id == batch))
            .ok_or_else(|| Answer::not_found(format!("no batch {batch:?} for customer {cid}")))
    }

    fn check_upload_limits(
        &self,
        config: &SimConfig,
        cid: CustomerId,
        count: usize,
    ) -> Result<(), Answer> {
        let limits = &config.limits;
        let uploaded = self.customers.get(&cid).map_or(0, |c| c.uploaded);
        if count > limits.max_devices_per_upload {
            Err(Answer::limit(format!(
                "an upload holds at most {} devices; this one holds {count}",
                limits.max_devices_per_upload
            )))
        } else if self.jobs >= limits.max_jobs {
            Err(Answer::limit(format!(
                "the simulator holds at most {} batch jobs",
                limits.max_jobs
            )))
        } else if uploaded + count > limits.max_devices_per_customer {
            Err(Answer::limit(format!(
                "a customer uploads at most {} devices to the simulator; {uploaded} so far",
                limits.max_devices_per_customer
            )))
        } else if self.devices + count > limits.max_devices {
            Err(Answer::limit(format!(
                "the simulator holds at most {} devices; {} so far",
                limits.max_devices, self.devices
            )))
        } else {
            Ok(())
        }
    }

    fn new_guid(&mut self) -> pc_models::Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }

    fn new_device_id(&mut self) -> String {
        loop {
            let mut group = || self.rng.random_range(0..10_000u32);
            let id = format!(
                "{:04}-{:04}-{:04}-{:04}-{:04}-{:04}-{:02}",
                group(),
                group(),
                group(),
                group(),
                group(),
                group(),
                group() % 100
            );
            if self.device_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn new_job(&mut self, cid: CustomerId, job: Job) -> TrackingId {
        let tid = loop {
            let tid = TrackingId::from_uuid(self.new_guid());
            if !self.customers.values().any(|c| c.jobs.contains_key(&tid)) {
                break tid;
            }
        };
        self.jobs += 1;
        self.customers.entry(cid).or_default().jobs.insert(tid, job);
        tid
    }

    /// Decides every device of an upload, registers the accepted ones in the batch
    /// (listed once the job finishes) and answers 202 with the job's `Location`.
    fn upload(
        &mut self,
        config: &SimConfig,
        cid: CustomerId,
        batch: &str,
        devices: Vec<Device>,
        now: Duration,
    ) -> Answer {
        let visible_at = finish_time(config, now);
        let mut seen = HashSet::new();
        let mut outcomes = Vec::with_capacity(devices.len());
        let mut accepted = Vec::new();
        for mut device in devices {
            let verdict = rules::check_identifiers(&device).and_then(|()| {
                let identity = rules::identity(&device);
                let registered_here = self
                    .customers
                    .get(&cid)
                    .is_some_and(|c| c.identities.contains(&identity));
                let other_owner = config.cross_tenant_conflicts
                    && self
                        .owners
                        .get(&identity)
                        .is_some_and(|owner| *owner != cid);
                if !seen.insert(identity.clone()) {
                    Err(ZtdError::DeviceDuplicated)
                } else if rules::is_other_tenants(
                    &device,
                    &config.other_tenant_prefix,
                    &config.other_tenant_serials,
                ) || other_owner
                {
                    Err(ZtdError::DeviceAssignedToOtherTenant)
                } else if registered_here {
                    Err(ZtdError::DeviceAlreadyAssigned)
                } else {
                    Ok(identity)
                }
            });
            let mut outcome = Outcome {
                serial_number: device.serial_number.clone(),
                product_key: device.product_key.clone(),
                device_id: None,
                error: None,
            };
            match verdict {
                Ok(identity) => {
                    let id = self.new_device_id();
                    outcome.device_id = Some(id.clone());
                    device.id = DeviceId::new(id).ok();
                    device.policies.get_or_insert_with(Vec::new);
                    device.created_by = Some(config.created_by.clone());
                    device.uploaded_date = Some(timestamp(now));
                    device.allowed_operations =
                        Some(["GET", "DELETE", "PATCH"].map(str::to_owned).to_vec());
                    device.attributes = Some(Attributes::of("Device"));
                    accepted.push(StoredDevice {
                        device,
                        identity,
                        visible_at,
                    });
                }
                Err(error) => {
                    let code = error
                        .code()
                        .map_or_else(|| error.name().to_owned(), |code| code.to_string());
                    outcome.error = Some((code, error.name().to_owned()));
                }
            }
            outcomes.push(outcome);
        }
        let count = outcomes.len();
        let tid = self.new_job(
            cid,
            Job {
                created: now,
                devices: outcomes,
            },
        );
        self.devices += count;
        let customer = self.customers.entry(cid).or_default();
        customer.uploaded += count;
        if let Some(index) = customer.batches.iter().position(|b| b.id == batch) {
            for mut stored in accepted {
                let uri = format!(
                    "/customers/{cid}/deviceBatches/{batch}/devices/{}",
                    stored.device.id.as_ref().map_or("", DeviceId::as_str)
                );
                stored.device.links = Some(Links {
                    self_link: Some(link(uri)),
                    ..Default::default()
                });
                if let Some(id) = &stored.device.id {
                    customer.device_index.insert(id.as_str().to_owned(), index);
                }
                customer.identities.insert(stored.identity.clone());
                self.owners.insert(stored.identity.clone(), cid);
                customer.batches[index].devices.push(stored);
            }
            customer.batches[index].last_job = Some(tid);
        }
        Answer::accepted(&format!("/customers/{cid}/batchJobStatus/{tid}"))
    }

    /// Applies each device's policies (now, though the job reports them processed on
    /// the usual schedule) and answers 202 with the job's `Location`.
    fn update_policies(&mut self, cid: CustomerId, devices: Vec<Device>, now: Duration) -> Answer {
        let mut outcomes = Vec::with_capacity(devices.len());
        let customer = self.customers.entry(cid).or_default();
        for device in devices {
            let id = device.id.as_ref().map(DeviceId::as_str).unwrap_or_default();
            let mut outcome = Outcome {
                serial_number: device.serial_number.clone(),
                product_key: device.product_key.clone(),
                device_id: (!id.is_empty()).then(|| id.to_owned()),
                error: None,
            };
            let stored = customer.device_index.get(id).and_then(|index| {
                customer.batches[*index].devices.iter_mut().find(|d| {
                    d.visible_at <= now && d.device.id.as_ref().is_some_and(|d| d.as_str() == id)
                })
            });
            let policies = device.policies.unwrap_or_default();
            let unknown_policy = policies.iter().any(|pair| {
                !customer.policies.iter().any(|p| {
                    pair.value
                        .as_deref()
                        .is_some_and(|value| is_policy(p, value))
                })
            });
            let error = match stored {
                _ if id.is_empty() => Some(ZtdError::InvalidRequestBody),
                None => Some(ZtdError::DeviceNotFound),
                Some(_) if unknown_policy => Some(ZtdError::ProfileIsNotRegistered),
                Some(stored) => {
                    outcome.serial_number = stored.device.serial_number.clone();
                    outcome.product_key = stored.device.product_key.clone();
                    stored.device.policies = Some(policies);
                    None
                }
            };
            outcome.error = error.map(|error| {
                let code = error
                    .code()
                    .map_or_else(|| error.name().to_owned(), |code| code.to_string());
                (code, error.name().to_owned())
            });
            outcomes.push(outcome);
        }
        let count = outcomes.len();
        customer.uploaded += count;
        self.devices += count;
        let tid = self.new_job(
            cid,
            Job {
                created: now,
                devices: outcomes,
            },
        );
        Answer::accepted(&format!("/customers/{cid}/batchJobStatus/{tid}"))
    }
}

fn is_policy(policy: &ConfigurationPolicy, id: &str) -> bool {
    policy
        .id
        .as_ref()
        .is_some_and(|p| p.as_str().eq_ignore_ascii_case(id))
}

fn render_policy(customer: &Customer, policy: &ConfigurationPolicy) -> ConfigurationPolicy {
    let id = policy.id.as_ref().map(PolicyId::as_str).unwrap_or_default();
    let assigned = customer
        .batches
        .iter()
        .flat_map(|batch| &batch.devices)
        .filter(|stored| {
            stored.device.policies.as_ref().is_some_and(|pairs| {
                pairs.iter().any(|pair| {
                    pair.value
                        .as_deref()
                        .is_some_and(|v| v.eq_ignore_ascii_case(id))
                })
            })
        })
        .count();
    ConfigurationPolicy {
        devices_assigned: Some(assigned as u64),
        ..policy.clone()
    }
}

fn render_batch(
    config: &SimConfig,
    cid: CustomerId,
    batch: &Batch,
    customer: Option<&Customer>,
    now: Duration,
) -> DeviceBatch {
    let visible = batch.devices.iter().filter(|d| d.visible_at <= now).count();
    let status = batch
        .last_job
        .and_then(|tid| Some((tid, customer?.jobs.get(&tid)?)))
        .and_then(|(tid, job)| render_job(config, tid, job, now).status);
    DeviceBatch {
        id: BatchId::new(batch.id.clone()).ok(),
        created_by: Some(config.created_by.clone()),
        creation_date: Some(timestamp(batch.created)),
        devices_count: Some(visible as u64),
        // Informational, as the service writes it: no /v1, the name unencoded.
        devices_link: Some(link(format!(
            "/customers/{cid}/deviceBatches/{}/devices",
            batch.id
        ))),
        status,
        attributes: Some(Attributes::of("DeviceBatch")),
        ..Default::default()
    }
}

fn render_job(config: &SimConfig, tid: TrackingId, job: &Job, now: Duration) -> BatchUploadDetails {
    let phase = phase(config, job.created, now);
    let failed = job.devices.iter().any(|device| device.error.is_some());
    let status = match phase {
        Phase::Queued => UploadStatus::Queued,
        Phase::Processing => UploadStatus::Processing,
        Phase::Done if failed => UploadStatus::FinishedWithErrors,
        Phase::Done => UploadStatus::Finished,
    };
    let devices = job
        .devices
        .iter()
        .map(|device| {
            let done = phase == Phase::Done;
            let error = device.error.as_ref().filter(|_| done);
            DeviceUploadDetails {
                device_id: device
                    .device_id
                    .as_ref()
                    .filter(|_| done && error.is_none())
                    .and_then(|id| DeviceId::new(id.clone()).ok()),
                serial_number: device.serial_number.clone(),
                product_key: device.product_key.clone(),
                status: Some(match (phase, error) {
                    (Phase::Done, Some(_)) => UploadStatus::FinishedWithErrors,
                    (Phase::Done, None) => UploadStatus::Finished,
                    _ => status.clone(),
                }),
                error_code: error.map(|(code, _)| ErrorCode::new(code.clone())),
                error_description: error.map(|(_, name)| name.clone()),
                attributes: Some(Attributes::of("DeviceUploadDetails")),
                ..Default::default()
            }
        })
        .collect();
    BatchUploadDetails {
        batch_tracking_id: Some(tid),
        status: Some(status),
        started_time: (phase != Phase::Queued).then(|| {
            let at = job.created + config.queue_time;
            if config.quirks {
                quirks::started_time(at)
            } else {
                timestamp(at)
            }
        }),
        completed_time: (phase == Phase::Done).then(|| {
            let at = finish_time(config, job.created);
            if config.quirks {
                quirks::completed_time(at)
            } else {
                timestamp(at)
            }
        }),
        devices_status: Some(devices),
        attributes: Some(Attributes::of("BatchUploadDetails")),
        ..Default::default()
    }
}
