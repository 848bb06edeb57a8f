//! How a simulator behaves: schedule, rules, tokens, faults and limits. Plain structs
//! with documented defaults; build them with `..Default::default()`.

use crate::clock::{Clock, SystemClock};
use crate::route::Operation;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Everything a simulator can be told. The defaults are those of `pc sim`, except
/// [`SimConfig::seed`] (fixed at 0 here, so tests are reproducible).
///
/// ```
/// use pc_sim::{FaultConfig, FaultKind, SimConfig};
/// use std::time::Duration;
/// let config = SimConfig {
///     seed: 7,
///     queue_time: Duration::ZERO,
///     faults: FaultConfig {
///         rate: 0.1,
///         kinds: vec![FaultKind::Throttle, FaultKind::Unavailable],
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// assert_eq!(config.process_time, Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds every random choice the simulator makes that a test may care about:
    /// tracking ids, device ids, policy ids and fault draws. Default 0. (Access tokens
    /// and `MS-CV` values are random whatever the seed.)
    pub seed: u64,
    /// How long a batch job stays `queued`. Default 300 ms.
    pub queue_time: Duration,
    /// How long a batch job then stays `processing` before it is `finished` or
    /// `finished_with_errors`. Default 1 s.
    pub process_time: Duration,
    /// Serial numbers starting with this prefix are registered to another tenant: 808.
    /// Default `OTHER-`; an empty prefix matches no serial number.
    pub other_tenant_prefix: String,
    /// More serial numbers registered to another tenant (808), matched exactly.
    pub other_tenant_serials: Vec<String>,
    /// When true (the default), a device one customer registered is reported as 808
    /// (`ZtdDeviceAssignedToOtherTenant`) when another customer uploads it.
    pub cross_tenant_conflicts: bool,
    /// When true (the default), the API accepts any bearer token; when false (`pc sim
    /// --strict-auth`), only access tokens this simulator issued and that have not
    /// expired, each refresh token is accepted once, and creating a batch with an
    /// app-only (client-credentials) token is refused with `403` (app+user only).
    pub accept_any_token: bool,
    /// How device-code sign-ins (`POST /{tenant}/oauth2/devicecode`) go.
    pub login: LoginConfig,
    /// How long an issued access token lives; `expires_in` says one second less.
    /// Default one hour (`"expires_in": "3599"`).
    pub token_lifetime: Duration,
    /// Items per page when listing batches and devices. Default 100, as the service.
    pub page_size: usize,
    /// Who is named in `createdBy`. Default `admin@simulator.invalid`.
    pub created_by: String,
    /// Injected faults. Default: none.
    pub faults: FaultConfig,
    /// Bounds on what the simulator keeps.
    pub limits: Limits,
    /// Whether requests are recorded in the request log. Default true; turn it off for
    /// benchmarks.
    pub log_requests: bool,
    /// Where the time comes from. Default [`SystemClock`]; tests inject a
    /// [`ManualClock`](crate::ManualClock).
    pub clock: Arc<dyn Clock>,
    /// Strict mode (`pc sim --strict`): refuse what the real service may refuse and a
    /// careful client never sends. An API request whose `Accept` lacks
    /// `application/json`, whose `MS-RequestId` or `MS-CorrelationId` is missing, empty
    /// or not a GUID, or whose body's `Content-Type` is not `application/json` gets
    /// `400`; so does a next page asked for without the `?seekOperation=Next` query of
    /// the simulator's own `links.next` (when it sent one), or with a continuation token
    /// of another collection; an `MS-RequestId` used again on the same route with
    /// another body gets `409` with [`codes::REQUEST_ID_REUSED`](crate::codes::REQUEST_ID_REUSED).
    /// `MS-Contract-Version` is not required. Default false.
    pub strict: bool,
    /// Quirks mode (`pc sim --quirks`): every answer carries, every time, the quirks
    /// the service's documentation shows (a byte-order mark before each JSON body,
    /// timestamps without an offset or with seven fractional digits and one, the other
    /// spellings of some fields, explicit `null`s, one paging style per collection, a
    /// `202` without `Location`, `429`s with an HTTP-date `Retry-After` or none, HTML
    /// `5xx` pages); see the crate documentation for the list. Composes with
    /// [`SimConfig::strict`]. Default false.
    pub quirks: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            queue_time: Duration::from_millis(300),
            process_time: Duration::from_secs(1),
            other_tenant_prefix: "OTHER-".to_owned(),
            other_tenant_serials: Vec::new(),
            cross_tenant_conflicts: true,
            accept_any_token: true,
            login: LoginConfig::default(),
            token_lifetime: Duration::from_secs(3600),
            page_size: 100,
            created_by: "admin@simulator.invalid".to_owned(),
            faults: FaultConfig::default(),
            limits: Limits::default(),
            log_requests: true,
            clock: Arc::new(SystemClock),
            strict: false,
            quirks: false,
        }
    }
}

