//! How a pipeline behaves: [`ClientOptions`], plain data with documented defaults, and
//! the per-pipeline state built from them.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use rustls_pki_types::CertificateDer;

use crate::call::Core;
use crate::endpoint::Resolver;
use crate::proxy::ProxyOptions;
use crate::runtime::{OsJitter, SystemClock};
use crate::{BaseUrl, Error, RetryPolicy};

/// The default limit for one attempt, connect to last byte: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on a response body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// The default `User-Agent`: `pc/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("pc/", env!("CARGO_PKG_VERSION"));

/// A fresh GUID (a default `MS-CorrelationId`).
fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How a pipeline and its transport behave. Plain data with documented defaults;
/// override what you need:
///
/// ```
/// use std::time::Duration;
/// use pc_http::{ClientOptions, Cloud, RetryPolicy};
///
/// let options = ClientOptions {
///     base_url: Cloud::China.base_url(),
///     timeout: Duration::from_secs(10),
///     retry: RetryPolicy { max_retries: 5, ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(options.locale, "en-US");
/// ```
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Where API paths are resolved. Default: the global cloud.
    pub base_url: BaseUrl,
    /// Sent as `X-Locale`. Default `en-US`.
    pub locale: String,
    /// Sent as `MS-CorrelationId` on every request of the pipeline. Default: a new
    /// random GUID per pipeline.
    pub correlation_id: Option<String>,
    /// Sent as `User-Agent`. Default `pc/<version>`.
    pub user_agent: String,
    /// The limit for one attempt, connect to last byte (used by the backends). Default 30 s.
    pub timeout: Duration,
    /// The retry rules. Default: [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// The largest response body accepted (used by the backends). Default 64 MiB.
    pub max_body_bytes: u64,
    /// Root certificates trusted on top of the bundled web PKI roots (used by the
    /// backends); see [`crate::tls::load_pem_file`].
    pub extra_root_certificates: Vec<CertificateDer<'static>>,
    /// Which proxy the backends use. Default: from the environment.
    pub proxy: ProxyOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            base_url: BaseUrl::default(),
            locale: "en-US".to_owned(),
            correlation_id: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            extra_root_certificates: Vec::new(),
            proxy: ProxyOptions::default(),
        }
    }
}

pub(crate) fn header_value(what: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "the {what} {value:?} cannot be sent in an HTTP header"
        ))
    })
}

impl ClientOptions {
    pub(crate) fn core(&self) -> Result<Core, Error> {
        let correlation_id = match &self.correlation_id {
            Some(id) => id.clone(),
            None => new_guid(),
        };
        Ok(Core {
            base: Resolver::new(self.base_url.clone())?,
            locale: header_value("locale", &self.locale)?,
            user_agent: header_value("user agent", &self.user_agent)?,
            correlation_id: header_value("correlation id", &correlation_id)?,
            retry: self.retry.clone(),
            clock: Arc::new(SystemClock),
            jitter: Arc::new(OsJitter),
            authorization: Arc::default(),
            interrupt: crate::Interrupt::new(),
        })
    }
}
