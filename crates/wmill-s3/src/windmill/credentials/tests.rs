use super::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const INFO_PATH: &str = "/api/w/ws/job_helpers/v2/s3_resource_info";

/// A connection without retries, so a failing answer fails at once.
fn conn(server: &MockServer) -> WindmillConnection {
    let wm = wmill_http::Windmill::builder()
        .with_base_url(server.uri())
        .with_workspace("ws")
        .with_token("tok")
        .with_retry(wmill_http::RetryConfig::disabled())
        .build()
        .unwrap();
    WindmillConnection::from_http_client(&wm).unwrap()
}

fn answer(key: &str, expiration: Option<serde_json::Value>) -> serde_json::Value {
    let mut v = json!({
        "bucket": "b", "region": "us-east-1", "endPoint": "127.0.0.1:9", "useSSL": false,
        "accessKey": key, "secretKey": "secret-value", "pathStyle": true, "token": "sts-token"
    });
    if let Some(e) = expiration {
        v["expiration"] = e;
    }
    v
}

/// RFC 3339, as the server serializes a `DateTime<Utc>`, `secs` from now.
fn in_secs(secs: i64) -> serde_json::Value {
    json!((chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339())
}

/// A server whose `s3_resource_info` answers "AK" after 200 ms (long enough for callers
/// to pile up behind one refresh).
async fn slow_info_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFO_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(answer("AK", None))
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    server
}

async fn info_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == INFO_PATH)
        .count()
}

async fn concurrently(
    creds: &Arc<WindmillCredentials>,
    n: usize,
) -> Vec<object_store::Result<Arc<AwsCredential>>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let creds = creds.clone();
            tokio::spawn(async move { creds.get_credential().await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_share_one_request() {
    let server = slow_info_server().await;
    let ttl = Duration::from_millis(800);
    let creds = Arc::new(WindmillCredentials::new(conn(&server), None, ttl, None));
    for got in concurrently(&creds, 32).await {
        assert_eq!(got.unwrap().key_id, "AK");
    }
    assert_eq!(info_requests(&server).await, 1);
    // fresh: no request
    concurrently(&creds, 32).await;
    assert_eq!(info_requests(&server).await, 1);
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    for got in concurrently(&creds, 32).await {
        assert_eq!(got.unwrap().key_id, "AK");
    }
    assert_eq!(info_requests(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_waited_share_a_refresh_even_with_a_zero_ttl() {
    let server = slow_info_server().await;
    let creds = Arc::new(WindmillCredentials::new(
        conn(&server),
        None,
        Duration::ZERO,
        None,
    ));
    for got in concurrently(&creds, 32).await {
        assert_eq!(got.unwrap().key_id, "AK");
    }
    assert_eq!(info_requests(&server).await, 1);
    // a later caller: due at once, fetched again
    creds.get_credential().await.unwrap();
    assert_eq!(info_requests(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_a_failed_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFO_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string("down")
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let creds = Arc::new(WindmillCredentials::new(
        conn(&server),
        None,
        Duration::from_secs(300),
        None,
    ));
    for got in concurrently(&creds, 32).await {
        let err = got.unwrap_err().to_string();
        assert!(err.contains("500"), "{err}");
    }
    assert_eq!(info_requests(&server).await, 1);
    // a later caller tries again
    assert!(creds.get_credential().await.is_err());
    assert_eq!(info_requests(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refresh_keeps_credentials_until_they_expire() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFO_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("AK1", Some(in_secs(4)))))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INFO_PATH))
        .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
        .with_priority(2)
        .mount(&server)
        .await;
    let start = Instant::now();
    let creds = WindmillCredentials::new(conn(&server), None, Duration::from_secs(300), None);
    assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
    // due (2 s before the expiry) but still valid: the failed refresh keeps them
    tokio::time::sleep_until((start + Duration::from_millis(2500)).into()).await;
    assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
    assert_eq!(info_requests(&server).await, 2);
    // not tried again at once
    assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
    assert_eq!(info_requests(&server).await, 2);
    // expired: the error, without a secret
    tokio::time::sleep_until((start + Duration::from_millis(4500)).into()).await;
    let err = creds.get_credential().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("503"), "{shown}");
    assert!(!shown.contains("secret-value") && !shown.contains("sts-token"));
    assert_eq!(info_requests(&server).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refresh_without_a_known_expiry_fails() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFO_PATH))
        .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
        .mount(&server)
        .await;
    let ttl = Duration::from_millis(100);
    let creds = WindmillCredentials::new(
        conn(&server),
        None,
        ttl,
        Some(serde_json::from_value(answer("AK", None)).unwrap()),
    );
    assert_eq!(creds.get_credential().await.unwrap().key_id, "AK");
    tokio::time::sleep(ttl * 2).await;
    assert!(creds.get_credential().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_expiry_drives_the_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFO_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("AK2", None)))
        .mount(&server)
        .await;
    let first: S3ResourceInfo = serde_json::from_value(answer("AK1", Some(in_secs(4)))).unwrap();
    let start = Instant::now();
    // the default TTL (5 minutes) would keep AK1: the expiry in 4 s does not
    let creds =
        WindmillCredentials::new(conn(&server), None, Duration::from_secs(300), Some(first));
    assert_eq!(creds.get_credential().await.unwrap().key_id, "AK1");
    assert_eq!(info_requests(&server).await, 0);
    tokio::time::sleep_until((start + Duration::from_millis(2500)).into()).await;
    assert_eq!(creds.get_credential().await.unwrap().key_id, "AK2");
    assert_eq!(info_requests(&server).await, 1);
}

#[tokio::test]
async fn an_expiry_that_does_not_decode_keeps_the_ttl() {
    let server = MockServer::start().await;
    for odd in [
        json!("next tuesday"),
        json!({"at": 1}),
        json!(null),
        in_secs(-10),
    ] {
        let first: S3ResourceInfo = serde_json::from_value(answer("AK1", Some(odd))).unwrap();
        let creds =
            WindmillCredentials::new(conn(&server), None, Duration::from_secs(300), Some(first));
        let slot = creds.slot.lock();
        let cached = slot.current.as_ref().unwrap();
        assert!(cached.expires_at.is_none());
        assert!(cached.refresh_at > Instant::now() + Duration::from_secs(290));
    }
}

#[test]
fn schedule_margins() {
    let now = Instant::now();
    let wall = SystemTime::now();
    let ttl = Duration::from_secs(300);
    assert_eq!(schedule(None, ttl, now, wall), (now + ttl, None));
    // an hour left: refreshed a minute before
    let (refresh, expires) = schedule(Some(wall + Duration::from_secs(3600)), ttl, now, wall);
    assert_eq!(refresh, now + Duration::from_secs(3540));
    assert_eq!(expires, Some(now + Duration::from_secs(3600)));
    // 10 s left: at half-life
    let (refresh, _) = schedule(Some(wall + Duration::from_secs(10)), ttl, now, wall);
    assert_eq!(refresh, now + Duration::from_secs(5));
    // already past on this clock: the TTL
    assert_eq!(
        schedule(Some(wall - Duration::from_secs(1)), ttl, now, wall),
        (now + ttl, None)
    );
}
