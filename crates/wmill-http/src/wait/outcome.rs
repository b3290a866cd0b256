//! What a wait ends with: [`ResultMaybe`] (the answer of `get_result_maybe`), a completed
//! job's result turned into `Ok` or [`Error::JobFailed`], and the records of a run's history
//! (a success, a poll that found the job still running).

use std::future::Future;
use std::time::Instant;

use futures::FutureExt;
use serde::Deserialize;
use serde_json::Value;
use wmill_core::{Error, JobId, Result};

use crate::wait::history::Learner;

/// The answer of `GET jobs_u/completed/get_result_maybe/{id}`.
///
/// The server always sends the four keys; `started`, `success` and `result` are `null` while
/// the job has not completed (and `started` is only computed with `get_started=true`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ResultMaybe {
    /// Whether the job completed.
    #[serde(default)]
    pub completed: bool,
    /// Whether it succeeded (`None` until completed).
    #[serde(default)]
    pub success: Option<bool>,
    /// Its result (`null` until completed; the error value for a failed job).
    #[serde(default)]
    pub result: Value,
    /// Whether it started (`None` unless asked for, or once completed).
    #[serde(default)]
    pub started: Option<bool>,
}

/// Turns a completed job's result into the wait's outcome.
pub(crate) fn outcome(id: &JobId, success: Option<bool>, result: Value) -> Result<Value> {
    let ok = success.unwrap_or_else(|| result.get("error").is_none());
    if ok {
        Ok(result)
    } else {
        Err(job_failed(id, result))
    }
}

/// [`Error::JobFailed`] with the `error` field of the result if there is one, else the result.
pub(crate) fn job_failed(id: &JobId, result: Value) -> Error {
    let error = match result {
        Value::Object(mut map) if map.contains_key("error") => {
            map.remove("error").unwrap_or(Value::Null)
        }
        other => other,
    };
    Error::JobFailed {
        job_id: *id,
        error: Box::new(error),
    }
}

/// `fut`, which, when it succeeded, records the run in `learn`'s history. (A combinator
/// rather than an `async fn`: it holds `fut` once, where an `async fn` would hold it twice, as
/// its argument and as what it awaits.)
pub(super) fn learning<F>(
    learn: Option<&Learner<'_>>,
    fut: F,
) -> impl Future<Output = Result<Value>>
where
    F: Future<Output = Result<Value>>,
{
    fut.inspect(move |out| {
        if out.is_ok()
            && let Some(learn) = learn
        {
            learn.record(Instant::now());
        }
    })
}

/// Tells `learn` that a poll sent at `sent` found the job not completed (queued or running).
pub(super) fn mark_seen(learn: Option<&Learner<'_>>, rm: &ResultMaybe, sent: Instant) {
    if let Some(learn) = learn {
        if rm.started == Some(false) {
            learn.mark_queued(sent);
        } else {
            learn.mark_incomplete(sent);
        }
    }
}
