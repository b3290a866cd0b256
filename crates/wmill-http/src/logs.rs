//! Job logs: the whole log (`jobs_u/get_logs`), a flow's logs (`jobs_u/get_flow_all_logs`),
//! incremental reads (`jobs_u/getupdate`), a followed log on the server's event stream
//! (`jobs_u/getupdate_sse` with `log_offset`), and forwarding a log while waiting.
//!
//! Offsets are the server's (characters, see [`wmill_core::logs`]): every read sends back the
//! offset of the last answer it used, so no text is downloaded twice.

use reqwest::Method;
use serde::Deserialize;
use wmill_core::{JobId, LogUpdate, Result};

use crate::client::Windmill;

/// The first line the server puts in front of a log unless asked not to.
const ANSI_WARNING: &str = "to remove ansi colors, use: | sed ";

/// An update of `getupdate` or of an event stream, with the fields logs need (the server sends
/// more: `running`, `mem_peak`, `flow_status`, the completed `job`, ...).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireUpdate {
    /// `update`, `ping`, `timeout`, `notfound`, `error` on event streams; absent on `getupdate`.
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) completed: Option<bool>,
    #[serde(default)]
    pub(crate) new_logs: Option<String>,
    #[serde(default)]
    pub(crate) log_offset: Option<i64>,
}

/// Turns the server's fields into a [`LogUpdate`], for a read sent with `sent` as its offset.
///
/// The server answers `new_logs` = the log from character `max(sent, 1)` of what its database
/// holds, and `log_offset` = the log's whole length in characters + 1 (what was moved to log
/// files included). Where `new_logs` starts after `sent`, the characters in between were moved
/// out before this read: they are reported as skipped.
pub(crate) fn to_update(wire: WireUpdate, sent: u64) -> LogUpdate {
    let text = wire.new_logs.unwrap_or_default();
    let completed = wire.completed.unwrap_or(false);
    let server_offset = wire.log_offset.and_then(|o| u64::try_from(o).ok());
    let base = sent.max(1);
    let (next, skipped) = match server_offset {
        Some(next) if !text.is_empty() => {
            let start = next.saturating_sub(text.chars().count() as u64);
            (next, start.saturating_sub(base))
        }
        Some(next) => (next, 0),
        // An answer with text but no offset (not what the server sends): the text follows the
        // offset sent, and the server counts characters.
        None if !text.is_empty() => (base + text.chars().count() as u64, 0),
        None => (sent, 0),
    };
    LogUpdate::new(text, next, completed).with_skipped(skipped)
}

/// Drops the server's "to remove ansi colors" first line, should a server add it although
/// asked not to.
fn without_ansi_warning(mut text: String) -> String {
    if text.starts_with(ANSI_WARNING) {
        let cut = text.find('\n').map_or(text.len(), |i| i + 1);
        text.drain(..cut);
    }
    text
}

impl Windmill {
    /// `GET jobs_u/get_logs/{id}?remove_ansi_warnings=true`: the whole log as text.
    ///
    /// `remove_ansi_warnings=true` keeps the server from adding its first line `to remove ansi
    /// colors, use: | sed ...` (a hint for people reading logs in a terminal): the text is the
    /// job's log only. ANSI colour codes the job printed are kept as they are.
    pub(crate) async fn job_logs_text(&self, id: &JobId) -> Result<String> {
        let text = self
            .job_call(Method::GET, &["jobs_u", "get_logs"], id)
            .query("remove_ansi_warnings", "true")
            .send_text()
            .await?;
        Ok(without_ansi_warning(text))
    }

    /// `GET jobs_u/get_flow_all_logs/{id}`: the flow's log and every step's, as the server
    /// concatenates them.
    pub(crate) async fn flow_all_logs_text(&self, id: &JobId) -> Result<String> {
        self.job_call(Method::GET, &["jobs_u", "get_flow_all_logs"], id)
            .send_text()
            .await
    }

    /// `GET jobs_u/getupdate/{id}?log_offset=..`: the log after `offset`.
    pub(crate) async fn log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        let wire: WireUpdate = self
            .job_call(Method::GET, &["jobs_u", "getupdate"], id)
            .query("log_offset", offset.to_string())
            .send_json()
            .await?;
        Ok(to_update(wire, offset))
    }
}

#[cfg(test)]
mod tests;
