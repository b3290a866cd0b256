//! S3 through Windmill: every call of `wmill-s3` that reaches the Windmill server, against
//! every HTTP fault of the scripted `FaultServer` (tests/src/faults.rs).
//!
//! The matrix (`matrix_*` tests) runs each call against each fault: the fault on every request
//! ("every time"), and for faults a retry could get past, the fault once followed by the normal
//! answer ("once"). For each case it asserts the outcome (the exact value, or the typed error),
//! the number of requests the server saw, and that the call ended within its bound (a bound,
//! not a speed measurement); no token in any error. Cases run concurrently in "lanes" (a server
//! and a client each, cases one after the other in a lane); run with `--nocapture` to print
//! the matrix as the table of docs/reliability.md.
//!
//! Exceptions, by design: the rename (`move_s3_file`) and the streamed multipart upload are
//! never repeated once the request may have reached the server (a repeated move finds its
//! source gone; a streamed body cannot be replayed), so a single fault is an error for them,
//! after exactly one request. A download whose body breaks after the headers is an error (the
//! retry happens before the headers only), never truncated bytes.
//!
//! The tests at the end of the file are the five bugs the matrix found (wrong shapes read as
//! empty listings, size 0, "not S3"; a multipart failure that lost its status; a listing that
//! never ended): each failed before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use wmill_core::Error;
use wmill_http::{RetryConfig, Windmill};
use wmill_s3::object_store::ObjectStoreExt;
use wmill_s3::object_store::path::Path;
use wmill_s3::{
    PresignOptions, S3Client, S3Object, StorageAccess, TransferOptions, WindmillConnection,
    WindmillHelperStore, WriteOptions,
};
use wmill_tests::faults::{FaultServer, Reply};

const TOKEN: &str = "tok-s3faults-9b2e71";
/// A token the server signed (`jwt_...`), for the S3 proxy resolution.
const JWT: &str = "jwt_s3faults.payload7c1.sig9d3e";
/// Margin added to every time bound (the test machine is shared).
const MARGIN: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_millis(400);
const RETRIES: u32 = 2;
/// The largest backoff the test clients sleep.
const MAX_BACKOFF: Duration = Duration::from_millis(40);
/// `Retry-After` of the 429 that carries one (within the client's `max_retry_after`).
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The body limit of the "over limit" client; normal JSON answers are well below it.
const LIMIT: u64 = 4096;
/// Part size (and single-put threshold) of the S3 clients: `PUT_BODY` is one put,
/// `MULTIPART_BODY` a streamed multipart upload.
const PART: usize = 16;
const PUT_BODY: &[u8] = b"hello, windmill";
const MULTIPART_BODY: &[u8] = b"0123456789abcdef0123456789abcdef01234567";
/// A stall lasts longer than any bound.
const STALL: Duration = Duration::from_secs(10);

fn retry() -> RetryConfig {
    RetryConfig::default()
        .max_retries(RETRIES)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(MAX_BACKOFF)
        .max_retry_after(Duration::from_secs(2))
}

/// The bound of a call that made `attempts` attempts: each may use its whole timeout (+ 10 %),
/// plus the backoffs.
fn bound(attempts: u32) -> Duration {
    (TIMEOUT.mul_f64(1.1) + MAX_BACKOFF) * attempts.max(1) + MARGIN
}

/// The downloaded object: larger than `LIMIT` (downloads are streamed, not subject to it).
fn content() -> Bytes {
    (0..10_000u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into()
}

fn obj(key: &str) -> S3Object {
    S3Object::new(key).unwrap()
}

// ---------------------------------------------------------------- the calls

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    /// `WindmillConnection::s3_resource_info`
    ResourceInfo,
    /// `WindmillConnection::s3_proxy_bucket`
    ProxyBucket,
    /// `WindmillConnection::sign_s3_objects`
    Sign,
    /// `WindmillConnection::polars_connection_settings_direct`
    Polars,
    /// `WindmillConnection::duckdb_connection_settings_direct`
    Duckdb,
    /// `WindmillConnection::boto3_connection_settings` (plain token: `s3_resource_info`)
    Boto3,
    /// `S3Client::get_presigned_s3_public_urls`
    PresignedUrls,
    /// `S3Client::object_store` with `StorageAccess::Direct` (`WindmillResolver`)
    ResolveDirect,
    /// `S3Client::object_store` with `StorageAccess::Proxy` (`WindmillResolver`, `jwt_` token)
    ResolveProxy,
    /// `write_s3_file` of a small body: one `put` (`upload_s3_file`, body sent again on a retry)
    Put,
    /// `write_s3_file_stream` above the threshold: `put_multipart` + `put_part` + `complete`
    /// (one streamed `upload_s3_file`)
    Multipart,
    /// `load_s3_file` (`download_s3_file`)
    Get,
    /// `load_s3_file_stream`, the stream read to its end
    GetStream,
    /// `load_s3_file_metadata` (`head`: `load_file_metadata`)
    Head,
    /// `delete_s3_object` (`delete_s3_file`)
    Delete,
    /// `list_s3_objects` (`list`: `list_stored_files_paged`, 2 pages and a sub-folder)
    List,
    /// `list_s3_folder` (`list_with_delimiter`: 2 pages)
    ListFolder,
    /// `move_s3_object` within one storage (`rename`: `move_s3_file`)
    Rename,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Call::ResourceInfo => "s3_resource_info",
            Call::ProxyBucket => "s3_proxy_bucket",
            Call::Sign => "sign_s3_objects",
            Call::Polars => "polars_connection_settings_direct",
            Call::Duckdb => "duckdb_connection_settings_direct",
            Call::Boto3 => "boto3_connection_settings",
            Call::PresignedUrls => "get_presigned_s3_public_urls",
            Call::ResolveDirect => "resolve (Direct)",
            Call::ResolveProxy => "resolve (Proxy)",
            Call::Put => "put",
            Call::Multipart => "multipart upload",
            Call::Get => "get (load_s3_file)",
            Call::GetStream => "get (body stream)",
            Call::Head => "head",
            Call::Delete => "delete",
            Call::List => "list",
            Call::ListFolder => "list_with_delimiter",
            Call::Rename => "rename (move_s3_file)",
        })
    }
}

