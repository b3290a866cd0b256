//! [`FlowVersion`]: the id of one version of a flow.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The version of a flow (`jobs/run/fv/{version}`): the id of one saved version, as the flow's
/// version history lists them.
///
/// ```
/// use wmill_core::FlowVersion;
///
/// let v = FlowVersion::new(42);
/// assert_eq!(v.get(), 42);
/// assert_eq!(v.to_string(), "42");
/// assert_eq!(FlowVersion::from(7), FlowVersion::new(7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowVersion(i64);

impl FlowVersion {
    /// The version with this id.
    pub const fn new(id: i64) -> Self {
        FlowVersion(id)
    }

    /// The version id.
    pub const fn get(&self) -> i64 {
        self.0
    }
}

impl From<i64> for FlowVersion {
    fn from(id: i64) -> Self {
        FlowVersion(id)
    }
}

impl fmt::Display for FlowVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
