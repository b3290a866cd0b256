//! Job wait overhead: end-to-end `run_script_by_path` time minus the job's duration.

use std::time::{Duration, Instant};

use serde_json::json;
use wmill_core::{
    ItemPath, JobRunner, PollSchedule, RunOptions, WaitOptions, WaitStrategy, to_args,
};
use wmill_http::{ServerWait, WaitTuning, Windmill};
use wmill_tests::fake_windmill::{FakeWindmill, SLEEP};

use crate::stats::{Summary, summarize};

/// What to measure.
#[derive(Debug, Clone)]
pub struct WaitConfig {
    /// Job durations, with the number of samples for wmill and for the baseline.
    pub cases: Vec<WaitCase>,
    /// Durations at or above this run their samples concurrently (10 s jobs).
    pub concurrent_from: Duration,
    /// The baseline's fixed polling interval (the official clients: 500 ms).
    pub baseline_interval: Duration,
}

/// One job duration.
#[derive(Debug, Clone, Copy)]
pub struct WaitCase {
    /// How long the job runs.
    pub duration: Duration,
    /// Samples with wmill's default wait.
    pub samples: usize,
    /// Samples with the baseline.
    pub baseline_samples: usize,
}

impl WaitConfig {
    /// The full benchmark: jobs of 0, 50, 500 ms and 10 s.
    pub fn full() -> Self {
        let case = |ms, samples, baseline_samples| WaitCase {
            duration: Duration::from_millis(ms),
            samples,
            baseline_samples,
        };
        WaitConfig {
            cases: vec![
                case(0, 100, 20),
                case(50, 100, 20),
                case(500, 30, 15),
                case(10_000, 10, 10),
            ],
            concurrent_from: Duration::from_secs(5),
            baseline_interval: Duration::from_millis(500),
        }
    }

    /// A few samples of short jobs, for the smoke test.
    pub fn smoke() -> Self {
        WaitConfig {
            cases: vec![
                WaitCase {
                    duration: Duration::ZERO,
                    samples: 3,
                    baseline_samples: 1,
                },
                WaitCase {
                    duration: Duration::from_millis(50),
                    samples: 3,
                    baseline_samples: 1,
                },
            ],
            concurrent_from: Duration::from_millis(40),
            baseline_interval: Duration::from_millis(100),
        }
    }
}

/// One row of the result table.
#[derive(Debug, Clone)]
pub struct WaitRow {
    /// The job's duration.
    pub duration: Duration,
    /// `"wmill (Auto)"` or the baseline's name.
    pub strategy: String,
    /// Overhead percentiles.
    pub overhead: Summary,
    /// Mean requests per wait (start included).
    pub requests_per_wait: f64,
    /// Largest requests of one wait (sequential samples only; the mean otherwise).
    pub max_requests: u64,
    /// Failed runs.
    pub errors: usize,
}

/// Runs the wait benchmark against a fake server started on its own runtime thread.
pub fn run(config: &WaitConfig) -> Vec<WaitRow> {
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
        // The same client as it behaves off a direct connection (a URL that may be a proxy):
        // no run_wait_result, so adaptive polling then server-sent events.
        let remote = Windmill::builder()
            .with_base_url(server.base_url())
            .with_token(server.token().unwrap_or_default())
            .with_workspace(server.workspace())
            .with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Never))
            .build()
            .unwrap();
        let mut rows = Vec::new();
        for case in &config.cases {
            let ours = RunOptions::new();
            let baseline = RunOptions::new().wait(WaitOptions::new().strategy(WaitStrategy::Poll(
                PollSchedule::fixed(config.baseline_interval),
            )));
            rows.push(
                measure(
                    &wm,
                    &server,
                    config,
                    case,
                    "wmill (default)",
                    &ours,
                    case.samples,
                )
                .await,
            );
            rows.push(
                measure(
                    &remote,
                    &server,
                    config,
                    case,
                    "wmill, not a direct connection",
                    &ours,
                    case.samples,
                )
                .await,
            );
            rows.push(
                measure(
                    &wm,
                    &server,
                    config,
                    case,
                    &format!(
                        "baseline: poll every {} ms",
                        config.baseline_interval.as_millis()
                    ),
                    &baseline,
                    case.baseline_samples,
                )
                .await,
            );
        }
        rows
    });
    drop(server);
    rows
}

async fn measure(
    wm: &Windmill,
    server: &FakeWindmill,
    config: &WaitConfig,
    case: &WaitCase,
    name: &str,
    options: &RunOptions,
    samples: usize,
) -> WaitRow {
    let path = ItemPath::parse(SLEEP).unwrap();
    let ms = case.duration.as_millis() as u64;
    let one = || async {
        let start = Instant::now();
        let out = wm
            .run_script_by_path(&path, to_args(&json!({ "ms": ms })).unwrap(), options)
            .await;
        (
            start.elapsed(),
            out.map(|v| v == json!(ms)).unwrap_or(false),
        )
    };
    // One unmeasured run warms the connection pool.
    let _ = one().await;
    let mut overheads = Vec::with_capacity(samples);
    let mut errors = 0;
    let mut max_requests = 0;
    let before_all = server.total_requests();
    if case.duration >= config.concurrent_from {
        let runs = futures::future::join_all((0..samples).map(|_| one())).await;
        for (elapsed, ok) in runs {
            if ok {
                overheads.push(elapsed.saturating_sub(case.duration));
            } else {
                errors += 1;
            }
        }
    } else {
        for _ in 0..samples {
            let before = server.total_requests();
            let (elapsed, ok) = one().await;
            max_requests = max_requests.max(server.total_requests() - before);
            if ok {
                overheads.push(elapsed.saturating_sub(case.duration));
            } else {
                errors += 1;
            }
        }
    }
    let total = server.total_requests() - before_all;
    let per_wait = total as f64 / samples.max(1) as f64;
    WaitRow {
        duration: case.duration,
        strategy: name.to_owned(),
        overhead: summarize(overheads),
        requests_per_wait: per_wait,
        max_requests: if max_requests == 0 {
            per_wait.ceil() as u64
        } else {
            max_requests
        },
        errors,
    }
}
