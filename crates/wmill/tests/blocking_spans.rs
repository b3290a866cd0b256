//! The blocking API runs its calls on a runtime of its own: their spans still are children of
//! the caller's current span, and carry the same fields as the async calls'.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::json;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wmill_tests::trace_capture::{Capture, field};

const TOKEN: &str = "tok-SECRET-blocking-0123";
const VALUE: &str = "VALUE-s3cr3t";

#[test]
fn blocking_calls_are_children_of_the_callers_span() {
    // The calls run on the blocking runtime's threads: only a global subscriber sees them.
    let capture = Capture::install_global();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/api/w/ws/variables/get_value/u/alice/k"))
            .and(bearer_token(TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!(VALUE)))
            .expect(1)
            .mount(&server),
    );
    let wm = wmill_http::Windmill::builder()
        .with_base_url(server.uri())
        .with_token(TOKEN)
        .with_workspace("ws")
        .build()
        .unwrap();
    wmill::set_client(wmill::Client::windmill(wm));

    let value = {
        let _nightly = tracing::info_span!("nightly_sync").entered();
        wmill::blocking::get_variable("u/alice/k").unwrap()
    };
    assert_eq!(value, VALUE);

    let outer = capture.one("nightly_sync");
    let call = capture.one("get_variable");
    assert_eq!(call.parent, Some(outer.seq), "{:#?}", capture.spans());
    assert_eq!(field(&call, "workspace"), Some("ws"));
    assert_eq!(field(&call, "path"), Some("u/alice/k"));
    assert_eq!(capture.attempts(&call), [("1".into(), "200".into())]);
    capture.assert_no_secret(&[TOKEN, VALUE]);
}
