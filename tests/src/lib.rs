//! Test support shared by the workspace's tests and benchmarks (not published).
//!
//! - [`fake_windmill`]: a stateful fake Windmill HTTP server whose waits follow the real
//!   server's schedules.
//! - [`s3_server`]: a real S3-compatible server (s3s + s3s-fs) on `127.0.0.1`, in process.
//! - [`trace_capture`]: a `tracing` subscriber that keeps every span and event, for tests of
//!   the SDK's spans.

mod fake_sql;
pub mod fake_windmill;
pub mod faults;
pub mod s3_server;
pub mod trace_capture;
