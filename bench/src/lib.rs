//! The wmill benchmarks, as a library so a smoke test can run them with tiny sizes.
//!
//! - [`waits`]: job wait overhead (end-to-end sync run minus the job's duration) and requests
//!   per wait, against the fake Windmill server whose server-side waits follow the real
//!   schedules; baseline: polling every 500 ms as the official clients do.
//! - [`variables`]: `get_variable` latency, throughput and client CPU per request at several
//!   concurrencies; baseline: a raw reqwest loop on the same endpoint.
//! - [`blocking`]: the blocking facade's cost per call (`wmill::blocking::get_variable` from a
//!   plain thread and from inside a runtime) against the async call it runs.
//! - [`listings`]: peak RSS of a client listing 1,000, 10,000 and 100,000 jobs as a stream
//!   (flat) and, as the baseline, collecting them.
//! - [`logs`]: following a 10 s job's 1 MiB log: requests, log text downloaded against its
//!   size, lateness; baseline: polling the whole log every 500 ms.
//! - [`batch`]: `run_batch` of 1,000 no-op jobs at concurrency 32 against 32 raw reqwest loops
//!   sending the same requests to the same server.
//! - [`s3`]: write then read a large file through wmill-s3 and through raw object_store on the
//!   same in-process S3 server: MB/s and peak RSS.
//!
//! `wmill-bench` (src/main.rs) runs them in separate processes (servers apart from the
//! measured client) and prints the tables of `docs/performance.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod batch;
pub mod blocking;
pub mod listings;
pub mod logs;
pub mod s3;
pub mod stats;
pub mod variables;
pub mod waits;

/// CPU time (user + system) used by this process so far.
pub fn process_cpu_time() -> std::time::Duration {
    // SAFETY-free: getrusage through libc only reads into a zeroed struct.
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // The call cannot fail with RUSAGE_SELF and a valid pointer.
    #[allow(unsafe_code)]
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| {
        std::time::Duration::from_secs(t.tv_sec as u64)
            + std::time::Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
pub fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Starts `exe <subcommand>` (a server), reads the one line of `fields` words it prints first,
/// and returns the child with those words; the server exits when its stdin closes.
pub fn start_child_server(
    exe: &std::path::Path,
    subcommand: &str,
    fields: usize,
) -> (std::process::Child, Vec<String>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(exe)
        .arg(subcommand)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start `{subcommand}`: {e}"));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the server line");
    let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    assert_eq!(words.len(), fields, "unexpected server line {line:?}");
    (child, words)
}

/// Runs a server built by `start` on a one-thread runtime until stdin closes, after printing
/// `line(&server)`.
pub fn serve_until_stdin_closes<S, F>(start: F, line: impl FnOnce(&S) -> String)
where
    F: std::future::Future<Output = S>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(start);
    println!("{}", line(&server));
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
