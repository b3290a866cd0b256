//! Batches: `run_batch` of no-op jobs against raw reqwest loops doing the same requests.
//!
//! Each job is the fake server's echo script, which completes as soon as it is created. The
//! raw baseline is `concurrency` tasks, each taking the next job from a shared counter and
//! sending what a synchronous run sends off a direct connection: `POST jobs/run/p/{path}`
//! (201, the id as text) then `GET jobs_u/completed/get_result_maybe/{id}?get_started=true`
//! until it reads `completed` (one request here), decoding the result. The wmill client under
//! test is configured as off a direct connection (`ServerWait::Never`), so it sends exactly
//! those two requests per job (the smoke test checks the count). Informational rows: the same
//! batch without a spawner (every wait polled by the stream's one task), 32 loops of
//! `run_script_by_path` without a batch (the SDK's share), and the default client on this
//! loopback URL, which races `run_wait_result` against polling (more requests).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use wmill_core::{BatchJob, BatchOptions, ItemPath, StartJobs, to_args};
use wmill_http::{ServerWait, WaitTuning, Windmill};
use wmill_tests::fake_windmill::ECHO;

use crate::process_cpu_time;
use crate::stats::median;
use crate::variables::Endpoint;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// Jobs per batch.
    pub jobs: usize,
    /// Jobs at once (raw loops and batch alike).
    pub concurrency: usize,
    /// Measured rounds per client, interleaved (raw, wmill, default, then the reverse, ...).
    pub rounds: usize,
}

impl BatchConfig {
    /// The benchmark of `docs/performance.md`: 1,000 jobs at concurrency 32, 30 rounds
    /// (`WMILL_BENCH_ROUNDS` changes the rounds).
    pub fn full() -> Self {
        let rounds = std::env::var("WMILL_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        BatchConfig {
            jobs: 1000,
            concurrency: 32,
            rounds,
        }
    }

