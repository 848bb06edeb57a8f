//! The token endpoint and the bearer check.

use crate::answer::{Answer, codes};
use crate::config::SimConfig;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use percent_encoding::percent_decode_str;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// The resource Partner Center tokens are for.
pub const RESOURCE: &str = "https://api.partnercenter.microsoft.com";

/// Tokens issued, remembered for the strict bearer check and the refresh grant.
#[derive(Debug)]
pub(crate) struct Tokens {
    // Not seeded: a token is a secret even in a simulator.
    rng: StdRng,
    /// Access tokens: when each was issued, and whether by an app-only grant.
    access: HashMap<String, (Duration, bool)>,
    refresh: HashMap<String, Duration>,
    order: VecDeque<String>,
    /// Device codes of sign-ins under way.
    device_codes: HashMap<String, DeviceCode>,
}

/// A device-code sign-in under way.
#[derive(Debug)]
struct DeviceCode {
    issued: Duration,
    polls: u32,
}

/// The pairs of a `application/x-www-form-urlencoded` body.
fn form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(key), decode(value))
        })
        .collect()
}

/// Seconds for a JSON answer: a whole number when it is one, else a fraction.
fn seconds(duration: Duration) -> serde_json::Value {
    if duration.subsec_nanos() == 0 {
        json!(duration.as_secs())
    } else {
        json!(duration.as_secs_f64())
    }
}

/// The token endpoint's error answer, as Azure AD writes it.
fn oauth_error(error: &str, description: &str) -> Answer {
    Answer::json(
        StatusCode::BAD_REQUEST,
        &json!({ "error": error, "error_description": description, "error_codes": [] }),
    )
}

