//! What identifies each row of the crate's listings ([`ListItem`] for variables, resources, jobs,
//! scripts and flows): the fields by which [`paginate`](super::paginate) tells a page the server
//! answered twice.

use std::hash::{Hash, Hasher};

use crate::{ResourceInfo, VariableInfo};

use super::job_summary::JobSummary;
use super::pagination::ListItem;
use super::runnables::{FlowSummary, ScriptSummary};

/// Implements [`ListItem`] for each row `Type: field, ...;`: the item is identified by those
/// fields.
macro_rules! identified_by {
    ($($item:ty: $($field:ident),+;)*) => {$(
        impl ListItem for $item {
            fn identify(&self, mut state: &mut dyn Hasher) {
                $(self.$field.hash(&mut state);)+
            }
        }
    )*};
}

identified_by! {
    VariableInfo: path;
    ResourceInfo: path;
    JobSummary: id;
    ScriptSummary: path, hash;
    FlowSummary: path;
}
