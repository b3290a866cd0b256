//! `get_variable` latency, throughput and client CPU per request, against a raw reqwest loop.

use std::process::Child;

use std::time::{Duration, Instant};

use wmill_core::{ItemPath, VariableStore};
use wmill_http::Windmill;

use crate::process_cpu_time;
use crate::stats::{Summary, median, summarize};

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

impl Endpoint {
    /// A client of the server, with the default settings.
    pub fn client(&self) -> Windmill {
        Windmill::builder()
            .with_base_url(&self.base_url)
            .with_token(&self.token)
            .with_workspace(&self.workspace)
            .build()
            .expect("client")
    }
}

/// Starts `exe serve-windmill` and reads the endpoint it prints; the server exits when its
/// stdin closes (drop or kill the child).
pub fn start_child_server(exe: &std::path::Path) -> (Child, Endpoint) {
    let (child, w) = crate::start_child_server(exe, "serve-windmill", 3);
    let endpoint = Endpoint {
        base_url: w[0].clone(),
        token: w[1].clone(),
        workspace: w[2].clone(),
    };
    (child, endpoint)
}

/// Body of `wmill-bench serve-windmill`: serves until stdin closes.
pub fn serve_until_stdin_closes() {
    crate::serve_until_stdin_closes(
        async {
            let server = wmill_tests::fake_windmill::FakeWindmill::start().await;
            server.put_variable(VARIABLE, VALUE, false);
            server
        },
        |server| {
            format!(
                "{} {} {}",
                server.base_url(),
                server.token().unwrap_or("none"),
                server.workspace()
            )
        },
    );
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct VarConfig {
    /// Concurrent callers.
    pub concurrencies: Vec<usize>,
    /// How long each measured round runs.
    pub duration: Duration,
    /// Rounds per client and concurrency, interleaved: raw then wmill, then wmill then raw, and
    /// so on (an even number balances the order). Figures are medians over the rounds.
    pub rounds: usize,
}

impl VarConfig {
    /// The full benchmark: concurrency 1, 16 and 64, rounds of 1 s; `WMILL_BENCH_ROUNDS` sets
    /// the number of rounds (default 10) and `WMILL_BENCH_CONCURRENCY` a comma-separated list of
    /// concurrencies.
    pub fn full() -> Self {
        let rounds = std::env::var("WMILL_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10);
        let concurrencies = std::env::var("WMILL_BENCH_CONCURRENCY")
            .ok()
            .and_then(|v| v.split(',').map(|c| c.trim().parse().ok()).collect())
            .unwrap_or_else(|| vec![1, 16, 64]);
        VarConfig {
            concurrencies,
            duration: Duration::from_secs(1),
            rounds,
        }
    }

    /// The smoke test.
    pub fn smoke() -> Self {
        VarConfig {
            concurrencies: vec![1, 4],
            duration: Duration::from_millis(100),
            rounds: 2,
        }
    }
}

/// One row of the table: one client at one concurrency, over all its rounds.
#[derive(Debug, Clone)]
pub struct VarRow {
    /// Concurrent callers.
    pub concurrency: usize,
    /// `wmill` or `raw reqwest`.
    pub client: &'static str,
    /// Successful requests (all rounds).
    pub requests: u64,
    /// Failed requests or wrong values (all rounds).
    pub errors: u64,
    /// Requests per second (median of the rounds).
    pub throughput: f64,
    /// Latency percentiles (all rounds' requests).
    pub latency: Summary,
    /// Client CPU time per request (whole process, server elsewhere; median of the rounds).
    pub cpu_per_request: Duration,
    /// wmill only: median over the rounds of wmill's throughput / the raw loop's throughput in
    /// the adjacent round.
    pub throughput_vs_raw: Option<f64>,
    /// wmill only: median over the rounds of wmill's CPU per request / the raw loop's in the
    /// adjacent round.
    pub cpu_vs_raw: Option<f64>,
}

/// One measured round of one client.
#[derive(Debug)]
struct Round {
    requests: u64,
    errors: u64,
    throughput: f64,
    latencies: Vec<Duration>,
    cpu_per_request: Duration,
}

/// Measures wmill and the raw loop at each concurrency: a warm-up round each (connections for
/// that concurrency opened in both pools), then `rounds` interleaved rounds each.
///
/// The ceiling is fair: the same reqwest (same version and features) with its default client,
/// the same URL, token header and JSON decoding, and no per-call work beyond what a caller
/// must do (wmill clones its `Arc` and the path, the raw loop its URL and header strings).
pub async fn run(endpoint: &Endpoint, config: &VarConfig) -> Vec<VarRow> {
    let wm = endpoint.client();
    wmill_http::install_crypto_provider();
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
        let warm_up = config.duration.min(Duration::from_millis(300));
        measure(c, warm_up, raw_call.clone()).await;
        measure(c, warm_up, wm_call.clone()).await;
        let (mut raw_rounds, mut wm_rounds) = (Vec::new(), Vec::new());
        for round in 0..config.rounds.max(1) {
            if round.is_multiple_of(2) {
                raw_rounds.push(measure(c, config.duration, raw_call.clone()).await);
                wm_rounds.push(measure(c, config.duration, wm_call.clone()).await);
            } else {
                wm_rounds.push(measure(c, config.duration, wm_call.clone()).await);
                raw_rounds.push(measure(c, config.duration, raw_call.clone()).await);
            }
        }
        let throughput_vs_raw = median(
            raw_rounds
                .iter()
                .zip(&wm_rounds)
                .map(|(r, w)| w.throughput / r.throughput.max(1e-9))
                .collect(),
        );
        let cpu_vs_raw = median(
            raw_rounds
                .iter()
                .zip(&wm_rounds)
                .map(|(r, w)| {
                    w.cpu_per_request.as_secs_f64() / r.cpu_per_request.as_secs_f64().max(1e-12)
                })
                .collect(),
        );
        rows.push(combine("raw reqwest", c, raw_rounds, None, None));
        rows.push(combine(
            "wmill",
            c,
            wm_rounds,
            Some(throughput_vs_raw),
            Some(cpu_vs_raw),
        ));
    }
    rows
}

fn combine(
    client: &'static str,
    concurrency: usize,
    rounds: Vec<Round>,
    throughput_vs_raw: Option<f64>,
    cpu_vs_raw: Option<f64>,
) -> VarRow {
    let throughput = median(rounds.iter().map(|r| r.throughput).collect());
    let cpu = median(
        rounds
            .iter()
            .map(|r| r.cpu_per_request.as_secs_f64())
            .collect(),
    );
    let (requests, errors) = rounds
        .iter()
        .fold((0, 0), |(n, e), r| (n + r.requests, e + r.errors));
    let latencies = rounds.into_iter().flat_map(|r| r.latencies).collect();
    VarRow {
        concurrency,
        client,
        requests,
        errors,
        throughput,
        latency: summarize(latencies),
        cpu_per_request: Duration::from_secs_f64(cpu),
        throughput_vs_raw,
        cpu_vs_raw,
    }
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

async fn measure<F, Fut>(concurrency: usize, duration: Duration, call: F) -> Round
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
    Round {
        requests,
        errors,
        throughput: requests as f64 / elapsed.as_secs_f64(),
        latencies,
        cpu_per_request: cpu / (requests.max(1) as u32),
    }
}

/// Which client [`fixed_calls`] drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallClient {
    /// `Windmill::get_variable`.
    Wmill,
    /// The raw reqwest loop of [`run`].
    Raw,
}

