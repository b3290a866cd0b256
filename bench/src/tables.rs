//! The tables of `docs/performance.md`, as `wmill-bench` prints them (a module of the binary,
//! `src/main.rs`).

use std::time::Duration;

use wmill_bench::stats::ms;
use wmill_bench::{batch, blocking, listings, logs, s3, variables, waits};

pub(crate) fn print_waits(rows: &[waits::WaitRow]) {
    println!("### Job wait overhead (end-to-end run_script_by_path minus the job's duration)\n");
    println!(
        "| job | client | samples | median ms | p95 ms | max ms | requests/wait (mean) | requests (max) | errors | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let target = Duration::from_millis(5).max(r.duration.mul_f64(0.10));
        let verdict = if r.strategy.starts_with("wmill") {
            let time_ok = r.overhead.p50 <= target;
            let req_ok = r.duration < Duration::from_secs(1) || r.requests_per_wait <= 24.0;
            let what = if r.duration >= Duration::from_secs(1) {
                format!("<= {} ms, <= 24 requests", ms(target))
            } else {
                format!("<= {} ms", ms(target))
            };
            if time_ok && req_ok {
                format!("met ({what})")
            } else {
                format!("MISSED ({what})")
            }
        } else {
            "baseline".to_owned()
        };
        println!(
            "| {} ms | {} | {} | {} | {} | {} | {:.1} | {} | {} | {} |",
            r.duration.as_millis(),
            r.strategy,
            r.overhead.n,
            ms(r.overhead.p50),
            ms(r.overhead.p95),
            ms(r.overhead.max),
            r.requests_per_wait,
            r.max_requests,
            r.errors,
            verdict
        );
    }
    println!();
}

pub(crate) fn print_fleet(rows: &[waits::FleetRow]) {
    println!("### Concurrent callers running the same script synchronously, back to back\n");
    println!(
        "Lateness: end-to-end run_script_by_path minus the job's duration, over the measured runs \
         (each caller's first run is not measured). Target for wmill's default at 16 callers: \
         <= 6 requests per run, lateness p50 <= 5 ms.\n"
    );
    println!(
        "| callers | job | client | runs | requests/run | p50 ms | p90 ms | p99 ms | max ms | errors | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let target = if r.client == "wmill (default)" && r.case.callers <= 16 {
            let met = r.requests_per_run <= 6.0
                && r.lateness.p50 <= Duration::from_millis(5)
                && r.errors == 0;
            if met { "met" } else { "MISSED" }
        } else if r.wmill {
            ""
        } else {
            "baseline"
        };
        println!(
            "| {} | {} ms | {} | {} | {:.1} | {} | {} | {} | {} | {} | {} |",
            r.case.callers,
            r.case.duration.as_millis(),
            r.client,
            r.lateness.n,
            r.requests_per_run,
            ms(r.lateness.p50),
            ms(r.lateness.p90),
            ms(r.lateness.p99),
            ms(r.lateness.max),
            r.errors,
            target
        );
    }
    println!();
}

pub(crate) fn print_variables(rows: &[variables::VarRow], config: &variables::VarConfig) {
    println!("### get_variable: latency, throughput, client CPU per request\n");
    println!(
        "{} interleaved rounds of {} ms per client and concurrency; req/s and CPU: medians of the \
         rounds; p50/p99: all requests; vs raw: medians of the per-round ratios (target: >= 95 % \
         throughput, <= 1.10x CPU, no error).\n",
        config.rounds,
        config.duration.as_millis()
    );
    println!(
        "| concurrency | client | requests | errors | req/s | p50 ms | p99 ms | CPU µs/req | vs raw | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let (vs, target) = match (r.throughput_vs_raw, r.cpu_vs_raw) {
            (Some(t), Some(c)) => {
                let met = t >= 0.95 && c <= 1.10 && r.errors == 0;
                (
                    format!("{:.0} % throughput, {:.2}x CPU", 100.0 * t, c),
                    if met { "met" } else { "MISSED" }.to_owned(),
                )
            }
            _ => ("ceiling".to_owned(), String::new()),
        };
        println!(
            "| {} | {} | {} | {} | {:.0} | {} | {} | {:.1} | {} | {} |",
            r.concurrency,
            r.client,
            r.requests,
            r.errors,
            r.throughput,
            ms(r.latency.p50),
            ms(r.latency.p99),
            r.cpu_per_request.as_secs_f64() * 1e6,
            vs,
            target
        );
    }
    println!();
}

pub(crate) fn print_blocking(rows: &[blocking::BlockingRow], config: &blocking::BlockingConfig) {
    println!("### The blocking facade: cost per call\n");
    println!(
        "{} interleaved rounds of {} sequential `get_variable` calls per mode; p50/p99: all \
         calls; CPU: median of the rounds' per-call CPU (client process); added: median of the \
         rounds' mean latency minus the async mode's in the same round.\n",
        config.rounds, config.calls
    );
    println!("| mode | calls | errors | p50 ms | p99 ms | CPU µs/call | added µs/call |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {} |",
            r.mode.label(),
            r.calls,
            r.errors,
            ms(r.latency.p50),
            ms(r.latency.p99),
            r.cpu_per_call.as_secs_f64() * 1e6,
            r.added_per_call.map_or("reference".to_owned(), |d| format!(
                "{:.1}",
                d.as_secs_f64() * 1e6
            ))
        );
    }
    println!();
}

