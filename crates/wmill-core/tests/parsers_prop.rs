//! Property tests of the validated types: no panic on any input, and parse/display round trips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use wmill_core::{ItemPath, JobId, ScriptHash, Workspace};

fn segment() -> impl Strategy<Value = String> {
    // Names as users write them: letters, digits, `_`, `-`, `.`, spaces and non-ASCII.
    "[a-zA-Z0-9_ .é-]{1,20}".prop_filter("not . or ..", |s| s != "." && s != "..")
}

proptest! {
    #[test]
    fn item_path_never_panics(s in any::<String>()) {
        let _ = ItemPath::parse(&s);
        let _ = ItemPath::parse_resource_ref(&s);
        let _ = ItemPath::parse_variable_ref(&s);
    }

    #[test]
    fn valid_paths_round_trip(kind in prop::sample::select(vec!["u", "f", "g"]),
                              owner in segment(),
                              names in prop::collection::vec(segment(), 1..4)) {
        let raw = format!("{kind}/{owner}/{}", names.join("/"));
        prop_assume!(raw.len() <= 255);
        let p = ItemPath::parse(&raw).unwrap();
        prop_assert_eq!(p.as_str(), raw.as_str());
        prop_assert_eq!(p.to_string().parse::<ItemPath>().unwrap(), p.clone());
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<ItemPath>(&json).unwrap(), p.clone());
        prop_assert_eq!(ItemPath::parse_resource_ref(format!("$res:{raw}")).unwrap(), p.clone());
        prop_assert_eq!(ItemPath::parse_variable_ref(format!("var://{raw}")).unwrap(), p);
    }

    #[test]
    fn accepted_paths_hold_the_invariants(s in "[ufgh][ub/]{0,3}[a-z./\\x00?#]{0,12}") {
        if let Ok(p) = ItemPath::parse(&s) {
            let segs: Vec<&str> = p.segments().collect();
            prop_assert!(segs.iter().all(|x| !x.is_empty() && *x != "." && *x != ".."));
            prop_assert!(!s.chars().any(|c| c.is_control() || c == '?' || c == '#'));
            prop_assert!(["u", "f", "g", "hub"].contains(&segs[0]));
        }
    }

    #[test]
    fn job_ids_round_trip(v in any::<u128>()) {
        let id = JobId::from_u128(v);
        prop_assert_eq!(JobId::parse(id.to_string()).unwrap(), id);
    }

    #[test]
    fn ids_never_panic(s in any::<String>()) {
        let _ = JobId::parse(&s);
        let _ = ScriptHash::parse(&s);
        let _ = Workspace::parse(&s);
    }

    #[test]
    fn hashes_round_trip(v in any::<u64>()) {
        let raw = format!("{v:016x}");
        prop_assert_eq!(ScriptHash::parse(&raw).unwrap().to_string(), raw);
    }
}