impl Tokens {
    pub(crate) fn new() -> Self {
        Self {
            rng: StdRng::from_os_rng(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            order: VecDeque::new(),
            device_codes: HashMap::new(),
        }
    }

    /// Random text for ids that need not be reproducible, e.g. `MS-CV`.
    pub(crate) fn random_text(&mut self, bytes: usize) -> String {
        let data: Vec<u8> = (0..bytes).map(|_| self.rng.random()).collect();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
    }

    /// A random GUID for a missing `MS-RequestId` or `MS-CorrelationId`.
    pub(crate) fn random_guid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random())
            .into_uuid()
            .to_string()
    }

    fn make_room(&mut self, capacity: usize) {
        while self.order.len() >= capacity.max(1) {
            if let Some(old) = self.order.pop_front() {
                self.access.remove(&old);
                self.refresh.remove(&old);
                self.device_codes.remove(&old);
            }
        }
    }

    fn remember_access(&mut self, token: &str, now: Duration, app_only: bool, capacity: usize) {
        self.make_room(capacity);
        self.order.push_back(token.to_owned());
        self.access.insert(token.to_owned(), (now, app_only));
    }

    fn remember_refresh(&mut self, token: &str, now: Duration, capacity: usize) {
        self.make_room(capacity);
        self.order.push_back(token.to_owned());
        self.refresh.insert(token.to_owned(), now);
    }

    /// Answers `POST /{tenant}/oauth2/devicecode`: a device code to poll with and the
    /// user code a person would type (the simulator approves it by itself after
    /// [`LoginConfig::pending_polls`](crate::LoginConfig::pending_polls) polls).
    pub(crate) fn start_device_code(
        &mut self,
        config: &SimConfig,
        body: &[u8],
        now: Duration,
    ) -> Answer {
        let form = form(body);
        if form.get("client_id").is_none_or(|id| id.is_empty()) {
            return oauth_error(
                "invalid_request",
                "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
            );
        }
        let device_code = format!("sim-dc.{}", self.random_text(24));
        let letters: String = (0..8)
            .map(|_| char::from(b'A' + self.rng.random_range(0..26u8)))
            .collect();
        let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
        self.make_room(config.limits.max_tokens);
        self.order.push_back(device_code.clone());
        self.device_codes.insert(
            device_code.clone(),
            DeviceCode {
                issued: now,
                polls: 0,
            },
        );
        let login = &config.login;
        let url = "https://microsoft.com/devicelogin";
        Answer::json(
            StatusCode::OK,
            &json!({
                "user_code": user_code,
                "device_code": device_code,
                "verification_url": url,
                "expires_in": login.expires_in.as_secs().to_string(),
                "interval": seconds(login.interval),
                "message": format!(
                    "To sign in, use a web browser to open the page {url} and enter the code \
                     {user_code} to authenticate. (pc-sim approves it after {} polls.)",
                    login.pending_polls
                ),
            }),
        )
    }

    /// A poll of the device-code grant: pending, slow down, expired, denied, or done.
    fn poll_device_code(
        &mut self,
        config: &SimConfig,
        code: &str,
        now: Duration,
    ) -> Result<(), Answer> {
        let login = &config.login;
        let Some(state) = self.device_codes.get_mut(code) else {
            return Err(oauth_error(
                "invalid_grant",
                "AADSTS70000: The provided value for the 'device_code' is not valid.",
            ));
        };
        if now >= state.issued + login.expires_in {
            self.device_codes.remove(code);
            return Err(oauth_error(
                "expired_token",
                "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            ));
        }
        if login.deny {
            self.device_codes.remove(code);
            return Err(oauth_error(
                "access_denied",
                "AADSTS70000: The user has declined to authorize the application.",
            ));
        }
        state.polls += 1;
        if login.slow_down && state.polls == 1 {
            return Err(oauth_error(
                "slow_down",
                "AADSTS70016: Polling too often: wait longer between requests.",
            ));
        }
        let answered_pending = state.polls - u32::from(login.slow_down);
        if answered_pending <= login.pending_polls {
            return Err(oauth_error(
                "authorization_pending",
                "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            ));
        }
        self.device_codes.remove(code);
        Ok(())
    }

    /// A new refresh token, remembered for the strict refresh grant.
    pub(crate) fn issue_refresh(&mut self, now: Duration, capacity: usize) -> String {
        let refresh = format!("sim-rt.{}", self.random_text(32));
        self.remember_refresh(&refresh, now, capacity);
        refresh
    }

    /// Answers `POST /{tenant}/oauth2/token`.
    pub(crate) fn grant(&mut self, config: &SimConfig, body: &[u8], now: Duration) -> Answer {
        let form = form(body);
        let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let Some(grant) = field("grant_type") else {
            return oauth_error(
                "invalid_request",
                "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
            );
        };
        if field("client_id").is_none() {
            return oauth_error(
                "invalid_request",
                "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
            );
        }
        let (with_refresh, app_only) = match grant {
            "device_code" | "urn:ietf:params:oauth:grant-type:device_code" => {
                let Some(code) = field("code").or_else(|| field("device_code")) else {
                    return oauth_error(
                        "invalid_request",
                        "AADSTS900144: The request body must contain the following parameter: 'device_code'.",
                    );
                };
                let code = code.to_owned();
                if let Err(answer) = self.poll_device_code(config, &code, now) {
                    return answer;
                }
                (true, false)
            }
            "client_credentials" => {
                if field("client_secret").is_none() {
                    return oauth_error(
                        "invalid_client",
                        "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                    );
                }
                (false, true)
            }
            "refresh_token" => {
                let Some(refresh) = field("refresh_token") else {
                    return oauth_error(
                        "invalid_request",
                        "AADSTS900144: The request body must contain the following parameter: 'refresh_token'.",
                    );
                };
                // Strict: only refresh tokens this simulator issued, each used once.
                if !config.accept_any_token && self.refresh.remove(refresh).is_none() {
                    return oauth_error(
                        "invalid_grant",
                        "AADSTS70000: The provided value for the 'refresh_token' is not valid or has expired.",
                    );
                }
                (true, false)
            }
            other => {
                return oauth_error(
                    "unsupported_grant_type",
                    &format!("AADSTS70003: The app requested an unsupported grant type '{other}'."),
                );
            }
        };
        let capacity = config.limits.max_tokens;
        let access = format!("sim-at.{}", self.random_text(32));
        self.remember_access(&access, now, app_only, capacity);
        let lifetime = config.token_lifetime.as_secs();
        let expires_in = lifetime.saturating_sub(1).to_string();
        let mut answer = json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "expires_on": (now.as_secs() + lifetime).to_string(),
            "not_before": now.as_secs().to_string(),
            "resource": field("resource").unwrap_or(RESOURCE),
            "access_token": access,
        });
        if with_refresh {
            answer["refresh_token"] = json!(self.issue_refresh(now, capacity));
        }
        Answer::json(StatusCode::OK, &answer)
            .with_header(header::CACHE_CONTROL, "no-store, no-cache")
    }

    /// Checks the bearer token of an API call: any non-empty one, or (strict) one this
    /// simulator issued that has not expired.
    pub(crate) fn authorize(
        &self,
        config: &SimConfig,
        headers: &HeaderMap,
        now: Duration,
        app_user_only: bool,
    ) -> Result<(), Answer> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty());
        let unauthorized = |description: &str| {
            Answer::error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED, description)
                .with_header(header::WWW_AUTHENTICATE, "Bearer")
        };
        let Some(token) = token else {
            return Err(unauthorized(
                "Authorization is missing: send `Authorization: Bearer <token>`",
            ));
        };
        if config.accept_any_token {
            return Ok(());
        }
        match self.access.get(token) {
            Some((issued, _)) if now >= *issued + config.token_lifetime => {
                Err(unauthorized("the access token has expired"))
            }
            Some((_, true)) if app_user_only => Err(Answer::error(
                StatusCode::FORBIDDEN,
                codes::FORBIDDEN,
                "this operation is App+User only: an app-only (client credentials) token \
                 cannot create a batch; sign in as a user (refresh token or device code)",
            )),
            Some(_) => Ok(()),
            None => Err(unauthorized("the access token is not valid")),
        }
    }
}
