//! When to retry: the statuses that may be retried, `Retry-After`, and the backoff between
//! attempts.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The statuses an idempotent request is retried on.
pub(super) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
        // `try_from`: a value too large for a `Duration` (e.g. `1e300`) must not panic.
        v.parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    })
}

/// Exponential backoff with jitter: a random duration in `[d/2, d]`, `d = initial * 2^(n-1)`
/// capped at `max_backoff`.
pub(crate) fn backoff(retry: &crate::retry::RetryConfig, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let d = retry
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(retry.max_backoff);
    let half = d / 2;
    let jitter = crate::random::random_fraction();
    half + half.mul_f64(jitter)
}
