use super::*;

#[test]
fn env_precedence_and_errors() {
    let conn = WindmillConnection::from_env_vars([
        ("WM_BASE_URL", "https://pub.example.com/"),
        ("WM_WORKSPACE", "ws"),
        ("WM_TOKEN", "tok"),
    ])
    .unwrap();
    assert_eq!(conn.base_url().as_str(), "https://pub.example.com/");
    let req = conn.request(
        Method::GET,
        "job_helpers/x",
        &[("a", Some("b c")), ("n", None)],
    );
    assert_eq!(
        req.url().as_str(),
        "https://pub.example.com/api/w/ws/job_helpers/x?a=b+c"
    );

    let err =
        WindmillConnection::from_env_vars([("WM_WORKSPACE", "ws"), ("WM_TOKEN", "t")]).unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err}");
    assert!(err.to_string().contains("BASE_INTERNAL_URL"));
    let err = WindmillConnection::from_env_vars([("WM_BASE_URL", "http://x"), ("WM_TOKEN", "t")])
        .unwrap_err();
    assert!(err.to_string().contains("WM_WORKSPACE"), "{err}");
    let err = WindmillConnection::from_env_vars([
        ("WM_BASE_URL", "http://x"),
        ("WM_WORKSPACE", "ws"),
        ("WM_TOKEN", ""),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("WM_TOKEN"), "{err}");
    assert!(WindmillConnection::new("ftp://x", "ws", "t").is_err());
    for bad in ["a/b", "..", "a\\b", "a'b", "a\tb", ""] {
        assert!(
            WindmillConnection::new("http://x", bad, "t").is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn api_suffix_is_dropped() {
    for base in ["http://h/api", "http://h/api/", "http://h"] {
        let conn = WindmillConnection::new(base, "ws", "t").unwrap();
        assert_eq!(conn.base_url().as_str(), "http://h/", "{base}");
    }
}

#[test]
fn base_with_path_keeps_it() {
    let conn = WindmillConnection::new("http://h:81/windmill", "ws", "t").unwrap();
    assert_eq!(
        conn.request(Method::GET, "p", &[]).url().as_str(),
        "http://h:81/windmill/api/w/ws/p"
    );
}

#[test]
fn credentials_in_urls_are_refused_and_never_echoed() {
    let err = WindmillConnection::new("http://user:hunter2@h", "ws", "t").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
    let conn = WindmillConnection::new("http://h", "ws", "t").unwrap();
    let err = conn
        .with_public_base_url("https://u:hunter2@pub")
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
}
