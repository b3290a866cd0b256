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