const LIST_PAGE2: &str = "page_token=tok2";
const LIST_SUB: &str = "prefix=a%2Fsub%2F";

impl Call {
    /// The substring of the request target the faults apply to (and requests are counted on).
    fn route(self) -> &'static str {
        match self {
            Call::ResourceInfo | Call::Boto3 | Call::ResolveDirect => {
                "job_helpers/v2/s3_resource_info"
            }
            Call::ProxyBucket | Call::ResolveProxy => "job_helpers/v2/s3_proxy_bucket",
            Call::Sign | Call::PresignedUrls => "apps/sign_s3_objects",
            Call::Polars => "job_helpers/v2/polars_connection_settings",
            Call::Duckdb => "job_helpers/v2/duckdb_connection_settings",
            Call::Put | Call::Multipart => "job_helpers/upload_s3_file",
            Call::Get | Call::GetStream => "job_helpers/download_s3_file",
            Call::Head => "job_helpers/load_file_metadata",
            Call::Delete => "job_helpers/delete_s3_file",
            Call::List | Call::ListFolder => "job_helpers/list_stored_files_paged",
            Call::Rename => "job_helpers/move_s3_file",
        }
    }

    /// Requests the call sends when nothing fails.
    fn normal_requests(self) -> usize {
        match self {
            Call::List => 3,
            Call::ListFolder => 2,
            _ => 1,
        }
    }

    /// Whether the call may be sent again after the request reached the server.
    fn idempotent(self) -> bool {
        !matches!(self, Call::Rename | Call::Multipart)
    }

    /// Whether the call reads the answer's body as a value (JSON).
    fn decodes_json(self) -> bool {
        !matches!(
            self,
            Call::Get | Call::GetStream | Call::Delete | Call::Rename
        )
    }

    fn is_download(self) -> bool {
        matches!(self, Call::Get | Call::GetStream)
    }

    /// The normal JSON answer (of the first list page), with an extra field `pad` bytes long.
    fn answer(self, pad: usize) -> Value {
        let pad = "p".repeat(pad);
        match self {
            Call::ResourceInfo | Call::Boto3 | Call::ResolveDirect => json!({
                "bucket": "wm-bucket", "region": "eu", "endPoint": "minio:9000", "useSSL": false,
                "accessKey": "AK-id", "secretKey": "SK-secret", "pathStyle": true, "pad": pad
            }),
            Call::ProxyBucket | Call::ResolveProxy => json!({"bucket": "wm-bucket", "pad": pad}),
            Call::Sign | Call::PresignedUrls => {
                json!([{"s3": "a.txt", "presigned": "X-Amz-Signature=abc", "pad": pad}])
            }
            Call::Polars => json!({
                "s3fs_args": {"endpoint_url": "http://minio:9000", "key": "AK", "secret": "SK"},
                "storage_options": {"aws_region": "eu", "aws_secret_access_key": "SK"},
                "pad": pad
            }),
            Call::Duckdb => json!({"connection_settings_str": "SET s3_region='eu';", "pad": pad}),
            Call::Put | Call::Multipart => json!({"file_key": "up/file.bin", "pad": pad}),
            Call::Head => json!({
                "mime_type": "text/plain", "size_in_bytes": 1234,
                "last_modified": "2025-01-02T03:04:05Z", "version_id": "v1", "pad": pad
            }),
            Call::List | Call::ListFolder => json!({
                "folders": [{"prefix": "a/sub/", "name": "sub"}],
                "files": [{"key": "a/1.txt", "name": "1.txt", "size": 1, "last_modified": "2025-01-02T03:04:05Z"}],
                "next_page_token": "tok2", "restricted_access": false, "pad": pad
            }),
            // The real server answers these with JSON it does not document.
            Call::Delete | Call::Rename => json!({"pad": pad}),
            Call::Get | Call::GetStream => Value::Null,
        }
    }

    /// The normal answer (of the first list page).
    fn normal(self) -> Reply {
        if self.is_download() {
            return Reply::raw(200, "application/octet-stream", content());
        }
        Reply::json(200, &self.answer(0))
    }

    /// The rules that answer the call normally (and the other requests it makes).
    fn install_normal(self, server: &FaultServer) {
        match self {
            Call::List | Call::ListFolder => {
                server.on(
                    LIST_SUB,
                    Reply::json(
                        200,
                        &json!({"folders": [], "files": [{"key": "a/sub/3.txt", "name": "3.txt", "size": 3}], "restricted_access": false}),
                    ),
                );
                server.on(
                    LIST_PAGE2,
                    Reply::json(
                        200,
                        &json!({"folders": [], "files": [{"key": "a/2.txt", "name": "2.txt", "size": 2}], "restricted_access": false}),
                    ),
                );
            }
            // Used when a download does not announce its length.
            Call::Get | Call::GetStream => server.on(
                "job_helpers/load_file_metadata",
                Reply::json(200, &json!({"size_in_bytes": content().len()})),
            ),
            _ => {}
        }
        server.on(self.route(), self.normal());
    }

    /// Runs the call; panics on a wrong value.
    async fn run(self, env: &Env) -> Result<(), Error> {
        let client = env.helpers();
        let conn = env.conn();
        match self {
            Call::ResourceInfo => {
                let info = conn.s3_resource_info(None).await?;
                assert_eq!(
                    (info.bucket.as_str(), info.end_point.as_str()),
                    ("wm-bucket", "minio:9000")
                );
                assert_eq!(info.secret_key.as_deref(), Some("SK-secret"));
            }
            Call::ProxyBucket => {
                let bucket = conn.s3_proxy_bucket(None).await?;
                assert_eq!(bucket.as_deref(), Some("wm-bucket"), "wrong value");
            }
            Call::Sign => {
                let signed = conn.sign_s3_objects(&[obj("a.txt")], None).await?;
                assert_eq!(signed.len(), 1, "wrong value");
                assert_eq!(signed[0].presigned(), Some("X-Amz-Signature=abc"));
            }
            Call::Polars => {
                let p = conn.polars_connection_settings_direct(None).await?;
                assert_eq!(p.storage_options["aws_region"], "eu", "wrong value");
            }
            Call::Duckdb => {
                let d = conn.duckdb_connection_settings_direct(None).await?;
                assert_eq!(d.connection_settings_str, "SET s3_region='eu';");
            }
            Call::Boto3 => {
                let b = conn.boto3_connection_settings(None).await?;
                assert_eq!(b.endpoint_url, "http://minio:9000");
                assert_eq!(b.aws_secret_access_key, "SK-secret");
                assert_eq!(b.bucket.as_deref(), Some("wm-bucket"));
            }
            Call::PresignedUrls => {
                let urls = client
                    .get_presigned_s3_public_urls(&[obj("a.txt")], &PresignOptions::new())
                    .await?;
                assert_eq!(urls.len(), 1, "wrong value");
                assert!(
                    urls[0].ends_with("/api/w/ws/s3_proxy/_default_/a.txt?X-Amz-Signature=abc"),
                    "{}",
                    urls[0]
                );
            }
            Call::ResolveDirect | Call::ResolveProxy => {
                let access = if self == Call::ResolveDirect {
                    StorageAccess::Direct
                } else {
                    StorageAccess::Proxy
                };
                let store = S3Client::from_windmill(conn, access)
                    .object_store(None)
                    .await?;
                assert_eq!(store.to_string(), "AmazonS3(wm-bucket)");
            }
            Call::Put => {
                let written = client
                    .write_s3_file(Some(&obj("up/file.bin")), PUT_BODY, &WriteOptions::new())
                    .await?;
                assert_eq!(written, obj("up/file.bin"));
            }
            Call::Multipart => {
                let chunks: Vec<Result<Bytes, std::io::Error>> = MULTIPART_BODY
                    .chunks(7)
                    .map(|c| Ok(Bytes::copy_from_slice(c)))
                    .collect();
                client
                    .write_s3_file_stream(
                        Some(&obj("up/file.bin")),
                        futures::stream::iter(chunks),
                        &WriteOptions::new(),
                    )
                    .await?;
            }
            Call::Get => {
                let got = client.load_s3_file(&obj("a/b.bin")).await?;
                assert_eq!(
                    got,
                    content(),
                    "wrong bytes ({} of {})",
                    got.len(),
                    content().len()
                );
            }
            Call::GetStream => {
                let chunks: Vec<Bytes> = client
                    .load_s3_file_stream(&obj("a/b.bin"))
                    .await?
                    .try_collect()
                    .await?;
                let got = chunks.concat();
                assert_eq!(
                    got,
                    content(),
                    "wrong bytes ({} of {})",
                    got.len(),
                    content().len()
                );
            }
            Call::Head => {
                let meta = client.load_s3_file_metadata(&obj("a/b.bin")).await?;
                assert_eq!((meta.size, meta.version.as_deref()), (1234, Some("v1")));
            }
            Call::Delete => client.delete_s3_object(&obj("a/b.bin")).await?,
            Call::List => {
                let mut keys: Vec<String> = client
                    .list_s3_objects(None, Some("a"))
                    .await?
                    .map_ok(|m| m.object.key().to_owned())
                    .try_collect()
                    .await?;
                keys.sort();
                assert_eq!(keys, ["a/1.txt", "a/2.txt", "a/sub/3.txt"], "wrong listing");
            }
            Call::ListFolder => {
                let level = client.list_s3_folder(None, Some("a")).await?;
                let files: Vec<&str> = level.files.iter().map(|f| f.object.key()).collect();
                assert_eq!(level.folders, ["a/sub/"], "wrong listing");
                assert_eq!(files, ["a/1.txt", "a/2.txt"], "wrong listing");
            }
            Call::Rename => {
                client
                    .move_s3_object(&obj("a/b.bin"), &obj("a/c.bin"))
                    .await?
            }
        }
        Ok(())
    }

    /// Checks what the server received on the call's route after its `since`-th request.
    fn check_sent(self, server: &FaultServer, since: usize) {
        let bodies: Vec<Bytes> = server
            .requests()
            .into_iter()
            .skip(since)
            .filter(|r| r.target.contains(self.route()))
            .map(|r| r.body)
            .collect();
        match self {
            // Every attempt carried the whole body.
            Call::Put => assert!(bodies.iter().all(|b| b == PUT_BODY), "{bodies:?}"),
            Call::Multipart => assert!(bodies.iter().all(|b| b == MULTIPART_BODY), "{bodies:?}"),
            _ => {}
        }
    }
}

