//! A stateful fake Windmill HTTP server that answers like the real one.
//!
//! It serves on `127.0.0.1:<random port>` the endpoints the SDK calls: variables, resources
//! (with `$var:` / `$res:` interpolation, type filter and paging), state (resources of type
//! `state`), job starts (`run/p`, `run/h`, `run/f`, `run_wait_result/p` and `/f`), results,
//! jobs, cancel, `getupdate_sse`, progress, flow user state, resume/approval URLs, whoami,
//! version, OIDC tokens, API tokens, root job ids, worker draining, inline previews (data table
//! and DuckLake SQL evaluated by a tiny engine, see `fake_sql`, other languages echoed), DuckLake
//! materialization records, Kafka offsets and job listings (`jobs/list`, paged as the server
//! pages it). Shapes follow `reference/server-behaviour.md`: error bodies are `text/plain`
//! `"Not found: ..."`, `get_result_maybe` always has its four keys, starts answer 201 with the id
//! as text, `run_wait_result` answers 200 with the result or 422 with the error, and the
//! server-side waits follow the real schedules (`run_wait_result`: a check every 50 ms for 2 s,
//! then every 200 ms, first check after the first sleep; `getupdate_sse`: an update at once,
//! then checks every 3 s, or with `fast=true` 100 ms x10, 500 ms up to 100 checks, then 3 s).
//!
//! Jobs are the `wmill_core::conformance` fixtures:
//!
//! | runnable | behaviour |
//! |---|---|
//! | script `f/conformance/echo`, hash `00000000c0ffee01`, flow `f/conformance/echo_flow` | returns its arguments, at once |
//! | script `f/conformance/fail` | fails with `{"name": "ConformanceError", "message": args.message}` |
//! | script `f/conformance/sleep` | completes `args.ms` milliseconds after it starts, returns `args.ms` |
//! | flow `f/conformance/approval_flow` ([`APPROVAL_FLOW`]) | its first step returns the resume URLs signed for `args.approver`, then the flow is suspended until resumed (returns the payload) or canceled through those URLs |
//!
//! Any job writes a log when its arguments ask for one (`"log_bytes": n` or `"log_lines": [..]`,
//! written evenly over its run on the server's clock; see the `logs` module): `get_logs`,
//! `get_flow_all_logs`, `getupdate` and `getupdate_sse` with `log_offset` serve it, offsets
//! counting characters as the real server does ([`FakeWindmill::log_served`] says how much of it
//! was sent).
//!
//! The server counts requests per route ([`FakeWindmill::count`], [`FakeWindmill::counts`]),
//! can require a token, and can inject failures ([`FakeWindmill::fail_next`]).
//!
//! ```no_run
//! # #[tokio::main] async fn main() {
//! let server = wmill_tests::fake_windmill::FakeWindmill::start().await;
//! println!("{} workspace {}", server.base_url(), server.workspace());
//! # }
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::result_large_err
)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use uuid::Uuid;

type Body = BoxBody<Bytes, Infallible>;

/// Job logs: `get_logs`, `get_flow_all_logs`, `getupdate`, `getupdate_sse` with `log_offset`.
mod logs;

/// The echo script.
pub const ECHO: &str = "f/conformance/echo";
/// The echo script's hash.
pub const ECHO_HASH: &str = "00000000c0ffee01";
/// The failing script.
pub const FAIL: &str = "f/conformance/fail";
/// The sleeping script.
pub const SLEEP: &str = "f/conformance/sleep";
/// The echo flow.
pub const ECHO_FLOW: &str = "f/conformance/echo_flow";
/// A script returning `args.a + args.b` (integers).
pub const SUM: &str = "f/conformance/sum";

/// Settings of a [`FakeWindmill`].
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The workspace id served (others are 404).
    pub workspace: String,
    /// When set, every request must carry `Authorization: Bearer <token>` (else 401).
    pub token: Option<String>,
    /// The server-side bound of `run_wait_result` (the real server: `TIMEOUT_WAIT_RESULT`,
    /// 600 s): past it, the answer is `500 timeout after {n}s` and the job, if still running,
    /// is canceled (`http connection broke`), as the real server does.
    pub run_wait_result_timeout: Duration,
    /// After how long without an event the event stream sends a ping (real: 5 s).
    pub sse_ping_after: Duration,
    /// After how long the event stream sends `timeout` and ends (real: 60 s).
    pub sse_timeout: Duration,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            workspace: "test".into(),
            token: Some("fake-token".into()),
            run_wait_result_timeout: Duration::from_secs(600),
            sse_ping_after: Duration::from_secs(5),
            sse_timeout: Duration::from_secs(60),
        }
    }
}

/// A running fake server; stops when dropped.
#[derive(Debug)]
pub struct FakeWindmill {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for FakeWindmill {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
struct State {
    config: FakeConfig,
    data: Mutex<Data>,
    counts: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<HashMap<String, VecDeque<(u16, String)>>>,
    total: AtomicU64,
}

#[derive(Debug, Default)]
struct Data {
    variables: BTreeMap<String, Variable>,
    resources: BTreeMap<String, Resource>,
    jobs: HashMap<Uuid, Job>,
    /// Script or flow paths that run a fixture (`alias_script`).
    aliases: HashMap<String, String>,
    user_states: HashMap<(Uuid, String), Value>,
    progress: HashMap<Uuid, u64>,
    /// Tables of the data table and DuckLake previews.
    sql: crate::fake_sql::SqlStore,
    /// Bodies of `assets/record_materialization`.
    materializations: Vec<Value>,
    /// Folders created through `folders/create`.
    folders: std::collections::BTreeSet<String>,
    /// Files behind the `job_helpers` file endpoints: `(storage or "", key) -> file`.
    files: BTreeMap<(String, String), StoredFile>,
    /// Approval flows ([`APPROVAL_FLOW`]) by flow job id.
    approvals: HashMap<Uuid, Approval>,
    /// The run options each start carried, as recorded (see [`FakeWindmill::job_options`]).
    run_options: HashMap<Uuid, Value>,
    /// `http://127.0.0.1:<port>`: the server's own base URL, in the resume URLs it signs.
    base_url: String,
    /// The key resume signatures are made with.
    signing_key: Uuid,
}

#[derive(Debug, Clone)]
struct Variable {
    value: String,
    is_secret: bool,
    description: String,
}

#[derive(Debug, Clone)]
struct Resource {
    value: Value,
    resource_type: String,
    description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Script,
    Flow,
}

#[derive(Debug, Clone)]
struct Job {
    kind: Kind,
    path: Option<String>,
    hash: Option<String>,
    args: Map<String, Value>,
    tag: Option<String>,
    parent_job: Option<Uuid>,
    root_job: Option<Uuid>,
    created: Instant,
    created_wall: SystemTime,
    starts: Instant,
    ends: Instant,
    success: bool,
    result: Value,
    canceled: Option<(Instant, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Phase {
    Queued,
    Running,
    Completed,
}

impl Job {
    fn phase(&self, now: Instant) -> Phase {
        if self.canceled.as_ref().is_some_and(|(at, _)| now >= *at) || now >= self.ends {
            Phase::Completed
        } else if now >= self.starts {
            Phase::Running
        } else {
            Phase::Queued
        }
    }

    /// `(success, result)` once completed.
    fn outcome(&self) -> (bool, Value) {
        match &self.canceled {
            Some((_, reason)) if self.canceled_before_end() => (
                false,
                json!({"error": {"name": "Canceled", "message": format!("Job canceled: {reason} by fake")}}),
            ),
            _ => (self.success, self.result.clone()),
        }
    }

    fn canceled_before_end(&self) -> bool {
        self.canceled
            .as_ref()
            .is_some_and(|(at, _)| *at < self.ends)
    }

    fn json(&self, id: Uuid, workspace: &str, now: Instant) -> Value {
        let created = iso(self.created_wall);
        let mut j = json!({
            "id": id.to_string(),
            "workspace_id": workspace,
            "created_by": "fake",
            "created_at": created,
            "permissioned_as": "u/fake",
            "email": "fake@windmill.dev",
            "visible_to_owner": true,
            "is_flow_step": false,
            "job_kind": if self.kind == Kind::Flow { "flow" } else { "script" },
            "args": Value::Object(self.args.clone()),
            "tag": self.tag.clone().unwrap_or_else(|| "default".into()),
            "language": if self.kind == Kind::Flow { Value::Null } else { json!("bun") },
            "canceled": self.canceled.is_some(),
            "is_skipped": false,
        });
        if let Some(p) = &self.path {
            j["script_path"] = json!(p);
        }
        if let Some(h) = &self.hash {
            j["script_hash"] = json!(h);
        }
        if let Some(p) = self.parent_job {
            j["parent_job"] = json!(p.to_string());
        }
        if let Some((_, reason)) = &self.canceled {
            j["canceled_by"] = json!("fake");
            j["canceled_reason"] = json!(reason);
        }
        match self.phase(now) {
            Phase::Completed => {
                let (success, result) = self.outcome();
                j["type"] = json!("CompletedJob");
                j["success"] = json!(success);
                j["result"] = result;
                j["started_at"] = json!(created);
                j["duration_ms"] =
                    json!(self.ends.saturating_duration_since(self.starts).as_millis() as u64);
                j["deleted"] = json!(false);
            }
            phase => {
                j["type"] = json!("QueuedJob");
                j["running"] = json!(phase == Phase::Running);
                if phase == Phase::Running {
                    j["started_at"] = json!(created);
                }
                // As the server: queued jobs say when they may start, and name their root job.
                let delay = self.starts.saturating_duration_since(self.created);
                j["scheduled_for"] = json!(iso(self.created_wall + delay));
                if let Some(r) = self.root_job {
                    j["root_job"] = json!(r.to_string());
                }
            }
        }
        j
    }
}

fn iso(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dd = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_millis()
    )
}

impl FakeWindmill {
    /// Starts a server with [`FakeConfig::default`] (workspace `test`, token `fake-token`).
    pub async fn start() -> FakeWindmill {
        Self::start_with(FakeConfig::default()).await
    }