/// Bounds on memory: beyond them the simulator answers a clear 4xx (413 for a body,
/// 400 for counts) with the service error body, rather than growing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes: 413 beyond. Default 16 MiB.
    pub max_body_bytes: usize,
    /// Most devices in one upload or policy update. Default 10 000.
    pub max_devices_per_upload: usize,
    /// Most devices uploaded for one customer, counted as uploaded (a deleted device
    /// still counts). Default 50 000.
    pub max_devices_per_customer: usize,
    /// Most devices uploaded in all. Default 200 000.
    pub max_devices: usize,
    /// Most batches of one customer. Default 1 000.
    pub max_batches_per_customer: usize,
    /// Most batches in all. Default 10 000.
    pub max_batches: usize,
    /// Most batch jobs (uploads and policy updates) in all. Default 20 000.
    pub max_jobs: usize,
    /// Most configuration policies of one customer. Default 100.
    pub max_policies_per_customer: usize,
    /// Most answers kept for repeated `MS-RequestId`s; the oldest is forgotten first.
    /// Default 10 000.
    pub max_idempotency_entries: usize,
    /// Most issued tokens remembered (access and refresh); the oldest is forgotten
    /// first. Default 10 000.
    pub max_tokens: usize,
    /// Most entries in the request log; the oldest is dropped first. Default 10 000.
    pub max_log_entries: usize,
    /// Most bytes of a request body kept in a log entry. Default 64 KiB.
    pub max_logged_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 << 20,
            max_devices_per_upload: 10_000,
            max_devices_per_customer: 50_000,
            max_devices: 200_000,
            max_batches_per_customer: 1_000,
            max_batches: 10_000,
            max_jobs: 20_000,
            max_policies_per_customer: 100,
            max_idempotency_entries: 10_000,
            max_tokens: 10_000,
            max_log_entries: 10_000,
            max_logged_body_bytes: 64 << 10,
        }
    }
}

/// A fault the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// `429` with `Retry-After` and the throttle body
    /// `{"statusCode":429,"message":"Rate limit is exceeded. Try again in N seconds."}`;
    /// the request is not processed.
    Throttle,
    /// `500` with the service error body; the request is not processed.
    InternalError,
    /// `503` with the service error body; the request is not processed.
    Unavailable,
    /// The request is processed, then the connection is closed without a response
    /// (a TCP reset).
    Reset,
    /// The request is processed, then the response is cut: its `Content-Length` is
    /// larger than the bytes sent before the connection is closed.
    Truncate,
    /// The request waits [`FaultConfig::latency`], then is served normally.
    Latency,
}