const CALLS: [Call; 18] = [
    Call::ResourceInfo,
    Call::ProxyBucket,
    Call::Sign,
    Call::Polars,
    Call::Duckdb,
    Call::Boto3,
    Call::PresignedUrls,
    Call::ResolveDirect,
    Call::ResolveProxy,
    Call::Put,
    Call::Multipart,
    Call::Get,
    Call::GetStream,
    Call::Head,
    Call::Delete,
    Call::List,
    Call::ListFolder,
    Call::Rename,
];

// ---------------------------------------------------------------- the faults

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    S500,
    S502,
    S503,
    /// 429 with `Retry-After: 1` (run once: honoured, then the normal answer).
    TooManyRetryAfter,
    /// 429 with `Retry-After: 3600`, beyond the client's `max_retry_after` (run every time:
    /// not waited for).
    TooManyRetryAfterHuge,
    /// 429 without `Retry-After`.
    TooMany,
    /// The connection closes after the request is read, before any byte of the answer.
    Reset,
    /// 200 announcing more bytes than it sends, then a close.
    CloseMidBody,
    /// No answer at all (the connection stays silent).
    StallHeaders,
    /// 200, headers and half of the body, then silence.
    StallBody,
    /// 200 with an empty body.
    Empty,
    /// 200 with a body that is not JSON (a proxy's HTML page).
    Malformed,
    /// 200 with JSON cut short (complete HTTP body); for a download, a chunked body without
    /// its last chunk.
    Truncated,
    /// 200 with JSON of another shape (`{"error": ...}`).
    WrongShape,
    /// The normal answer padded past the client's `with_max_response_bytes`.
    OverLimit,
}

