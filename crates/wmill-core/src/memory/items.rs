//! What the variables and the resources of [`InMemory`](super::InMemory) share: items by
//! path, removed and listed as the server removes and lists them.

use std::collections::BTreeMap;

use crate::{Error, ItemKind, ItemPath, Result};

use super::listing::page;

/// Removes the item at `path` (a `kind`) from `items`; a missing one is [`Error::NotFound`].
pub(super) fn remove<T>(
    items: &mut BTreeMap<ItemPath, T>,
    kind: ItemKind,
    path: &ItemPath,
) -> Result<()> {
    items
        .remove(path)
        .map(drop)
        .ok_or_else(|| Error::not_found(kind, path.as_str()))
}

/// One page (`pages`: the page number and size, both checked) of the `items` whose paths start
/// with `path_start`, each listed as `row` makes it (`None` leaves it out).
pub(super) fn list<T, R>(
    items: &BTreeMap<ItemPath, T>,
    path_start: Option<&str>,
    (page_no, per_page): (Option<u32>, Option<u32>),
    mut row: impl FnMut(&ItemPath, &T) -> Option<R>,
) -> Result<Vec<R>> {
    crate::validate_paging(page_no, per_page)?;
    let prefix = path_start.unwrap_or("");
    let rows = items
        .iter()
        .filter(|(p, _)| p.as_str().starts_with(prefix))
        .filter_map(|(p, item)| row(p, item));
    Ok(page(rows, page_no, per_page))
}
