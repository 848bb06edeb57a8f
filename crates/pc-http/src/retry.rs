//! The retry rules as pure functions: which outcomes retry, and how long to wait.
//!
//! Retried: connect errors, a reset or truncated response, timeouts, `408`, `429`,
//! `500`, `502`, `503`, `504`. Everything else is final. The delay is exponential
//! backoff with full jitter from [`RetryPolicy::initial_delay`] capped at
//! [`RetryPolicy::max_delay`], or the response's `Retry-After` (seconds or an HTTP date)
//! when that is longer, so a retry never comes before the service allows it. A
//! `Retry-After` longer than [`RetryPolicy::max_retry_after`], or one that would pass
//! the call's deadline, ends the call at once.

use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::TransportErrorKind;

/// How a call retries. Plain data with documented defaults:
///
/// ```
/// use std::time::Duration;
/// use pc_http::RetryPolicy;
///
/// let policy = RetryPolicy { max_retries: 5, deadline: Some(Duration::from_secs(120)), ..Default::default() };
/// assert_eq!(policy.initial_delay, Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra attempts after a retryable failure. Default 3.
    pub max_retries: u32,
    /// The ceiling of the first backoff delay; it doubles each retry. Default 500 ms.
    pub initial_delay: Duration,
    /// The ceiling of any backoff delay. Default 10 s.
    pub max_delay: Duration,
    /// The longest `Retry-After` slept through; a longer one ends the call at once
    /// ([`GiveUpReason::RetryAfterTooLong`]). Default 2 minutes.
    pub max_retry_after: Duration,
    /// An overall limit for one logical call, all attempts and delays included.
    /// Default none.
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
            deadline: None,
        }
    }
}

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A response arrived with this status and, maybe, a parsed `Retry-After`.
    Status {
        /// The response status.
        status: StatusCode,
        /// The delay the response asked for (already turned into a duration).
        retry_after: Option<Duration>,
    },
    /// No usable response arrived.
    Transport(TransportErrorKind),
}

impl Outcome {
    /// Whether the retry rules allow another attempt after this outcome.
    pub fn is_retryable(&self) -> bool {
        match self {
            Outcome::Status { status, .. } => is_retryable_status(*status),
            Outcome::Transport(kind) => kind.is_retryable(),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Stop and report the last outcome.
    GiveUp(GiveUpReason),
}

/// Why a call stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The outcome is final (a `404`, a `501`, a TLS failure, ...).
    NotRetryable,
    /// `max_retries` retries were made.
    Exhausted,
    /// The next attempt would start after the overall deadline.
    Deadline,
    /// The service asked to wait longer than [`RetryPolicy::max_retry_after`]: the
    /// call ends at once, throttled.
    RetryAfterTooLong,
}

/// Whether a status is retried: `408`, `429`, `500`, `502`, `503`, `504`.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: whole seconds, or an HTTP date (a date in the past
/// means now). Returns `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response's headers, parsed by [`parse_retry_after`]; `None`
/// when absent or unreadable.
pub(crate) fn retry_after(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, now))
}

