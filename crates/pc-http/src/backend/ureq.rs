//! The blocking backend over ureq 3.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use super::{admit, io_kind, too_large};
use crate::proxy::ProxyPlan;
use crate::{ClientOptions, Error, HttpTransport, TransportError, TransportErrorKind, tls};

/// The blocking transport: ureq with the shared rustls trust (ring, web PKI roots plus
/// the extra roots), statuses as data, one timeout per attempt, a capped body.
///
/// ```no_run
/// use pc_http::{ClientOptions, HttpTransport, UreqTransport};
///
/// let transport = UreqTransport::new(&ClientOptions::default())?;
/// let request = http::Request::get("https://api.partnercenter.microsoft.com/").body(Vec::new()).unwrap();
/// let response = transport.send(request);
/// # Ok::<(), pc_http::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransport {
    direct: ureq::Agent,
    proxied: Option<ureq::Agent>,
    plan: ProxyPlan,
    timeout: Duration,
    max_body_bytes: u64,
}

fn agent(tls_config: &TlsConfig, timeout: Duration, proxy: Option<ureq::Proxy>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(timeout))
        .tls_config(tls_config.clone())
        .proxy(proxy)
        .build()
        .new_agent()
}

impl UreqTransport {
    /// Builds the transport from the options' timeout, body cap, extra roots and proxy.
    pub fn new(options: &ClientOptions) -> Result<Self, Error> {
        // Fail on an unusable extra root now, not at the first handshake.
        tls::client_config(&options.extra_root_certificates)?;
        let roots: Vec<Certificate<'static>> =
            tls::root_certificates(&options.extra_root_certificates)
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                .collect();
        let tls_config = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(tls::crypto_provider())
            .build();
        let plan = ProxyPlan::new(&options.proxy)?;
        let proxied = match &plan.url {
            None => None,
            Some(url) => {
                let proxy = ureq::Proxy::new(url.expose())
                    .map_err(|_| Error::config("the proxy URL is not usable"))?;
                Some(agent(&tls_config, options.timeout, Some(proxy)))
            }
        };
        Ok(Self {
            direct: agent(&tls_config, options.timeout, None),
            proxied,
            plan,
            timeout: options.timeout,
            max_body_bytes: options.max_body_bytes,
        })
    }
}

fn map_error(error: ureq::Error, reading_body: bool) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &error {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
        ureq::Error::ConnectProxyFailed(_) => K::Connect,
        ureq::Error::Io(io) => io_kind(io, reading_body),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => K::Tls,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
            K::InvalidRequest
        }
        ureq::Error::Protocol(_) if reading_body => K::Truncated,
        _ => K::Other,
    };
    TransportError::new(kind, error.to_string()).with_source(error)
}

impl HttpTransport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = admit(&request, self.timeout)?;
        let agent = match (&self.proxied, self.plan.proxy_for(request.uri())) {
            (Some(proxied), Some(_)) => proxied,
            _ => &self.direct,
        };
        let request = agent
            .configure_request(request)
            .timeout_global(Some(timeout))
            .build();
        let response = agent.run(request).map_err(|e| map_error(e, false))?;
        let (parts, mut body) = response.into_parts();
        let announced = body.content_length();
        if announced.is_some_and(|len| len > self.max_body_bytes) {
            return Err(too_large(self.max_body_bytes));
        }
        // Room for the announced length (within the cap), so that a large body is read
        // in place instead of being copied each time a growing buffer doubles. A length
        // the server does not send costs address space only: pages are touched as bytes
        // arrive.
        let mut bytes = Vec::with_capacity(announced.unwrap_or(0) as usize);
        body.with_config()
            .limit(self.max_body_bytes)
            .reader()
            .read_to_end(&mut bytes)
            .map_err(|e| match ureq::Error::from(e) {
                ureq::Error::BodyExceedsLimit(_) => too_large(self.max_body_bytes),
                other => map_error(other, true),
            })?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}