impl FaultKind {
    /// Every kind, in the order `pc sim --faults` lists them.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Throttle,
        FaultKind::InternalError,
        FaultKind::Unavailable,
        FaultKind::Reset,
        FaultKind::Truncate,
        FaultKind::Latency,
    ];

    /// The name `pc sim --faults` uses: `429`, `500`, `503`, `reset`, `truncate`,
    /// `latency`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "429",
            FaultKind::InternalError => "500",
            FaultKind::Unavailable => "503",
            FaultKind::Reset => "reset",
            FaultKind::Truncate => "truncate",
            FaultKind::Latency => "latency",
        }
    }

    /// Reads a comma-separated list such as `429,500,reset`.
    ///
    /// ```
    /// use pc_sim::FaultKind;
    /// assert_eq!(
    ///     FaultKind::parse_list("429, reset")?,
    ///     [FaultKind::Throttle, FaultKind::Reset]
    /// );
    /// assert!(FaultKind::parse_list("418").is_err());
    /// # Ok::<(), pc_sim::UnknownFault>(())
    /// ```
    pub fn parse_list(list: &str) -> Result<Vec<FaultKind>, UnknownFault> {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}: expected 429, 500, 503, reset, truncate or latency")]
pub struct UnknownFault(pub String);

impl FromStr for FaultKind {
    type Err = UnknownFault;

    /// Reads a [`FaultKind::name`], or `throttle` for 429.
    fn from_str(text: &str) -> Result<Self, UnknownFault> {
        match text.trim().to_ascii_lowercase().as_str() {
            "429" | "throttle" => Ok(FaultKind::Throttle),
            "500" => Ok(FaultKind::InternalError),
            "503" => Ok(FaultKind::Unavailable),
            "reset" => Ok(FaultKind::Reset),
            "truncate" => Ok(FaultKind::Truncate),
            "latency" => Ok(FaultKind::Latency),
            _ => Err(UnknownFault(text.to_owned())),
        }
    }
}

/// How often a request is faulted, and with what.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The probability (0 to 1) that a request gets a fault.
    pub rate: f64,
    /// The faults to pick from, each equally likely; none means no fault.
    pub kinds: Vec<FaultKind>,
}

/// How the simulator answers a device-code sign-in: `authorization_pending` for the
/// first polls, then a token, unless told to refuse or to ask for `slow_down` first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginConfig {
    /// Polls answered `authorization_pending` before the sign-in is approved (`pc sim
    /// --login-polls`). Default 2.
    pub pending_polls: u32,
    /// The `interval` the answer names. Default 1 second.
    pub interval: Duration,
    /// The `expires_in` of a device code; a poll after it is answered `expired_token`.
    /// Default 15 minutes.
    pub expires_in: Duration,
    /// Answer the first poll with `slow_down`. Default false.
    pub slow_down: bool,
    /// Refuse every sign-in with `access_denied` (the person declined). Default false.
    pub deny: bool,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            pending_polls: 2,
            interval: Duration::from_secs(1),
            expires_in: Duration::from_secs(15 * 60),
            slow_down: false,
            deny: false,
        }
    }
}

/// Fault injection: each request draws from a random generator seeded by
/// [`SimConfig::seed`], so a run with the same seed and the same order of requests
/// gets the same faults. Faults scripted at run time
/// ([`SimControl::fail_next`](crate::SimControl::fail_next)) come first.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// The probability (0 to 1) that a request gets a fault. Default 0.
    pub rate: f64,
    /// The faults to pick from. Default: every kind.
    pub kinds: Vec<FaultKind>,
    /// Rules for some operations, replacing `rate` and `kinds` for them.
    pub per_operation: BTreeMap<Operation, FaultRule>,
    /// The seconds sent in `Retry-After` (and the message) with a 429; 0 allowed.
    /// Default 1.
    pub retry_after_secs: u64,
    /// The delay of a [`FaultKind::Latency`] fault. Default 200 ms.
    pub latency: Duration,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            per_operation: BTreeMap::new(),
            retry_after_secs: 1,
            latency: Duration::from_millis(200),
        }
    }
}

impl FaultConfig {
    /// The rate and kinds that apply to `operation`.
    pub fn rule_for(&self, operation: Operation) -> (f64, &[FaultKind]) {
        match self.per_operation.get(&operation) {
            Some(rule) => (rule.rate, &rule.kinds),
            None => (self.rate, &self.kinds),
        }
    }
}
