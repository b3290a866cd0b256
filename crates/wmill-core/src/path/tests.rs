use super::*;

#[test]
fn length_limits_are_inclusive() {
    let at = format!("u/a/{}", "x".repeat(MAX_PATH_LEN - 4));
    assert_eq!(at.len(), MAX_PATH_LEN);
    assert!(ItemPath::parse(&at).is_ok());
    assert!(ItemPath::parse(format!("{at}x")).is_err());
    assert!(Workspace::parse("w".repeat(50)).is_ok());
    assert!(Workspace::parse("w".repeat(51)).is_err());
    assert!(Workspace::parse("w".repeat(49)).is_ok());
}

#[test]
fn item_path_conversions_and_debug() {
    let p = ItemPath::parse("f/folder/name").unwrap();
    assert_eq!(AsRef::<str>::as_ref(&p), "f/folder/name");
    assert_eq!(std::borrow::Borrow::<str>::borrow(&p), "f/folder/name");
    assert_eq!(format!("{p:?}"), "ItemPath(\"f/folder/name\")");
    assert_eq!(p.into_string(), "f/folder/name");
    let w = Workspace::parse("demo-1").unwrap();
    assert_eq!(AsRef::<str>::as_ref(&w), "demo-1");
    assert_eq!(w.to_string(), "demo-1");
    assert_eq!(format!("{w:?}"), "Workspace(\"demo-1\")");
    assert_eq!(String::from(w), "demo-1");
}

#[test]
fn accepts_server_paths() {
    for p in [
        "u/alice/key",
        "f/billing/stripe/key",
        "g/all/x",
        "hub/28102/slack/send_message",
        "hub/7",
        "u/alice/my script.v2",
        "f/données/clé",
        "u/a/b-c_d.e",
    ] {
        let parsed = ItemPath::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(parsed.as_str(), p);
        assert_eq!(parsed.to_string(), p);
    }
}

#[test]
fn rejects_bad_paths_with_the_rule() {
    for (p, rule) in [
        ("", "empty"),
        ("/u/alice/x", "starts with `/`"),
        ("u/alice/x/", "ends with `/`"),
        ("u//x", "empty segment"),
        ("u/alice/../x", "`..`"),
        ("u/./x", "`..`"),
        ("x/alice/y", "does not start with an owner"),
        ("u/alice", "has no name"),
        ("hub", "has no name"),
        ("u/alice/a\nb", "control character (U+000A)"),
        ("u/alice/a?b", "'?'"),
        ("u/alice/a#b", "'#'"),
    ] {
        let err = ItemPath::parse(p).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(
            err,
            Error::InvalidInput {
                what: "item path",
                ..
            }
        ));
        assert!(msg.contains(rule), "{p:?}: {msg}");
    }
    let long = format!("u/alice/{}", "x".repeat(300));
    assert!(
        ItemPath::parse(long)
            .unwrap_err()
            .to_string()
            .contains("limit")
    );
}

#[test]
fn bad_path_messages_read_as_sentences() {
    let msg = |p: &str| ItemPath::parse(p).unwrap_err().to_string();
    assert_eq!(
        msg("alice/name"),
        "invalid item path: \"alice/name\" does not start with an owner: paths look like \
         u/<user>/<name>, f/<folder>/<name>, g/<group>/<name> or hub/<id>/<name>; did you \
         mean \"u/alice/name\" or \"f/alice/name\"?"
    );
    assert_eq!(
        msg("name"),
        "invalid item path: \"name\" does not start with an owner: paths look like \
         u/<user>/<name>, f/<folder>/<name>, g/<group>/<name> or hub/<id>/<name>"
    );
    assert_eq!(
        msg("u/alice"),
        "invalid item path: \"u/alice\" has no name: paths look like u/<user>/<name>"
    );
    assert_eq!(
        msg("f/billing"),
        "invalid item path: \"f/billing\" has no name: paths look like f/<folder>/<name>"
    );
    assert_eq!(
        msg("u/a/b\tc"),
        "invalid item path: \"u/a/b\\tc\" contains a control character (U+0009)"
    );
}

#[test]
fn accessors() {
    let p = ItemPath::parse("f/team/sub/name").unwrap();
    assert_eq!(p.owner_kind(), "f");
    assert_eq!(p.owner(), "team");
    assert_eq!(p.name(), "name");
    assert_eq!(p.segments().count(), 4);
}

#[test]
fn references() {
    assert_eq!(
        ItemPath::parse_resource_ref("res://f/x/y")
            .unwrap()
            .as_str(),
        "f/x/y"
    );
    assert_eq!(
        ItemPath::parse_variable_ref("$var:u/a/b").unwrap().as_str(),
        "u/a/b"
    );
    assert!(ItemPath::parse_resource_ref("$res:").is_err());
}

#[test]
fn serde_validates() {
    let p: ItemPath = serde_json::from_str("\"u/alice/x\"").unwrap();
    assert_eq!(serde_json::to_string(&p).unwrap(), "\"u/alice/x\"");
    assert!(serde_json::from_str::<ItemPath>("\"nope\"").is_err());
    assert!(serde_json::from_str::<Workspace>("\"a b\"").is_err());
}
