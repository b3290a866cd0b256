//! Following a job's log: requests, log text downloaded (against the log's size) and how late
//! the followed log ends after the job, for a long job writing a large log on the fake server's
//! own clock (its event streams follow the real schedules). Baseline: polling the whole log
//! (`get_logs`) every 500 ms, what a client without log offsets can do. Also: what forwarding a
//! child's log costs a synchronous run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use wmill_core::{
    ItemPath, JobId, JobRunner, JobRunnerExt, LogForward, RunOptions, WaitOptions, to_args,
};
use wmill_http::Windmill;
use wmill_tests::fake_windmill::{FakeWindmill, SLEEP};

use crate::stats::{Summary, summarize};

/// What to measure.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// How long the job runs.
    pub duration: Duration,
    /// About how many bytes of log it writes (evenly over its run).
    pub log_bytes: u64,
    /// Followed logs (one after the other).
    pub samples: usize,
    /// Baseline runs (polling the whole log).
    pub baseline_samples: usize,
    /// The baseline's polling interval.
    pub baseline_interval: Duration,
    /// Synchronous runs with and without forwarding (run concurrently, per kind).
    pub forward_samples: usize,
}

impl LogConfig {
    /// The benchmark: a 10 s job writing 1 MiB of logs.
    pub fn full() -> Self {
        LogConfig {
            duration: Duration::from_secs(10),
            log_bytes: 1 << 20,
            samples: 3,
            baseline_samples: 1,
            baseline_interval: Duration::from_millis(500),
            forward_samples: 2,
        }
    }

    /// Tiny sizes, for the smoke test.
    pub fn smoke() -> Self {
        LogConfig {
            duration: Duration::from_millis(300),
            log_bytes: 20_000,
            samples: 1,
            baseline_samples: 1,
            baseline_interval: Duration::from_millis(100),
            forward_samples: 1,
        }
    }
}

/// One row of the result table.
#[derive(Debug, Clone)]
pub struct LogRow {
    /// What was measured.
    pub client: String,
    /// Runs.
    pub samples: usize,
    /// Mean requests per run (the job's start not included for followed logs).
    pub requests: f64,
    /// Largest requests of one run.
    pub max_requests: u64,
    /// Log text downloaded per run, as a multiple of the log's size (1.00: each byte once).
    pub downloaded: f64,
    /// The log's size in bytes.
    pub log_bytes: u64,
    /// How long after the job's end the followed log (or the run) ended.
    pub lateness: Summary,
    /// Mean pieces received per run (chunks, polls with news, or forwarded lines).
    pub pieces: f64,
    /// Runs that failed or got a wrong log.
    pub errors: usize,
}

/// Runs the log benchmark against a fake server started on its own runtime thread.
pub fn run(config: &LogConfig) -> Vec<LogRow> {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fake-windmill")
        .enable_all()
        .build()
        .unwrap();
    let server = server_rt.block_on(FakeWindmill::start());
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let rows = client_rt.block_on(async {
        let wm = Windmill::builder()
            .with_base_url(server.base_url())
            .with_token(server.token().unwrap_or_default())
            .with_workspace(server.workspace())
            .build()
            .unwrap();
        vec![
            follow(&wm, &server, config).await,
            baseline(&wm, &server, config).await,
            sync_runs(&wm, &server, config, true).await,
            sync_runs(&wm, &server, config, false).await,
        ]
    });
    drop(server);
    rows
}

fn args(config: &LogConfig) -> wmill_core::Args {
    to_args(&json!({"ms": config.duration.as_millis() as u64, "log_bytes": config.log_bytes}))
        .unwrap()
}

async fn start(wm: &Windmill, config: &LogConfig) -> JobId {
    wm.run_script_by_path_async(
        &ItemPath::parse(SLEEP).unwrap(),
        args(config),
        &RunOptions::new(),
    )
    .await
    .unwrap()
}

fn job_end(server: &FakeWindmill, id: JobId) -> Instant {
    server.job_times(id.into()).map(|t| t.1).unwrap()
}

/// `job_logs(id)` from the job's start to its end.
async fn follow(wm: &Windmill, server: &FakeWindmill, config: &LogConfig) -> LogRow {
    let mut requests = Vec::new();
    let mut lateness = Vec::new();
    let (mut downloaded, mut pieces, mut errors, mut log_len) = (0u64, 0usize, 0, 0u64);
    for _ in 0..config.samples {
        let id = start(wm, config).await;
        let before = server.total_requests();
        let mut text = String::new();
        let mut stream = wm.job_logs(&id);
        let mut failed = false;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => {
                    text.push_str(&c.text);
                    pieces += 1;
                }
                Err(_) => failed = true,
            }
        }
        let ended = Instant::now();
        requests.push(server.total_requests() - before);
        lateness.push(ended.saturating_duration_since(job_end(server, id)));
        let expected = server.job_log(id.into()).unwrap_or_default();
        if failed || text != expected {
            errors += 1;
        }
        log_len = expected.len() as u64;
        downloaded += server.log_served(id.into()).1;
    }
    row(
        "wmill `job_logs` (event stream, offsets)",
        requests,
        downloaded,
        log_len,
        lateness,
        pieces,
        errors,
    )
}