    /// Starts a server with `config`.
    pub async fn start_with(config: FakeConfig) -> FakeWindmill {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            config,
            data: Mutex::new(Data::default()),
            counts: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(HashMap::new()),
            total: AtomicU64::new(0),
        });
        {
            let mut d = state.data.lock();
            d.base_url = format!("http://{addr}");
            d.signing_key = Uuid::new_v4();
        }
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(handle(st, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        FakeWindmill { addr, state, task }
    }

    /// `http://127.0.0.1:<port>` (requests go to `{base_url}/api/...`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The workspace served.
    pub fn workspace(&self) -> &str {
        &self.state.config.workspace
    }

    /// The token required, if any.
    pub fn token(&self) -> Option<&str> {
        self.state.config.token.as_deref()
    }

    /// Requests received on `route` (e.g. `"get_result_maybe"`, `"run_wait_result/p"`,
    /// `"run/p"`, `"getupdate_sse"`, `"variables/get_value"`).
    pub fn count(&self, route: &str) -> u64 {
        self.state.counts.lock().get(route).copied().unwrap_or(0)
    }

    /// All request counts by route.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts.lock().clone()
    }

    /// Total requests received.
    pub fn total_requests(&self) -> u64 {
        self.state.total.load(Ordering::Relaxed)
    }

    /// Resets the request counts.
    pub fn reset_counts(&self) {
        self.state.counts.lock().clear();
        self.state.total.store(0, Ordering::Relaxed);
    }

    /// Makes the next `times` requests on `route` fail with `status` and a text body.
    pub fn fail_next(&self, route: &str, status: u16, times: usize, body: &str) {
        let mut f = self.state.faults.lock();
        let q = f.entry(route.to_owned()).or_default();
        for _ in 0..times {
            q.push_back((status, body.to_owned()));
        }
    }

    /// Whether a job with this id exists, and whether it was canceled.
    pub fn job_canceled(&self, id: Uuid) -> Option<bool> {
        self.state
            .data
            .lock()
            .jobs
            .get(&id)
            .map(|j| j.canceled.is_some())
    }

    /// When a job started and when it completed (or will complete) on this server's clock:
    /// benchmarks subtract `end - start` from the time a client took to get the result.
    pub fn job_times(&self, id: Uuid) -> Option<(Instant, Instant)> {
        let d = self.state.data.lock();
        d.jobs.get(&id).map(|j| {
            let end = match &j.canceled {
                Some((at, _)) if *at < j.ends => *at,
                _ => j.ends,
            };
            (j.starts, end)
        })
    }

    /// The number of jobs created.
    pub fn job_count(&self) -> usize {
        self.state.data.lock().jobs.len()
    }

    /// The stored args, tag, parent and root of a job (for assertions).
    pub fn job_info(&self, id: Uuid) -> Option<Value> {
        let d = self.state.data.lock();
        d.jobs.get(&id).map(|j| {
            json!({
                "args": Value::Object(j.args.clone()),
                "tag": j.tag,
                "parent_job": j.parent_job.map(|u| u.to_string()),
                "root_job": j.root_job.map(|u| u.to_string()),
                "scheduled_in_ms": j.starts.saturating_duration_since(j.created).as_millis() as u64,
            })
        })
    }

    /// Seeds a variable.
    pub fn put_variable(&self, path: &str, value: &str, is_secret: bool) {
        self.state.data.lock().variables.insert(
            path.to_owned(),
            Variable {
                value: value.to_owned(),
                is_secret,
                description: String::new(),
            },
        );
    }

    /// Makes the script or flow at `path` run the fixture at `fixture` (e.g. [`SUM`]), so code
    /// written against other paths (the examples) can run against this server.
    pub fn alias_script(&self, path: &str, fixture: &str) {
        self.state
            .data
            .lock()
            .aliases
            .insert(path.to_owned(), fixture.to_owned());
    }

