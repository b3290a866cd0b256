use super::*;

#[test]
fn debug_and_display_hide_the_token() {
    let wm = Windmill::builder()
        .with_base_url("http://localhost:8000")
        .with_token("tok-123-secret")
        .with_workspace("demo")
        .build()
        .unwrap();
    for s in [format!("{wm:?}"), format!("{wm:#?}"), wm.to_string()] {
        assert!(!s.contains("tok-123-secret"), "{s}");
    }
    assert!(format!("{wm:?}").contains("\"***\""));
    assert_eq!(wm.to_string(), "Windmill(http://localhost:8000/api/w/demo)");
}

/// Compile-time checks: the client and its builder are `Send + Sync`, and its futures are `Send`
/// (the test fails to build otherwise).
#[test]
fn the_client_and_its_futures_are_send() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<Windmill>();
    assert_send_sync::<crate::WindmillBuilder>();
    let wm = Windmill::builder()
        .with_base_url("http://localhost:8000")
        .with_token("t")
        .with_workspace("demo")
        .build()
        .unwrap();
    let id = wmill_core::JobId::from_u128(1);
    assert_send(&wm.get_result_maybe(&id));
    assert_send(&wm.set_progress(1, None));
    assert_send(&wm.version());
    let link = crate::ResumeLink::from_parts(id, 1, "00", None).unwrap();
    assert_send(&wm.resume_suspended_job(&link, &serde_json::json!(1)));
    assert_send(&wm.resume_link(&id, 1, None));
}
