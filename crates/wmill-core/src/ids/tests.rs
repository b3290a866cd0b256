use super::*;
use crate::Error;
use uuid::Uuid;

#[test]
fn conversions_and_debug() {
    let raw = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
    let id = JobId::parse(raw).unwrap();
    let uuid = Uuid::parse_str(raw).unwrap();
    assert_eq!(id.as_uuid(), &uuid);
    assert_eq!(Uuid::from(id), uuid);
    assert_eq!(JobId::from(uuid), id);
    assert_eq!(format!("{id:?}"), format!("JobId({raw})"));
    let hash = ScriptHash::parse("4f2a9c01d3e5b7a8").unwrap();
    assert_eq!(String::from(hash.clone()), "4f2a9c01d3e5b7a8");
    assert_eq!(AsRef::<str>::as_ref(&hash), "4f2a9c01d3e5b7a8");
    assert_eq!(format!("{hash:?}"), "ScriptHash(4f2a9c01d3e5b7a8)");
}

#[test]
fn job_id_parsing() {
    let id = JobId::parse(" 0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12\n").unwrap();
    assert_eq!(id.to_string(), "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12");
    let err = JobId::parse("12").unwrap_err();
    assert!(matches!(err, Error::InvalidInput { what: "job id", .. }));
    assert_ne!(JobId::new_random(), JobId::new_random());
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12\"");
}

#[test]
fn script_hash_parsing() {
    assert_eq!(
        ScriptHash::parse("ABCDEF0123456789").unwrap().as_str(),
        "abcdef0123456789"
    );
    for bad in [
        "",
        "g",
        "abcdef",
        "0123456789abcde",
        "0123456789abcdef0",
        "12 34",
        "-1",
    ] {
        assert!(ScriptHash::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn random_ids_are_version_4_and_distinct() {
    let ids: std::collections::BTreeSet<JobId> = (0..1000).map(|_| JobId::new_random()).collect();
    assert_eq!(ids.len(), 1000);
    for id in &ids {
        assert_eq!(id.as_uuid().get_version_num(), 4);
        assert_eq!(id.as_uuid().get_variant(), uuid::Variant::RFC4122);
    }
}