    /// Seeds a resource.
    pub fn put_resource(&self, path: &str, value: Value, resource_type: &str) {
        self.state.data.lock().resources.insert(
            path.to_owned(),
            Resource {
                value,
                resource_type: resource_type.to_owned(),
                description: String::new(),
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_resp(status: StatusCode, v: &Value) -> Response<Body> {
    full(status, "application/json", serde_json::to_vec(v).unwrap())
}

fn ok_json(v: Value) -> Response<Body> {
    json_resp(StatusCode::OK, &v)
}

fn text(status: StatusCode, t: impl Into<String>) -> Response<Body> {
    full(status, "text/plain; charset=utf-8", t.into())
}

fn not_found(msg: impl std::fmt::Display) -> Response<Body> {
    text(StatusCode::NOT_FOUND, format!("Not found: {msg}"))
}

fn bad_request(msg: impl std::fmt::Display) -> Response<Body> {
    text(StatusCode::BAD_REQUEST, format!("Bad request: {msg}"))
}

// ---------------------------------------------------------------------------------------------
// Request parsing

struct Req {
    method: Method,
    /// Decoded segments after `/api/`.
    segs: Vec<String>,
    query: HashMap<String, String>,
    content_type: Option<String>,
    body: Bytes,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    fn q_bool(&self, k: &str) -> Result<bool, Response<Body>> {
        match self.q(k) {
            None => Ok(false),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(query_rejection(k, v, "a boolean")),
        }
    }

    fn q_uuid(&self, k: &str) -> Result<Option<Uuid>, Response<Body>> {
        match self.q(k) {
            None => Ok(None),
            Some(v) => Uuid::parse_str(v)
                .map(Some)
                .map_err(|_| query_rejection(k, v, "a UUID")),
        }
    }

    fn q_u64(&self, k: &str) -> Result<Option<u64>, Response<Body>> {
        match self.q(k) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| query_rejection(k, v, "an integer")),
        }
    }

    /// The JSON body, with axum's rejections.
    fn json(&self) -> Result<Value, Response<Body>> {
        let ct_ok = self
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json") || c.contains("+json"));
        if !ct_ok {
            return Err(text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected request with `Content-Type: application/json`",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            text(
                StatusCode::BAD_REQUEST,
                format!("Failed to parse the request body as JSON: {e}"),
            )
        })
    }

    fn json_object(&self) -> Result<Map<String, Value>, Response<Body>> {
        match self.json()? {
            Value::Object(m) => Ok(m),
            _ => Err(text(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Failed to deserialize the JSON body into the target type: invalid type: expected a map",
            )),
        }
    }
}

fn query_rejection(k: &str, v: &str, what: &str) -> Response<Body> {
    text(
        StatusCode::BAD_REQUEST,
        format!("Failed to deserialize query string: {k}: invalid value {v:?}, expected {what}"),
    )
}

fn missing_field(f: &str) -> Response<Body> {
    text(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("Failed to deserialize the JSON body into the target type: missing field `{f}`"),
    )
}

fn path_uuid(s: &str) -> Result<Uuid, Response<Body>> {
    Uuid::parse_str(s).map_err(|e| {
        text(
            StatusCode::BAD_REQUEST,
            format!("Invalid URL: Cannot parse `{s}` to a `UUID`: {e}"),
        )
    })
}

fn decode(seg: &str) -> String {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let fix = |s: &str| decode(&s.replace('+', " "));
        m.insert(fix(k), fix(v));
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Routing

async fn handle(st: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let raw_path = parts.uri.path().to_owned();
    let Some(rest) = raw_path.strip_prefix("/api/") else {
        return not_found("no such route");
    };
    let req = Req {
        method: parts.method.clone(),
        segs: rest.split('/').map(decode).collect(),
        query: parse_query(parts.uri.query()),
        content_type: parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    };
    st.total.fetch_add(1, Ordering::Relaxed);
    let route = route_name(&req);
    *st.counts.lock().entry(route.clone()).or_default() += 1;

    if let Some(token) = &st.config.token
        && !approval_is_public(&req)
    {
        let expected = format!("Bearer {token}");
        let got = parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if got != Some(expected.as_str()) {
            return text(
                StatusCode::UNAUTHORIZED,
                "Not authorized: Could not authenticate with the token",
            );
        }
    }
    if let Some((status, body)) = st
        .faults
        .lock()
        .get_mut(&route)
        .and_then(VecDeque::pop_front)
    {
        return text(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
        );
    }
    match route_request(&st, &req).await {
        Ok(r) | Err(r) => r,
    }
}

/// A stable name for counting: the fixed segments of the route.
fn route_name(req: &Req) -> String {
    let s: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["w", _, "jobs", "run", k, ..] => format!("run/{k}"),
        ["w", _, "jobs", "run_wait_result", k, ..] => format!("run_wait_result/{k}"),
        ["w", _, "jobs", "run_inline", k, ..] => format!("run_inline/{k}"),
        ["w", _, "jobs_u", "completed", what, ..] => (*what).to_owned(),
        ["w", _, "jobs_u", "queue", what, ..] => format!("queue/{what}"),
        ["w", _, "jobs", "flow", "user_states", ..] => format!("{} user_states", req.method),
        ["w", _, "jobs_u", what, ..] | ["w", _, "jobs", what, ..] => (*what).to_owned(),
        ["w", _, area, op, ..] => format!("{area}/{op}"),
        ["w", _, area] => (*area).to_owned(),
        [a, b, ..] => format!("{a}/{b}"),
        [a] => (*a).to_owned(),
        [] => String::new(),
    }
}

async fn route_request(st: &Arc<State>, req: &Req) -> Result<Response<Body>, Response<Body>> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let m = &req.method;
    match segs.as_slice() {
        ["version"] if m == Method::GET => return Ok(text(StatusCode::OK, "v1.fake-windmill")),
        ["users", "whoami"] if m == Method::GET => {
            return Ok(ok_json(json!({
                "email": "fake@windmill.dev", "login_type": "password", "super_admin": false,
                "devops": false, "verified": true, "name": "Fake", "username": "fake", "operator_only": false,
            })));
        }
        ["users", "tokens", "create"] if m == Method::POST => {
            let body = req.json_object()?;
            if let Some(exp) = body.get("expiration")
                && !exp
                    .as_str()
                    .is_some_and(|s| s.ends_with('Z') && s.len() >= 20)
            {
                return Err(missing_field("expiration"));
            }
            return Ok(text(
                StatusCode::CREATED,
                format!("tok_{}", Uuid::new_v4().simple()),
            ));
        }
        ["w", ws, ..] if *ws != st.config.workspace => {
            return Err(not_found(format!("workspace {ws} not found")));
        }
        _ => {}
    }
    let rest: &[&str] = segs.get(2..).unwrap_or(&[]);
    if let Some(answer) = logs::route(st, req, rest) {
        return answer;
    }
    if let Some(answer) = folder_script_and_file_routes(st, req, rest) {
        return answer;
    }
    if let Some(answer) = approval_routes(st, req, rest) {
        return answer;
    }
    if let Some(answer) = flow_version_routes(st, req, rest).await {
        return answer;
    }
    match (m.clone(), rest) {
        // ---------------- variables
        (Method::GET, ["variables", "get_value", p @ ..]) => {
            let p = p.join("/");
            let d = st.data.lock();
            let v = d
                .variables
                .get(&p)
                .ok_or_else(|| not_found(format!("Variable not found at name {p}")))?;
            Ok(ok_json(json!(v.value)))
        }
        (Method::GET, ["variables", "exists", p @ ..]) => Ok(ok_json(json!(
            st.data.lock().variables.contains_key(&p.join("/"))
        ))),
        (Method::GET, ["variables", "get", p @ ..]) => {
            let p = p.join("/");
            let d = st.data.lock();
            let v = d
                .variables
                .get(&p)
                .ok_or_else(|| not_found(format!("Variable not found at name {p}")))?;
            Ok(ok_json(var_json(&p, v, true, &st.config.workspace)))
        }
        (Method::POST, ["variables", "create"]) => {
            let b = req.json_object()?;
            let path = b
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_field("path"))?;
            let value = b
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_field("value"))?;
            let is_secret = b
                .get("is_secret")
                .and_then(Value::as_bool)
                .ok_or_else(|| missing_field("is_secret"))?;
            let description = b
                .get("description")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_field("description"))?;
            let mut d = st.data.lock();
            if d.variables.contains_key(path) {
                return Err(bad_request(format!("Variable {path} already exists")));
            }
            d.variables.insert(
                path.to_owned(),
                Variable {
                    value: value.to_owned(),
                    is_secret,
                    description: description.to_owned(),
                },
            );
            Ok(text(StatusCode::CREATED, path.to_owned()))
        }
        (Method::POST, ["variables", "update", p @ ..]) => {
            let p = p.join("/");
            let b = req.json_object()?;
            let mut d = st.data.lock();
            let v = d
                .variables
                .get_mut(&p)
                .ok_or_else(|| not_found(format!("Variable not found at name {p}")))?;
            if let Some(value) = b.get("value") {
                v.value = value
                    .as_str()
                    .ok_or_else(|| missing_field("value"))?
                    .to_owned();
            }
            if let Some(s) = b.get("is_secret").and_then(Value::as_bool) {
                v.is_secret = s;
            }
            if let Some(s) = b.get("description").and_then(Value::as_str) {
                v.description = s.to_owned();
            }
            Ok(text(StatusCode::OK, format!("variable {p} updated")))
        }
        (Method::DELETE, ["variables", "delete", p @ ..]) => {
            let p = p.join("/");
            st.data
                .lock()
                .variables
                .remove(&p)
                .ok_or_else(|| not_found(format!("Variable not found at name {p}")))?;
            Ok(text(StatusCode::OK, format!("variable {p} deleted")))
        }
        (Method::GET, ["variables", "list"]) => {
            let (page, per_page) = paging(req)?;
            let start = req.q("path_start").unwrap_or("");
            let d = st.data.lock();
            let rows: Vec<Value> = d
                .variables
                .iter()
                .filter(|(p, _)| p.starts_with(start))
                .skip(page * per_page)
                .take(per_page)
                .map(|(p, v)| var_json(p, v, false, &st.config.workspace))
                .collect();
            Ok(ok_json(Value::Array(rows)))
        }
        // ---------------- resources
        (Method::GET, ["resources", "get_value_interpolated", p @ ..]) => {
            let p = p.join("/");
            let d = st.data.lock();
            let r = d
                .resources
                .get(&p)
                .ok_or_else(|| not_found(format!("Resource not found at name {p}")))?;
            Ok(ok_json(interpolate(&d, &r.value, 0)))
        }
        (Method::GET, ["resources", "get_value", p @ ..]) => {
            let p = p.join("/");
            let d = st.data.lock();
            let r = d
                .resources
                .get(&p)
                .ok_or_else(|| not_found(format!("Resource not found at name {p}")))?;
            Ok(ok_json(r.value.clone()))
        }
        (Method::GET, ["resources", "exists", p @ ..]) => Ok(ok_json(json!(
            st.data.lock().resources.contains_key(&p.join("/"))
        ))),
        (Method::POST, ["resources", "create"]) => {
            let update_if_exists = req.q_bool("update_if_exists")?;
            let b = req.json_object()?;
            let path = b
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_field("path"))?;
            let value = b
                .get("value")
                .cloned()
                .ok_or_else(|| missing_field("value"))?;
            let rt = b
                .get("resource_type")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_field("resource_type"))?;
            let mut d = st.data.lock();
            if d.resources.contains_key(path) && !update_if_exists {
                return Err(bad_request(format!("Resource {path} already exists")));
            }
            d.resources.insert(
                path.to_owned(),
                Resource {
                    value,
                    resource_type: rt.to_owned(),
                    description: b
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                },
            );
            Ok(text(StatusCode::CREATED, path.to_owned()))
        }
        (Method::POST, ["resources", "update_value", p @ ..]) => {
            let p = p.join("/");
            let b = req.json_object()?;
            let mut d = st.data.lock();
            let r = d
                .resources
                .get_mut(&p)
                .ok_or_else(|| not_found(format!("Resource not found at name {p}")))?;
            r.value = b.get("value").cloned().unwrap_or(Value::Null);
            Ok(text(StatusCode::OK, format!("resource value {p} updated")))
        }
        (Method::DELETE, ["resources", "delete", p @ ..]) => {
            let p = p.join("/");
            st.data
                .lock()
                .resources
                .remove(&p)
                .ok_or_else(|| not_found(format!("Resource not found at name {p}")))?;
            Ok(text(StatusCode::OK, format!("resource {p} deleted")))
        }
        (Method::GET, ["resources", "list"]) => {
            let (page, per_page) = paging(req)?;
            let types: Option<Vec<&str>> = req.q("resource_type").map(|t| t.split(',').collect());
            let start = req.q("path_start").unwrap_or("");
            let d = st.data.lock();
            let rows: Vec<Value> = d
                .resources
                .iter()
                .filter(|(p, r)| {
                    p.starts_with(start)
                        && types.as_ref().is_none_or(|t| t.contains(&r.resource_type.as_str()))
                })
                .skip(page * per_page)
                .take(per_page)
                .map(|(p, r)| {
                    json!({
                        "workspace_id": st.config.workspace, "path": p, "description": r.description,
                        "resource_type": r.resource_type, "value": r.value, "is_oauth": false,
                        "extra_perms": {}, "is_expired": false, "is_linked": false, "is_refreshed": false,
                    })
                })
                .collect();
            Ok(ok_json(Value::Array(rows)))
        }
        // ---------------- job starts
        (Method::POST, ["jobs", "run", k @ ("p" | "h" | "f"), p @ ..]) => {
            let (id, _) = create_job(st, req, k, &p.join("/"), true)?;
            Ok(text(StatusCode::CREATED, id.to_string()))
        }
        (Method::POST, ["jobs", "run_wait_result", k @ ("p" | "f"), p @ ..]) => {
            let (id, _) = create_job(st, req, k, &p.join("/"), false)?;
            Ok(run_wait_result(st.clone(), id).await)
        }
        (Method::POST, ["jobs", mode @ ("run_inline" | "run_wait_result"), "preview"]) => {
            let b = req.json_object()?;
            if *mode == "run_inline" {
                for f in ["content", "language"] {
                    if !b.contains_key(f) {
                        return Err(missing_field(f));
                    }
                }
            }
            let args = b
                .get("args")
                .cloned()
                .ok_or_else(|| missing_field("args"))?;
            if let Some(answer) = sql_preview_answer(st, mode, &b, &args) {
                return Ok(answer);
            }
            Ok(ok_json(
                json!({"language": b.get("language"), "args": args}),
            ))
        }
        (Method::POST, ["assets", "record_materialization"]) => {
            let b = req.json_object()?;
            st.data.lock().materializations.push(Value::Object(b));
            Ok(ok_json(Value::Null))
        }
        // ---------------- results and jobs
        (Method::GET, ["jobs_u", "completed", "get_result_maybe", id]) => {
            let id = path_uuid(id)?;
            let get_started = req.q_bool("get_started")?;
            let now = Instant::now();
            let d = st.data.lock();
            let job = d
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(format!("Job not found at name {id}")))?;
            match job.phase(now) {
                Phase::Completed => {
                    let (success, result) = job.outcome();
                    Ok(ok_json(
                        json!({"started": true, "success": success, "completed": true, "result": result}),
                    ))
                }
                phase => {
                    let started = if get_started {
                        json!(phase == Phase::Running)
                    } else {
                        Value::Null
                    };
                    Ok(ok_json(
                        json!({"started": started, "success": null, "completed": false, "result": null}),
                    ))
                }
            }
        }
        (Method::GET, ["jobs_u", "completed", "get_result", id]) => {
            let id = path_uuid(id)?;
            let d = st.data.lock();
            match d.jobs.get(&id) {
                Some(j) if j.phase(Instant::now()) == Phase::Completed => {
                    Ok(ok_json(j.outcome().1))
                }
                _ => Err(not_found(format!("Completed Job not found at name {id}"))),
            }
        }
        (Method::GET, ["jobs_u", "get", id]) => {
            let id = path_uuid(id)?;
            req.q_bool("no_logs")?;
            req.q_bool("no_code")?;
            let d = st.data.lock();
            let j = d
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(format!("Job not found at name {id}")))?;
            let now = Instant::now();
            let mut v = j.json(id, &st.config.workspace, now);
            patch_job_json(&d, id, &mut v, now);
            Ok(ok_json(v))
        }
        (Method::POST, ["jobs_u", "queue", "cancel" | "force_cancel", id]) => {
            let id = path_uuid(id)?;
            let b = req.json_object()?;
            let reason = b
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let now = Instant::now();
            let mut d = st.data.lock();
            let j = d
                .jobs
                .get_mut(&id)
                .ok_or_else(|| not_found(format!("Job not found at name {id}")))?;
            if j.phase(now) == Phase::Completed {
                return Err(not_found(format!(
                    "Job {id} not found or already completed"
                )));
            }
            j.canceled = Some((now, reason));
            Ok(text(StatusCode::OK, id.to_string()))
        }
        (Method::GET, ["jobs_u", "getupdate_sse", id]) => {
            let id = path_uuid(id)?;
            let fast = req.q_bool("fast")?;
            let only_result = req.q_bool("only_result")?;
            let running_param = req.q("running").map(|v| v == "true");
            Ok(sse(st.clone(), id, fast, only_result, running_param))
        }
        (Method::GET, ["jobs_u", "get_root_job_id", id]) => {
            let id = path_uuid(id)?;
            let d = st.data.lock();
            let mut cur = d
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(format!("Job not found at name {id}")))?;
            let mut root = id;
            if let Some(r) = cur.root_job {
                return Ok(ok_json(json!(r.to_string())));
            }
            while let Some(p) = cur.parent_job {
                root = p;
                match d.jobs.get(&p) {
                    Some(j) => cur = j,
                    None => break,
                }
            }
            Ok(ok_json(json!(root.to_string())))
        }
        (Method::GET, ["jobs", "worker_is_draining", id]) => {
            path_uuid(id)?;
            Ok(ok_json(json!(false)))
        }
        (Method::POST, ["job_metrics", "set_progress", id]) => {
            let id = path_uuid(id)?;
            let b = req.json_object()?;
            if let Some(f) = b.get("flow_job_id")
                && f.as_str().is_none_or(|s| Uuid::parse_str(s).is_err())
            {
                return Err(text(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Failed to deserialize the JSON body into the target type: flow_job_id: UUID parsing failed",
                ));
            }
            let pct = b
                .get("percent")
                .and_then(Value::as_u64)
                .ok_or_else(|| missing_field("percent"))?;
            let mut d = st.data.lock();
            let cur = d.progress.entry(id).or_insert(0);
            *cur = (*cur).max(pct.min(99));
            Ok(ok_json(Value::Null))
        }
        (Method::GET, ["job_metrics", "get_progress", id]) => {
            let id = path_uuid(id)?;
            Ok(ok_json(
                st.data
                    .lock()
                    .progress
                    .get(&id)
                    .map_or(Value::Null, |p| json!(p)),
            ))
        }
        (Method::POST, ["jobs", "flow", "user_states", id, key]) => {
            let id = path_uuid(id)?;
            let v = req.json()?;
            let mut d = st.data.lock();
            if !d.jobs.get(&id).is_some_and(|j| j.kind == Kind::Flow) {
                return Err(not_found(format!(
                    "Flow {id} does not exist or is not a flow"
                )));
            }
            d.user_states.insert((id, (*key).to_owned()), v);
            Ok(text(StatusCode::OK, "flow user state updated"))
        }
        (Method::GET, ["jobs", "flow", "user_states", id, key]) => {
            let id = path_uuid(id)?;
            let d = st.data.lock();
            if !d.jobs.get(&id).is_some_and(|j| j.kind == Kind::Flow) {
                return Err(not_found(format!(
                    "Flow {id} does not exist or is not a flow"
                )));
            }
            Ok(ok_json(
                d.user_states
                    .get(&(id, (*key).to_owned()))
                    .cloned()
                    .unwrap_or(Value::Null),
            ))
        }
        (Method::GET, ["jobs", "wac_approval_urls", id, key]) => {
            let id = path_uuid(id)?;
            Ok(ok_json(urls(id, key, req.q("approver"), false)))
        }
        (Method::GET, ["users", "whoami"]) => Ok(ok_json(json!({
            "email": "fake@windmill.dev", "username": "fake", "is_admin": false, "is_super_admin": false,
            "created_at": "2024-01-01T00:00:00Z", "operator": false, "disabled": false, "role": "developer",
            "groups": ["all"], "folders": [], "folders_owners": [],
        }))),
        (Method::POST, ["oidc", "token", audience]) => {
            req.q("expires_in")
                .map(str::parse::<f64>)
                .transpose()
                .map_err(|_| {
                    query_rejection("expires_in", req.q("expires_in").unwrap_or(""), "a number")
                })?;
            Ok(text(StatusCode::OK, format!("eyJ.fake.{audience}")))
        }
        (Method::POST, ["kafka_triggers", "commit_offsets", p @ ..]) => {
            let b = req.json_object()?;
            for f in ["topic", "partition", "offset"] {
                if !b.contains_key(f) {
                    return Err(missing_field(f));
                }
            }
            Ok(text(
                StatusCode::OK,
                format!("offsets committed for {}", p.join("/")),
            ))
        }
        // ---------------- listings
        (Method::GET, ["jobs", "list"]) => list_jobs(st, req),
        _ => Err(not_found("no such route")),
    }
}

