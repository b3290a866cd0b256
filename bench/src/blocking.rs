//! The blocking facade's cost per call: `wmill::blocking::get_variable` against the async
//! `wmill::get_variable` it runs, sequential calls against the fake server in a child process.
//!
//! Three ways to make the same call, in interleaved rounds (the order rotates each round):
//! - the async function on a current-thread runtime (the reference);
//! - the blocking function from a plain thread: a hand-off to the facade's runtime and back;
//! - the blocking function from inside an async runtime: a current-thread runtime's task, and a
//!   task of a two-thread runtime (where the runtime's `block_on` refuses to nest).

use std::time::{Duration, Instant};

use crate::process_cpu_time;
use crate::stats::{Summary, median, summarize};
use crate::variables::{Endpoint, VALUE, VARIABLE};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BlockingConfig {
    /// Calls per round and mode.
    pub calls: usize,
    /// Rounds per mode (medians over the rounds).
    pub rounds: usize,
}

impl BlockingConfig {
    /// The full benchmark: 10 rounds of 2,000 calls per mode.
    pub fn full() -> Self {
        BlockingConfig {
            calls: 2_000,
            rounds: 10,
        }
    }

    /// The smoke test.
    pub fn smoke() -> Self {
        BlockingConfig {
            calls: 20,
            rounds: 2,
        }
    }
}

/// How the call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `wmill::get_variable(..).await` on a current-thread runtime.
    Async,
    /// `wmill::blocking::get_variable(..)` from a thread without a runtime.
    BlockingPlainThread,
    /// `wmill::blocking::get_variable(..)` from a task of a current-thread runtime.
    BlockingInsideRuntime,
    /// `wmill::blocking::get_variable(..)` from a task of a two-thread runtime.
    BlockingInsideMultiThread,
}

impl Mode {
    /// All modes, the reference first.
    pub const ALL: [Mode; 4] = [
        Mode::Async,
        Mode::BlockingPlainThread,
        Mode::BlockingInsideRuntime,
        Mode::BlockingInsideMultiThread,
    ];

    /// The table's label.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Async => "async `wmill::get_variable` (current-thread runtime)",
            Mode::BlockingPlainThread => "`wmill::blocking::get_variable`, plain thread",
            Mode::BlockingInsideRuntime => {
                "`wmill::blocking::get_variable`, inside a current-thread runtime"
            }
            Mode::BlockingInsideMultiThread => {
                "`wmill::blocking::get_variable`, inside a multi-thread runtime"
            }
        }
    }
}

/// One row: one mode over all its rounds.
#[derive(Debug, Clone)]
pub struct BlockingRow {
    /// How the call is made.
    pub mode: Mode,
    /// Successful calls (all rounds).
    pub calls: u64,
    /// Failed calls or wrong values (all rounds).
    pub errors: u64,
    /// Latency percentiles (all calls).
    pub latency: Summary,
    /// Client CPU time per call (whole process; median of the rounds).
    pub cpu_per_call: Duration,
    /// Median over the rounds of this mode's mean latency minus the async mode's in the same
    /// round (`None` for the async mode itself).
    pub added_per_call: Option<Duration>,
}

struct Round {
    latencies: Vec<Duration>,
    errors: u64,
    mean: Duration,
    cpu_per_call: Duration,
}

/// Runs the benchmark. Installs a process-wide client (`wmill::set_client`) for the endpoint:
/// run it in a process of its own.
pub fn run(endpoint: &Endpoint, config: &BlockingConfig) -> Vec<BlockingRow> {
    wmill_http::install_crypto_provider();
    wmill::set_client(wmill::Client::new(endpoint.client()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // Warm up: the facade's runtime, its connection pool and the async one.
    for mode in Mode::ALL {
        one_round(&rt, &multi, mode, 100);
    }
    let mut rounds: Vec<Vec<Round>> = Mode::ALL.iter().map(|_| Vec::new()).collect();
    for round in 0..config.rounds.max(1) {
        for k in 0..Mode::ALL.len() {
            let i = (k + round) % Mode::ALL.len();
            rounds[i].push(one_round(&rt, &multi, Mode::ALL[i], config.calls));
        }
    }
    let reference: Vec<Duration> = rounds[0].iter().map(|r| r.mean).collect();
    Mode::ALL
        .iter()
        .zip(rounds)
        .map(|(&mode, rounds)| {
            let added_per_call = (mode != Mode::Async).then(|| {
                let added: Vec<f64> = rounds
                    .iter()
                    .zip(&reference)
                    .map(|(r, a)| r.mean.as_secs_f64() - a.as_secs_f64())
                    .collect();
                Duration::from_secs_f64(median(added).max(0.0))
            });
            let cpu: Vec<f64> = rounds
                .iter()
                .map(|r| r.cpu_per_call.as_secs_f64())
                .collect();
            let cpu_per_call = Duration::from_secs_f64(median(cpu));
            let errors = rounds.iter().map(|r| r.errors).sum();
            let latencies: Vec<Duration> = rounds.into_iter().flat_map(|r| r.latencies).collect();
            BlockingRow {
                mode,
                calls: latencies.len() as u64,
                errors,
                latency: summarize(latencies),
                cpu_per_call,
                added_per_call,
            }
        })
        .collect()
}

fn one_round(
    rt: &tokio::runtime::Runtime,
    multi: &tokio::runtime::Runtime,
    mode: Mode,
    calls: usize,
) -> Round {
    let mut latencies = Vec::with_capacity(calls);
    let mut errors = 0;
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let mut record = |ok: bool, t: Instant| {
        if ok {
            latencies.push(t.elapsed());
        } else {
            errors += 1;
        }
    };
    match mode {
        Mode::Async => rt.block_on(async {
            for _ in 0..calls {
                let t = Instant::now();
                let ok = wmill::get_variable(VARIABLE)
                    .await
                    .is_ok_and(|v| v == VALUE);
                record(ok, t);
            }
        }),
        Mode::BlockingPlainThread => {
            for _ in 0..calls {
                let t = Instant::now();
                let ok = wmill::blocking::get_variable(VARIABLE).is_ok_and(|v| v == VALUE);
                record(ok, t);
            }
        }
        Mode::BlockingInsideRuntime => rt.block_on(async {
            for _ in 0..calls {
                let t = Instant::now();
                let ok = wmill::blocking::get_variable(VARIABLE).is_ok_and(|v| v == VALUE);
                record(ok, t);
            }
        }),
        Mode::BlockingInsideMultiThread => {
            // On a worker thread of the runtime, not in its `block_on`.
            let (lat, err) = multi
                .block_on(multi.spawn(async move {
                    let (mut lat, mut err) = (Vec::with_capacity(calls), 0);
                    for _ in 0..calls {
                        let t = Instant::now();
                        match wmill::blocking::get_variable(VARIABLE) {
                            Ok(v) if v == VALUE => lat.push(t.elapsed()),
                            _ => err += 1,
                        }
                    }
                    (lat, err)
                }))
                .expect("task");
            latencies = lat;
            errors = err;
        }
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    let n = latencies.len().max(1) as u32;
    Round {
        mean: elapsed / n,
        cpu_per_call: cpu / n,
        latencies,
        errors,
    }
}
