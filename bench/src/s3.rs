//! Writing then reading a large file through wmill-s3 and through raw object_store, on the
//! same in-process S3 server: MB/s and peak RSS of the client.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{ObjectStoreExt, WriteMultipart};
use wmill_s3::{S3Client, S3Object, TransferOptions, WriteOptions};

use crate::peak_rss_bytes;

/// Where the S3 server listens and how to sign for it.
#[derive(Debug, Clone)]
pub struct S3Endpoint {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// Access key.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
}

impl S3Endpoint {
    fn store(&self) -> AmazonS3 {
        wmill_http::install_crypto_provider();
        AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_region(wmill_tests::s3_server::REGION)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
            .build()
            .expect("S3 client")
    }

    fn args(&self) -> [String; 4] {
        [
            self.endpoint.clone(),
            self.bucket.clone(),
            self.access_key.clone(),
            self.secret_key.clone(),
        ]
    }
}

/// Starts `exe serve-s3` and reads the endpoint it prints; it exits when its stdin closes.
pub fn start_child_server(exe: &Path) -> (Child, S3Endpoint) {
    let (child, p) = crate::start_child_server(exe, "serve-s3", 4);
    let endpoint = S3Endpoint {
        endpoint: p[0].clone(),
        bucket: p[1].clone(),
        access_key: p[2].clone(),
        secret_key: p[3].clone(),
    };
    (child, endpoint)
}

/// Body of `wmill-bench serve-s3`: serves until stdin closes.
pub fn serve_until_stdin_closes() {
    crate::serve_until_stdin_closes(
        async {
            wmill_tests::s3_server::S3TestServer::start()
                .await
                .expect("S3 server")
        },
        |s| {
            format!(
                "{} {} {} {}",
                s.endpoint, s.bucket, s.access_key, s.secret_key
            )
        },
    );
}

/// Which client moves the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// `wmill_s3::S3Client` (write_s3_file_stream / load_s3_file_stream).
    Wmill,
    /// object_store directly (put_multipart + WriteMultipart / get().into_stream()).
    Raw,
}

/// Write or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Upload `size` bytes.
    Write,
    /// Download the object.
    Read,
}

/// The outcome of one phase.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Bytes moved.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Peak RSS of the process that ran it.
    pub peak_rss: u64,
}

impl Phase {
    /// MB/s (10^6 bytes per second).
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Transfer settings shared by both clients.
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    /// Part size of multipart uploads.
    pub part_size: usize,
    /// Parts in flight.
    pub concurrency: usize,
}

impl Default for Transfer {
    fn default() -> Self {
        let d = TransferOptions::default();
        Transfer {
            part_size: d.part_size,
            concurrency: d.max_concurrency,
        }
    }
}

/// A stream of `size` bytes in 1 MiB chunks, each a fresh buffer (as reading a file gives), so
/// whatever a client keeps in flight shows in its memory.
fn source(size: u64) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let block = Bytes::from(
        (0..(1u32 << 20))
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    );
    let mut left = size;
    futures::stream::iter(std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let n = left.min(block.len() as u64) as usize;
        left -= n as u64;
        Some(Ok(Bytes::copy_from_slice(&block[..n])))
    }))
}

/// Runs one phase in this process.
pub async fn phase(
    ep: &S3Endpoint,
    client: Client,
    op: Op,
    size: u64,
    key: &str,
    transfer: Transfer,
) -> Phase {
    let store = Arc::new(ep.store());
    let start = Instant::now();
    let bytes = match (client, op) {
        (Client::Wmill, Op::Write) => {
            let s3 = S3Client::from_store(store).with_transfer_options(
                TransferOptions::default()
                    .with_part_size(transfer.part_size)
                    .with_max_concurrency(transfer.concurrency),
            );
            let obj = S3Object::new(key).expect("key");
            s3.write_s3_file_stream(Some(&obj), source(size), &WriteOptions::new())
                .await
                .expect("wmill write");
            size
        }
        (Client::Raw, Op::Write) => {
            let upload = store
                .put_multipart(&key.into())
                .await
                .expect("put_multipart");
            let mut writer = WriteMultipart::new_with_chunk_size(upload, transfer.part_size);
            let mut chunks = Box::pin(source(size));
            while let Some(chunk) = chunks.next().await {
                writer
                    .wait_for_capacity(transfer.concurrency)
                    .await
                    .expect("capacity");
                writer.write(&chunk.expect("chunk"));
            }
            writer.finish().await.expect("raw write");
            size
        }
        (Client::Wmill, Op::Read) => {
            let s3 = S3Client::from_store(store);
            let obj = S3Object::new(key).expect("key");
            let mut stream = s3.load_s3_file_stream(&obj).await.expect("wmill read");
            let mut n = 0u64;
            while let Some(chunk) = stream.next().await {
                n += chunk.expect("chunk").len() as u64;
            }
            n
        }
        (Client::Raw, Op::Read) => {
            let mut stream = store.get(&key.into()).await.expect("raw get").into_stream();
            let mut n = 0u64;
            while let Some(chunk) = stream.next().await {
                n += chunk.expect("chunk").len() as u64;
            }
            n
        }
    };
    Phase {
        bytes,
        elapsed: start.elapsed(),
        peak_rss: peak_rss_bytes(),
    }
}