fn urls(id: Uuid, key: &str, approver: Option<&str>, flow_level: bool) -> Value {
    let a = approver
        .map(|a| format!("?approver={a}"))
        .unwrap_or_default();
    let lvl = if flow_level { "/flow" } else { "" };
    json!({
        "approvalPage": format!("http://fake/approve/{id}/{key}{lvl}{a}"),
        "resume": format!("http://fake/api/resume/{id}/{key}{lvl}{a}"),
        "cancel": format!("http://fake/api/cancel/{id}/{key}{lvl}{a}"),
    })
}

fn paging(req: &Req) -> Result<(usize, usize), Response<Body>> {
    let page = req.q_u64("page")?.unwrap_or(1).max(1) as usize - 1;
    let per_page = req.q_u64("per_page")?.unwrap_or(1000).clamp(1, 10_000) as usize;
    Ok((page, per_page))
}

fn var_json(path: &str, v: &Variable, with_value: bool, ws: &str) -> Value {
    let mut j = json!({
        "workspace_id": ws, "path": path, "is_secret": v.is_secret, "description": v.description,
        "extra_perms": {}, "is_oauth": false, "is_expired": false, "is_linked": false, "is_refreshed": false,
    });
    if with_value || !v.is_secret {
        j["value"] = json!(v.value);
    }
    j
}

