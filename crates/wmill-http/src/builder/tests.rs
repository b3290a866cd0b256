//! Unit tests of the builder.

use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn direct_connections_are_the_internal_url_and_loopback() {
    let direct = |pairs: &[(&str, &str)], explicit: Option<&str>| {
        let mut all = vec![("WM_TOKEN", "t"), ("WM_WORKSPACE", "ws")];
        all.extend_from_slice(pairs);
        let mut b = WindmillBuilder::from_vars(vars(&all));
        if let Some(url) = explicit {
            b = b.with_base_url(url);
        }
        b.build().unwrap().inner.direct
    };
    assert!(direct(
        &[("BASE_INTERNAL_URL", "http://windmill_server:8000")],
        None
    ));
    assert!(direct(
        &[
            ("BASE_INTERNAL_URL", "http://windmill_server:8000"),
            ("WM_BASE_URL", "https://windmill.example.com")
        ],
        None
    ));
    assert!(!direct(
        &[("WM_BASE_URL", "https://windmill.example.com")],
        None
    ));
    assert!(!direct(&[], Some("https://windmill.example.com")));
    // An explicit URL wins over BASE_INTERNAL_URL, and says nothing about proxies.
    assert!(!direct(
        &[("BASE_INTERNAL_URL", "http://windmill_server:8000")],
        Some("https://windmill.example.com")
    ));
    for local in [
        "http://localhost:8000",
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
    ] {
        assert!(direct(&[], Some(local)), "{local}");
    }
    assert!(!direct(&[], Some("http://127.0.0.2:8000")));
}

#[tokio::test]
async fn malformed_state_and_job_paths_fail_only_where_they_are_used() {
    let all = [
        ("BASE_INTERNAL_URL", "http://127.0.0.1:9"),
        ("WM_TOKEN", "t"),
        ("WM_WORKSPACE", "w"),
        ("WM_STATE_PATH_NEW", "not a path!"),
        ("WM_JOB_PATH", "../x"),
    ];
    // The client builds: calls that need neither path work as usual.
    let wm = WindmillBuilder::from_vars(vars(&all)).build().unwrap();
    assert!(wm.state_path().is_none());
    assert!(matches!(
        wm.default_state_path(),
        Err(Error::InvalidInput {
            what: "state path",
            ..
        })
    ));
    assert!(matches!(
        wm.cancel_running(None).await,
        Err(Error::InvalidInput {
            what: "job path",
            ..
        })
    ));
    let ok = ItemPath::parse("f/jobs/x").unwrap();
    // With the path given, the bad variable does not matter (the call then fails on the
    // closed port, which shows it was sent).
    assert!(matches!(
        wm.cancel_running(Some(&ok)).await,
        Err(Error::Transport { .. })
    ));
}

#[test]
fn base_url_precedence() {
    let base = [
        ("WM_BASE_URL", "http://public:3000"),
        ("BASE_INTERNAL_URL", "http://internal:8000/"),
        ("WM_TOKEN", "t"),
        ("WM_WORKSPACE", "ws"),
    ];
    let wm = WindmillBuilder::from_vars(vars(&base)).build().unwrap();
    assert_eq!(wm.base_url().as_str(), "http://internal:8000/api/");
    assert_eq!(
        wm.public_base_url().unwrap().as_str(),
        "http://public:3000/"
    );
    assert_eq!(wm.expose_token(), "t");
    let wm = WindmillBuilder::from_vars(vars(&base[..1]))
        .with_token("t")
        .with_workspace("w")
        .build()
        .unwrap();
    assert_eq!(wm.base_url().as_str(), "http://public:3000/api/");
    let wm = WindmillBuilder::from_vars(vars(&base))
        .with_base_url("https://explicit.example/prefix/api")
        .build()
        .unwrap();
    assert_eq!(
        wm.base_url().as_str(),
        "https://explicit.example/prefix/api/"
    );
}