const FAULTS: [Fault; 15] = [
    Fault::S500,
    Fault::S502,
    Fault::S503,
    Fault::TooManyRetryAfter,
    Fault::TooManyRetryAfterHuge,
    Fault::TooMany,
    Fault::Reset,
    Fault::CloseMidBody,
    Fault::StallHeaders,
    Fault::StallBody,
    Fault::Empty,
    Fault::Malformed,
    Fault::Truncated,
    Fault::WrongShape,
    Fault::OverLimit,
];

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::S500 => "500",
            Fault::S502 => "502",
            Fault::S503 => "503",
            Fault::TooManyRetryAfter => "429 + Retry-After: 1",
            Fault::TooManyRetryAfterHuge => "429 + Retry-After: 3600",
            Fault::TooMany => "429",
            Fault::Reset => "reset before headers",
            Fault::CloseMidBody => "close mid-body",
            Fault::StallHeaders => "headers never come",
            Fault::StallBody => "body stalls",
            Fault::Empty => "empty 200",
            Fault::Malformed => "malformed 200 (HTML)",
            Fault::Truncated => "truncated 200",
            Fault::WrongShape => "200 of another JSON shape",
            Fault::OverLimit => "body over the limit",
        })
    }
}

impl Fault {
    /// The status of a status fault.
    fn status(self) -> Option<u16> {
        match self {
            Fault::S500 => Some(500),
            Fault::S502 => Some(502),
            Fault::S503 => Some(503),
            Fault::TooManyRetryAfter | Fault::TooManyRetryAfterHuge | Fault::TooMany => Some(429),
            _ => None,
        }
    }

    /// Faults an idempotent request is retried on (before a download's headers).
    fn retryable(self) -> bool {
        !matches!(
            self,
            Fault::Empty
                | Fault::Malformed
                | Fault::Truncated
                | Fault::WrongShape
                | Fault::OverLimit
        )
    }

    /// The variants run: every time (`false`) and/or once then the normal answer (`true`).
    fn variants(self) -> &'static [bool] {
        match self {
            // Every time it would only sleep 2 × 1 s more: "429" covers the bounded retries.
            Fault::TooManyRetryAfter => &[true],
            // Once it is the same case: the call ends at the first answer.
            Fault::TooManyRetryAfterHuge => &[false],
            // Body faults are never retried: once is the same case as every time.
            _ if !self.retryable() => &[false],
            _ => &[false, true],
        }
    }

    /// What the server sends, shaped like the real server (or the proxy in front of it).
    fn reply(self, call: Call) -> Reply {
        let normal_json = serde_json::to_vec(&call.answer(0)).unwrap();
        match self {
            Fault::S500 => Reply::status(500, "Internal: error communicating with database"),
            Fault::S502 => Reply::status(502, "Bad Gateway"),
            Fault::S503 => Reply::status(503, "Service Unavailable"),
            Fault::TooManyRetryAfter => Reply::status(429, "Too Many Requests")
                .header("retry-after", &RETRY_AFTER.as_secs().to_string()),
            Fault::TooManyRetryAfterHuge => {
                Reply::status(429, "Too Many Requests").header("retry-after", "3600")
            }
            Fault::TooMany => Reply::status(429, "Too Many Requests"),
            Fault::Reset => Reply::CloseBeforeResponse,
            Fault::CloseMidBody => {
                // The whole normal body, but fewer bytes than announced: looks complete, is not.
                let sent: Bytes = if call.is_download() {
                    content()
                } else {
                    normal_json.into()
                };
                Reply::CloseMidBody {
                    status: 200,
                    content_length: sent.len() + 100,
                    sent,
                }
            }
            Fault::StallHeaders => Reply::StallHeaders(STALL),
            Fault::StallBody => {
                let whole: Bytes = if call.is_download() {
                    content()
                } else {
                    normal_json.into()
                };
                Reply::StallBody {
                    status: 200,
                    content_length: whole.len(),
                    sent: whole.slice(..whole.len() / 2),
                    stall: STALL,
                }
            }
            Fault::Empty => Reply::raw(200, "application/json", ""),
            Fault::Malformed => Reply::raw(
                200,
                "text/html",
                "<html><head><title>Welcome</title></head><body>It works</body></html>",
            ),
            Fault::Truncated if call.is_download() => Reply::TruncatedChunked {
                status: 200,
                chunk: content().slice(..4000),
            },
            Fault::Truncated => {
                let cut = normal_json.len() / 2;
                Reply::raw(200, "application/json", normal_json[..cut].to_vec())
            }
            Fault::WrongShape => Reply::json(200, &json!({"error": "unexpected answer"})),
            Fault::OverLimit if call.is_download() => call.normal(),
            Fault::OverLimit => Reply::json(200, &call.answer(2 * LIMIT as usize)),
        }
    }
}

// ---------------------------------------------------------------- expectations

/// What a case must end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Ok,
    /// `Error::Api` with the fault's status.
    Status,
    /// `Error::Transport`, not a timeout.
    Transport,
    /// An error with `is_timeout()`.
    Timeout,
    /// `Error::Decode`.
    Decode,
    /// `Error::Transport` that is not retryable (the body limit).
    OverLimit,
}