fn interpolate(d: &Data, v: &Value, depth: usize) -> Value {
    if depth > 16 {
        return v.clone();
    }
    match v {
        Value::String(s) => {
            if let Some(p) = s.strip_prefix("$var:") {
                d.variables.get(p).map_or(Value::Null, |x| json!(x.value))
            } else if let Some(p) = s.strip_prefix("$res:") {
                d.resources
                    .get(p)
                    .map_or(Value::Null, |r| interpolate(d, &r.value, depth + 1))
            } else {
                v.clone()
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| interpolate(d, x, depth)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), interpolate(d, x, depth)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Creates a job from a run request; returns its id.
fn create_job(
    st: &Arc<State>,
    req: &Req,
    letter: &str,
    target: &str,
    allow_schedule: bool,
) -> Result<(Uuid, ()), Response<Body>> {
    let parent_job = req.q_uuid("parent_job")?;
    let root_job = req.q_uuid("root_job")?;
    let job_id = req.q_uuid("job_id")?;
    let scheduled = if allow_schedule {
        req.q_u64("scheduled_in_secs")?.unwrap_or(0)
    } else {
        0
    };
    let options = run_query(st, req, !allow_schedule)?;
    let tag = req.q("tag").map(str::to_owned);
    let args = req.json_object()?;
    let aliased = st.data.lock().aliases.get(target).cloned();
    // The job keeps the path it was started with (listings filter on it); it runs the fixture.
    let requested = target;
    let target = aliased.as_deref().unwrap_or(target);
    let (kind, success, result, duration) = match (letter, target) {
        ("p", ECHO) | ("h", ECHO_HASH) => (Kind::Script, true, Value::Object(args.clone()), 0),
        ("f", ECHO_FLOW) => (Kind::Flow, true, Value::Object(args.clone()), 0),
        ("f", APPROVAL_FLOW) => approval_outcome(),
        ("p", FAIL) => (
            Kind::Script,
            false,
            json!({"error": {"name": "ConformanceError", "message": args.get("message").cloned().unwrap_or(Value::Null)}}),
            0,
        ),
        ("p", SUM) => {
            let n = |k: &str| args.get(k).and_then(Value::as_i64).unwrap_or(0);
            (Kind::Script, true, json!(n("a") + n("b")), 0)
        }
        ("p", SLEEP) => {
            let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
            (Kind::Script, true, json!(ms), ms)
        }
        ("p", p) => return Err(not_found(format!("script not found at name {p}"))),
        ("h", h) => return Err(not_found(format!("script not found at name {h}"))),
        (_, p) => return Err(not_found(format!("Flow not found at name {p}"))),
    };
    let id = job_id.unwrap_or_else(Uuid::new_v4);
    let now = Instant::now();
    let starts = now
        + options
            .start_delay(allow_schedule)
            .unwrap_or(Duration::from_secs(scheduled));
    let mut d = st.data.lock();
    if d.jobs.contains_key(&id) {
        return Err(bad_request(format!("Job with id {id} already exists")));
    }
    d.jobs.insert(
        id,
        Job {
            kind,
            path: (letter != "h").then(|| requested.to_owned()),
            hash: (letter == "h").then(|| target.to_owned()),
            args,
            tag,
            parent_job,
            root_job,
            created: now,
            created_wall: SystemTime::now(),
            starts,
            ends: starts + Duration::from_millis(duration),
            success,
            result,
            canceled: None,
        },
    );
    d.run_options.insert(id, options.recorded);
    if target == APPROVAL_FLOW {
        start_approval(&mut d, &st.config.workspace, id, starts);
    }
    Ok((id, ()))
}

/// Cancels the job if the `run_wait_result` connection goes away before it completed.
struct CancelOnDrop {
    st: Arc<State>,
    id: Uuid,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let now = Instant::now();
            let mut d = self.st.data.lock();
            if let Some(j) = d.jobs.get_mut(&self.id)
                && j.phase(now) != Phase::Completed
            {
                j.canceled = Some((now, "client disconnected from run_wait_result".into()));
            }
        }
    }
}

async fn run_wait_result(st: Arc<State>, id: Uuid) -> Response<Body> {
    let mut guard = CancelOnDrop {
        st: st.clone(),
        id,
        armed: true,
    };
    let began = Instant::now();
    loop {
        let elapsed = began.elapsed();
        if elapsed >= st.config.run_wait_result_timeout {
            // As the real server: the bound answers an error without marking the wait done,
            // and the job still running is canceled as for a broken connection.
            guard.armed = false;
            {
                let now = Instant::now();
                let mut d = st.data.lock();
                if let Some(j) = d.jobs.get_mut(&id)
                    && j.phase(now) != Phase::Completed
                {
                    j.canceled = Some((now, "http connection broke".into()));
                }
            }
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "timeout after {}s",
                    st.config.run_wait_result_timeout.as_secs()
                ),
            );
        }
        let step = if elapsed < Duration::from_secs(2) {
            Duration::from_millis(50)
        } else {
            Duration::from_millis(200)
        };
        tokio::time::sleep(step).await;
        let outcome = {
            let d = st.data.lock();
            d.jobs
                .get(&id)
                .filter(|j| j.phase(Instant::now()) == Phase::Completed)
                .map(Job::outcome)
        };
        if let Some((success, result)) = outcome {
            guard.armed = false;
            return if success {
                ok_json(result)
            } else {
                json_resp(StatusCode::UNPROCESSABLE_ENTITY, &result)
            };
        }
    }
}

fn sse(
    st: Arc<State>,
    id: Uuid,
    fast: bool,
    only_result: bool,
    running_param: Option<bool>,
) -> Response<Body> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        let send = |v: Value| {
            let tx = tx.clone();
            async move { tx.send(Bytes::from(format!("data: {v}\n\n"))).await.is_ok() }
        };
        let began = Instant::now();
        let mut last_sent = Instant::now();
        let mut last: Option<Value> = None;
        let mut checks: u32 = 0;
        loop {
            let snapshot = {
                let d = st.data.lock();
                d.jobs.get(&id).map(|j| {
                    let now = Instant::now();
                    let mut job = j.json(id, &st.config.workspace, now);
                    patch_job_json(&d, id, &mut job, now);
                    (j.phase(now), j.outcome(), job)
                })
            };
            let Some((phase, (_success, result), job)) = snapshot else {
                let _ = send(json!({"type": "notfound"})).await;
                return;
            };
            let completed = phase == Phase::Completed;
            let mut update = json!({"type": "update", "completed": completed});
            if running_param == Some(false) {
                update["running"] = json!(phase == Phase::Running);
            }
            if let Some(p) = st.data.lock().progress.get(&id) {
                update["progress"] = json!(p);
            }
            if completed {
                if only_result {
                    update["only_result"] = result;
                } else {
                    update["job"] = job;
                }
            }
            if last.as_ref() != Some(&update) {
                if !send(update.clone()).await {
                    return;
                }
                last_sent = Instant::now();
                last = Some(update);
            }
            if completed {
                return;
            }
            if began.elapsed() >= st.config.sse_timeout {
                let _ = send(json!({"type": "timeout"})).await;
                return;
            }
            if last_sent.elapsed() >= st.config.sse_ping_after {
                if !send(json!({"type": "ping"})).await {
                    return;
                }
                last_sent = Instant::now();
            }
            checks += 1;
            let delay = if !fast {
                Duration::from_secs(3)
            } else if checks <= 10 {
                Duration::from_millis(100)
            } else if checks <= 100 {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(3)
            };
            tokio::time::sleep(delay).await;
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut r = Response::new(StreamBody::new(stream).boxed());
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert("connection", HeaderValue::from_static("keep-alive"));
    r
}

// ---------------------------------------------------------------------------------------------
// Data tables and DuckLake

/// The answer to a data table / DuckLake preview (`None` for any other preview): the result
/// with 200, or the error as the server sends it, `run_inline` a 500 `Internal: ...` text,
/// `run_wait_result` a 422 with the error value.
fn sql_preview_answer(
    st: &Arc<State>,
    mode: &str,
    body: &Map<String, Value>,
    args: &Value,
) -> Option<Response<Body>> {
    let language = body.get("language")?.as_str()?;
    let content = body.get("content")?.as_str()?;
    let args = args.as_object()?;
    let answer = crate::fake_sql::sql_preview(&mut st.data.lock().sql, language, content, args)?;
    Some(match answer {
        Ok(v) => ok_json(v),
        Err(e) if mode == "run_inline" => {
            text(StatusCode::INTERNAL_SERVER_ERROR, format!("Internal: {e}"))
        }
        Err(e) => json_resp(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"error": {"name": "ExecutionErr", "message": e}}),
        ),
    })
}

impl FakeWindmill {
    /// The tables of a data table or DuckLake (`"datatable://main"`, `"ducklake://main"`) that
    /// previews created: `schema.table` -> rows as objects.
    pub fn sql_tables(&self, database: &str) -> BTreeMap<String, Vec<Value>> {
        crate::fake_sql::dump(&self.state.data.lock().sql, database)
    }

    /// The bodies of the `assets/record_materialization` requests received, in order.
    pub fn materializations(&self) -> Vec<Value> {
        self.state.data.lock().materializations.clone()
    }
}

// jobs/list, as the server answers it (`list_jobs` in the server's `jobs.rs`): newest first by
// creation time; without `created_before`, `success` or `running`, every queued job (up to
// 10000) then `per_page` completed ones, the offset ignored; with `created_before` or
// `success`, completed jobs only, `page`/`per_page` honoured; with `running`, queued jobs only.

impl FakeWindmill {
    /// Seeds `count` completed jobs of the script `path` (as if run earlier): `same_instant`
    /// of them share each creation millisecond, the newest created now, older ones one
    /// millisecond apart per group. For listing benchmarks and examples.
    pub fn seed_completed_jobs(&self, path: &str, count: usize, same_instant: usize) {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut d = self.state.data.lock();
        for i in 0..count {
            let back = Duration::from_millis((i / same_instant.max(1)) as u64);
            d.jobs.insert(
                Uuid::new_v4(),
                Job {
                    kind: Kind::Script,
                    path: Some(path.to_owned()),
                    hash: None,
                    args: Map::new(),
                    tag: None,
                    parent_job: None,
                    root_job: None,
                    created: now,
                    created_wall: wall - back,
                    starts: now,
                    ends: now,
                    success: true,
                    result: json!(i),
                    canceled: None,
                },
            );
        }
    }
}

