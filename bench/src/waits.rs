//! Job wait overhead: end-to-end `run_script_by_path` time minus the job's duration, one caller
//! at a time ([`run`]) and for many concurrent callers running the same script back to back
//! ([`run_fleet`]).

use std::time::{Duration, Instant};

use serde_json::json;
use wmill_core::{
    ItemPath, JobRunner, PollSchedule, RunOptions, WaitOptions, WaitStrategy, to_args,
};
use wmill_http::{ServerWait, WaitHistory, WaitTuning, Windmill};
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
        Self::of(
            &[(0, 100, 20), (50, 100, 20), (500, 30, 15), (10_000, 10, 10)],
            Duration::from_secs(5),
        )
    }

    /// Durations off the round numbers of [`full`](Self::full) (which land on the wait
    /// schedules' grids: polls every 10 ms, the event stream's checks every 100 ms), so that
    /// the job's end falls anywhere between two checks: 7, 37, 173, 730 ms, 1.73 and 4.3 s.
    pub fn off_grid() -> Self {
        Self::of(
            &[
                (7, 20, 5),
                (37, 20, 5),
                (173, 20, 5),
                (730, 10, 5),
                (1730, 10, 5),
                (4300, 10, 5),
            ],
            Duration::from_secs(1),
        )
    }

    /// Cases of (job duration in ms, samples, baseline samples), the baseline polling every
    /// 500 ms.
    fn of(cases: &[(u64, usize, usize)], concurrent_from: Duration) -> Self {
        WaitConfig {
            cases: cases
                .iter()
                .map(|&(ms, samples, baseline_samples)| WaitCase {
                    duration: Duration::from_millis(ms),
                    samples,
                    baseline_samples,
                })
                .collect(),
            concurrent_from,
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
    /// `"wmill (default)"`, another wmill setting, or the baseline's name.
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
        let mut rows = Vec::new();
        for case in &config.cases {
            // Fresh clients per job duration: each learns its case only (one script path).
            let wm = client(&server, WaitTuning::default());
            // The same client as it behaves off a direct connection (a URL that may be a
            // proxy): no run_wait_result, so adaptive polling then server-sent events.
            let remote = client(
                &server,
                WaitTuning::default().server_wait(ServerWait::Never),
            );
            // Every run as a first run: what the client did before it learned durations.
            let first = client(
                &server,
                WaitTuning::default().history(WaitHistory::disabled()),
            );
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
                    &first,
                    &server,
                    config,
                    case,
                    "wmill, every run a first run (no history)",
                    &ours,
                    case.samples,
                )
                .await,
            );
            rows.push(
                measure(
                    &first,
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

/// A client of `server` with this wait tuning.
fn client(server: &FakeWindmill, tuning: WaitTuning) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap_or_default())
        .with_workspace(server.workspace())
        .with_wait_tuning(tuning)
        .build()
        .unwrap()
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

/// The fleet benchmark: `callers` concurrent callers (clones of one client) each running the
/// same sleeping script synchronously, back to back.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// The cases.
    pub cases: Vec<FleetCase>,
    /// The baseline's fixed polling interval (the official clients: 500 ms).
    pub baseline_interval: Duration,
}

/// One fleet case.
#[derive(Debug, Clone, Copy)]
pub struct FleetCase {
    /// Concurrent callers.
    pub callers: usize,
    /// How long the script runs.
    pub duration: Duration,
    /// Measured runs per caller (after one unmeasured run each).
    pub runs: usize,
}

impl FleetConfig {
    /// 16 and 128 callers of a 200 ms script.
    pub fn full() -> Self {
        FleetConfig {
            cases: vec![
                FleetCase {
                    callers: 16,
                    duration: Duration::from_millis(200),
                    runs: 20,
                },
                FleetCase {
                    callers: 128,
                    duration: Duration::from_millis(200),
                    runs: 8,
                },
            ],
            baseline_interval: Duration::from_millis(500),
        }
    }

    /// A few runs of a few callers, for the smoke test.
    pub fn smoke() -> Self {
        FleetConfig {
            cases: vec![FleetCase {
                callers: 3,
                duration: Duration::from_millis(30),
                runs: 2,
            }],
            baseline_interval: Duration::from_millis(50),
        }
    }
}

/// One row of the fleet table.
#[derive(Debug, Clone)]
pub struct FleetRow {
    /// The case.
    pub case: FleetCase,
    /// The client's setting.
    pub client: String,
    /// Whether it is wmill's (not the baseline).
    pub wmill: bool,
    /// Lateness (end-to-end time minus the job's duration) of the measured runs.
    pub lateness: Summary,
    /// Requests per measured run (the start included).
    pub requests_per_run: f64,
    /// Failed runs.
    pub errors: usize,
}

/// Runs the fleet benchmark against a fake server started on its own runtime thread.
pub fn run_fleet(config: &FleetConfig) -> Vec<FleetRow> {
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
        let mut rows = Vec::new();
        for case in &config.cases {
            let baseline = RunOptions::new().wait(WaitOptions::new().strategy(WaitStrategy::Poll(
                PollSchedule::fixed(config.baseline_interval),
            )));
            let variants = [
                (
                    "wmill (default)",
                    WaitTuning::default(),
                    RunOptions::new(),
                    true,
                ),
                (
                    "wmill, not a direct connection",
                    WaitTuning::default().server_wait(ServerWait::Never),
                    RunOptions::new(),
                    true,
                ),
                (
                    "wmill, every run a first run (no history)",
                    WaitTuning::default().history(WaitHistory::disabled()),
                    RunOptions::new(),
                    true,
                ),
                (
                    "baseline",
                    WaitTuning::default().history(WaitHistory::disabled()),
                    baseline,
                    false,
                ),
            ];
            for (name, tuning, options, wmill) in variants {
                let name = if wmill {
                    name.to_owned()
                } else {
                    format!(
                        "baseline: poll every {} ms",
                        config.baseline_interval.as_millis()
                    )
                };
                let wm = client(&server, tuning);
                rows.push(fleet_case(&wm, &server, case, name, wmill, &options).await);
            }
        }
        rows
    });
    drop(server);
    rows
}