    /// The smoke test.
    pub fn smoke() -> Self {
        BatchConfig {
            jobs: 40,
            concurrency: 8,
            rounds: 1,
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct BatchRow {
    /// Which client.
    pub client: &'static str,
    /// Jobs per round.
    pub jobs: usize,
    /// Failed jobs or wrong results (all rounds).
    pub errors: usize,
    /// Wall time of a round (median).
    pub wall: Duration,
    /// Client CPU per job (median of the rounds; the server runs elsewhere).
    pub cpu_per_job: Duration,
    /// Median over the rounds of this client's wall time / the raw loops' in the same pass.
    pub vs_raw: Option<f64>,
}

/// Client names of the rows.
pub const RAW: &str = "32 raw reqwest loops";
/// The batch, off a direct connection: the raw loops' requests; each job a task (the
/// spawner that `wmill::run_batch` sets on a Tokio runtime).
pub const WMILL: &str = "wmill run_batch (same requests)";
/// The same batch without a spawner: every wait polled by the stream's one task.
pub const WMILL_INLINE: &str = "wmill run_batch, no spawner";
/// The batch with the default client on this URL.
pub const WMILL_DEFAULT: &str = "wmill run_batch, default client";

/// 32 tasks calling `run_script_by_path` in a loop, no batch: the SDK's share of the cost.
pub const WMILL_LOOPS: &str = "32 loops of wmill run_script_by_path";

/// The client of a round: one per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// [`RAW`].
    Raw,
    /// [`WMILL`].
    Wmill,
    /// [`WMILL_INLINE`].
    WmillInline,
    /// [`WMILL_DEFAULT`].
    WmillDefault,
    /// [`WMILL_LOOPS`].
    WmillLoops,
}

struct Round {
    wall: Duration,
    cpu: Duration,
    errors: usize,
}

/// The clients of a run: the raw one and the two wmill ones, on one endpoint.
pub struct Clients {
    raw: reqwest::Client,
    base: String,
    auth: String,
    same_requests: Windmill,
    default: Windmill,
}

impl Clients {
    /// The clients for `endpoint`.
    pub fn new(endpoint: &Endpoint) -> Clients {
        let builder = || {
            Windmill::builder()
                .with_base_url(&endpoint.base_url)
                .with_token(&endpoint.token)
                .with_workspace(&endpoint.workspace)
        };
        // The raw client uses the SDK's TLS provider, as a script's own client would.
        wmill_http::install_crypto_provider();
        Clients {
            raw: reqwest::Client::builder().build().expect("reqwest client"),
            base: format!(
                "{}/api/w/{}",
                endpoint.base_url.trim_end_matches('/'),
                endpoint.workspace
            ),
            auth: format!("Bearer {}", endpoint.token),
            same_requests: builder()
                .with_wait_tuning(
                    WaitTuning::default()
                        .server_wait(ServerWait::Never)
                        // Jobs that end at once: one poll right after the start, as the raw
                        // loops do (not the event stream first).
                        .first(wmill_http::FirstWait::default().poll_at_start(true)),
                )
                .build()
                .expect("client"),
            default: builder().build().expect("client"),
        }
    }

    /// One batch of `jobs` echo jobs through the wmill client off a direct connection (the
    /// raw loops' requests); returns the number of wrong outcomes.
    pub async fn wmill_batch(&self, jobs: usize, concurrency: usize) -> usize {
        batch(&self.same_requests, jobs, concurrency, true).await
    }

    /// `concurrency` tasks, each running the next job with `run_script_by_path` (no batch).
    pub async fn wmill_loops(&self, jobs: usize, concurrency: usize) -> usize {
        use wmill_core::{JobRunner, RunOptions};
        let next = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let path = ItemPath::parse(ECHO).expect("path");
        let loops: Vec<_> = (0..concurrency)
            .map(|_| {
                let (wm, next, errors, path) = (
                    self.same_requests.clone(),
                    next.clone(),
                    errors.clone(),
                    path.clone(),
                );
                tokio::spawn(async move {
                    let options = RunOptions::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs {
                            break;
                        }
                        let args = to_args(&json!({ "i": i })).unwrap_or_default();
                        let ok = wm
                            .run_script_by_path(&path, args, &options)
                            .await
                            .is_ok_and(|v| v == json!({ "i": i }));
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for l in loops {
            l.await.expect("wmill loop");
        }
        errors.load(Ordering::Relaxed)
    }

    /// The same requests from `concurrency` raw reqwest loops; returns the wrong outcomes.
    pub async fn raw_batch(&self, jobs: usize, concurrency: usize) -> usize {
        let next = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let run_url = format!("{}/jobs/run/p/{ECHO}", self.base);
        let loops: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, base, auth) = (self.raw.clone(), self.base.clone(), self.auth.clone());
                let (next, errors, run_url) = (next.clone(), errors.clone(), run_url.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs {
                            break;
                        }
                        let ok = raw_job(&client, &base, &run_url, &auth, i)
                            .await
                            .is_ok_and(|v| v == json!({ "i": i }));
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for l in loops {
            l.await.expect("raw loop");
        }
        errors.load(Ordering::Relaxed)
    }
}

/// The batch, polled by a task of the runtime (as the raw loops are tasks); with `spawn`,
/// each job's wait is a task of its own.
async fn batch(wm: &Windmill, jobs: usize, concurrency: usize, spawn: bool) -> usize {
    let wm = wm.clone();
    tokio::spawn(async move { batch_here(&wm, jobs, concurrency, spawn).await })
        .await
        .expect("batch task")
}

async fn batch_here(wm: &Windmill, jobs: usize, concurrency: usize, spawn: bool) -> usize {
    let path = ItemPath::parse(ECHO).expect("path");
    let input = (0..jobs).map(move |i| {
        BatchJob::script_by_path(
            path.clone(),
            to_args(&json!({ "i": i })).unwrap_or_default(),
        )
    });
    let mut options = BatchOptions::new().concurrency(concurrency);
    if spawn {
        options = options.spawner(|job| {
            tokio::spawn(job);
        });
    }
    let mut stream = wm.run_batch(input, &options).expect("batch");
    let mut errors = 0;
    let mut seen = 0;
    while let Some(item) = stream.next().await {
        seen += 1;
        let index = item.index;
        if item.result.ok() != Some(json!({ "i": index })) {
            errors += 1;
        }
    }
    errors + jobs.saturating_sub(seen)
}

/// `POST run/p` then `get_result_maybe` until completed, decoding the result.
async fn raw_job(
    client: &reqwest::Client,
    base: &str,
    run_url: &str,
    auth: &str,
    i: usize,
) -> reqwest::Result<Value> {
    let id = client
        .post(run_url)
        .header(reqwest::header::AUTHORIZATION, auth)
        .json(&json!({ "i": i }))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let url = format!(
        "{base}/jobs_u/completed/get_result_maybe/{}?get_started=true",
        id.trim().trim_matches('"')
    );
    loop {
        let maybe: Value = client
            .get(&url)
            .header(reqwest::header::AUTHORIZATION, auth)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if maybe["completed"] == true {
            return Ok(maybe["result"].clone());
        }
        tokio::time::sleep(Duration::from_millis(4)).await;
    }
}

async fn round(clients: &Clients, who: Who, config: &BatchConfig) -> Round {
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let errors = match who {
        Who::Raw => clients.raw_batch(config.jobs, config.concurrency).await,
        Who::Wmill => clients.wmill_batch(config.jobs, config.concurrency).await,
        Who::WmillInline => {
            batch(
                &clients.same_requests,
                config.jobs,
                config.concurrency,
                false,
            )
            .await
        }
        Who::WmillDefault => batch(&clients.default, config.jobs, config.concurrency, true).await,
        Who::WmillLoops => clients.wmill_loops(config.jobs, config.concurrency).await,
    };
    Round {
        wall: started.elapsed(),
        cpu: process_cpu_time().saturating_sub(cpu_before),
        errors,
    }
}

/// One round of `jobs` jobs through `who` at the benchmark's concurrency, without warm-up:
/// the workload of `wmill-bench batch-calls`, to count instructions with `valgrind
/// --tool=callgrind` (the server runs in another process). Returns the wrong outcomes.
pub async fn fixed_jobs(endpoint: &Endpoint, who: Who, jobs: usize) -> usize {
    let config = BatchConfig {
        jobs,
        ..BatchConfig::full()
    };
    round(&Clients::new(endpoint), who, &config).await.errors
}

/// Runs the benchmark against `endpoint` (a fake server in another process for the figures).
pub async fn run(endpoint: &Endpoint, config: &BatchConfig) -> Vec<BatchRow> {
    let clients = Clients::new(endpoint);
    let order = [
        Who::Raw,
        Who::Wmill,
        Who::WmillInline,
        Who::WmillLoops,
        Who::WmillDefault,
    ];
    // Warm-up: connections for this concurrency in every pool.
    for who in order {
        round(&clients, who, config).await;
    }
    let mut rounds: Vec<Vec<Round>> = order.iter().map(|_| Vec::new()).collect();
    for r in 0..config.rounds.max(1) {
        let mut pass = order;
        if !r.is_multiple_of(2) {
            pass.reverse();
        }
        for who in pass {
            let i = order.iter().position(|w| *w == who).unwrap_or(0);
            rounds[i].push(round(&clients, who, config).await);
        }
    }
    let raw_walls: Vec<f64> = rounds[0].iter().map(|r| r.wall.as_secs_f64()).collect();
    let names = [RAW, WMILL, WMILL_INLINE, WMILL_LOOPS, WMILL_DEFAULT];
    rounds
        .into_iter()
        .enumerate()
        .map(|(i, rs)| {
            let vs_raw = (i > 0).then(|| {
                median(
                    rs.iter()
                        .zip(&raw_walls)
                        .map(|(r, raw)| r.wall.as_secs_f64() / raw.max(1e-9))
                        .collect(),
                )
            });
            BatchRow {
                client: names[i],
                jobs: config.jobs,
                errors: rs.iter().map(|r| r.errors).sum(),
                wall: Duration::from_secs_f64(median(
                    rs.iter().map(|r| r.wall.as_secs_f64()).collect(),
                )),
                cpu_per_job: Duration::from_secs_f64(
                    median(rs.iter().map(|r| r.cpu.as_secs_f64()).collect())
                        / config.jobs.max(1) as f64,
                ),
                vs_raw,
            }
        })
        .collect()
}
