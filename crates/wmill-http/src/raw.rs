//! Calls without a typed helper: [`Windmill::request_json`] (any endpoint, JSON in and out) and
//! [`Windmill::commit_kafka_offsets`].

use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::{ItemKind, ItemPath, Result};

use crate::client::Windmill;
use crate::urls::Seg;

impl Windmill {
    /// Any API call, for endpoints without a helper (Python's `get`/`post`): `endpoint` is
    /// relative to `{base}/api/` (a leading `/` is ignored, `{ws}` is not substituted: write
    /// `w/<workspace>/...`, see [`workspace`](Self::workspace)) and may carry a query string.
    /// The body, if any, is sent as JSON; the answer is parsed as JSON, or returned as a JSON
    /// string when it is not JSON. GET/HEAD/PUT/DELETE are retried like other idempotent calls.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), method = %method, endpoint = endpoint.split('?').next()))]
    pub async fn request_json(
        &self,
        method: Method,
        endpoint: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let endpoint = endpoint.trim_start_matches('/');
        let (path, query) = endpoint.split_once('?').unwrap_or((endpoint, ""));
        let segments: Vec<String> = path
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<Seg<'_>> = segments.iter().map(|s| Seg::One(s)).collect();
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        let mut call = self.call(method, &segs);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |x: &str| {
                percent_encoding::percent_decode_str(&x.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            call = call.query(&dec(k), dec(v));
        }
        if let Some(b) = body {
            call = call.json(b)?;
        }
        if idempotent {
            call = call.idempotent();
        }
        let resp = call.send().await?;
        if resp.body.is_empty() {
            return Ok(Value::Null);
        }
        resp.result_value()
    }

    /// Commits Kafka offsets of a trigger with auto-commit disabled
    /// (`POST kafka_triggers/commit_offsets/{path}` `{topic, partition, offset}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = trigger_path.as_str(), topic = topic, partition = partition))]
    pub async fn commit_kafka_offsets(
        &self,
        trigger_path: &ItemPath,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<()> {
        self.route_call(
            Method::POST,
            &["kafka_triggers", "commit_offsets"],
            Seg::Item(trigger_path),
        )
        .json(&json!({ "topic": topic, "partition": partition, "offset": offset }))?
        .idempotent()
        .not_found(ItemKind::Other, trigger_path.as_str())
        .send()
        .await
        .map(drop)
    }
}
