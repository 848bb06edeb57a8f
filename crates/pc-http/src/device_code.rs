//! Signing a person in with the OAuth 2.0 device authorization grant: the service shows
//! a code, the person types it at a sign-in page on any device, and the program polls
//! the token endpoint until the sign-in is done, refused or expired.
//!
//! Sans-IO at heart: [`DeviceCodeGrant`] builds the two requests, [`DeviceAuthorization`]
//! reads the first answer, and [`DeviceCodeFlow`] is the pure state machine of the
//! polling (with the clock injected); [`DeviceCodeGrant::sign_in`] and
//! [`DeviceCodeGrant::sign_in_async`] are the thin loops that drive them through a
//! pipeline's [`TokenContext`](crate::TokenContext).

use std::fmt;
use std::time::{Duration, Instant};

use http::Uri;

use crate::auth::{form_body, form_request, oauth2_url, parse_token_response};
use crate::endpoint::PARTNER_CENTER_RESOURCE;
use crate::error::TokenEndpointError;
use crate::{AsyncTokenContext, Error, Secret, TokenContext, TokenResponse};

/// How much longer to wait between polls after a `slow_down`: 5 seconds.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The interval used when the service names none: 5 seconds.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// The lifetime of a device code when the service names none: 15 minutes.
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The longest lifetime of a device code believed: a day.
const MAX_CODE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The device authorization grant for a public (or confidential) app.
///
/// ```
/// use pc_http::{Cloud, DeviceCodeGrant};
///
/// let grant = DeviceCodeGrant::new(Cloud::Global.authority(), "contoso.onmicrosoft.com", "app-id", None)?;
/// let request = grant.start_request()?;
/// assert_eq!(request.uri(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/devicecode");
/// # Ok::<(), pc_http::Error>(())
/// ```
pub struct DeviceCodeGrant {
    devicecode_uri: Uri,
    token_uri: Uri,
    client_id: String,
    client_secret: Option<Secret>,
    resource: String,
}

impl fmt::Debug for DeviceCodeGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeGrant")
            .field("devicecode_url", &self.devicecode_uri.to_string())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeGrant {
    /// A sign-in for `tenant` at `authority` (plain http only to a loopback host);
    /// `client_secret` for a confidential app.
    pub fn new(
        authority: &str,
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: Option<Secret>,
    ) -> Result<Self, Error> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(Error::config("the client id is empty"));
        }
        Ok(Self {
            devicecode_uri: oauth2_url(authority, tenant, "devicecode")?,
            token_uri: oauth2_url(authority, tenant, "token")?,
            client_id,
            client_secret,
            resource: PARTNER_CENTER_RESOURCE.to_owned(),
        })
    }

    /// Signs in for another resource (default `https://api.partnercenter.microsoft.com`).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// The first request (pure): `POST {authority}/{tenant}/oauth2/devicecode` with
    /// `client_id` and `resource`.
    pub fn start_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let body = form_body(&[("client_id", &self.client_id), ("resource", &self.resource)]);
        form_request(&self.devicecode_uri, body)
    }

    /// A poll (pure): `POST {authority}/{tenant}/oauth2/token` with
    /// `grant_type=device_code`, the code, `client_id`, `resource`, and the client
    /// secret when there is one.
    pub fn poll_request(
        &self,
        authorization: &DeviceAuthorization,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let mut pairs = vec![
            ("grant_type", "device_code"),
            ("code", authorization.device_code.expose()),
            ("client_id", self.client_id.as_str()),
            ("resource", self.resource.as_str()),
        ];
        if let Some(secret) = &self.client_secret {
            pairs.push(("client_secret", secret.expose()));
        }
        form_request(&self.token_uri, form_body(&pairs))
    }

    /// Signs a person in: asks for a code, hands it to `show` (to tell the person where
    /// to go and what to type), then polls until the sign-in is done. The service's
    /// `interval` is respected, `slow_down` adds [`SLOW_DOWN_STEP`], and the code's
    /// `expires_in` bounds the whole wait. A refusal (`access_denied`), an expired
    /// code (`expired_token`, or the lifetime passed) or any other error answer is
    /// [`Error::TokenEndpoint`] with the endpoint's description. Once the pipeline's
    /// [`Interrupt`](crate::Interrupt) is set the sleep between polls ends and no poll
    /// more is sent: [`Error::Interrupted`].
    pub fn sign_in(
        &self,
        ctx: &TokenContext<'_>,
        show: impl FnOnce(&DeviceAuthorization),
    ) -> Result<TokenResponse, Error> {
        let authorization = DeviceAuthorization::from_response(&ctx.send(self.start_request()?)?)?;
        show(&authorization);
        let mut flow = DeviceCodeFlow::new(&authorization, ctx.now());
        loop {
            let after = flow.next_poll(ctx.now())?;
            ctx.sleep(after);
            let answer = ctx.send(self.poll_request(&authorization)?);
            if let Some(token) = flow.on_answer(answer, ctx.now())? {
                return Ok(token);
            }
        }
    }

    /// [`sign_in`](Self::sign_in) on an async pipeline.
    pub async fn sign_in_async(
        &self,
        ctx: &AsyncTokenContext<'_>,
        show: impl FnOnce(&DeviceAuthorization),
    ) -> Result<TokenResponse, Error> {
        let started = ctx.send(self.start_request()?).await?;
        let authorization = DeviceAuthorization::from_response(&started)?;
        show(&authorization);
        let mut flow = DeviceCodeFlow::new(&authorization, ctx.now());
        loop {
            let after = flow.next_poll(ctx.now())?;
            ctx.sleep(after).await;
            let answer = ctx.send(self.poll_request(&authorization)?).await;
            if let Some(token) = flow.on_answer(answer, ctx.now())? {
                return Ok(token);
            }
        }
    }
}

