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
    access: HashMap<String, Duration>,
    refresh: HashMap<String, Duration>,
    order: VecDeque<String>,
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

    fn remember(&mut self, token: &str, now: Duration, refresh: bool, capacity: usize) {
        while self.order.len() >= capacity.max(1) {
            if let Some(old) = self.order.pop_front() {
                self.access.remove(&old);
                self.refresh.remove(&old);
            }
        }
        self.order.push_back(token.to_owned());
        let map = if refresh {
            &mut self.refresh
        } else {
            &mut self.access
        };
        map.insert(token.to_owned(), now);
    }

    /// A new refresh token, remembered for the strict refresh grant.
    pub(crate) fn issue_refresh(&mut self, now: Duration, capacity: usize) -> String {
        let refresh = format!("sim-rt.{}", self.random_text(32));
        self.remember(&refresh, now, true, capacity);
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
        let with_refresh = match grant {
            "client_credentials" => {
                if field("client_secret").is_none() {
                    return oauth_error(
                        "invalid_client",
                        "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                    );
                }
                false
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
                true
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
        self.remember(&access, now, false, capacity);
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
            Some(issued) if now < *issued + config.token_lifetime => Ok(()),
            Some(_) => Err(unauthorized("the access token has expired")),
            None => Err(unauthorized("the access token is not valid")),
        }
    }
}
