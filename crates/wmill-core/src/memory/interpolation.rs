//! `$var:` and `$res:` references resolved, as the server reads resources and state, within
//! bounds on depth and on what the references bring in: the one walker [`InMemory`] and
//! [`MockOverlay`](crate::MockOverlay) share, each finding the referenced items its own way
//! ([`Referents`]).

use std::future::Future;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::{Error, ItemKind, ItemPath, Result, VariableStore};

use super::in_memory::InMemory;

/// How deep `$res:` references may nest when a resource is interpolated.
pub(crate) const MAX_INTERPOLATION_DEPTH: usize = 16;

/// How many JSON values `$res:` / `$var:` references may bring into one interpolated value.
pub(super) const MAX_INTERPOLATED_VALUES: usize = 100_000;

/// How many bytes of strings `$res:` / `$var:` references may bring into one interpolated value.
pub(super) const MAX_INTERPOLATED_BYTES: usize = 16 << 20;

/// Where [`interpolate`] finds what references name: a `$var:` reference is the store's
/// [`get_variable`](VariableStore::get_variable), a `$res:` reference its
/// [`referent`](Referents::referent).
pub(crate) trait Referents: VariableStore {
    /// The resource at `path` ([`Error::NotFound`] when there is none).
    fn referent(&self, path: &ItemPath) -> impl Future<Output = Result<Referent>> + Send;
}

/// A resource a `$res:` reference names.
pub(crate) enum Referent {
    /// Its raw value: its own references are resolved in turn, one level deeper.
    Raw(Value),
    /// Its value with its references already resolved (by another backend): counted as one
    /// value holding its JSON text.
    Resolved(Value),
}

impl Referents for InMemory {
    async fn referent(&self, path: &ItemPath) -> Result<Referent> {
        self.raw_resource(path)
            .map(Referent::Raw)
            .ok_or_else(|| Error::not_found(ItemKind::Resource, path.as_str()))
    }
}

/// `value` with its `$var:` and `$res:` references resolved through `store`, as the server
/// reads resources and state.
///
/// References nest at most [`MAX_INTERPOLATION_DEPTH`] deep, and what they bring in (every
/// value of a referenced resource, at every level, and every variable) is bounded by
/// [`MAX_INTERPOLATED_VALUES`] and [`MAX_INTERPOLATED_BYTES`]: a resource that refers twice
/// to one that refers twice to ... fails with [`Error::InvalidInput`] instead of growing
/// exponentially. What the resource holds itself is not counted.
pub(crate) async fn interpolate<R: Referents>(store: &R, value: Value) -> Result<Value> {
    if !has_reference(&value) {
        return Ok(value);
    }
    walk(store, &value, 0, &mut Budget::default()).await
}

/// `value` (`depth` references deep) with its references resolved, what they bring in
/// taken from `budget`.
fn walk<'a, R: Referents>(
    store: &'a R,
    value: &'a Value,
    depth: usize,
    budget: &'a mut Budget,
) -> BoxFuture<'a, Result<Value>> {
    async move {
        check_depth(depth)?;
        // Inside a referenced resource, every value is brought in by a reference.
        let referenced = depth > 0;
        Ok(match value {
            Value::String(s) => {
                if let Some(var) = s.strip_prefix("$var:") {
                    let v = store.get_variable(&ItemPath::parse(var)?).await?;
                    budget.take(v.len())?;
                    Value::String(v)
                } else if let Some(res) = s.strip_prefix("$res:") {
                    match store.referent(&ItemPath::parse(res)?).await? {
                        Referent::Raw(inner) => walk(store, &inner, depth + 1, budget).await?,
                        Referent::Resolved(v) => {
                            budget.take(v.to_string().len())?;
                            v
                        }
                    }
                } else {
                    if referenced {
                        budget.take(s.len())?;
                    }
                    value.clone()
                }
            }
            Value::Array(items) => {
                if referenced {
                    budget.take(0)?;
                }
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(walk(store, item, depth, budget).await?);
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                if referenced {
                    budget.take(map.keys().map(String::len).sum())?;
                }
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    out.insert(k.clone(), walk(store, v, depth, budget).await?);
                }
                Value::Object(out)
            }
            other => {
                if referenced {
                    budget.take(0)?;
                }
                other.clone()
            }
        })
    }
    .boxed()
}

/// Whether `value` holds a `$var:` or `$res:` reference anywhere.
fn has_reference(value: &Value) -> bool {
    match value {
        Value::String(s) => s.starts_with("$var:") || s.starts_with("$res:"),
        Value::Array(items) => items.iter().any(has_reference),
        Value::Object(map) => map.values().any(has_reference),
        _ => false,
    }
}

/// [`Error::InvalidInput`] when references nest `depth` levels, more than
/// [`MAX_INTERPOLATION_DEPTH`] (a `$res:` cycle, most likely).
fn check_depth(depth: usize) -> Result<()> {
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(Error::invalid(
            "resource",
            format!(
                "resource references nest more than {MAX_INTERPOLATION_DEPTH} levels deep (a `$res:` cycle?)"
            ),
        ));
    }
    Ok(())
}

/// What references may still bring into the value being interpolated.
struct Budget {
    /// JSON values.
    values: usize,
    /// Bytes of strings and object keys.
    bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            values: MAX_INTERPOLATED_VALUES,
            bytes: MAX_INTERPOLATED_BYTES,
        }
    }
}

impl Budget {
    /// Counts one value brought in by a reference, holding `bytes` bytes of strings or keys.
    fn take(&mut self, bytes: usize) -> Result<()> {
        self.values = self.values.checked_sub(1).ok_or_else(|| {
            Error::invalid(
                "resource",
                format!(
                    "its `$res:` / `$var:` references bring in more than {MAX_INTERPOLATED_VALUES} JSON values (the limit)"
                ),
            )
        })?;
        self.bytes = self.bytes.checked_sub(bytes).ok_or_else(|| {
            Error::invalid(
                "resource",
                format!(
                    "its `$res:` / `$var:` references bring in more than {MAX_INTERPOLATED_BYTES} bytes of strings (the limit)"
                ),
            )
        })?;
        Ok(())
    }
}
