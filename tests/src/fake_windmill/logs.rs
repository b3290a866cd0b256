//! Job logs of the fake server: `jobs_u/get_logs`, `jobs_u/get_flow_all_logs`,
//! `jobs_u/getupdate` and `jobs_u/getupdate_sse` with `log_offset`, as the real server answers
//! them (read in `windmill-api/src/jobs.rs`: `get_job_logs`, `get_flow_all_logs`,
//! `get_job_update_data`, `start_job_update_sse_stream`).
//!
//! A job writes a log when its arguments ask for one (any fixture; [`CHATTY`](super::CHATTY)
//! exists for it): `"log_lines": ["..", ..]` writes those lines, `"log_bytes": n` writes
//! generated lines (with non-ASCII characters) up to about `n` bytes. The lines appear evenly
//! over the job's run on the server's clock (all at once for a job of 0 ms); a canceled job
//! keeps what it wrote before the cancel. Offsets count characters, 1-based: the offset
//! returned is the log's length in characters + 1, and `log_offset=n` reads from character `n`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use parking_lot::Mutex;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Body, FakeWindmill, Job, Phase, Req, State, StatusCode, not_found, ok_json, path_uuid, text,
};

/// A job's whole log, and where each line ends (characters and bytes, cumulative).
#[derive(Debug)]
struct FakeLog {
    text: String,
    ends: Vec<(u64, usize)>,
}

/// Logs by job (built once per job from its arguments), and what was served of them.
#[derive(Debug, Default)]
struct Logs {
    built: HashMap<Uuid, Arc<FakeLog>>,
    /// Characters and bytes of log text sent per job (`new_logs` and `get_logs`).
    served: HashMap<Uuid, (u64, u64)>,
}

static LOGS: LazyLock<Mutex<Logs>> = LazyLock::new(|| Mutex::new(Logs::default()));

impl FakeWindmill {
    /// Characters and bytes of job `id`'s log this server has sent (in `new_logs` of updates
    /// and in `get_logs` answers): a client that never downloads a byte twice gets exactly the
    /// log's length.
    pub fn log_served(&self, id: Uuid) -> (u64, u64) {
        LOGS.lock().served.get(&id).copied().unwrap_or((0, 0))
    }

    /// Job `id`'s whole log (what it will have written once completed).
    pub fn job_log(&self, id: Uuid) -> Option<String> {
        let d = self.state.data.lock();
        d.jobs.get(&id).map(|j| log_of(id, j).text.clone())
    }
}

fn log_of(id: Uuid, job: &Job) -> Arc<FakeLog> {
    let mut logs = LOGS.lock();
    logs.built
        .entry(id)
        .or_insert_with(|| Arc::new(build(job)))
        .clone()
}

fn build(job: &Job) -> FakeLog {
    let mut lines: Vec<String> = Vec::new();
    if let Some(given) = job.args.get("log_lines").and_then(Value::as_array) {
        lines.extend(given.iter().map(|l| match l {
            Value::String(s) => format!("{s}\n"),
            other => format!("{other}\n"),
        }));
    } else if let Some(bytes) = job.args.get("log_bytes").and_then(Value::as_u64) {
        let mut total = 0u64;
        let mut i = 0u64;
        while total < bytes {
            let line = format!("{i:07} ünïcødé → {}\n", "log filler text ".repeat(5));
            total += line.len() as u64;
            lines.push(line);
            i += 1;
        }
    }
    let mut text = String::new();
    let mut ends = Vec::with_capacity(lines.len());
    let mut chars = 0u64;
    for l in &lines {
        chars += l.chars().count() as u64;
        text.push_str(l);
        ends.push((chars, text.len()));
    }
    FakeLog { text, ends }
}

/// The part of the log written by `now`: `(characters, bytes)`.
fn written(log: &FakeLog, job: &Job, now: Instant) -> (u64, usize) {
    let n = log.ends.len();
    if n == 0 {
        return (0, 0);
    }
    // A canceled job stopped writing when it was canceled.
    let until = match &job.canceled {
        Some((at, _)) if *at < job.ends => now.min(*at),
        _ => now,
    };
    let lines = if until >= job.ends {
        n
    } else if until < job.starts {
        0
    } else {
        let run = job.ends.saturating_duration_since(job.starts).as_secs_f64();
        let done = until.saturating_duration_since(job.starts).as_secs_f64();
        ((done / run) * n as f64).floor() as usize
    };
    match lines.min(n) {
        0 => (0, 0),
        k => log.ends[k - 1],
    }
}