async fn fleet_case(
    wm: &Windmill,
    server: &FakeWindmill,
    case: &FleetCase,
    name: String,
    wmill: bool,
    options: &RunOptions,
) -> FleetRow {
    let path = ItemPath::parse(SLEEP).unwrap();
    let ms = case.duration.as_millis() as u64;
    let one = |wm: Windmill| {
        let path = path.clone();
        async move {
            let start = Instant::now();
            let out = wm
                .run_script_by_path(&path, to_args(&json!({ "ms": ms })).unwrap(), options)
                .await;
            (
                start.elapsed(),
                out.map(|v| v == json!(ms)).unwrap_or(false),
            )
        }
    };
    // One unmeasured run per caller: connections open, and the client learns the script.
    futures::future::join_all((0..case.callers).map(|_| one(wm.clone()))).await;
    let before = server.total_requests();
    let callers = (0..case.callers).map(|_| {
        let wm = wm.clone();
        async move {
            let mut out = Vec::with_capacity(case.runs);
            for _ in 0..case.runs {
                out.push(one(wm.clone()).await);
            }
            out
        }
    });
    let runs: Vec<(Duration, bool)> = futures::future::join_all(callers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let total = server.total_requests() - before;
    let mut lateness = Vec::with_capacity(runs.len());
    let mut errors = 0;
    for (elapsed, ok) in &runs {
        if *ok {
            lateness.push(elapsed.saturating_sub(case.duration));
        } else {
            errors += 1;
        }
    }
    FleetRow {
        case: *case,
        client: name,
        wmill,
        lateness: summarize(lateness),
        requests_per_run: total as f64 / runs.len().max(1) as f64,
        errors,
    }
}