/// The expected outcome and request count of `call` meeting `fault` every time (`once` false)
/// or once, then the normal answer.
fn expected(call: Call, fault: Fault, once: bool) -> (Want, usize) {
    let n = call.normal_requests();
    let retried = 1 + RETRIES as usize;
    // A download's body is streamed: a break after the headers ends it (no retry).
    let after_headers =
        call.is_download() && matches!(fault, Fault::CloseMidBody | Fault::StallBody);
    if fault == Fault::TooManyRetryAfterHuge {
        // Not waited for: the error at once.
        return (Want::Status, 1);
    }
    if fault.retryable() {
        let want = match fault {
            Fault::StallHeaders | Fault::StallBody => Want::Timeout,
            Fault::Reset | Fault::CloseMidBody => Want::Transport,
            _ => Want::Status,
        };
        return if !call.idempotent() || after_headers {
            (want, 1)
        } else if once {
            (Want::Ok, n + 1)
        } else {
            (want, retried)
        };
    }
    // Body faults: never retried, the same answer would come back. (Faults only on the first
    // request: a failing first list page ends the listing.)
    let want = match fault {
        Fault::OverLimit if call.is_download() => Want::Ok,
        Fault::OverLimit => Want::OverLimit,
        // A chunked download without its last chunk.
        Fault::Truncated if call.is_download() => Want::Transport,
        // Delete and rename read no value: any 2xx is a success.
        _ if !call.decodes_json() => Want::Ok,
        _ => Want::Decode,
    };
    let requests = match want {
        Want::Ok => n,
        _ => 1,
    };
    (want, requests)
}

/// Whether the fault means anything for the call: a download's body is bytes, any bytes (an
/// empty 200 is an empty object: `an_empty_download_is_an_empty_object`).
fn applies(call: Call, fault: Fault) -> bool {
    !(call.is_download() && matches!(fault, Fault::Empty | Fault::Malformed | Fault::WrongShape))
}

/// Cases where the library returned a wrong value, skipped by the matrix. All five bugs this
/// file found are fixed (their tests at the end of the file now run): none is left.
fn known_bug(_call: Call, _fault: Fault) -> Option<&'static str> {
    None
}

// ---------------------------------------------------------------- running a case

struct Env {
    server: FaultServer,
    wm: Windmill,
}

impl Env {
    async fn start(call: Call, limited: bool) -> Env {
        let server = FaultServer::start().await;
        let token = if call == Call::ResolveProxy {
            JWT
        } else {
            TOKEN
        };
        let mut builder = Windmill::builder()
            .with_base_url(server.base_url())
            .with_token(token)
            .with_workspace("ws")
            .with_request_timeout(TIMEOUT)
            .with_idle_timeout(TIMEOUT)
            .with_connect_timeout(Duration::from_millis(300))
            .with_retry(retry());
        if limited {
            builder = builder.with_max_response_bytes(LIMIT);
        }
        Env {
            server,
            wm: builder.build().unwrap(),
        }
    }

    fn conn(&self) -> WindmillConnection {
        WindmillConnection::from_http_client(&self.wm).unwrap()
    }

    /// An `S3Client` over the helper endpoints (`StorageAccess::Helpers`).
    fn helpers(&self) -> S3Client {
        S3Client::from_windmill(self.conn(), StorageAccess::Helpers)
            .with_transfer_options(TransferOptions::default().with_part_size(PART))
    }
}

/// The typed error a call's error carries: the error itself, or the `wmill_core::Error` in the
/// source chain of an `Error::Storage` (the multipart upload wraps its request's error).
fn typed(e: &Error) -> &Error {
    if let Error::Storage { .. } = e {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if let Some(inner) = s.downcast_ref::<Error>() {
                return typed(inner);
            }
            source = s.source();
        }
    }
    e
}

/// A short name of an error, for the printed matrix.
fn kind(e: &Error) -> String {
    match e {
        Error::Api { status, .. } => format!("Api {status}"),
        Error::Transport { .. } if e.is_timeout() => "Transport (timeout)".into(),
        Error::Transport { .. } if !e.is_retryable() => "Transport (over limit)".into(),
        Error::Transport { .. } => "Transport".into(),
        Error::Decode { .. } => "Decode".into(),
        Error::Unsupported { .. } => "Unsupported".into(),
        Error::Storage { .. } if !std::ptr::eq(typed(e), e) => {
            format!("Storage ⟨{}⟩", kind(typed(e)))
        }
        other => format!("{other:?}").chars().take(40).collect(),
    }
}

/// The error and its sources, as one string.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text = format!("{text}: {e}");
        source = e.source();
    }
    text
}

fn assert_no_token(e: &Error, what: &str) {
    let text = format!("{e} {e:?} {e:#?}");
    assert!(
        !text.contains(TOKEN) && !text.contains(JWT),
        "{what}: token leaked: {text}"
    );
}

fn check_error(want: Want, fault: Fault, e: &Error, what: &str) {
    let t = typed(e);
    match want {
        Want::Ok => panic!("{what}: expected Ok, got {e:?}"),
        Want::Status => {
            assert_eq!(t.status(), fault.status(), "{what}: {e:?}");
            assert!(matches!(t, Error::Api { .. }), "{what}: {e:?}");
            assert!(t.is_retryable(), "{what}: {e:?}");
        }
        Want::Transport => {
            assert!(matches!(t, Error::Transport { .. }), "{what}: {e:?}");
            assert!(!t.is_timeout(), "{what}: {e:?}");
        }
        Want::Timeout => {
            assert!(t.is_timeout(), "{what}: {e:?}");
            assert!(
                e.is_timeout(),
                "{what}: the outer error hides the timeout: {e:?}"
            );
        }
        Want::Decode => assert!(matches!(t, Error::Decode { .. }), "{what}: {e:?}"),
        Want::OverLimit => {
            assert!(matches!(t, Error::Transport { .. }), "{what}: {e:?}");
            assert!(!t.is_retryable() && !e.is_retryable(), "{what}: {e:?}");
        }
    }
    assert_no_token(e, what);
}

