//! Listing jobs as a stream: peak memory of the client against the number of jobs listed.
//!
//! A fake Windmill server (a child process) holds completed jobs of three scripts: 1,000,
//! 10,000 and 100,000 jobs, three jobs per creation millisecond (so page boundaries fall
//! inside groups of jobs created at the same time). Each phase runs in a fresh process that
//! lists one script's jobs through `wmill_http::Windmill::stream_jobs` (1000 per page, the
//! server's default) and drops each job as it comes, or (the baseline) collects them all into a
//! `Vec`. The phase prints the number of jobs listed, the time taken and its peak RSS
//! (`VmHWM`); a listing that is flat in the number of jobs has the same peak for all three.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use futures::StreamExt;
use wmill_core::{ItemPath, JobQuery};

use crate::peak_rss_bytes;
use crate::variables::Endpoint;

/// The scripts the server holds jobs of, and how many.
pub const SCRIPTS: [(&str, usize); 4] = [
    ("f/bench/none", 0),
    ("f/bench/jobs_1k", 1_000),
    ("f/bench/jobs_10k", 10_000),
    ("f/bench/jobs_100k", 100_000),
];

/// Jobs sharing each creation millisecond.
pub const SAME_INSTANT: usize = 3;

/// How the phase consumes the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `while let Some(job) = stream.next().await`: one page in memory at a time.
    Stream,
    /// The baseline: every job collected into a `Vec` first.
    Collect,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Stream => "stream",
            Mode::Collect => "collect",
        }
    }
}

/// One listing.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Jobs listed.
    pub jobs: u64,
    /// Wall time of the listing.
    pub elapsed: Duration,
    /// Peak RSS of the process that listed.
    pub peak_rss: u64,
}

/// Starts `exe serve-windmill-jobs` (a fake server seeded with `scripts`) and reads its
/// endpoint; the server exits when its stdin closes.
pub fn start_child_server(exe: &Path) -> (Child, Endpoint) {
    let (child, w) = crate::start_child_server(exe, "serve-windmill-jobs", 3);
    let endpoint = Endpoint {
        base_url: w[0].clone(),
        token: w[1].clone(),
        workspace: w[2].clone(),
    };
    (child, endpoint)
}

/// Body of `wmill-bench serve-windmill-jobs`: serves the seeded jobs until stdin closes.
pub fn serve_until_stdin_closes() {
    crate::serve_until_stdin_closes(
        async {
            let server = wmill_tests::fake_windmill::FakeWindmill::start().await;
            for (path, count) in SCRIPTS {
                server.seed_completed_jobs(path, count, SAME_INSTANT);
            }
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

/// Lists the jobs of `path`, `page_size` per request; returns the number listed and the time.
pub async fn list_once(ep: &Endpoint, path: &str, page_size: u32, mode: Mode) -> (u64, Duration) {
    let wm = ep.client();
    let query = JobQuery::new()
        .script_path(ItemPath::parse(path).expect("path"))
        .page_size(page_size);
    let start = Instant::now();
    let mut stream = wm.stream_jobs(&query);
    let n = match mode {
        Mode::Stream => {
            let mut n = 0u64;
            while let Some(job) = stream.next().await {
                let job = job.expect("listing");
                std::hint::black_box(&job);
                n += 1;
            }
            n
        }
        Mode::Collect => {
            let mut all = Vec::new();
            while let Some(job) = stream.next().await {
                all.push(job.expect("listing"));
            }
            std::hint::black_box(&all);
            all.len() as u64
        }
    };
    (n, start.elapsed())
}

/// Body of `wmill-bench list-phase <stream|collect> <path> <page_size> <base_url> <token>
/// <workspace>`: lists once and prints `jobs elapsed_ns peak_rss`.
pub fn phase_main(args: &[String]) {
    let mode = if args[0] == "collect" {
        Mode::Collect
    } else {
        Mode::Stream
    };
    let path = args[1].clone();
    let page_size: u32 = args[2].parse().expect("page size");
    let ep = Endpoint {
        base_url: args[3].clone(),
        token: args[4].clone(),
        workspace: args[5].clone(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (n, elapsed) = rt.block_on(list_once(&ep, &path, page_size, mode));
    println!("{} {} {}", n, elapsed.as_nanos(), peak_rss_bytes());
}

/// Runs one phase in a fresh process, so its peak RSS is its own.
pub fn phase_in_child(exe: &Path, ep: &Endpoint, mode: Mode, path: &str, page_size: u32) -> Phase {
    let out = Command::new(exe)
        .arg("list-phase")
        .arg(mode.name())
        .arg(path)
        .arg(page_size.to_string())
        .args([&ep.base_url, &ep.token, &ep.workspace])
        .output()
        .expect("run the phase process");
    assert!(
        out.status.success(),
        "phase failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    Phase {
        jobs: p[0],
        elapsed: Duration::from_nanos(p[1]),
        peak_rss: p[2],
    }
}

/// A row of the table.
#[derive(Debug, Clone)]
pub struct ListRow {
    /// How the listing was consumed.
    pub mode: Mode,
    /// Jobs the script has.
    pub expected: usize,
    /// Jobs per request.
    pub page_size: u32,
    /// The median round (by time), carrying the highest peak RSS of all rounds.
    pub phase: Phase,
}

/// Every script in both modes, `rounds` rounds each, at `page_size`.
pub fn run(exe: &Path, ep: &Endpoint, page_size: u32, rounds: usize) -> Vec<ListRow> {
    let mut rows = Vec::new();
    for mode in [Mode::Stream, Mode::Collect] {
        for (path, expected) in SCRIPTS {
            let mut phases: Vec<Phase> = (0..rounds)
                .map(|_| phase_in_child(exe, ep, mode, path, page_size))
                .collect();
            for p in &phases {
                assert_eq!(p.jobs, expected as u64, "{path}: every job exactly once");
            }
            let peak = phases.iter().map(|p| p.peak_rss).max().unwrap_or(0);
            phases.sort_by_key(|p| p.elapsed);
            let mut phase = phases[phases.len() / 2];
            phase.peak_rss = peak;
            rows.push(ListRow {
                mode,
                expected,
                page_size,
                phase,
            });
        }
    }
    rows
}