/// Runs one phase in a fresh process (`exe s3-phase ...`), so its peak RSS is its own.
pub fn phase_in_child(
    exe: &Path,
    ep: &S3Endpoint,
    client: Client,
    op: Op,
    size: u64,
    key: &str,
    transfer: Transfer,
) -> Phase {
    let out = Command::new(exe)
        .arg("s3-phase")
        .arg(match client {
            Client::Wmill => "wmill",
            Client::Raw => "raw",
        })
        .arg(match op {
            Op::Write => "write",
            Op::Read => "read",
        })
        .arg(size.to_string())
        .arg(key)
        .arg(transfer.part_size.to_string())
        .arg(transfer.concurrency.to_string())
        .args(ep.args())
        .output()
        .expect("run the phase process");
    assert!(
        out.status.success(),
        "phase failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_phase(&String::from_utf8_lossy(&out.stdout))
}

/// Body of `wmill-bench s3-phase`: runs the phase and prints `bytes elapsed_ns peak_rss`.
pub fn phase_main(args: &[String]) {
    let client = if args[0] == "wmill" {
        Client::Wmill
    } else {
        Client::Raw
    };
    let op = if args[1] == "write" {
        Op::Write
    } else {
        Op::Read
    };
    let size: u64 = args[2].parse().expect("size");
    let key = args[3].clone();
    let transfer = Transfer {
        part_size: args[4].parse().expect("part size"),
        concurrency: args[5].parse().expect("concurrency"),
    };
    let ep = S3Endpoint {
        endpoint: args[6].clone(),
        bucket: args[7].clone(),
        access_key: args[8].clone(),
        secret_key: args[9].clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let p = rt.block_on(phase(&ep, client, op, size, &key, transfer));
    println!("{} {} {}", p.bytes, p.elapsed.as_nanos(), p.peak_rss);
}

fn parse_phase(line: &str) -> Phase {
    let p: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    Phase {
        bytes: p[0],
        elapsed: Duration::from_nanos(p[1]),
        peak_rss: p[2],
    }
}

/// One row: a size, a client, write and read.
#[derive(Debug, Clone)]
pub struct S3Row {
    /// Object size.
    pub size: u64,
    /// Which client.
    pub client: Client,
    /// The write.
    pub write: Phase,
    /// The read.
    pub read: Phase,
}

/// Writes then reads each size with each client, `rounds` times in alternating order (raw
/// then wmill, wmill then raw, ...), each phase in its own process when `exe` is given. One
/// row per size and client: the median round's write and read (by MB/s), with the highest
/// peak RSS of all rounds.
pub async fn run(
    exe: Option<&Path>,
    ep: &S3Endpoint,
    sizes: &[u64],
    transfer: Transfer,
    rounds: usize,
) -> Vec<S3Row> {
    let mut rows = Vec::new();
    for &size in sizes {
        let mut runs: Vec<S3Row> = Vec::new();
        for round in 0..rounds.max(1) {
            let order = if round % 2 == 0 {
                [Client::Raw, Client::Wmill]
            } else {
                [Client::Wmill, Client::Raw]
            };
            runs.extend(run_once(exe, ep, size, transfer, order).await);
        }
        for client in [Client::Raw, Client::Wmill] {
            let mine: Vec<&S3Row> = runs.iter().filter(|r| r.client == client).collect();
            rows.push(S3Row {
                size,
                client,
                write: median_phase(mine.iter().map(|r| r.write)),
                read: median_phase(mine.iter().map(|r| r.read)),
            });
        }
    }
    rows
}

/// The median phase by throughput, carrying the highest peak RSS of them all.
fn median_phase(phases: impl Iterator<Item = Phase>) -> Phase {
    let mut all: Vec<Phase> = phases.collect();
    all.sort_by(|a, b| a.mb_per_s().total_cmp(&b.mb_per_s()));
    let peak = all.iter().map(|p| p.peak_rss).max().unwrap_or(0);
    let mut mid = all[all.len() / 2];
    mid.peak_rss = peak;
    mid
}

async fn run_once(
    exe: Option<&Path>,
    ep: &S3Endpoint,
    size: u64,
    transfer: Transfer,
    order: [Client; 2],
) -> Vec<S3Row> {
    let mut rows = Vec::new();
    {
        for client in order {
            let key = format!("bench/{client:?}-{size}.bin").to_lowercase();
            let (write, read) = match exe {
                Some(exe) => (
                    phase_in_child(exe, ep, client, Op::Write, size, &key, transfer),
                    phase_in_child(exe, ep, client, Op::Read, size, &key, transfer),
                ),
                None => (
                    phase(ep, client, Op::Write, size, &key, transfer).await,
                    phase(ep, client, Op::Read, size, &key, transfer).await,
                ),
            };
            assert_eq!(
                read.bytes, size,
                "{client:?} read back {} of {size} bytes",
                read.bytes
            );
            let _ = ep.store().delete(&key.as_str().into()).await;
            rows.push(S3Row {
                size,
                client,
                write,
                read,
            });
        }
    }
    rows
}