/// The service's answer to the first request: what to show the person, and the code
/// to poll with (a secret: it never prints).
#[derive(Clone)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The code the person types.
    pub user_code: String,
    /// Where the person types it (`verification_url`, or `verification_uri`).
    pub verification_url: String,
    /// The service's own sentence saying both, when it sent one.
    pub message: Option<String>,
    /// How long the code lives.
    pub expires_in: Duration,
    /// How long to wait between polls.
    pub interval: Duration,
    device_code: Secret,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_url", &self.verification_url)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("device_code", &self.device_code)
            .finish_non_exhaustive()
    }
}

impl DeviceAuthorization {
    /// Reads the devicecode endpoint's success answer. Numbers may arrive as numbers or
    /// as strings; a missing `interval` or `expires_in` takes the usual default.
    pub fn from_response(response: &http::Response<Vec<u8>>) -> Result<Self, Error> {
        let value: serde_json::Value = pc_models::from_slice(response.body())
            .map_err(|error| Error::malformed(response, error.to_string()))?;
        let text = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let seconds = |key: &str| value.get(key).and_then(seconds_of);
        // A lifetime past a day is cut to a day, and the interval to the lifetime: a
        // flow's deadline stays on the clock, and no poll waits past the code's end.
        let expires_in = seconds("expires_in")
            .unwrap_or(DEFAULT_CODE_LIFETIME)
            .min(MAX_CODE_LIFETIME);
        let missing = |what: &str| {
            Error::malformed(response, format!("the device code answer has no {what}"))
        };
        Ok(Self {
            device_code: Secret::new(text("device_code").ok_or_else(|| missing("device_code"))?),
            user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
            verification_url: text("verification_url")
                .or_else(|| text("verification_uri"))
                .ok_or_else(|| missing("verification_url"))?,
            message: text("message"),
            expires_in,
            interval: seconds("interval")
                .filter(|interval| !interval.is_zero())
                .unwrap_or(DEFAULT_INTERVAL)
                .min(expires_in.max(Duration::from_secs(1))),
        })
    }

    /// What to tell the person: the service's message, or one made of the URL and code.
    pub fn instructions(&self) -> String {
        match &self.message {
            Some(message) => message.clone(),
            None => format!(
                "To sign in, open {} and enter the code {}.",
                self.verification_url, self.user_code
            ),
        }
    }
}

/// Whole seconds from a JSON number or a string holding one.
fn seconds_of(value: &serde_json::Value) -> Option<Duration> {
    let seconds = match value {
        serde_json::Value::Number(number) => number.as_f64()?,
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// Where a device-code sign-in stands; see [`DeviceCodeFlow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceCodeState {
    /// The code was shown; no poll has been answered yet.
    Started,
    /// The person has not finished signing in (`authorization_pending`).
    Pending,
    /// The service asked to poll less often (`slow_down`).
    SlowDown,
    /// Done: a token was issued.
    SignedIn,
    /// The code expired before the person finished.
    Expired,
    /// The person (or a policy) refused the sign-in, or the endpoint answered another
    /// error.
    Refused,
    /// The pipeline's [`Interrupt`](crate::Interrupt) was set: no poll more was sent
    /// ([`Error::Interrupted`]).
    Interrupted,
}

/// The polling of a device-code sign-in as a pure state machine: the clock is given to
/// each step, so every branch is tested without waiting.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pc_http::{DeviceAuthorization, DeviceCodeFlow, DeviceCodeState};
///
/// let started = http::Response::new(br#"{"device_code":"d","user_code":"ABC","verification_url":"https://microsoft.com/devicelogin","expires_in":"900","interval":5}"#.to_vec());
/// let authorization = DeviceAuthorization::from_response(&started)?;
/// let t0 = Instant::now();
/// let mut flow = DeviceCodeFlow::new(&authorization, t0);
/// assert_eq!(flow.next_poll(t0)?, Duration::from_secs(5));
/// assert_eq!(flow.state(), DeviceCodeState::Started);
/// # Ok::<(), pc_http::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeviceCodeFlow {
    deadline: Instant,
    interval: Duration,
    state: DeviceCodeState,
}

