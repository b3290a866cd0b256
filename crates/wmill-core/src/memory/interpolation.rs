//! `$var:` and `$res:` references resolved, as the server reads resources and state, within
//! bounds on depth and on what the references bring in.

use serde_json::Value;

use crate::{Error, ItemKind, ItemPath, Result};

use super::in_memory::InMemory;

/// How deep `$res:` references may nest when a resource is interpolated.
pub(crate) const MAX_INTERPOLATION_DEPTH: usize = 16;

/// How many JSON values `$res:` / `$var:` references may bring into one interpolated value.
pub(super) const MAX_INTERPOLATED_VALUES: usize = 100_000;

/// How many bytes of strings `$res:` / `$var:` references may bring into one interpolated value.
pub(super) const MAX_INTERPOLATED_BYTES: usize = 16 << 20;

impl InMemory {
    /// `value` with its `$var:` and `$res:` references resolved, as the server reads resources
    /// and state.
    ///
    /// References nest at most [`MAX_INTERPOLATION_DEPTH`] deep, and what they bring in (every
    /// value of a referenced resource, at every level, and every variable) is bounded by
    /// [`MAX_INTERPOLATED_VALUES`] and [`MAX_INTERPOLATED_BYTES`]: a resource that refers twice
    /// to one that refers twice to ... fails with [`Error::InvalidInput`] instead of growing
    /// exponentially. What the resource holds itself is not counted.
    pub(super) fn interpolate(&self, value: &Value) -> Result<Value> {
        self.interpolate_within(value, 0, &mut Budget::default())
    }

    pub(super) fn interpolate_within(
        &self,
        value: &Value,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Value> {
        check_depth(depth)?;
        // Inside a referenced resource, every value is brought in by a reference.
        let referenced = depth > 0;
        Ok(match value {
            Value::String(s) => {
                if let Some(var) = s.strip_prefix("$var:") {
                    let path = ItemPath::parse(var)?;
                    let v = self
                        .variable_value(&path)
                        .ok_or_else(|| Error::not_found(ItemKind::Variable, path.as_str()))?;
                    budget.take(v.len())?;
                    Value::String(v)
                } else if let Some(res) = s.strip_prefix("$res:") {
                    let path = ItemPath::parse(res)?;
                    let inner = self
                        .raw_resource(&path)
                        .ok_or_else(|| Error::not_found(ItemKind::Resource, path.as_str()))?;
                    self.interpolate_within(&inner, depth + 1, budget)?
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
                Value::Array(
                    items
                        .iter()
                        .map(|v| self.interpolate_within(v, depth, budget))
                        .collect::<Result<_>>()?,
                )
            }
            Value::Object(map) => {
                if referenced {
                    budget.take(map.keys().map(String::len).sum())?;
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| Ok((k.clone(), self.interpolate_within(v, depth, budget)?)))
                        .collect::<Result<_>>()?,
                )
            }
            other => {
                if referenced {
                    budget.take(0)?;
                }
                other.clone()
            }
        })
    }
}

/// [`Error::InvalidInput`] when references nest `depth` levels, more than
/// [`MAX_INTERPOLATION_DEPTH`] (a `$res:` cycle, most likely).
pub(crate) fn check_depth(depth: usize) -> Result<()> {
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
pub(crate) struct Budget {
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
    pub(crate) fn take(&mut self, bytes: usize) -> Result<()> {
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
