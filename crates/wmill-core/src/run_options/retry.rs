//! [`RetryPolicy`]: the `retry` option, checked as the server reads it.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::job::json_kind;
use crate::{Error, Result};

/// The `what` of the [`Error::InvalidInput`] raised for run options.
pub(super) const WHAT: &str = "run option";

/// A retry policy: the server runs the job again when it fails (the `retry` query parameter,
/// the JSON policy of a schedule).
///
/// The returned job id is the first attempt's; each retry is a job of its own, recorded as a
/// child of the first attempt. A synchronous run therefore waits for the first attempt: use
/// an asynchronous start when the retries matter. The server does not retry hub scripts, runs
/// [invisible to their owner](crate::RunOptions::invisible_to_owner) (refused here before any
/// request), or scripts whose preprocessor runs.
///
/// Delays are whole seconds (a [`Duration`] is rounded down). The `n`-th exponential retry
/// waits `multiplier × base^n` seconds, where `n` counts the constant retries too.
///
/// ```
/// use std::time::Duration;
/// use serde_json::json;
/// use wmill_core::RetryPolicy;
///
/// let p = RetryPolicy::constant(3, Duration::from_secs(10));
/// assert_eq!(p.to_json(), json!({"constant": {"attempts": 3, "seconds": 10}}));
///
/// let p = RetryPolicy::exponential(5, Duration::from_secs(2), 1).random_factor(20);
/// assert_eq!(
///     p.to_json(),
///     json!({"exponential": {"attempts": 5, "seconds": 2, "multiplier": 1, "random_factor": 20}})
/// );
///
/// // Anything else the server's policy has (`retry_if`, ...), as JSON, checked:
/// let p = RetryPolicy::from_json(json!({
///     "constant": {"attempts": 2, "seconds": 1},
///     "retry_if": {"expr": "error.name == 'Timeout'"}
/// }))?;
/// assert!(p.to_json()["retry_if"].is_object());
/// assert!(RetryPolicy::from_json(json!({"constant": {"attempts": -1}})).is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy(Map<String, Value>);

impl RetryPolicy {
    /// `attempts` retries, each `delay` after the previous failure.
    pub fn constant(attempts: u32, delay: Duration) -> Self {
        let mut map = Map::new();
        map.insert(
            "constant".into(),
            serde_json::json!({"attempts": attempts, "seconds": delay.as_secs()}),
        );
        RetryPolicy(map)
    }

    /// `attempts` retries with exponential backoff: the `n`-th waits `multiplier × base^n`
    /// seconds (`base` of at least one second, checked before any request).
    pub fn exponential(attempts: u32, base: Duration, multiplier: u32) -> Self {
        RetryPolicy(Map::new()).and_exponential(attempts, base, multiplier)
    }

    /// Adds exponential retries after the constant ones (see [`exponential`](Self::exponential)).
    #[must_use]
    pub fn and_exponential(mut self, attempts: u32, base: Duration, multiplier: u32) -> Self {
        self.0.insert(
            "exponential".into(),
            serde_json::json!({
                "attempts": attempts,
                "seconds": base.as_secs(),
                "multiplier": multiplier,
            }),
        );
        self
    }

    /// Random jitter of the exponential delays, in percent (0-100, checked before any request).
    /// Without exponential retries it is an error when the options are checked.
    #[must_use]
    pub fn random_factor(mut self, percent: u8) -> Self {
        match self.0.get_mut("exponential") {
            Some(Value::Object(exp)) => {
                exp.insert("random_factor".into(), Value::from(percent));
            }
            _ => {
                // Kept where the check will find it and say what is wrong.
                self.0.insert("random_factor".into(), Value::from(percent));
            }
        }
        self
    }

    /// A policy given as the server's JSON, for what the constructors do not cover. It must be
    /// an object with `constant` and/or `exponential` policies of the right shape; other keys
    /// (`retry_if`, ...) are passed as they are.
    pub fn from_json(policy: Value) -> Result<Self> {
        match policy {
            Value::Object(map) => {
                let p = RetryPolicy(map);
                p.check()?;
                Ok(p)
            }
            other => Err(Error::invalid(
                WHAT,
                format!(
                    "`retry`: a retry policy is a JSON object, got {}",
                    json_kind(&other)
                ),
            )),
        }
    }

    /// The policy as the server's JSON.
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// The value of the `retry` query parameter: the policy JSON-encoded.
    pub fn to_query_value(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// Checks the shape the server expects.
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::invalid(WHAT, format!("`retry`: {reason}")));
        if self.0.contains_key("random_factor") {
            return bad(
                "random_factor applies to exponential retries, and this policy has none".into(),
            );
        }
        if !self.0.contains_key("constant") && !self.0.contains_key("exponential") {
            return bad("a retry policy needs `constant` or `exponential` retries".into());
        }
        let max = i32::MAX as u64;
        // Each part's integer fields, with their ranges.
        let constant: &[(&str, u64, u64)] = &[("attempts", 0, max), ("seconds", 0, max)];
        let exponential: &[(&str, u64, u64)] = &[
            ("attempts", 0, max),
            ("multiplier", 0, max),
            ("seconds", 1, max),
            ("random_factor", 0, 100),
        ];
        for (part, fields) in [("constant", constant), ("exponential", exponential)] {
            let Some(value) = self.0.get(part) else {
                continue;
            };
            let Value::Object(obj) = value else {
                return bad(format!(
                    "`{part}` must be an object, got {}",
                    json_kind(value)
                ));
            };
            for &(key, min, max) in fields {
                match obj.get(key) {
                    None | Some(Value::Null) => {}
                    Some(v) if v.as_u64().is_some_and(|n| (min..=max).contains(&n)) => {}
                    Some(v) => {
                        return bad(format!(
                            "{part}.{key} must be an integer in {min}..={max}, got {v}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