/// `n` `get_variable` calls from `concurrency` tasks on the current runtime: the workload to count instructions with `valgrind --tool=callgrind` or syscalls
/// with `strace -c` (the server runs in another process, so only the client is counted).
/// Returns the number of failed calls.
pub async fn fixed_calls(
    endpoint: &Endpoint,
    client: CallClient,
    n: usize,
    concurrency: usize,
) -> u64 {
    let wm = endpoint.client();
    wmill_http::install_crypto_provider();
    let raw = reqwest::Client::builder().build().expect("reqwest client");
    let url = format!(
        "{}/api/w/{}/variables/get_value/{}",
        endpoint.base_url.trim_end_matches('/'),
        endpoint.workspace,
        VARIABLE
    );
    let auth = format!("Bearer {}", endpoint.token);
    let path = ItemPath::parse(VARIABLE).unwrap();
    let concurrency = concurrency.max(1);
    let workers: Vec<_> = (0..concurrency)
        .map(|i| {
            let (wm, raw, url, auth, path) = (
                wm.clone(),
                raw.clone(),
                url.clone(),
                auth.clone(),
                path.clone(),
            );
            let calls = n / concurrency + usize::from(i < n % concurrency);
            tokio::spawn(async move {
                let mut errors = 0;
                for _ in 0..calls {
                    let ok = match client {
                        CallClient::Wmill => wm.get_variable(&path).await.is_ok_and(|v| v == VALUE),
                        CallClient::Raw => {
                            raw_get(&raw, &url, &auth).await.is_ok_and(|v| v == VALUE)
                        }
                    };
                    if !ok {
                        errors += 1;
                    }
                }
                errors
            })
        })
        .collect();
    let mut errors = 0;
    for w in workers {
        errors += w.await.expect("worker");
    }
    errors
}