impl RetryPolicy {
    /// The backoff delay before retry number `retry` (0 for the first retry), with
    /// `random` in `[0, 1)` choosing a point under the ceiling (full jitter).
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(30));
        let ceiling = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        ceiling.mul_f64(random.clamp(0.0, 1.0))
    }

    /// Decides what follows a failed attempt.
    ///
    /// `retries_done` counts the retries already made in this call; `elapsed` is the
    /// time since the call began; `random` is in `[0, 1)`.
    pub fn decide(
        &self,
        outcome: &Outcome,
        retries_done: u32,
        elapsed: Duration,
        random: f64,
    ) -> Decision {
        if !outcome.is_retryable() {
            return Decision::GiveUp(GiveUpReason::NotRetryable);
        }
        if retries_done >= self.max_retries {
            return Decision::GiveUp(GiveUpReason::Exhausted);
        }
        let backoff = self.backoff(retries_done, random);
        let delay = match outcome {
            Outcome::Status {
                retry_after: Some(after),
                ..
            } => {
                if *after > self.max_retry_after {
                    return Decision::GiveUp(GiveUpReason::RetryAfterTooLong);
                }
                (*after).max(backoff)
            }
            _ => backoff,
        };
        if let Some(deadline) = self.deadline
            && elapsed.saturating_add(delay) >= deadline
        {
            return Decision::GiveUp(GiveUpReason::Deadline);
        }
        Decision::Retry(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: None,
        }
    }

    #[test]
    fn which_statuses_retry() {
        let retried: Vec<u16> = (100..600)
            .filter(|c| is_retryable_status(StatusCode::from_u16(*c).unwrap()))
            .collect();
        assert_eq!(retried, [408, 429, 500, 502, 503, 504]);
    }

    #[test]
    fn which_transport_failures_retry() {
        use TransportErrorKind::*;
        for k in [Connect, Timeout, Reset, Truncated] {
            assert!(Outcome::Transport(k).is_retryable(), "{k:?}");
        }
        for k in [Tls, TooLarge, InvalidRequest, Other] {
            assert!(!Outcome::Transport(k).is_retryable(), "{k:?}");
        }
    }

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_ten() {
        let p = RetryPolicy::default();
        let ceilings: Vec<u128> = (0..8).map(|r| p.backoff(r, 1.0).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(0, 0.5), Duration::from_millis(250));
        assert_eq!(p.backoff(u32::MAX, 1.0), Duration::from_secs(10));
    }

    #[test]
    fn the_delay_is_the_longer_of_retry_after_and_the_backoff() {
        let p = RetryPolicy::default();
        let o = |secs| Outcome::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(&o(11), 0, Duration::ZERO, 0.9),
            Decision::Retry(Duration::from_secs(11))
        );
        // A `Retry-After: 0` never makes a retry come sooner than the backoff.
        assert_eq!(
            p.decide(&o(0), 2, Duration::ZERO, 0.5),
            Decision::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            p.decide(&o(120), 0, Duration::ZERO, 0.9),
            Decision::Retry(Duration::from_secs(120))
        );
    }

    #[test]
    fn a_retry_after_beyond_the_limit_or_the_deadline_ends_the_call_at_once() {
        let p = RetryPolicy::default();
        let o = |secs| Outcome::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(&o(121), 0, Duration::ZERO, 0.9),
            Decision::GiveUp(GiveUpReason::RetryAfterTooLong)
        );
        assert_eq!(
            p.decide(&o(3600), 0, Duration::ZERO, 0.9),
            Decision::GiveUp(GiveUpReason::RetryAfterTooLong)
        );
        let bounded = RetryPolicy {
            deadline: Some(Duration::from_secs(30)),
            ..RetryPolicy::default()
        };
        assert_eq!(
            bounded.decide(&o(31), 0, Duration::ZERO, 0.9),
            Decision::GiveUp(GiveUpReason::Deadline)
        );
        assert_eq!(
            bounded.decide(&o(20), 0, Duration::from_secs(5), 0.9),
            Decision::Retry(Duration::from_secs(20))
        );
    }

    #[test]
    fn exhaustion_and_final_outcomes() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(&status(503), 2, Duration::ZERO, 1.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            p.decide(&status(503), 3, Duration::ZERO, 1.0),
            Decision::GiveUp(GiveUpReason::Exhausted)
        );
        for code in [400, 401, 403, 404, 409, 501, 505] {
            assert_eq!(
                p.decide(&status(code), 0, Duration::ZERO, 1.0),
                Decision::GiveUp(GiveUpReason::NotRetryable),
                "{code}"
            );
        }
    }

    #[test]
    fn deadline_stops_a_retry_that_would_start_too_late() {
        let p = RetryPolicy {
            deadline: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        assert_eq!(
            p.decide(&status(500), 0, Duration::from_millis(4600), 1.0),
            Decision::GiveUp(GiveUpReason::Deadline)
        );
        assert_eq!(
            p.decide(&status(500), 0, Duration::from_millis(4000), 1.0),
            Decision::Retry(Duration::from_millis(500))
        );
    }

    #[test]
    fn retry_after_formats() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("11", now), Some(Duration::from_secs(11)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
