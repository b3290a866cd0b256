use serde_json::json;

use super::*;

/// Through the S3 proxy the access key is the job token's header and payload and the
/// secret its signature: `Debug` shows neither, at any depth, nor any key it does not know.
#[test]
fn polars_settings_debug_hides_every_credential() {
    let settings = PolarsSettings {
        s3fs_args: object(json!({
            "endpoint_url": "http://wm/api/w/ws/s3_proxy",
            "key": "jwt_HEADER.PAYLOAD",
            "secret": "SIGNATURE",
            "use_ssl": false,
            "client_kwargs": {"region_name": "us-east-1", "aws_session_token": "STS"},
            "unknown_field": "MAYBE-SECRET",
        })),
        storage_options: object(json!({
            "aws_endpoint_url": "http://wm/api/w/ws/s3_proxy",
            "aws_access_key_id": "jwt_HEADER.PAYLOAD",
            "aws_secret_access_key": "SIGNATURE",
            "aws_region": "us-east-1",
            "aws_allow_http": "true",
        })),
        s3_bucket: Some("bucket".into()),
    };
    let text = format!("{settings:?} {settings:#?}");
    for secret in ["HEADER", "PAYLOAD", "SIGNATURE", "STS", "MAYBE-SECRET"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    for shown in [
        "http://wm/api/w/ws/s3_proxy",
        "us-east-1",
        "bucket",
        "aws_access_key_id",
    ] {
        assert!(text.contains(shown), "{shown} missing from {text}");
    }
}