/// Milliseconds since the epoch, the precision this server writes creation times with.
fn wall_ms(t: SystemTime) -> i128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i128)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` in milliseconds since the epoch (what chrono accepts in a
/// query is wider; this server's clients send UTC).
fn parse_time_ms(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let n = |r: std::ops::Range<usize>| -> Option<i128> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, sec) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let mut i = 19;
    let mut ms = 0i128;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                ms = ms * 10 + i128::from(b[i] - b'0');
            }
            i += 1;
        }
        for _ in (i - start).min(3)..3 {
            ms *= 10;
        }
    }
    if b.get(i) != Some(&b'Z') || i + 1 != b.len() {
        return None;
    }
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + ms)
}

fn list_jobs(st: &Arc<State>, req: &Req) -> Result<Response<Body>, Response<Body>> {
    let (page, per_page) = paging(req)?;
    let time = |k: &str| -> Result<Option<i128>, Response<Body>> {
        match req.q(k) {
            None => Ok(None),
            Some(v) => parse_time_ms(v)
                .map(Some)
                .ok_or_else(|| query_rejection(k, v, "a date-time")),
        }
    };
    let opt_bool = |k: &str| -> Result<Option<bool>, Response<Body>> {
        req.q(k).map(|_| req.q_bool(k)).transpose()
    };
    let created_before = time("created_before")?;
    let created_after = time("created_after")?;
    let running = opt_bool("running")?;
    let success = opt_bool("success")?;
    let suspended = opt_bool("suspended")?;
    let parent = req.q_uuid("parent_job")?;
    let list = |k: &str| -> Option<Vec<String>> {
        req.q(k).map(|v| v.split(',').map(str::to_owned).collect())
    };
    let exact = list("script_path_exact");
    let start = list("script_path_start");
    let kinds = list("job_kinds");
    let users = list("created_by");
    let tags = list("tag");
    let status = req.q("status").map(str::to_owned);
    if success.is_some() && running == Some(true) {
        return Err(bad_request("cannot specify both success and running"));
    }
    let completed_only = success.is_some() || created_before.is_some();
    if completed_only && running.is_some() {
        return Err(bad_request(
            "cannot specify success, label, created_or_started_before, or started_before with running",
        ));
    }
    let now = Instant::now();
    let ws = &st.config.workspace;
    let d = st.data.lock();
    let mut rows: Vec<(i128, Uuid, Phase, &Job)> = d
        .jobs
        .iter()
        .filter(|(_, j)| {
            let path = j.path.as_deref().unwrap_or("");
            let kind = if j.kind == Kind::Flow {
                "flow"
            } else {
                "script"
            };
            let tag = j.tag.as_deref().unwrap_or("default");
            let created = wall_ms(j.created_wall);
            exact.as_ref().is_none_or(|e| e.iter().any(|p| p == path))
                && start
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|p| path.starts_with(p.as_str())))
                && kinds.as_ref().is_none_or(|k| k.iter().any(|k| k == kind))
                && users.as_ref().is_none_or(|u| u.iter().any(|u| u == "fake"))
                && tags.as_ref().is_none_or(|t| t.iter().any(|t| t == tag))
                && parent.is_none_or(|p| j.parent_job == Some(p))
                && created_after.is_none_or(|a| created >= a)
        })
        .map(|(id, j)| (wall_ms(j.created_wall), *id, j.phase(now), j))
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let completed_ok = |j: &Job| {
        let (ok, _) = j.outcome();
        let canceled = j.canceled_before_end();
        success.is_none_or(|s| if s { ok && !canceled } else { !ok || canceled })
            && status.as_deref().is_none_or(|s| match s {
                "success" => ok && !canceled,
                "failure" => !ok && !canceled,
                "canceled" => canceled,
                _ => false,
            })
            && created_before.is_none_or(|b| wall_ms(j.created_wall) <= b)
    };
    let queued = rows.iter().filter(|r| r.2 != Phase::Completed);
    let completed = rows
        .iter()
        .filter(|r| r.2 == Phase::Completed && completed_ok(r.3));
    let picked: Vec<&(i128, Uuid, Phase, &Job)> = if completed_only {
        completed.skip(page * per_page).take(per_page).collect()
    } else if let Some(r) = running {
        queued
            .filter(|q| (q.2 == Phase::Running) == r)
            .filter(|q| suspended.is_none_or(|s| s == waiting_for_approval(&d, q.1, now)))
            .skip(page * per_page)
            .take(per_page)
            .collect()
    } else {
        queued
            .take(10_000)
            .chain(completed.take(per_page))
            .collect()
    };
    let out: Vec<Value> = picked
        .into_iter()
        .map(|(_, id, _, j)| {
            let mut row = j.json(*id, ws, now);
            patch_job_json(&d, *id, &mut row, now);
            // List rows carry neither arguments nor results.
            row["args"] = Value::Null;
            if let Some(o) = row.as_object_mut() {
                o.remove("result");
            }
            row
        })
        .collect();
    Ok(ok_json(Value::Array(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("a%20b%2Fc"), "a b/c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        let q = parse_query(Some("a=1&b=x%20y&c"));
        assert_eq!(q["b"], "x y");
        assert_eq!(q["c"], "");
    }

    #[test]
    fn list_times_parse_to_milliseconds() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_time_ms("1970-01-01T00:00:00.123456Z"), Some(123));
        assert_eq!(parse_time_ms("1970-01-01T00:00:00.5Z"), Some(500));
        let t = UNIX_EPOCH + Duration::from_millis(1_714_979_289_123);
        assert_eq!(parse_time_ms(&iso(t)), Some(wall_ms(t)));
        assert_eq!(parse_time_ms("2024-05-06"), None);
        assert_eq!(parse_time_ms("2024-05-06T07:08:09+01:00"), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Existence checks of scripts, flows and folders; folder creation; workspace files through the
// `job_helpers` endpoints (what the examples need to create what they read).

/// A file behind the `job_helpers` endpoints.
#[derive(Debug, Clone)]
struct StoredFile {
    body: Bytes,
    content_type: Option<String>,
}

impl FakeWindmill {
    /// Seeds a file of the workspace storage (`storage`: `None` for the default one), as the
    /// `job_helpers` file endpoints serve it.
    pub fn put_file(&self, storage: Option<&str>, key: &str, body: &[u8]) {
        self.state.data.lock().files.insert(
            (storage.unwrap_or("").to_owned(), key.to_owned()),
            StoredFile {
                body: Bytes::copy_from_slice(body),
                content_type: None,
            },
        );
    }

    /// The content of a file of the workspace storage, if it exists.
    pub fn file(&self, storage: Option<&str>, key: &str) -> Option<Bytes> {
        self.state
            .data
            .lock()
            .files
            .get(&(storage.unwrap_or("").to_owned(), key.to_owned()))
            .map(|f| f.body.clone())
    }

    /// Whether the folder `name` was created through the API.
    pub fn has_folder(&self, name: &str) -> bool {
        self.state.data.lock().folders.contains(name)
    }
}

/// `scripts/exists/p`, `flows/exists`, `folders/exists`, `folders/create` and the
/// `job_helpers` file endpoints (`upload_s3_file`, `download_s3_file`, `load_file_metadata`);
/// `None` for any other route.
fn folder_script_and_file_routes(
    st: &Arc<State>,
    req: &Req,
    rest: &[&str],
) -> Option<Result<Response<Body>, Response<Body>>> {
    let storage = || req.q("storage").unwrap_or("").to_owned();
    let file_key = || {
        req.q("file_key")
            .map(str::to_owned)
            .ok_or_else(|| query_rejection("file_key", "", "a string"))
    };
    Some(match (req.method.clone(), rest) {
        (Method::GET, ["scripts", "exists", "p", p @ ..]) => {
            let p = p.join("/");
            let known = [ECHO, FAIL, SLEEP, SUM].contains(&p.as_str())
                || st.data.lock().aliases.contains_key(&p);
            Ok(ok_json(json!(known)))
        }
        (Method::GET, ["flows", "exists", p @ ..]) => {
            let p = p.join("/");
            let known = [ECHO_FLOW, APPROVAL_FLOW].contains(&p.as_str())
                || st.data.lock().aliases.contains_key(&p);
            Ok(ok_json(json!(known)))
        }
        (Method::GET, ["folders", "exists", name]) => {
            let prefix = format!("f/{name}/");
            let d = st.data.lock();
            let exists = d.folders.contains(*name)
                || d.variables.keys().any(|p| p.starts_with(&prefix))
                || d.resources.keys().any(|p| p.starts_with(&prefix))
                || d.aliases.keys().any(|p| p.starts_with(&prefix));
            Ok(ok_json(json!(exists)))
        }
        (Method::POST, ["folders", "create"]) => (|| {
            let b = req.json_object()?;
            let name = b
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_field("name"))?;
            if !st.data.lock().folders.insert(name.to_owned()) {
                return Err(bad_request(format!("Folder {name} already exists")));
            }
            Ok(text(StatusCode::OK, format!("Created folder {name}")))
        })(),
        (Method::POST, ["job_helpers", "upload_s3_file"]) => (|| {
            let key = file_key()?;
            st.data.lock().files.insert(
                (storage(), key.clone()),
                StoredFile {
                    body: req.body.clone(),
                    content_type: req.q("content_type").map(str::to_owned),
                },
            );
            Ok(ok_json(json!({ "file_key": key })))
        })(),
        (Method::GET, ["job_helpers", "download_s3_file"]) => (|| {
            let key = file_key()?;
            let d = st.data.lock();
            let f = d
                .files
                .get(&(storage(), key.clone()))
                .ok_or_else(|| not_found(format!("file {key}")))?;
            Ok(full(
                StatusCode::OK,
                f.content_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
                f.body.clone(),
            ))
        })(),
        (Method::GET, ["job_helpers", "load_file_metadata"]) => (|| {
            let key = file_key()?;
            let d = st.data.lock();
            let f = d
                .files
                .get(&(storage(), key.clone()))
                .ok_or_else(|| not_found(format!("file {key}")))?;
            Ok(ok_json(json!({
                "mime_type": f.content_type,
                "size_in_bytes": f.body.len(),
                "last_modified": "2025-01-02T03:04:05Z",
            })))
        })(),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Approvals and run options.
//
// A flow with a suspended step ([`APPROVAL_FLOW`]), as the server runs one: its first step
// (a script job, child of the flow) returns the resume URLs the server signs for it
// (`getResumeUrls(approver)` in the step), then the flow waits (`suspend: 1`, the next module
// `WaitingForEvents` for that step's job) until a signed resume or cancel arrives
// (`jobs_u/resume|cancel/{job}/{resume_id}/{signature}`, as the server's
// `resume_suspended_job`), the owner resumes it (`jobs/flow/resume/{flow}`), or its suspend
// timeout passes. And the options of `RunJobQuery` that every start may carry: parsed as the
// server parses them (a bad value is the query rejection), `queue_limit` applied to synchronous
// runs, `scheduled_for` honoured, the rest recorded.

/// A flow whose first step asks for an approval: the step returns the resume URLs signed for
/// `args.approver` (anyone when absent) and the flow suspends. Resumed, it returns
/// `{"resume": payload, "approver": who, "args": args}`; canceled through the cancel URL,
/// it ends canceled ("approval request disapproved by `who`"); unanswered, it fails after
/// [`APPROVAL_TIMEOUT`].
pub const APPROVAL_FLOW: &str = "f/conformance/approval_flow";

/// How long an [`APPROVAL_FLOW`] waits for an answer (the server's default suspend timeout).
pub const APPROVAL_TIMEOUT: Duration = Duration::from_secs(1800);

/// The state of an approval flow.
#[derive(Debug, Clone)]
struct Approval {
    /// The step that asked (its job returns the resume URLs).
    step_job: Uuid,
    /// The resume ids already used: one resume or cancel each.
    sent: std::collections::BTreeSet<u32>,
    /// The answer, once given: approved or not, by whom, with which resume id.
    answer: Option<(bool, String, u32)>,
}

/// The outcome an approval flow has when nobody answers it: a failure once its timeout passed.
fn approval_outcome() -> (Kind, bool, Value, u64) {
    (
        Kind::Flow,
        false,
        json!({"error": {"name": "SuspendTimeout", "message": format!(
            "Timed out after {}s waiting for an approval", APPROVAL_TIMEOUT.as_secs()
        )}}),
        APPROVAL_TIMEOUT.as_millis() as u64,
    )
}

/// Creates the step job of a new approval flow: it completes when the flow starts, returning
/// the resume URLs for the flow's `approver` argument.
fn start_approval(d: &mut Data, ws: &str, flow: Uuid, starts: Instant) {
    let Some(job) = d.jobs.get(&flow).cloned() else {
        return;
    };
    let approver = job
        .args
        .get("approver")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let step = Uuid::new_v4();
    let resume_id = (step.as_u128() as u32) & 0x7fff_ffff;
    let urls = resume_urls(d, ws, step, resume_id, approver.as_deref());
    d.jobs.insert(
        step,
        Job {
            kind: Kind::Script,
            path: job.path.as_ref().map(|p| format!("{p}/ask")),
            hash: None,
            args: job.args.clone(),
            tag: job.tag.clone(),
            parent_job: Some(flow),
            root_job: Some(flow),
            created: job.created,
            created_wall: job.created_wall,
            starts,
            ends: starts,
            success: true,
            result: urls,
            canceled: None,
        },
    );
    d.approvals.insert(
        flow,
        Approval {
            step_job: step,
            sent: Default::default(),
            answer: None,
        },
    );
}

/// Whether the job is an approval flow that started and waits for its answer.
fn waiting_for_approval(d: &Data, id: Uuid, now: Instant) -> bool {
    d.approvals.get(&id).is_some_and(|a| a.answer.is_none())
        && d.jobs
            .get(&id)
            .is_some_and(|j| j.phase(now) == Phase::Running)
}

/// Adds to a job's JSON what this block knows: the visibility a start asked for, and for an
/// approval flow its flow status (and `suspend`, the resumes it still needs, while it waits).
fn patch_job_json(d: &Data, id: Uuid, v: &mut Value, now: Instant) {
    if let Some(o) = d.run_options.get(&id)
        && o["invisible_to_owner"] == json!(true)
    {
        v["visible_to_owner"] = json!(false);
    }
    let Some(a) = d.approvals.get(&id) else {
        return;
    };
    let Some(job) = d.jobs.get(&id) else {
        return;
    };
    let step = a.step_job.to_string();
    let phase = job.phase(now);
    let approvers = match &a.answer {
        Some((_, who, rid)) => json!([{"resume_id": rid, "approver": who}]),
        None => json!([]),
    };
    let first = if phase == Phase::Queued {
        json!({"type": "WaitingForPriorSteps", "id": "ask"})
    } else {
        json!({"type": "Success", "id": "ask", "job": step, "flow_jobs": null,
               "approvers": approvers, "branch_chosen": null})
    };
    let second = match (phase, &a.answer) {
        (Phase::Queued, _) => json!({"type": "WaitingForPriorSteps", "id": "act"}),
        (Phase::Running, None) => {
            json!({"type": "WaitingForEvents", "id": "act", "count": 1, "job": step})
        }
        (Phase::Completed, Some((true, ..))) => json!({"type": "Success", "id": "act", "job": step,
            "flow_jobs": null, "approvers": [], "branch_chosen": null}),
        _ => json!({"type": "Failure", "id": "act", "job": step}),
    };
    v["flow_status"] = json!({
        "step": if phase == Phase::Queued { 0 } else { 1 },
        "modules": [first, second],
        "failure_module": {"type": "WaitingForPriorSteps", "id": "failure", "parent_module": null},
        "user_states": {},
        "retry": {"fail_count": 0, "failed_jobs": []},
    });
    if phase != Phase::Completed {
        let waiting = phase == Phase::Running && a.answer.is_none();
        v["suspend"] = json!(u8::from(waiting));
        if waiting {
            let until = job.created_wall + job.ends.saturating_duration_since(job.created);
            v["suspend_until"] = json!(iso(until));
        }
    }
}

/// The server's signature of `(job, resume_id, approver)` with this server's key: 64 hex
/// digits, the same every time for the same triple.
fn sign(d: &Data, job: Uuid, resume_id: u32, approver: Option<&str>) -> String {
    use std::hash::{Hash, Hasher};
    (0u8..4)
        .map(|salt| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (d.signing_key, salt, job, resume_id, approver).hash(&mut h);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// `approver` as a query value (percent-encoded).
fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The three URLs the server builds for a suspended step (`get_resume_urls`).
fn resume_urls(d: &Data, ws: &str, job: Uuid, resume_id: u32, approver: Option<&str>) -> Value {
    let sig = sign(d, job, resume_id, approver);
    let q = approver
        .map(|a| format!("?approver={}", encode_query(a)))
        .unwrap_or_default();
    let base = &d.base_url;
    let tail = format!("{job}/{resume_id}/{sig}{q}");
    json!({
        "approvalPage": format!("{base}/approve/{ws}/{tail}"),
        "resume": format!("{base}/api/w/{ws}/jobs_u/resume/{tail}"),
        "cancel": format!("{base}/api/w/{ws}/jobs_u/cancel/{tail}"),
    })
}

/// The approval endpoints need no token (the signature is the credential).
fn approval_is_public(req: &Req) -> bool {
    matches!(
        req.segs
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["w", _, "jobs_u", "resume" | "cancel", _, _, _]
    )
}

/// A 500 with the server's text for an error it raises as `anyhow` (no prefix).
fn refused(msg: impl Into<String>) -> Response<Body> {
    text(StatusCode::INTERNAL_SERVER_ERROR, msg)
}

fn path_u32(s: &str) -> Result<u32, Response<Body>> {
    s.parse::<u32>().map_err(|_| {
        text(
            StatusCode::BAD_REQUEST,
            format!("Invalid URL: Cannot parse `{s}` to a `u32`"),
        )
    })
}

/// `jobs/resume_urls`, `jobs_u/resume|cancel/...` (POST, and GET without a payload),
/// `jobs/flow/resume/{id}`; `None` for any other route.
fn approval_routes(
    st: &Arc<State>,
    req: &Req,
    rest: &[&str],
) -> Option<Result<Response<Body>, Response<Body>>> {
    let ws = st.config.workspace.as_str();
    Some(match (req.method.clone(), rest) {
        (Method::GET, ["jobs", "resume_urls", id, rid]) => (|| {
            let id = path_uuid(id)?;
            let rid = path_u32(rid)?;
            let flow_level = req.q_bool("flow_level")?;
            let d = st.data.lock();
            // Flow level: the URLs name the flow the job runs in.
            let job = if flow_level {
                d.jobs.get(&id).and_then(|j| j.parent_job).unwrap_or(id)
            } else {
                id
            };
            let approver = req.q("approver").filter(|a| !a.is_empty());
            Ok(ok_json(resume_urls(&d, ws, job, rid, approver)))
        })(),
        (Method::POST | Method::GET, ["jobs_u", op @ ("resume" | "cancel"), id, rid, sig]) => {
            (|| {
                let id = path_uuid(id)?;
                let rid = path_u32(rid)?;
                let payload = if req.method == Method::GET || req.body.is_empty() {
                    Value::Null
                } else {
                    req.json()?
                };
                let approver = req
                    .q("approver")
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned);
                let mut d = st.data.lock();
                if sig.len() % 2 == 1 {
                    return Err(refused("Hexadecimal decoding error: Odd number of digits"));
                }
                if let Some((i, c)) = sig
                    .chars()
                    .enumerate()
                    .find(|(_, c)| !c.is_ascii_hexdigit())
                {
                    return Err(refused(format!(
                        "Hexadecimal decoding error: Invalid character {c:?} at position {i}"
                    )));
                }
                if !sig.eq_ignore_ascii_case(&sign(&d, id, rid, approver.as_deref())) {
                    return Err(refused("Invalid signature"));
                }
                let now = Instant::now();
                // The flow: the job itself (flow level) or its parent, still in the queue.
                let flow = match d.jobs.get(&id) {
                    Some(j) if j.kind == Kind::Flow => Some(id),
                    Some(j) => j.parent_job,
                    None => None,
                }
                .filter(|f| {
                    d.jobs
                        .get(f)
                        .is_some_and(|j| j.phase(now) != Phase::Completed)
                })
                .ok_or_else(|| {
                    refused(format!("job not found or parent flow not in queue: {id}"))
                })?;
                let Some(a) = d.approvals.get_mut(&flow) else {
                    // A flow of this server that never suspends: the resume is stored, unused.
                    return Ok(full(StatusCode::CREATED, "text/plain", ""));
                };
                if !a.sent.insert(rid) {
                    return Err(refused("resume request already sent"));
                }
                if a.answer.is_some() {
                    return Ok(full(StatusCode::CREATED, "text/plain", ""));
                }
                let who = approver.unwrap_or_else(|| "fake".into());
                a.answer = Some((*op == "resume", who.clone(), rid));
                answer_approval(&mut d, flow, *op == "resume", &who, payload, now);
                Ok(full(StatusCode::CREATED, "text/plain", ""))
            })()
        }
        (Method::POST, ["jobs", "flow", "resume", id]) => (|| {
            let id = path_uuid(id)?;
            let payload = if req.body.is_empty() {
                Value::Null
            } else {
                req.json()?
            };
            let now = Instant::now();
            let mut d = st.data.lock();
            if !d
                .jobs
                .get(&id)
                .is_some_and(|j| j.phase(now) != Phase::Completed)
            {
                return Err(refused("parent flow job not found"));
            }
            if !waiting_for_approval(&d, id, now) {
                return Err(refused("the flow is not in a suspended state anymore"));
            }
            if let Some(a) = d.approvals.get_mut(&id) {
                a.sent.insert(0);
                a.answer = Some((true, "fake".into(), 0));
            }
            answer_approval(&mut d, id, true, "fake", payload, now);
            Ok(full(StatusCode::CREATED, "text/plain", ""))
        })(),
        _ => return None,
    })
}

/// Completes an approval flow as its worker would once answered: resumed, it returns the
/// payload; rejected, it ends canceled.
fn answer_approval(
    d: &mut Data,
    flow: Uuid,
    approved: bool,
    who: &str,
    payload: Value,
    now: Instant,
) {
    let Some(j) = d.jobs.get_mut(&flow) else {
        return;
    };
    if approved {
        j.success = true;
        j.result =
            json!({"resume": payload, "approver": who, "args": Value::Object(j.args.clone())});
        j.ends = now.max(j.starts);
    } else {
        j.canceled = Some((now, format!("approval request disapproved by {who}")));
    }
}

/// What a start's query carries besides the links and the id, parsed as the server's
/// `RunJobQuery` (a value of the wrong type is the query rejection).
struct RunQuery {
    /// `scheduled_for`, in milliseconds since the epoch.
    scheduled_for_ms: Option<i128>,
    /// The options as recorded (see [`FakeWindmill::job_options`]).
    recorded: Value,
}

impl RunQuery {
    /// The delay `scheduled_for` asks for (it wins over `scheduled_in_secs`, as on the server).
    fn start_delay(&self, honoured: bool) -> Option<Duration> {
        let at = self.scheduled_for_ms.filter(|_| honoured)?;
        let ahead = at - wall_ms(SystemTime::now());
        Some(Duration::from_millis(ahead.max(0) as u64))
    }
}

fn run_query(st: &Arc<State>, req: &Req, sync: bool) -> Result<RunQuery, Response<Body>> {
    let scheduled_for_ms = match req.q("scheduled_for") {
        None => None,
        Some(v) => Some(
            parse_time_ms(v).ok_or_else(|| query_rejection("scheduled_for", v, "a date-time"))?,
        ),
    };
    let int = |k: &str, max: i128| -> Result<Option<i128>, Response<Body>> {
        match req.q(k) {
            None => Ok(None),
            Some(v) => v
                .parse::<i128>()
                .ok()
                .filter(|n| n.abs() <= max)
                .map(Some)
                .ok_or_else(|| query_rejection(k, v, "an integer")),
        }
    };
    let cache_ttl = int("cache_ttl", i128::from(i32::MAX))?;
    let queue_limit = int("queue_limit", i128::from(i64::MAX))?;
    let skip_preprocessor = req.q_bool("skip_preprocessor")?;
    let invisible_to_owner = req.q_bool("invisible_to_owner")?;
    let retry = match req.q("retry") {
        None => None,
        Some(v) => match serde_json::from_str::<Value>(v) {
            Ok(p @ Value::Object(_)) => Some(p),
            _ => return Err(bad_request(format!("invalid retry policy: {v}"))),
        },
    };
    if retry.is_some() && invisible_to_owner {
        return Err(bad_request(
            "retry cannot be combined with invisible_to_owner",
        ));
    }
    if sync && let Some(limit) = queue_limit {
        // The server counts the jobs that could run now: not canceled, not scheduled later,
        // not waiting for an approval.
        let now = Instant::now();
        let d = st.data.lock();
        let count = d
            .jobs
            .iter()
            .filter(|(id, j)| {
                j.phase(now) != Phase::Completed
                    && j.canceled.is_none()
                    && j.starts <= now
                    && !waiting_for_approval(&d, **id, now)
            })
            .count() as i128;
        if count > limit {
            return Err(refused(format!(
                "Internal: Number of queued job is too high: {count} > {limit}"
            )));
        }
    }
    Ok(RunQuery {
        scheduled_for_ms,
        recorded: json!({
            "scheduled_for": req.q("scheduled_for"),
            "scheduled_in_secs": req.q("scheduled_in_secs"),
            "tag": req.q("tag"),
            "cache_ttl": cache_ttl.map(|n| n as i64),
            "queue_limit": queue_limit.map(|n| n as i64),
            "skip_preprocessor": skip_preprocessor,
            "invisible_to_owner": invisible_to_owner,
            "memory_id": req.q("memory_id"),
            "retry": retry,
        }),
    })
}

impl FakeWindmill {
    /// The run options a job's start carried, as the server read them: `scheduled_for`,
    /// `scheduled_in_secs`, `tag`, `cache_ttl`, `queue_limit`, `skip_preprocessor`,
    /// `invisible_to_owner`, `memory_id`, `retry` (`null` when absent).
    pub fn job_options(&self, id: Uuid) -> Option<Value> {
        self.state.data.lock().run_options.get(&id).cloned()
    }

    /// The step job of an [`APPROVAL_FLOW`] (the job its resume URLs name).
    pub fn approval_step(&self, flow: Uuid) -> Option<Uuid> {
        self.state
            .data
            .lock()
            .approvals
            .get(&flow)
            .map(|a| a.step_job)
    }
}

/// `jobs/run/fv/{version}` and `jobs/run_wait_result/fv/{version}`: a saved flow version, as
/// seeded with [`FakeWindmill::put_flow_version`] (404 `Flow version <v> not found` else);
/// the job runs that version's fixture. `None` for any other route.
async fn flow_version_routes(
    st: &Arc<State>,
    req: &Req,
    rest: &[&str],
) -> Option<Result<Response<Body>, Response<Body>>> {
    let (mode, version) = match (req.method.clone(), rest) {
        (Method::POST, ["jobs", mode @ ("run" | "run_wait_result"), "fv", v]) => (*mode, *v),
        _ => return None,
    };
    let key = format!("fv/{version}");
    if version.parse::<i64>().is_err() {
        return Some(Err(text(
            StatusCode::BAD_REQUEST,
            format!("Invalid URL: Cannot parse `{version}` to a `i64`"),
        )));
    }
    if !st.data.lock().aliases.contains_key(&key) {
        return Some(Err(not_found(format!("Flow version {version} not found"))));
    }
    let async_start = mode == "run";
    Some(match create_job(st, req, "f", &key, async_start) {
        Err(e) => Err(e),
        Ok((id, ())) if async_start => Ok(text(StatusCode::CREATED, id.to_string())),
        Ok((id, ())) => Ok(run_wait_result(st.clone(), id).await),
    })
}

impl FakeWindmill {
    /// Seeds a saved flow version (`run/fv/{version}`) that runs the flow fixture `fixture`
    /// (e.g. [`ECHO_FLOW`]).
    pub fn put_flow_version(&self, version: u64, fixture: &str) {
        self.alias_script(&format!("fv/{version}"), fixture);
    }
}