/// The log from character `offset` (1-based; 0 and 1 are the start) of the written part.
fn after(log: &FakeLog, written: (u64, usize), offset: u64) -> String {
    let text = &log.text[..written.1];
    let skip = usize::try_from(offset.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = text.char_indices().nth(skip).map_or(text.len(), |(b, _)| b);
    text[start..].to_owned()
}

fn count_served(id: Uuid, text: &str) {
    if !text.is_empty() {
        let mut logs = LOGS.lock();
        let s = logs.served.entry(id).or_default();
        s.0 += text.chars().count() as u64;
        s.1 += text.len() as u64;
    }
}

/// `get_job_update_data` without `only_result`: `None` when the job does not exist.
fn update(
    st: &State,
    id: Uuid,
    offset: Option<u64>,
    running_param: Option<bool>,
    no_logs: bool,
    full_job_on_completion: bool,
) -> Option<Value> {
    let d = st.data.lock();
    let job = d.jobs.get(&id)?;
    let now = Instant::now();
    let phase = job.phase(now);
    let completed = phase == Phase::Completed;
    // `CASE WHEN q.id IS NOT NULL THEN (CASE WHEN NOT $running AND q.running THEN true ELSE
    // null END) ELSE false END`
    let running = if completed {
        json!(false)
    } else if running_param == Some(false) && phase == Phase::Running {
        json!(true)
    } else {
        Value::Null
    };
    let log = log_of(id, job);
    let written = written(&log, job, now);
    let mut u = json!({"running": running, "completed": completed});
    // No `job_logs` row before the first line: `logs` and `log_offset` are null.
    if written.0 > 0 && !no_logs {
        // SUBSTR(logs, GREATEST($offset - job_logs.log_offset, 0)), null offset = 0.
        let new = after(&log, written, offset.unwrap_or(0));
        count_served(id, &new);
        u["new_logs"] = json!(new);
        u["log_offset"] = json!(written.0 + 1);
    } else {
        u["new_logs"] = Value::Null;
        u["log_offset"] = Value::Null;
    }
    if let Some(p) = d.progress.get(&id) {
        u["progress"] = json!(p);
    }
    if completed && full_job_on_completion {
        // The completed job without its logs and code (`GetQuery::without_logs().without_code()`).
        u["job"] = job.json(id, &st.config.workspace, now);
    }
    Some(u)
}

/// The routes of this module; `None` for any other request.
pub(super) fn route(
    st: &Arc<State>,
    req: &Req,
    rest: &[&str],
) -> Option<Result<Response<Body>, Response<Body>>> {
    use hyper::Method;
    if req.method != Method::GET {
        return None;
    }
    Some(match rest {
        ["jobs_u", "getupdate", id] => getupdate(st, req, id),
        ["jobs_u", "getupdate_sse", id]
            if req.q("log_offset").is_some() && req.q("only_result") != Some("true") =>
        {
            sse(st, req, id)
        }
        ["jobs_u", "get_logs", id] => get_logs(st, req, id),
        ["jobs_u", "get_flow_all_logs", id] => flow_all_logs(st, id),
        _ => return None,
    })
}

fn offset_param(req: &Req) -> Result<Option<u64>, Response<Body>> {
    // The server takes an i32; a negative offset reads from the start like 0.
    match req.q("log_offset") {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(|o| Some(o.max(0) as u64))
            .map_err(|_| super::query_rejection("log_offset", v, "an integer")),
    }
}

fn getupdate(st: &Arc<State>, req: &Req, id: &str) -> Result<Response<Body>, Response<Body>> {
    let id = path_uuid(id)?;
    let offset = offset_param(req)?;
    let running = req.q("running").map(|v| v == "true");
    let no_logs = req.q_bool("no_logs")?;
    req.q_bool("get_progress")?;
    let u = update(st, id, offset, running, no_logs, false)
        .ok_or_else(|| not_found(format!("Job not found: {id}")))?;
    Ok(ok_json(u))
}

fn get_logs(st: &Arc<State>, req: &Req, id: &str) -> Result<Response<Body>, Response<Body>> {
    let id = path_uuid(id)?;
    let clean = req.q_bool("remove_ansi_warnings")?;
    let d = st.data.lock();
    let job = d
        .jobs
        .get(&id)
        .ok_or_else(|| not_found(format!("Job Logs not found at name {id}")))?;
    let log = log_of(id, job);
    let written = written(&log, job, Instant::now());
    let logs = &log.text[..written.1];
    count_served(id, logs);
    let body = if clean {
        logs.to_owned()
    } else {
        format!("to remove ansi colors, use: | sed 's/\\x1B\\[[0-9;]\\{{1,\\}}[A-Za-z]//g'\n{logs}")
    };
    Ok(text(StatusCode::OK, body))
}

/// The flow's log under `=== Flow (Job: id) ===`, then each job it started (parent job = this
/// one), depth first, under `=== Step <path> (Job: id) ===`.
fn flow_all_logs(st: &Arc<State>, id: &str) -> Result<Response<Body>, Response<Body>> {
    let id = path_uuid(id)?;
    let d = st.data.lock();
    if !d.jobs.contains_key(&id) {
        return Err(not_found(format!("Job not found at name {id}")));
    }
    let now = Instant::now();
    let mut out = String::new();
    let mut stack = vec![(id, 0usize)];
    while let Some((jid, depth)) = stack.pop() {
        let Some(job) = d.jobs.get(&jid) else {
            continue;
        };
        let log = log_of(jid, job);
        let written = written(&log, job, now);
        let label = if depth == 0 {
            "Flow".to_owned()
        } else {
            format!("Step {}", job.path.clone().unwrap_or_default())
        };
        out.push_str(&format!(
            "\n=== {label} (Job: {jid}) ===\n{}\n",
            &log.text[..written.1]
        ));
        let mut children: Vec<(Uuid, Instant)> = d
            .jobs
            .iter()
            .filter(|(_, j)| j.parent_job == Some(jid))
            .map(|(c, j)| (*c, j.created))
            .collect();
        children.sort_by_key(|(_, created)| std::cmp::Reverse(*created));
        if depth < 32 {
            stack.extend(children.into_iter().map(|(c, _)| (c, depth + 1)));
        }
    }
    Ok(text(StatusCode::OK, out))
}

/// Only these fields decide whether an update is new (the server's `JobUpdate::hash`; the flow
/// status is not modelled here).
fn hash_of(u: &Value) -> Value {
    json!([
        u["running"],
        u["completed"],
        u["log_offset"],
        u["mem_peak"],
        u["progress"]
    ])
}

/// `getupdate_sse` with `log_offset`: `start_job_update_sse_stream`.
fn sse(st: &Arc<State>, req: &Req, id: &str) -> Result<Response<Body>, Response<Body>> {
    let id = path_uuid(id)?;
    let mut offset = offset_param(req)?;
    let fast = req.q_bool("fast")?;
    let no_logs = req.q_bool("no_logs")?;
    let running_param = req.q("running").map(|v| v == "true");
    let st = st.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(32);
    tokio::spawn(async move {
        let send = |v: Value| {
            let tx = tx.clone();
            async move { tx.send(Bytes::from(format!("data: {v}\n\n"))).await.is_ok() }
        };
        let mut last_hash: Option<Value> = None;
        // The first update, at once.
        match update(&st, id, offset, running_param, no_logs, true) {
            Some(mut u) => {
                last_hash = Some(hash_of(&u));
                let completed = u["completed"] == json!(true);
                match u["log_offset"].as_u64() {
                    Some(o) if Some(o) != Some(offset.unwrap_or(0)) => offset = Some(o),
                    Some(_) => u["log_offset"] = Value::Null,
                    None => {}
                }
                u["type"] = json!("update");
                if !send(strip_nulls(u)).await || completed {
                    return;
                }
            }
            None => {
                let e =
                    json!({"type": "error", "error": format!("Not found: Job not found: {id}")});
                if !send(e).await {
                    return;
                }
            }
        }
        let began = Instant::now();
        let mut last_ping = Instant::now();
        let mut i: u32 = 0;
        loop {
            i += 1;
            let delay = if i > 100 || !fast {
                Duration::from_secs(3)
            } else if i > 10 {
                Duration::from_millis(500)
            } else {
                Duration::from_millis(100)
            };
            if last_ping.elapsed() > st.config.sse_ping_after {
                if !send(json!({"type": "ping"})).await {
                    return;
                }
                last_ping = Instant::now();
            }
            if began.elapsed() > st.config.sse_timeout {
                let _ = send(json!({"type": "timeout"})).await;
                return;
            }
            tokio::time::sleep(delay).await;
            let Some(mut u) = update(&st, id, offset, running_param, no_logs, true) else {
                let _ = send(json!({"type": "notfound"})).await;
                return;
            };
            if u["completed"] == json!(false) {
                u["completed"] = Value::Null;
            }
            if u["new_logs"] == json!("") {
                u["new_logs"] = Value::Null;
            }
            let hash = hash_of(&u);
            if last_hash.as_ref() == Some(&hash) {
                continue;
            }
            match u["log_offset"].as_u64() {
                Some(o) if o != offset.unwrap_or(0) => offset = Some(o),
                Some(_) => u["log_offset"] = Value::Null,
                None => {}
            }
            let completed = u["completed"] == json!(true);
            u["type"] = json!("update");
            if !send(strip_nulls(u)).await || completed {
                return;
            }
            last_hash = Some(hash);
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(Frame::data(b)), rx))
    });
    let mut r = Response::new(StreamBody::new(stream).boxed());
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert("connection", HeaderValue::from_static("keep-alive"));
    Ok(r)
}

/// The server omits `None` fields (`skip_serializing_if = "Option::is_none"`).
fn strip_nulls(mut u: Value) -> Value {
    if let Value::Object(m) = &mut u {
        m.retain(|_, v| !v.is_null());
    }
    u
}
