//! The benchmarks with tiny sizes, so their code cannot rot (the figures mean nothing here).

use std::time::Duration;

use wmill_bench::{batch, blocking, listings, logs, s3, variables, waits};

#[test]
fn wait_benchmark_smoke() {
    let rows = waits::run(&waits::WaitConfig::smoke());
    // Per job duration: wmill, wmill off a direct connection, wmill without history, the
    // baseline.
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert_eq!(r.errors, 0, "{r:?}");
        assert!(r.requests_per_wait >= 1.0, "{r:?}");
        assert!(r.overhead.n > 0);
    }
}

#[test]
fn fleet_benchmark_smoke() {
    let rows = waits::run_fleet(&waits::FleetConfig::smoke());
    // The same four clients per case.
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!(r.errors, 0, "{r:?}");
        assert!(r.requests_per_run >= 1.0, "{r:?}");
        assert_eq!(r.lateness.n, r.case.callers * r.case.runs, "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variable_benchmark_smoke() {
    let server = wmill_tests::fake_windmill::FakeWindmill::start().await;
    server.put_variable(variables::VARIABLE, variables::VALUE, false);
    let endpoint = variables::Endpoint {
        base_url: server.base_url(),
        token: server.token().unwrap_or_default().to_owned(),
        workspace: server.workspace().to_owned(),
    };
    let rows = variables::run(&endpoint, &variables::VarConfig::smoke()).await;
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!(r.errors, 0, "{r:?}");
        assert!(r.requests > 0, "{r:?}");
    }
}

#[test]
fn blocking_benchmark_smoke() {
    // The server runs on a runtime of its own: the benchmark blocks this thread.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(wmill_tests::fake_windmill::FakeWindmill::start());
    server.put_variable(variables::VARIABLE, variables::VALUE, false);
    let endpoint = variables::Endpoint {
        base_url: server.base_url(),
        token: server.token().unwrap_or_default().to_owned(),
        workspace: server.workspace().to_owned(),
    };
    let config = blocking::BlockingConfig::smoke();
    let rows = blocking::run(&endpoint, &config);
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!(r.errors, 0, "{r:?}");
        assert_eq!(r.calls, (config.calls * config.rounds) as u64, "{r:?}");
    }
    assert!(rows[0].added_per_call.is_none());
    assert!(rows[1..].iter().all(|r| r.added_per_call.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_benchmark_smoke() {
    let server = wmill_tests::s3_server::S3TestServer::start().await.unwrap();
    let endpoint = s3::S3Endpoint {
        endpoint: server.endpoint.clone(),
        bucket: server.bucket.clone(),
        access_key: server.access_key.clone(),
        secret_key: server.secret_key.clone(),
    };
    // 12 MiB with 5 MiB parts: three parts each way.
    let transfer = s3::Transfer {
        part_size: 5 << 20,
        concurrency: 2,
    };
    let rows = s3::run(None, &endpoint, &[12 << 20], transfer, 1).await;
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r.read.bytes, 12 << 20);
        assert!(r.write.elapsed > Duration::ZERO);
    }
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_benchmark_smoke() {
    let server = wmill_tests::fake_windmill::FakeWindmill::start().await;
    server.seed_completed_jobs("f/bench/smoke", 50, listings::SAME_INSTANT);
    let endpoint = variables::Endpoint {
        base_url: server.base_url(),
        token: server.token().unwrap_or_default().to_owned(),
        workspace: server.workspace().to_owned(),
    };
    for mode in [listings::Mode::Stream, listings::Mode::Collect] {
        let (n, _) = listings::list_once(&endpoint, "f/bench/smoke", 7, mode).await;
        assert_eq!(n, 50, "{mode:?}: every job exactly once");
    }
    // 50 jobs, 7 per page, 3 per millisecond: each page after the first starts with the one
    // job it shares a millisecond with (skipped), so 7 + 6 * 7 = 49 jobs in 8 pages, then 1.
    assert_eq!(server.count("list"), 2 * 9);
}

#[test]
fn log_benchmark_smoke() {
    let rows = logs::run(&logs::LogConfig::smoke());
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!(r.errors, 0, "{r:?}");
        assert!(r.requests >= 1.0, "{r:?}");
    }
    // The followed log: each byte once.
    assert!((rows[0].downloaded - 1.0).abs() < 1e-9, "{:?}", rows[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_benchmark_smoke() {
    let server = wmill_tests::fake_windmill::FakeWindmill::start().await;
    let endpoint = variables::Endpoint {
        base_url: server.base_url(),
        token: server.token().unwrap_or_default().to_owned(),
        workspace: server.workspace().to_owned(),
    };
    let config = batch::BatchConfig::smoke();
    // The compared clients send the same requests: one start and one poll per job.
    let clients = batch::Clients::new(&endpoint);
    for raw in [true, false] {
        server.reset_counts();
        let errors = if raw {
            clients.raw_batch(config.jobs, config.concurrency).await
        } else {
            clients.wmill_batch(config.jobs, config.concurrency).await
        };
        assert_eq!(errors, 0);
        let counts = server.counts();
        assert_eq!(
            counts.get("run/p").copied(),
            Some(config.jobs as u64),
            "{counts:?}"
        );
        assert_eq!(
            counts.get("get_result_maybe").copied(),
            Some(config.jobs as u64),
            "{counts:?}"
        );
        assert_eq!(
            server.total_requests(),
            2 * config.jobs as u64,
            "{counts:?}"
        );
    }
    let rows = batch::run(&endpoint, &config).await;
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r.errors, 0, "{r:?}");
        assert!(r.wall > Duration::ZERO);
    }
}

#[test]
fn batch_calls_entry_smoke() {
    // `wmill-bench batch-calls`, the instruction-count workload: its own server process, every
    // job right, for each client it offers.
    for client in ["wmill", "raw", "loops"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wmill-bench"))
            .args(["batch-calls", client, "40"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{client}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "40 jobs, 0 errors",
            "{client}"
        );
    }
}