pub(crate) fn print_s3(rows: &[s3::S3Row]) {
    println!(
        "### S3: write then read through wmill-s3 vs raw object_store (same server, same run)\n"
    );
    println!(
        "3 rounds per size in alternating order; MB/s: the median round; peak RSS: the highest of the rounds.\n"
    );
    println!(
        "| size | client | write MB/s | read MB/s | peak RSS write MiB | peak RSS read MiB | vs raw (write / read) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for pair in rows.chunks(2) {
        let raw = &pair[0];
        for r in pair {
            let vs = if r.client == s3::Client::Wmill {
                format!(
                    "{:.0} % / {:.0} %",
                    100.0 * r.write.mb_per_s() / raw.write.mb_per_s(),
                    100.0 * r.read.mb_per_s() / raw.read.mb_per_s()
                )
            } else {
                "baseline".to_owned()
            };
            println!(
                "| {} MiB | {:?} | {:.0} | {:.0} | {:.1} | {:.1} | {} |",
                r.size >> 20,
                r.client,
                r.write.mb_per_s(),
                r.read.mb_per_s(),
                r.write.peak_rss as f64 / (1 << 20) as f64,
                r.read.peak_rss as f64 / (1 << 20) as f64,
                vs
            );
        }
    }
    println!();
}

pub(crate) fn print_listings(rows: &[listings::ListRow]) {
    println!("### Listing jobs: peak RSS against the number of jobs\n");
    println!(
        "Each listing in a fresh process (3 rounds; time: the median round; peak RSS: the highest), \
         {} jobs per request, against the fake server in another process.\n",
        rows.first().map_or(0, |r| r.page_size)
    );
    println!("| jobs | client | requests | time ms | peak RSS MiB | vs no job |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        let floor = rows
            .iter()
            .find(|f| f.mode == r.mode && f.expected == 0)
            .map_or(0, |f| f.phase.peak_rss);
        let requests = r.expected / r.page_size as usize + 1;
        println!(
            "| {} | {} | {} | {:.0} | {:.1} | {:+.1} MiB |",
            r.expected,
            match r.mode {
                listings::Mode::Stream => "wmill `stream_jobs`",
                listings::Mode::Collect => "baseline: collect into a Vec",
            },
            requests,
            r.phase.elapsed.as_secs_f64() * 1000.0,
            r.phase.peak_rss as f64 / (1 << 20) as f64,
            (r.phase.peak_rss as f64 - floor as f64) / (1 << 20) as f64,
        );
    }
    println!();
}

pub(crate) fn print_logs(rows: &[logs::LogRow], config: &logs::LogConfig) {
    println!(
        "### Following a job's log ({} s job writing {} KiB, evenly)\n",
        config.duration.as_secs_f64(),
        config.log_bytes / 1024
    );
    println!(
        "| client | runs | requests/run (mean) | requests (max) | log text downloaded / log size | end after the job's end, median ms | max ms | pieces/run | errors | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let target = if r.client.starts_with("wmill `job_logs`") {
            if r.max_requests <= 30 && (r.downloaded - 1.0).abs() < 1e-9 && r.errors == 0 {
                "met (<= 30 requests, each byte once)"
            } else {
                "MISSED (<= 30 requests, each byte once)"
            }
        } else {
            ""
        };
        println!(
            "| {} | {} | {:.1} | {} | {:.2} | {} | {} | {:.1} | {} | {} |",
            r.client,
            r.samples,
            r.requests,
            r.max_requests,
            r.downloaded,
            ms(r.lateness.p50),
            ms(r.lateness.max),
            r.pieces,
            r.errors,
            target
        );
    }
    println!();
}

pub(crate) fn print_batch(rows: &[batch::BatchRow], config: &batch::BatchConfig) {
    println!(
        "### Batches: {} no-op jobs at concurrency {} vs raw reqwest loops\n",
        config.jobs, config.concurrency
    );
    println!(
        "{} interleaved rounds per client; wall time and CPU: medians of the rounds; vs raw: \
         median of the per-round ratios (target: <= 1.2x the raw loops' wall time, no error).\n",
        config.rounds
    );
    println!(
        "| client | jobs/round | errors | wall ms (median) | jobs/s | CPU µs/job | vs raw | target |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        let (vs, target) = match r.vs_raw {
            None => ("baseline".to_owned(), String::new()),
            Some(v) if r.client == batch::WMILL => (
                format!("{v:.2}x"),
                if v <= 1.2 && r.errors == 0 {
                    "met"
                } else {
                    "MISSED"
                }
                .to_owned(),
            ),
            Some(v) => (format!("{v:.2}x"), "informational".to_owned()),
        };
        println!(
            "| {} | {} | {} | {:.1} | {:.0} | {:.1} | {} | {} |",
            r.client,
            r.jobs,
            r.errors,
            r.wall.as_secs_f64() * 1e3,
            r.jobs as f64 / r.wall.as_secs_f64().max(1e-9),
            r.cpu_per_job.as_secs_f64() * 1e6,
            vs,
            target
        );
    }
    println!();
}
