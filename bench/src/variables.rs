//! `get_variable` latency, throughput and client CPU per request, against a raw reqwest loop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant};

use wmill_core::{ItemPath, VariableStore};
use wmill_http::Windmill;

use crate::process_cpu_time;
use crate::stats::{Summary, summarize};

/// The variable read by the benchmark.
pub const VARIABLE: &str = "u/bench/greeting";
/// Its value.
pub const VALUE: &str = "hello from the benchmark";

/// Where the fake Windmill server listens.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL (without `/api`).
    pub base_url: String,
    /// Token it requires.
    pub token: String,
    /// Workspace it serves.
    pub workspace: String,
}

/// Starts `exe serve-windmill` and reads the endpoint it prints; the server exits when its
/// stdin closes (drop or kill the child).
pub fn start_child_server(exe: &std::path::Path) -> (Child, Endpoint) {
    let mut child = Command::new(exe)
        .arg("serve-windmill")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the fake Windmill server process");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the endpoint");
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(parts.len(), 3, "unexpected server line {line:?}");
    let endpoint = Endpoint {
        base_url: parts[0].to_owned(),
        token: parts[1].to_owned(),
        workspace: parts[2].to_owned(),
    };
    (child, endpoint)
}

/// Body of `wmill-bench serve-windmill`: serves until stdin closes.
pub fn serve_until_stdin_closes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(wmill_tests::fake_windmill::FakeWindmill::start());
    server.put_variable(VARIABLE, VALUE, false);
    println!(
        "{} {} {}",
        server.base_url(),
        server.token().unwrap_or("none"),
        server.workspace()
    );
    let mut sink = String::new();
    while std::io::stdin()
        .read_line(&mut sink)
        .map(|n| n > 0)
        .unwrap_or(false)
    {
        sink.clear();
    }
    drop(server);
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct VarConfig {
    /// Concurrent callers.
    pub concurrencies: Vec<usize>,
    /// How long each measurement runs.
    pub duration: Duration,
}

impl VarConfig {
    /// The full benchmark.
    pub fn full() -> Self {
        VarConfig {
            concurrencies: vec![1, 16, 64],
            duration: Duration::from_secs(4),
        }
    }

    /// The smoke test.
    pub fn smoke() -> Self {
        VarConfig {
            concurrencies: vec![1, 4],
            duration: Duration::from_millis(200),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct VarRow {
    /// Concurrent callers.
    pub concurrency: usize,
    /// `wmill` or `raw reqwest`.
    pub client: &'static str,
    /// Successful requests.
    pub requests: u64,
    /// Failed requests (or wrong values).
    pub errors: u64,
    /// Requests per second.
    pub throughput: f64,
    /// Latency percentiles.
    pub latency: Summary,
    /// Client CPU time per request (whole process, server elsewhere).
    pub cpu_per_request: Duration,
}

/// Measures wmill and the raw loop, alternating, at each concurrency.
pub async fn run(endpoint: &Endpoint, config: &VarConfig) -> Vec<VarRow> {
    let wm = Windmill::builder()
        .with_base_url(&endpoint.base_url)
        .with_token(&endpoint.token)
        .with_workspace(&endpoint.workspace)
        .build()
        .expect("client");
    let raw = reqwest::Client::builder().build().expect("reqwest client");
    let url = format!(
        "{}/api/w/{}/variables/get_value/{}",
        endpoint.base_url.trim_end_matches('/'),
        endpoint.workspace,
        VARIABLE
    );
    let auth = format!("Bearer {}", endpoint.token);
    let path = ItemPath::parse(VARIABLE).unwrap();

    // Warm up both clients.
    for _ in 0..200 {
        let _ = wm.get_variable(&path).await;
        let _ = raw_get(&raw, &url, &auth).await;
    }

    let mut rows = Vec::new();
    for &c in &config.concurrencies {
        let wm_call = {
            let wm = wm.clone();
            let path = path.clone();
            move || {
                let wm = wm.clone();
                let path = path.clone();
                async move {
                    wm.get_variable(&path)
                        .await
                        .map(|v| v == VALUE)
                        .unwrap_or(false)
                }
            }
        };
        let raw_call = {
            let raw = raw.clone();
            let (url, auth) = (url.clone(), auth.clone());
            move || {
                let raw = raw.clone();
                let (url, auth) = (url.clone(), auth.clone());
                async move {
                    raw_get(&raw, &url, &auth)
                        .await
                        .map(|v| v == VALUE)
                        .unwrap_or(false)
                }
            }
        };
        rows.push(measure("raw reqwest", c, config.duration, raw_call).await);
        rows.push(measure("wmill", c, config.duration, wm_call).await);
    }
    rows
}

async fn raw_get(client: &reqwest::Client, url: &str, auth: &str) -> reqwest::Result<String> {
    client
        .get(url)
        .header(reqwest::header::AUTHORIZATION, auth)
        .send()
        .await?
        .error_for_status()?
        .json::<String>()
        .await
}

async fn measure<F, Fut>(
    name: &'static str,
    concurrency: usize,
    duration: Duration,
    call: F,
) -> VarRow
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let deadline = Instant::now() + duration;
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if call().await {
                        latencies.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    let requests = latencies.len() as u64;
    VarRow {
        concurrency,
        client: name,
        requests,
        errors,
        throughput: requests as f64 / elapsed.as_secs_f64(),
        latency: summarize(latencies),
        cpu_per_request: cpu / (requests.max(1) as u32),
    }
}