/// Polls `get_logs` (the whole log) and `get_result_maybe` every interval until completed.
async fn baseline(wm: &Windmill, server: &FakeWindmill, config: &LogConfig) -> LogRow {
    let mut requests = Vec::new();
    let mut lateness = Vec::new();
    let (mut downloaded, mut pieces, mut errors, mut log_len) = (0u64, 0usize, 0, 0u64);
    for _ in 0..config.baseline_samples {
        let id = start(wm, config).await;
        let before = server.total_requests();
        let mut last = String::new();
        loop {
            tokio::time::sleep(config.baseline_interval).await;
            let done = wm
                .get_result_maybe(&id)
                .await
                .map(|r| r.completed)
                .unwrap_or(false);
            match wm.get_job_logs(&id).await {
                Ok(text) => {
                    if text.len() > last.len() {
                        pieces += 1;
                    }
                    last = text;
                }
                Err(_) => errors += 1,
            }
            if done {
                break;
            }
        }
        let ended = Instant::now();
        requests.push(server.total_requests() - before);
        lateness.push(ended.saturating_duration_since(job_end(server, id)));
        let expected = server.job_log(id.into()).unwrap_or_default();
        if last != expected {
            errors += 1;
        }
        log_len = expected.len() as u64;
        downloaded += server.log_served(id.into()).1;
    }
    row(
        &format!(
            "baseline: whole log every {} ms",
            config.baseline_interval.as_millis()
        ),
        requests,
        downloaded,
        log_len,
        lateness,
        pieces,
        errors,
    )
}

/// Synchronous runs (the default wait), concurrently, with or without forwarding their log.
async fn sync_runs(
    wm: &Windmill,
    server: &FakeWindmill,
    config: &LogConfig,
    forward: bool,
) -> LogRow {
    let lines = Arc::new(AtomicU64::new(0));
    let counter = lines.clone();
    let mut wait = WaitOptions::new();
    if forward {
        wait = wait.logs(LogForward::callback(move |_, _| {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
    }
    let options = RunOptions::new().wait(wait);
    let path = ItemPath::parse(SLEEP).unwrap();
    let before = server.total_requests();
    let runs = futures::future::join_all((0..config.forward_samples).map(|_| {
        let options = options.clone();
        let path = path.clone();
        let job_id = JobId::new_random();
        async move {
            let out = wm
                .run_script_by_path(&path, args(config), &options.job_id(job_id))
                .await;
            (job_id, out.is_ok(), Instant::now())
        }
    }))
    .await;
    let total = server.total_requests() - before;
    let mut lateness = Vec::new();
    let (mut downloaded, mut errors, mut log_len) = (0u64, 0, 0u64);
    for (id, ok, ended) in runs {
        if !ok {
            errors += 1;
        }
        lateness.push(ended.saturating_duration_since(job_end(server, id)));
        log_len = server.job_log(id.into()).map_or(0, |l| l.len() as u64);
        downloaded += server.log_served(id.into()).1;
    }
    let n = config.forward_samples.max(1);
    let expected_lines = server_lines(config);
    if forward && lines.load(Ordering::Relaxed) != expected_lines * n as u64 {
        errors += 1;
    }
    let per_run = total / n as u64;
    row(
        if forward {
            "synchronous run forwarding its log (`WaitOptions::logs`)"
        } else {
            "synchronous run, log not read (default)"
        },
        vec![per_run; n],
        downloaded,
        log_len,
        lateness,
        lines.load(Ordering::Relaxed) as usize,
        errors,
    )
}

/// The lines the fake server writes for `log_bytes` (see its `logs` module).
fn server_lines(config: &LogConfig) -> u64 {
    let line = format!("{:07} ünïcødé → {}\n", 0, "log filler text ".repeat(5)).len() as u64;
    config.log_bytes.div_ceil(line)
}

#[allow(clippy::too_many_arguments)]
fn row(
    client: &str,
    requests: Vec<u64>,
    downloaded: u64,
    log_len: u64,
    lateness: Vec<Duration>,
    pieces: usize,
    errors: usize,
) -> LogRow {
    let n = requests.len().max(1);
    LogRow {
        client: client.to_owned(),
        samples: requests.len(),
        requests: requests.iter().sum::<u64>() as f64 / n as f64,
        max_requests: requests.iter().copied().max().unwrap_or(0),
        downloaded: downloaded as f64 / (log_len.max(1) * n as u64) as f64,
        log_bytes: log_len,
        lateness: summarize(lateness),
        pieces: pieces as f64 / n as f64,
        errors,
    }
}
