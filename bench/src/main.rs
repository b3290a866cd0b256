//! `wmill-bench`: reruns every benchmark of `docs/performance.md` and prints its tables.
//!
//! ```sh
//! cargo run --release -p wmill-bench              # everything (about 5 minutes on 2 cores)
//! cargo run --release -p wmill-bench -- waits     # one part: waits | fleet | logs | variables | blocking | listings | batch | s3
//! cargo run --release -p wmill-bench -- waits-off-grid  # waits at durations off the schedules' grids (not in `all`)
//! cargo run --release -p wmill-bench -- s3 --quick  # 64 MiB only
//! ```

mod tables;

use tables::{
    print_batch, print_blocking, print_fleet, print_listings, print_logs, print_s3,
    print_variables, print_waits,
};
use wmill_bench::{batch, blocking, listings, logs, s3, variables, waits};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve-windmill") => return variables::serve_until_stdin_closes(),
        Some("serve-s3") => return s3::serve_until_stdin_closes(),
        Some("s3-phase") => return s3::phase_main(&args[1..]),
        Some("calls") => return calls_main(&exe_or_die(), &args[1..]),
        Some("batch-calls") => return batch_calls_main(&exe_or_die(), &args[1..]),
        Some("serve-windmill-jobs") => return listings::serve_until_stdin_closes(),
        Some("list-phase") => return listings::phase_main(&args[1..]),
        _ => {}
    }
    let quick = args.iter().any(|a| a == "--quick");
    let parts: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = parts.is_empty() || parts.contains(&"all");
    let exe = std::env::current_exe().expect("own executable");

    println!("{}\n", machine());
    if all || parts.contains(&"waits") {
        print_waits(&waits::run(&waits::WaitConfig::full()));
    }
    if parts.contains(&"waits-off-grid") {
        print_waits(&waits::run(&waits::WaitConfig::off_grid()));
    }
    if all || parts.contains(&"fleet") {
        print_fleet(&waits::run_fleet(&waits::FleetConfig::full()));
    }
    if all || parts.contains(&"logs") {
        let config = logs::LogConfig::full();
        print_logs(&logs::run(&config), &config);
    }
    if all || parts.contains(&"variables") {
        let (mut child, endpoint) = variables::start_child_server(&exe);
        let rt = two_workers();
        let config = variables::VarConfig::full();
        let rows = rt.block_on(variables::run(&endpoint, &config));
        print_variables(&rows, &config);
        let _ = child.kill();
    }
    if all || parts.contains(&"blocking") {
        let (mut child, endpoint) = variables::start_child_server(&exe);
        let config = blocking::BlockingConfig::full();
        print_blocking(&blocking::run(&endpoint, &config), &config);
        let _ = child.kill();
    }
    if all || parts.contains(&"listings") {
        let (mut child, endpoint) = listings::start_child_server(&exe);
        let rows = listings::run(&exe, &endpoint, wmill_core::DEFAULT_PAGE_SIZE, 3);
        print_listings(&rows);
        let _ = child.kill();
    }
    if all || parts.contains(&"batch") {
        let (mut child, endpoint) = variables::start_child_server(&exe);
        let rt = two_workers();
        let config = batch::BatchConfig::full();
        let rows = rt.block_on(batch::run(&endpoint, &config));
        print_batch(&rows, &config);
        let _ = child.kill();
    }
    if all || parts.contains(&"s3") {
        let (mut child, endpoint) = s3::start_child_server(&exe);
        let sizes: Vec<u64> = if quick {
            vec![64 << 20]
        } else {
            vec![64 << 20, 1 << 30]
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let rows = rt.block_on(s3::run(
            Some(&exe),
            &endpoint,
            &sizes,
            s3::Transfer::default(),
            3,
        ));
        print_s3(&rows);
        let _ = child.kill();
    }
}

fn exe_or_die() -> std::path::PathBuf {
    std::env::current_exe().expect("own executable")
}

/// The number at `args[i]`, if given (a bench command line that is not a number stops the bench).
fn number_arg(args: &[String], i: usize, what: &str) -> Option<usize> {
    args.get(i).map(|s| {
        s.parse()
            .unwrap_or_else(|_| panic!("{what} must be a number, got {s:?}"))
    })
}

/// `wmill-bench calls <wmill|raw> <n> [concurrency]`: `n` `get_variable` calls against a fake
/// server in a child process, from `concurrency` tasks on the 2-worker runtime of the
/// `variables` benchmark (without `concurrency`: sequential calls on a current-thread runtime,
/// the most repeatable count), for instruction counts:
///
/// ```sh
/// valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.wmill.2000 ./target/release/wmill-bench calls wmill 2000
/// valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.wmill.4000 ./target/release/wmill-bench calls wmill 4000
/// ```
///
/// Per call: the difference of the two totals / 2000 (the start-up cost cancels out); same
/// for `raw`.
fn calls_main(exe: &std::path::Path, args: &[String]) {
    let client = match args.first().map(String::as_str) {
        Some("wmill") => variables::CallClient::Wmill,
        Some("raw") => variables::CallClient::Raw,
        other => panic!("calls: expected wmill or raw, got {other:?}"),
    };
    let n = number_arg(args, 1, "calls: n").unwrap_or(10_000);
    let concurrency = number_arg(args, 2, "calls: concurrency");
    let (mut child, endpoint) = variables::start_child_server(exe);
    let rt = if concurrency.is_some() {
        two_workers()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    };
    let errors = rt.block_on(variables::fixed_calls(
        &endpoint,
        client,
        n,
        concurrency.unwrap_or(1),
    ));
    let _ = child.kill();
    println!("{n} calls, {errors} errors");
}

/// `wmill-bench batch-calls <wmill|raw|loops> <n>`: one round of `n` jobs of the `batch`
/// benchmark (its [`batch::WMILL`] row, its raw loops, or its [`batch::WMILL_LOOPS`]) at
/// concurrency 32 on its 2-worker runtime, against a fake server in a child process, for
/// instruction counts as with `calls`:
///
/// ```sh
/// valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.batch.1000 ./target/release/wmill-bench batch-calls wmill 1000
/// valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.batch.3000 ./target/release/wmill-bench batch-calls wmill 3000
/// ```
///
/// Per job: the difference of the two totals / 2000.
fn batch_calls_main(exe: &std::path::Path, args: &[String]) {
    let who = match args.first().map(String::as_str) {
        Some("wmill") => batch::Who::Wmill,
        Some("raw") => batch::Who::Raw,
        Some("loops") => batch::Who::WmillLoops,
        other => panic!("batch-calls: expected wmill, raw or loops, got {other:?}"),
    };
    let n = number_arg(args, 1, "batch-calls: n").unwrap_or(1000);
    let (mut child, endpoint) = variables::start_child_server(exe);
    let errors = two_workers().block_on(batch::fixed_jobs(&endpoint, who, n));
    let _ = child.kill();
    println!("{n} jobs, {errors} errors");
}

/// The 2-worker runtime of the `variables` and `batch` benchmarks.
fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .map(|v| v.trim().trim_end_matches("kB").trim().to_owned())
            })
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    format!(
        "machine: {cores} cores, {:.1} GiB memory",
        mem_kb as f64 / (1024.0 * 1024.0)
    )
}
