//! Unit tests of SQL queries.

#[test]
fn debug_leaves_bound_values_out() {
    let wm = crate::Windmill::builder()
        .with_base_url("http://localhost:8000")
        .with_token("tok-SECRET")
        .with_workspace("demo")
        .build()
        .unwrap();
    let q = wm.datatable("main").query("SELECT $1").bind("hunter2");
    let text = format!("{q:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("tok-SECRET"),
        "{text}"
    );
    assert!(text.contains("TEXT"), "{text}");
}