/// One case: `call` meets `fault` every time or once. Returns the matrix cell.
///
/// The cases of one lane share a server and a client, one after the other: the rules are
/// replaced and the requests counted from where the previous case left off.
async fn case(call: Call, fault: Fault, once: bool, env: &Env) -> String {
    let what = format!(
        "{call} × {fault} ({})",
        if once { "once" } else { "every time" }
    );
    env.server.clear_rules();
    let since = env.server.total();
    let before = env.server.count(call.route());
    let times = if once { 1 } else { 1000 };
    env.server.on_times(call.route(), times, fault.reply(call));
    call.install_normal(&env.server);
    let (want, requests) = expected(call, fault, once);

    let started = Instant::now();
    let result = call.run(env).await;
    let took = started.elapsed();

    // Time: every attempt within its timeout (+ 10 %) plus backoffs, plus Retry-After waits.
    let attempts = u32::try_from(requests).unwrap();
    let mut limit = bound(attempts);
    if fault == Fault::TooManyRetryAfter {
        limit += RETRY_AFTER * attempts;
        if call.idempotent() {
            assert!(
                took >= RETRY_AFTER.mul_f64(0.95),
                "{what}: Retry-After ignored: {took:?}"
            );
        }
    }
    assert!(took <= limit, "{what}: took {took:?} > {limit:?}");
    if matches!(fault, Fault::StallHeaders | Fault::StallBody) {
        assert!(took >= TIMEOUT, "{what}: {took:?}");
    }

    let got = env.server.count(call.route()) - before;
    assert_eq!(got, requests, "{what}: requests ({result:?})");
    call.check_sent(&env.server, since);
    let outcome = match &result {
        Ok(()) => {
            assert_eq!(want, Want::Ok, "{what}: expected {want:?}, got Ok");
            "Ok".to_owned()
        }
        Err(e) => {
            check_error(want, fault, e, &what);
            kind(e)
        }
    };
    format!("{outcome}, {got} req")
}

/// How long a case may take when all goes as expected (ms), to spread the cases over lanes.
fn estimate(call: Call, fault: Fault, once: bool) -> u64 {
    let (want, requests) = expected(call, fault, once);
    let timeout = u64::try_from(TIMEOUT.as_millis()).unwrap() + 50;
    match fault {
        Fault::StallHeaders | Fault::StallBody if want == Want::Ok => timeout,
        Fault::StallHeaders | Fault::StallBody => timeout * requests as u64,
        Fault::TooManyRetryAfter if call.idempotent() => 1050,
        _ => 30,
    }
}

/// A server and a client, and the cases they run one after the other.
type Lane = (bool, Vec<(Fault, bool)>);

/// The cases of `call`, spread over lanes of at most ~1.4 s each (longest first, first fit);
/// the "over the limit" case gets a lane of its own (its client has the small body limit).
fn lanes(call: Call) -> Vec<Lane> {
    let mut cases: Vec<(Fault, bool)> = FAULTS
        .iter()
        .filter(|&&f| applies(call, f) && known_bug(call, f).is_none())
        .flat_map(|&f| f.variants().iter().map(move |&once| (f, once)))
        .collect();
    cases.sort_by_key(|&(f, once)| std::cmp::Reverse(estimate(call, f, once)));
    let mut lanes: Vec<(u64, Lane)> = Vec::new();
    for (fault, once) in cases {
        let limited = fault == Fault::OverLimit;
        let cost = estimate(call, fault, once);
        match lanes
            .iter_mut()
            .find(|(used, (l, _))| *l == limited && used + cost <= 1400)
        {
            Some((used, (_, list))) => {
                *used += cost;
                list.push((fault, once));
            }
            None => lanes.push((cost, (limited, vec![(fault, once)]))),
        }
    }
    lanes.into_iter().map(|(_, lane)| lane).collect()
}

/// Runs the whole fault table against each of `calls` and prints the matrix rows.
///
/// Building a client is blocking work: it is done here, on the test's own thread, while the
/// lanes already started run on the runtime's workers (the longest lanes first).
async fn matrix(calls: &[Call]) {
    let mut runs = Vec::new();
    for &call in calls {
        for (limited, cases) in lanes(call) {
            let env = Env::start(call, limited).await;
            runs.push(tokio::spawn(async move {
                let mut cells = Vec::new();
                for (fault, once) in cases {
                    cells.push((call, fault, once, case(call, fault, once, &env).await));
                }
                cells
            }));
        }
    }
    let mut results = Vec::new();
    for run in runs {
        results.extend(run.await.unwrap_or_else(|e| panic!("{e}")));
    }
    for &call in calls {
        for fault in FAULTS {
            if !applies(call, fault) {
                println!("| {call} | {fault} | n/a | |");
                continue;
            }
            if let Some(bug) = known_bug(call, fault) {
                println!("| {call} | {fault} | BUG: {bug} | |");
                continue;
            }
            let cell = |once: bool| {
                results
                    .iter()
                    .find(|(c, f, o, _)| *c == call && *f == fault && *o == once)
                    .map_or("—", |(_, _, _, cell)| cell.as_str())
                    .to_owned()
            };
            println!("| {call} | {fault} | {} | {} |", cell(false), cell(true));
        }
    }
}

/// `WindmillConnection` calls, signing and public URLs, storage resolution.
const CONNECTION_CALLS: [Call; 9] = [
    Call::ResourceInfo,
    Call::ProxyBucket,
    Call::Sign,
    Call::Polars,
    Call::Duckdb,
    Call::Boto3,
    Call::PresignedUrls,
    Call::ResolveDirect,
    Call::ResolveProxy,
];

/// `WindmillHelperStore` reads.
const HELPER_READS: [Call; 5] = [
    Call::Get,
    Call::GetStream,
    Call::Head,
    Call::List,
    Call::ListFolder,
];

