//! The async backend over reqwest 0.13 (tokio and hyper underneath).

use std::time::Duration;

use async_trait::async_trait;

use super::{admit, has_tls_cause, too_large};
use crate::proxy::ProxyPlan;
use crate::{AsyncHttpTransport, ClientOptions, Error, TransportError, TransportErrorKind, tls};

/// The async transport: reqwest with the shared rustls trust (the same
/// `rustls::ClientConfig` [`tls::client_config`] builds), statuses as data, one timeout
/// per attempt, a capped body. Needs a tokio runtime, as reqwest does.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    direct: reqwest::Client,
    proxied: Option<reqwest::Client>,
    plan: ProxyPlan,
    timeout: Duration,
    max_body_bytes: u64,
}

fn client(
    options: &ClientOptions,
    proxy: Option<reqwest::Proxy>,
) -> Result<reqwest::Client, Error> {
    let builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls::client_config(&options.extra_root_certificates)?)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .timeout(options.timeout);
    let builder = match proxy {
        Some(p) => builder.proxy(p),
        None => builder.no_proxy(),
    };
    builder
        .build()
        .map_err(|e| Error::config(format!("the HTTP client cannot be built: {e}")))
}

impl ReqwestTransport {
    /// Builds the transport from the options' timeout, body cap, extra roots and proxy.
    pub fn new(options: &ClientOptions) -> Result<Self, Error> {
        let plan = ProxyPlan::new(&options.proxy)?;
        let proxied = match &plan.url {
            None => None,
            Some(url) => {
                let proxy = reqwest::Proxy::all(url.expose())
                    .map_err(|_| Error::config("the proxy URL is not usable"))?;
                Some(client(options, Some(proxy))?)
            }
        };
        Ok(Self {
            direct: client(options, None)?,
            proxied,
            plan,
            timeout: options.timeout,
            max_body_bytes: options.max_body_bytes,
        })
    }
}

/// The most a response body buffer reserves before bytes arrive: 1 MiB.
const PREALLOCATE_MAX: u64 = 1024 * 1024;

fn map_error(error: reqwest::Error, reading_body: bool) -> TransportError {
    use TransportErrorKind as K;
    let kind = if error.is_timeout() {
        K::Timeout
    } else if has_tls_cause(&error) {
        K::Tls
    } else if error.is_connect() {
        K::Connect
    } else if error.is_builder() {
        K::InvalidRequest
    } else if reading_body || error.is_body() || error.is_decode() {
        K::Truncated
    } else if error.is_request() {
        K::Reset
    } else {
        K::Other
    };
    let message = describe(&error);
    TransportError::new(kind, message).with_source(error)
}

/// reqwest's own message (without the URL, which the diagnostics hold) plus its causes
/// ("error sending request: connection refused").
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    if let Some(url) = error.url() {
        message = message.replace(&format!(" for url ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[async_trait]
impl AsyncHttpTransport for ReqwestTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = admit(&request, self.timeout)?;
        let client = match (&self.proxied, self.plan.proxy_for(request.uri())) {
            (Some(proxied), Some(_)) => proxied,
            _ => &self.direct,
        };
        let mut request = reqwest::Request::try_from(request).map_err(|e| map_error(e, false))?;
        *request.timeout_mut() = Some(timeout);
        let mut response = client
            .execute(request)
            .await
            .map_err(|e| map_error(e, false))?;
        let announced = response.content_length();
        if announced.is_some_and(|len| len > self.max_body_bytes) {
            return Err(too_large(self.max_body_bytes));
        }
        // Room for the announced length, so that a body in many chunks is not copied as
        // the buffer grows; bounded, since the announcement is the server's word.
        let capacity = announced.unwrap_or(0).min(PREALLOCATE_MAX) as usize;
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = response.chunk().await.map_err(|e| map_error(e, true))? {
            if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                return Err(too_large(self.max_body_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        let mut out = http::Response::new(body);
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}
