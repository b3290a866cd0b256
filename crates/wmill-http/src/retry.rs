//! [`RetryConfig`]: which requests are retried, how often and with what backoff.

use std::time::Duration;

/// Retries of idempotent requests (reads, upserts, deletes, cancels) and of job starts that
/// carry a caller-chosen id.
///
/// A request is retried on transport errors, HTTP 429 (waiting `Retry-After` when the server
/// sends one, up to [`max_retry_after`](RetryConfig::max_retry_after)), 500, 502, 503 and 504, at most
/// [`max_retries`](RetryConfig::max_retries) times, with exponential backoff and jitter. Starting
/// a job without a caller-chosen id is never retried (it could start the job twice), except
/// when the connection could not even be opened.
///
/// ```
/// use std::time::Duration;
/// use wmill_http::RetryConfig;
///
/// let retry = RetryConfig::default().max_retries(5).initial_backoff(Duration::from_millis(50));
/// assert_eq!(retry.max_retries, 5);
/// assert_eq!(RetryConfig::disabled().max_retries, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The first backoff (default 100 ms); doubled after each retry.
    pub initial_backoff: Duration,
    /// The longest backoff (default 5 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured (default 30 s); a longer one is not retried.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryConfig {
            max_retries: 0,
            ..Self::default()
        }
    }

    setters! {
        #![must_use]
        /// Sets the number of retries.
        max_retries(n: u32) => max_retries: n;
        /// Sets the first backoff.
        initial_backoff(d: Duration) => initial_backoff: d;
        /// Sets the longest backoff.
        max_backoff(d: Duration) => max_backoff: d;
        /// Sets the longest `Retry-After` honoured.
        max_retry_after(d: Duration) => max_retry_after: d;
    }
}