#[test]
fn missing_settings_name_the_variable() {
    let err = WindmillBuilder::new().build().unwrap_err();
    assert!(
        matches!(&err, Error::NotConfigured { what: "base URL", hint } if hint.contains("BASE_INTERNAL_URL")),
        "{err}"
    );
    let err = WindmillBuilder::new()
        .with_base_url("http://x")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotConfigured { what: "token", hint } if hint.contains("WM_TOKEN"))
    );
    let err = WindmillBuilder::new()
        .with_base_url("http://x")
        .with_token("t")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotConfigured { what: "workspace", hint } if hint.contains("WM_WORKSPACE"))
    );
    // empty counts as unset
    let err = WindmillBuilder::from_vars(vars(&[("WM_TOKEN", "")]))
        .with_base_url("http://x")
        .with_workspace("w")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::NotConfigured { what: "token", .. }));
}

#[test]
fn state_path_precedence_and_job_ids() {
    let id = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
    let all = [
        ("BASE_INTERNAL_URL", "http://x"),
        ("WM_TOKEN", "t"),
        ("WM_WORKSPACE", "w"),
        ("WM_STATE_PATH", "u/a/legacy"),
        ("WM_STATE_PATH_NEW", "u/a/new"),
        ("WM_JOB_ID", id),
        ("WM_ROOT_FLOW_JOB_ID", id),
        ("WM_FLOW_JOB_ID", id),
        ("UNRELATED", "x"),
    ];
    let wm = WindmillBuilder::from_vars(vars(&all)).build().unwrap();
    assert_eq!(wm.state_path().unwrap().as_str(), "u/a/new");
    assert_eq!(wm.job_id().unwrap().to_string(), id);
    assert_eq!(wm.root_flow_job_id().unwrap().to_string(), id);
    assert_eq!(wm.flow_job_id().unwrap().to_string(), id);
    let wm = WindmillBuilder::from_vars(vars(&all[..4])).build().unwrap();
    assert_eq!(wm.state_path().unwrap().as_str(), "u/a/legacy");
    assert!(wm.job_id().is_none());
    let bad = WindmillBuilder::from_vars(vars(&all[..3]))
        .with_job_id("nope")
        .build()
        .unwrap_err();
    assert!(bad.to_string().contains("WM_JOB_ID"), "{bad}");
}

#[test]
fn bad_base_urls() {
    for bad in ["not a url", "ftp://x", "http://x/?a=b"] {
        let err = WindmillBuilder::new()
            .with_base_url(bad)
            .with_token("t")
            .with_workspace("w")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    what: "base URL",
                    ..
                }
            ),
            "{bad}"
        );
    }
}

#[test]
fn keys_parse() {
    for k in WmillConfigKey::ALL {
        assert_eq!(k.as_ref().parse::<WmillConfigKey>().unwrap(), k);
        assert_eq!(k.alias().parse::<WmillConfigKey>().unwrap(), k);
    }
    assert!("nope".parse::<WmillConfigKey>().is_err());
}

#[test]
fn transport_knobs_build() {
    let wm = WindmillBuilder::new()
        .with_base_url("https://self-signed.local")
        .with_token("t")
        .with_workspace("w")
        .with_danger_accept_invalid_certs(true)
        .with_connect_timeout(Duration::from_secs(1))
        .with_request_timeout(Duration::from_secs(2))
        .with_user_agent("ua/1")
        .with_retry(RetryConfig::disabled())
        .with_wait_tuning(WaitTuning::default().poll_window(Duration::ZERO))
        .with_flow_step_id("step")
        .with_job_path("f/jobs/x")
        .build()
        .unwrap();
    assert_eq!(wm.flow_step_id(), Some("step"));
    assert_eq!(wm.job_path().unwrap().as_str(), "f/jobs/x");
    assert!(format!("{wm:?}").contains("request_timeout: 2s"));
}

#[test]
fn builder_debug_hides_token() {
    let b = WindmillBuilder::new().with_token("super-secret-123");
    let dbg = format!("{b:?}");
    assert!(!dbg.contains("super-secret-123"));
    assert!(dbg.contains("token: \"***\""), "{dbg}");
}
