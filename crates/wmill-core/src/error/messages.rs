//! The texts of transport, decode and job errors.

use serde_json::Value;

use super::excerpt::{MAX_ERROR_BODY, truncate_in_place};
use super::remote::{RemoteCause, root_cause_text};

pub(super) fn transport_message(
    request: &str,
    source: &(dyn std::error::Error + Send + Sync + 'static),
) -> String {
    match source.downcast_ref::<RemoteCause>() {
        Some(cause) => format!("{cause} on {request}"),
        None => format!("transport error on {request}: {}", root_cause_text(source)),
    }
}

/// Whether `request` is `METHOD /path`, as HTTP requests are named.
fn is_http_request(request: &str) -> bool {
    request.split_once(' ').is_some_and(|(method, path)| {
        !method.is_empty()
            && method.bytes().all(|b| b.is_ascii_uppercase())
            && path.starts_with('/')
    })
}

pub(super) fn decode_message(
    request: &str,
    body_excerpt: &str,
    source: &(dyn std::error::Error + Send + Sync + 'static),
) -> String {
    let mut text = match source.downcast_ref::<RemoteCause>() {
        Some(cause) => format!(
            "could not decode the answer of {} to {request}: {cause}",
            cause.origin()
        ),
        None if is_http_request(request) => {
            format!("could not decode the answer to {request}: {source}")
        }
        None => format!("could not decode the {request}: {source}"),
    };
    if !body_excerpt.is_empty() {
        text.push_str(&format!(" (body starts with {body_excerpt:?})"));
    }
    text
}

pub(super) fn summarize_job_error(error: &Value) -> String {
    let obj = error.get("error").unwrap_or(error);
    match (obj.get("name"), obj.get("message")) {
        (Some(Value::String(name)), Some(Value::String(message))) => format!("{name}: {message}"),
        (_, Some(Value::String(message))) => message.clone(),
        _ => {
            let mut text = obj.to_string();
            truncate_in_place(&mut text, MAX_ERROR_BODY);
            text
        }
    }
}
