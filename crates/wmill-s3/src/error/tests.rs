use super::*;

#[test]
fn maps_kinds() {
    let e = map_store_error(
        object_store::Error::NotFound {
            path: "k".into(),
            source: "gone".into(),
        },
        "get",
        Some("st"),
        "k",
    );
    assert!(matches!(&e, Error::NotFound { kind: ItemKind::Object, path } if path == "s3://st/k"));
    let e = map_store_error(
        object_store::Error::PermissionDenied {
            path: "k".into(),
            source: "denied".into(),
        },
        "put",
        None,
        "k",
    );
    assert!(
        matches!(&e, Error::Unauthorized { status: 403, request, .. } if request == "put s3:///k")
    );
    let e = map_store_error(
        object_store::Error::Generic {
            store: "S3",
            source: "boom".into(),
        },
        "get",
        None,
        "a/b",
    );
    assert!(matches!(&e, Error::Storage { operation, .. } if operation == "get s3:///a/b"));
    assert!(std::error::Error::source(&e).is_some());
    let wrapped = to_store_error(
        Error::Api {
            status: 500,
            request: "GET /x".into(),
            body: "b".into(),
        },
        "Windmill",
    );
    let back = map_store_error(wrapped, "get", None, "k");
    assert!(matches!(back, Error::Api { status: 500, .. }));
}
