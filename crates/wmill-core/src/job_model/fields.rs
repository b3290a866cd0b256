//! Lenient field readers: a value of the wrong type reads as absent.

use serde_json::{Map, Value};

use crate::JobId;

use super::timestamp::Timestamp;

pub(super) fn get_str(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

pub(super) fn get_bool(obj: &Map<String, Value>, key: &str) -> Option<bool> {
    obj.get(key).and_then(Value::as_bool)
}

pub(super) fn get_u64(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    let v = obj.get(key)?;
    v.as_u64().or_else(|| {
        // Some counters are JSON numbers with a fraction part of zero (`3000.0`).
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

pub(super) fn get_u32(obj: &Map<String, Value>, key: &str) -> Option<u32> {
    get_u64(obj, key).and_then(|n| u32::try_from(n).ok())
}

pub(super) fn get_id(obj: &Map<String, Value>, key: &str) -> Option<JobId> {
    obj.get(key)
        .and_then(Value::as_str)
        .and_then(|s| JobId::parse(s).ok())
}

pub(super) fn get_time(obj: &Map<String, Value>, key: &str) -> Option<Timestamp> {
    obj.get(key)
        .and_then(Value::as_str)
        .and_then(|s| Timestamp::parse(s).ok())
}