impl DeviceCodeFlow {
    /// A flow for `authorization`, shown at `now`.
    pub fn new(authorization: &DeviceAuthorization, now: Instant) -> Self {
        Self {
            deadline: now
                .checked_add(authorization.expires_in.min(MAX_CODE_LIFETIME))
                .unwrap_or(now),
            interval: authorization.interval,
            state: DeviceCodeState::Started,
        }
    }

    /// Where the sign-in stands.
    pub fn state(&self) -> DeviceCodeState {
        self.state
    }

    /// The current time between polls.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long to wait before the next poll, cut short at the code's expiry; an
    /// error once the code has expired (nothing more to poll).
    pub fn next_poll(&mut self, now: Instant) -> Result<Duration, Error> {
        let left = self.deadline.saturating_duration_since(now);
        if left.is_zero() {
            self.state = DeviceCodeState::Expired;
            return Err(expired(None));
        }
        Ok(self.interval.min(left))
    }

    /// Reads a poll's answer at `now`: a token (`Some`), keep polling (`None`), or the
    /// error that ends the sign-in.
    pub fn on_answer(
        &mut self,
        answer: Result<http::Response<Vec<u8>>, Error>,
        now: Instant,
    ) -> Result<Option<TokenResponse>, Error> {
        let error = match answer {
            Ok(response) => {
                let token = parse_token_response(&response)?;
                self.state = DeviceCodeState::SignedIn;
                return Ok(Some(token));
            }
            Err(error) => error,
        };
        let code = match &error {
            Error::TokenEndpoint(refusal) => refusal.error.as_deref().unwrap_or_default(),
            Error::Interrupted(_) => {
                self.state = DeviceCodeState::Interrupted;
                return Err(error);
            }
            _ => "",
        };
        match code {
            "authorization_pending" => self.state = DeviceCodeState::Pending,
            "slow_down" => {
                self.state = DeviceCodeState::SlowDown;
                self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
            }
            "expired_token" | "code_expired" => {
                self.state = DeviceCodeState::Expired;
                return Err(error);
            }
            _ => {
                self.state = DeviceCodeState::Refused;
                return Err(error);
            }
        }
        if now >= self.deadline {
            self.state = DeviceCodeState::Expired;
            return Err(expired(Some(&error)));
        }
        Ok(None)
    }
}