/// `WindmillHelperStore` writes.
const HELPER_WRITES: [Call; 4] = [Call::Put, Call::Multipart, Call::Delete, Call::Rename];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_windmill_connection_calls() {
    matrix(&CONNECTION_CALLS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_helper_store_reads() {
    matrix(&HELPER_READS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_helper_store_writes() {
    matrix(&HELPER_WRITES).await;
}

/// Every call is in the matrix exactly once.
#[test]
fn every_call_is_in_the_matrix_once() {
    let all: Vec<Call> = CONNECTION_CALLS
        .iter()
        .chain(&HELPER_READS)
        .chain(&HELPER_WRITES)
        .copied()
        .collect();
    assert_eq!(all.len(), CALLS.len());
    for call in CALLS {
        assert_eq!(all.iter().filter(|&&c| c == call).count(), 1, "{call:?}");
    }
}

// ---------------------------------------------------------------- beyond the matrix

/// The two non-idempotent calls, with a fault after the server read the whole request: sent
/// exactly once, whatever the fault (a repeat could move twice or store a duplicate).
#[tokio::test]
async fn rename_and_streamed_upload_are_sent_once_after_the_body_reached_the_server() {
    for call in [Call::Rename, Call::Multipart] {
        for fault in [
            Fault::S503,
            Fault::S500,
            Fault::TooManyRetryAfter,
            Fault::Reset,
            Fault::StallHeaders,
        ] {
            let env = Env::start(call, false).await;
            env.server.on_times(call.route(), 1, fault.reply(call));
            call.install_normal(&env.server);
            let t = Instant::now();
            let err = call.run(&env).await.unwrap_err();
            assert!(
                t.elapsed() <= bound(1),
                "{call} × {fault}: {:?}",
                t.elapsed()
            );
            assert_eq!(env.server.count(call.route()), 1, "{call} × {fault}");
            // The request that did arrive carried the whole body.
            call.check_sent(&env.server, 0);
            assert_no_token(&err, &format!("{call} × {fault}"));
        }
    }
}

/// A multipart upload used directly through `ObjectStore`: `put_multipart` + `put_part` +
/// `complete` is one streamed request; a 503 is reported by `complete`, after one request; an
/// abort breaks the body off, so the server never gets a complete request.
#[tokio::test]
async fn helper_store_multipart_upload_used_directly() {
    let env = Env::start(Call::Multipart, false).await;
    let store = WindmillHelperStore::new(env.conn(), None);
    let path = Path::from("up/file.bin");

    // Normal: the parts arrive in order, as one body.
    env.server
        .on(Call::Multipart.route(), Call::Multipart.normal());
    let mut up = store.put_multipart(&path).await.unwrap();
    for part in MULTIPART_BODY.chunks(PART) {
        up.put_part(Bytes::copy_from_slice(part).into())
            .await
            .unwrap();
    }
    up.complete().await.unwrap();
    assert_eq!(env.server.count("upload_s3_file"), 1);
    Call::Multipart.check_sent(&env.server, 0);

    // 503 after the body: `complete` fails, nothing is sent again.
    let env = Env::start(Call::Multipart, false).await;
    let store = WindmillHelperStore::new(env.conn(), None);
    env.server
        .on_times("upload_s3_file", 1, Fault::S503.reply(Call::Multipart));
    env.server.on("upload_s3_file", Call::Multipart.normal());
    let mut up = store.put_multipart(&path).await.unwrap();
    for part in MULTIPART_BODY.chunks(PART) {
        up.put_part(Bytes::copy_from_slice(part).into())
            .await
            .unwrap();
    }
    let t = Instant::now();
    let err = up.complete().await.unwrap_err();
    assert!(t.elapsed() <= bound(1));
    assert!(chain(&err).contains("503"), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
    assert_eq!(env.server.count("upload_s3_file"), 1);

    // Aborted after one part: the body is broken off, the server stores nothing.
    let mut up = store.put_multipart(&path).await.unwrap();
    up.put_part(Bytes::from_static(b"first part").into())
        .await
        .unwrap();
    up.abort().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        env.server.count("upload_s3_file"),
        1,
        "an aborted upload reached the server whole"
    );
}

/// `get` through `ObjectStore` directly, its body read as a stream: a body cut after the
/// headers ends the stream with an error, never a clean short end.
#[tokio::test]
async fn helper_store_get_body_stream_used_directly() {
    for fault in [Fault::CloseMidBody, Fault::Truncated] {
        let env = Env::start(Call::Get, false).await;
        env.server.on(Call::Get.route(), fault.reply(Call::Get));
        Call::Get.install_normal(&env.server);
        let store = WindmillHelperStore::new(env.conn(), None);
        let got = store.get(&Path::from("a/b.bin")).await.unwrap();
        let mut stream = got.into_stream();
        let mut read = 0usize;
        let mut failed = false;
        let t = Instant::now();
        while let Some(item) = stream.next().await {
            match item {
                Ok(chunk) => read += chunk.len(),
                Err(e) => {
                    assert!(!format!("{e} {e:?}").contains(TOKEN));
                    failed = true;
                    break;
                }
            }
        }
        assert!(
            failed,
            "{fault}: the stream ended cleanly after {read} bytes"
        );
        assert!(read < content().len() + 1);
        assert!(t.elapsed() <= bound(1));
        assert_eq!(env.server.count(Call::Get.route()), 1, "{fault}");
    }
}

/// A download announcing `Content-Length: 10^15` (then a few bytes and a close) through
/// `S3Client::load_s3_file` with `StorageAccess::Helpers`: an error, never an allocation of the
/// announced size (which would abort the process).
#[tokio::test]
async fn a_download_announcing_a_petabyte_is_an_error_not_an_abort() {
    const PETABYTE: usize = 1_000_000_000_000_000;
    for sent in [Bytes::from_static(b"abc"), content()] {
        let env = Env::start(Call::Get, false).await;
        env.server.on(
            Call::Get.route(),
            Reply::CloseMidBody {
                status: 200,
                content_length: PETABYTE,
                sent: sent.clone(),
            },
        );
        let client = env.helpers();
        let t = Instant::now();
        let err = client.load_s3_file(&obj("a/b.bin")).await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert!(t.elapsed() <= bound(1));
        assert_eq!(env.server.count(Call::Get.route()), 1);
        assert_no_token(&err, "petabyte download");

        // The stream and the metadata it reports.
        let stream = client.load_s3_file_stream(&obj("a/b.bin")).await.unwrap();
        let items: Vec<_> = stream.collect().await;
        assert!(items.last().unwrap().is_err(), "the stream ended cleanly");
    }
}

/// A download answered 200 with an empty body (`Content-Length: 0`) is an empty object (the
/// one fault-like body that is a correct value for a download).
#[tokio::test]
async fn an_empty_download_is_an_empty_object() {
    let env = Env::start(Call::Get, false).await;
    env.server.on(
        Call::Get.route(),
        Reply::raw(200, "application/octet-stream", ""),
    );
    let client = env.helpers();
    assert!(
        client
            .load_s3_file(&obj("a/b.bin"))
            .await
            .unwrap()
            .is_empty()
    );
    let chunks: Vec<Bytes> = client
        .load_s3_file_stream(&obj("a/b.bin"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(chunks.concat().is_empty());
    assert_eq!(env.server.count(Call::Get.route()), 2);
}

/// A server that keeps sending the same page token: the listing stops with an error after two
/// pages, it does not loop.
#[tokio::test]
async fn a_repeated_page_token_stops_the_listing() {
    let page = json!({
        "folders": [], "files": [{"key": "a/1.txt", "name": "1.txt", "size": 1}],
        "next_page_token": "again", "restricted_access": false
    });
    let env = Env::start(Call::List, false).await;
    env.server.on(Call::List.route(), Reply::json(200, &page));
    let client = env.helpers();
    let t = Instant::now();
    let items: Vec<_> = client
        .list_s3_objects(None, Some("a"))
        .await
        .unwrap()
        .collect()
        .await;
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert!(chain(err).contains("page token"), "{err:?}");
    assert_eq!(env.server.count(Call::List.route()), 2);

    let err = client.list_s3_folder(None, Some("a")).await.unwrap_err();
    assert!(chain(&err).contains("page token"), "{err:?}");
    assert_eq!(env.server.count(Call::List.route()), 4);
    assert!(t.elapsed() <= bound(4));
    assert_no_token(&err, "repeated token");
}

/// A listing whose second page fails: the first page's files, then an error; never a
/// listing that silently stops short.
#[tokio::test]
async fn a_listing_whose_second_page_fails_is_an_error() {
    let env = Env::start(Call::List, false).await;
    env.server.on(
        LIST_PAGE2,
        Reply::status(500, "Internal: error communicating with database"),
    );
    Call::List.install_normal(&env.server);
    let client = env.helpers();
    let t = Instant::now();
    let items: Vec<_> = client
        .list_s3_objects(None, Some("a"))
        .await
        .unwrap()
        .collect()
        .await;
    assert!(items.iter().any(|i| i.is_ok()));
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    let err = client.list_s3_folder(None, Some("a")).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert_eq!(env.server.count(LIST_PAGE2), 2 * (1 + RETRIES as usize));
    assert!(t.elapsed() <= bound(2 * (3 + RETRIES)));
}

// ---------------------------------------------------------------- bugs found (fixed; each test failed before its fix)

/// `list_stored_files_paged` requires `folders` and `files` (spec); a 200 without them (here
/// `{"error": "unexpected answer"}`) must not read as an empty folder.
#[tokio::test]

async fn a_list_page_of_another_shape_is_an_error() {
    let env = Env::start(Call::List, false).await;
    env.server
        .on(Call::List.route(), Fault::WrongShape.reply(Call::List));
    let client = env.helpers();
    let listed: Result<Vec<_>, Error> = client
        .list_s3_objects(None, Some("a"))
        .await
        .unwrap()
        .try_collect()
        .await;
    let err = listed.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "list: {err:?}");
    let level = client.list_s3_folder(None, Some("a")).await;
    let err = level.unwrap_err();
    assert!(
        matches!(err, Error::Decode { .. }),
        "list_with_delimiter: {err:?}"
    );
}

/// A metadata answer must say how large the object is: one without `size_in_bytes` (here
/// `{"error": "unexpected answer"}`) must not read as an empty file of 1970. (Every field of
/// `WindmillFileMetadata` is optional in the spec.)
#[tokio::test]

async fn a_metadata_answer_of_another_shape_is_an_error() {
    let env = Env::start(Call::Head, false).await;
    env.server
        .on(Call::Head.route(), Fault::WrongShape.reply(Call::Head));
    let got = env.helpers().load_s3_file_metadata(&obj("a/b.bin")).await;
    let err = got.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

/// `s3_proxy_bucket` answered with JSON that has no `bucket` key at all (not `null`): an
/// error, not "the storage is not S3".
#[tokio::test]

async fn a_proxy_bucket_answer_of_another_shape_is_an_error() {
    let env = Env::start(Call::ProxyBucket, false).await;
    env.server.on(
        Call::ProxyBucket.route(),
        Fault::WrongShape.reply(Call::ProxyBucket),
    );
    let got = env.conn().s3_proxy_bucket(None).await;
    let err = got.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

/// A multipart upload that fails keeps the failed request's typed error: `status()` of a 503,
/// `is_retryable()`, and a message that names the status.
#[tokio::test]

async fn a_failed_multipart_upload_keeps_its_status() {
    let env = Env::start(Call::Multipart, false).await;
    env.server
        .on(Call::Multipart.route(), Fault::S503.reply(Call::Multipart));
    let err = Call::Multipart.run(&env).await.unwrap_err();
    assert_eq!(env.server.count(Call::Multipart.route()), 1);
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert!(err.is_retryable(), "{err:?}");
}

/// A server that lists a folder as a sub-folder of itself (here: one that ignores `prefix`
/// and answers the root level, `folders: [{"prefix": "a/"}]`, whatever the prefix): the
/// recursive listing must stop with an error, like a repeated page token, not list the same
/// folder forever.
#[tokio::test]

async fn a_folder_listed_inside_itself_stops_the_listing() {
    let env = Env::start(Call::List, false).await;
    env.server.on(
        Call::List.route(),
        Reply::json(
            200,
            &json!({
                "folders": [{"prefix": "a/", "name": "a"}],
                "files": [{"key": "a/1.txt", "name": "1.txt", "size": 1}],
                "restricted_access": false
            }),
        ),
    );
    let client = env.helpers();
    let listing = async {
        client
            .list_s3_objects(None, Some("a"))
            .await
            .unwrap()
            .collect::<Vec<_>>()
            .await
    };
    let items = tokio::time::timeout(bound(3), listing).await;
    let requests = env.server.count(Call::List.route());
    let items = items.unwrap_or_else(|_| panic!("the listing did not end: {requests} requests"));
    assert!(items.last().unwrap().is_err(), "{items:?}");
    assert!(requests <= 2, "{requests} requests");
}