/// The code's lifetime passed while the person had not finished.
fn expired(last: Option<&Error>) -> Error {
    let diagnostics = last
        .and_then(Error::diagnostics)
        .cloned()
        .unwrap_or_default();
    Error::TokenEndpoint(Box::new(TokenEndpointError {
        status: None,
        error: Some("expired_token".to_owned()),
        description: Some(
            "the device code expired before the sign-in was finished; start again".to_owned(),
        ),
        trace_id: None,
        correlation_id: None,
        diagnostics,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn authorization(expires_in: &str, interval: &str) -> DeviceAuthorization {
        let body = format!(
            r#"{{"device_code":"DevC0de","user_code":"ABCD-1234","verification_uri":"https://login.invalid/device","expires_in":{expires_in},"interval":{interval},"message":"Go to https://login.invalid/device and enter ABCD-1234."}}"#
        );
        DeviceAuthorization::from_response(&http::Response::new(body.into_bytes())).unwrap()
    }

    fn refusal(code: &str) -> Result<http::Response<Vec<u8>>, Error> {
        let body = format!(r#"{{"error":"{code}","error_description":"AADSTS70016: {code}"}}"#);
        let response = http::Response::builder()
            .status(400)
            .body(body.into_bytes())
            .unwrap();
        Err(Error::TokenEndpoint(Box::new(
            TokenEndpointError::from_response(&response),
        )))
    }

    fn token() -> Result<http::Response<Vec<u8>>, Error> {
        Ok(http::Response::new(
            br#"{"access_token":"Acc3ss","refresh_token":"R3fresh","expires_in":"3599"}"#.to_vec(),
        ))
    }

    #[test]
    fn the_first_answer_is_read_with_numbers_as_numbers_or_strings() {
        let a = authorization(r#""900""#, "5");
        assert_eq!(a.expires_in, Duration::from_secs(900));
        assert_eq!(a.interval, Duration::from_secs(5));
        assert_eq!(a.verification_url, "https://login.invalid/device");
        assert_eq!(
            a.instructions(),
            "Go to https://login.invalid/device and enter ABCD-1234."
        );
        assert!(!format!("{a:?}").contains("DevC0de"), "{a:?}");
        let missing = DeviceAuthorization::from_response(&http::Response::new(
            br#"{"user_code":"X","verification_url":"u"}"#.to_vec(),
        ))
        .unwrap_err();
        assert!(missing.to_string().contains("device_code"), "{missing}");
        // Without expires_in or interval, the usual 15 minutes and 5 seconds.
        let bare = DeviceAuthorization::from_response(&http::Response::new(
            br#"{"device_code":"d","user_code":"U","verification_url":"u"}"#.to_vec(),
        ))
        .unwrap();
        assert_eq!(bare.expires_in, Duration::from_secs(900));
        assert_eq!(bare.interval, Duration::from_secs(5));
    }

    #[test]
    fn pending_then_slow_down_then_signed_in() {
        let t0 = Instant::now();
        let secs = Duration::from_secs;
        let mut flow = DeviceCodeFlow::new(&authorization("900", r#""5""#), t0);
        assert_eq!(flow.next_poll(t0).unwrap(), secs(5));
        assert!(
            flow.on_answer(refusal("authorization_pending"), t0 + secs(5))
                .unwrap()
                .is_none()
        );
        assert_eq!(flow.state(), DeviceCodeState::Pending);
        assert_eq!(flow.next_poll(t0 + secs(5)).unwrap(), secs(5));
        assert!(
            flow.on_answer(refusal("slow_down"), t0 + secs(10))
                .unwrap()
                .is_none()
        );
        assert_eq!(flow.state(), DeviceCodeState::SlowDown);
        assert_eq!(flow.next_poll(t0 + secs(10)).unwrap(), secs(10));
        let signed_in = flow.on_answer(token(), t0 + secs(20)).unwrap().unwrap();
        assert_eq!(signed_in.refresh_token.unwrap().expose(), "R3fresh");
        assert_eq!(flow.state(), DeviceCodeState::SignedIn);
    }

    #[test]
    fn the_codes_lifetime_bounds_the_whole_wait() {
        let t0 = Instant::now();
        let secs = Duration::from_secs;
        let mut flow = DeviceCodeFlow::new(&authorization("12", "5"), t0);
        assert_eq!(flow.next_poll(t0 + secs(10)).unwrap(), secs(2), "cut short");
        let error = flow
            .on_answer(refusal("authorization_pending"), t0 + secs(12))
            .unwrap_err();
        assert_eq!(flow.state(), DeviceCodeState::Expired);
        assert!(error.to_string().contains("expired"), "{error}");
        let error = flow.next_poll(t0 + secs(13)).unwrap_err();
        assert!(error.to_string().contains("expired_token"), "{error}");
    }

    #[test]
    fn a_refusal_or_an_expired_code_ends_it_with_the_services_words() {
        let t0 = Instant::now();
        for (code, state) in [
            ("access_denied", DeviceCodeState::Refused),
            ("expired_token", DeviceCodeState::Expired),
            ("invalid_client", DeviceCodeState::Refused),
        ] {
            let mut flow = DeviceCodeFlow::new(&authorization("900", "5"), t0);
            let error = flow.on_answer(refusal(code), t0).unwrap_err();
            assert_eq!(flow.state(), state, "{code}");
            assert!(
                error.to_string().contains(&format!("AADSTS70016: {code}")),
                "{error}"
            );
        }
    }

    #[test]
    fn the_poll_carries_the_code_and_the_secret_when_there_is_one() {
        let grant = DeviceCodeGrant::new(
            "http://127.0.0.1:9",
            "tenant-1",
            "client-1",
            Some(Secret::new("S3cret")),
        )
        .unwrap();
        let poll = grant.poll_request(&authorization("900", "5")).unwrap();
        assert_eq!(poll.uri(), "http://127.0.0.1:9/tenant-1/oauth2/token");
        let body = String::from_utf8(poll.body().clone()).unwrap();
        assert_eq!(
            body,
            "grant_type=device_code&code=DevC0de&client_id=client-1&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com&client_secret=S3cret"
        );
        assert!(!format!("{grant:?}").contains("S3cret"));
        let start = grant.start_request().unwrap();
        assert_eq!(start.uri(), "http://127.0.0.1:9/tenant-1/oauth2/devicecode");
        assert!(DeviceCodeGrant::new("https://login.invalid", "t", " ", None).is_err());
        assert!(DeviceCodeGrant::new("http://login.invalid", "t", "c", None).is_err());
    }
}
