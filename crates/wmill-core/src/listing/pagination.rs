//! Pages and the auto-paging helper: [`Page`], [`ListItem`], [`paginate`] (which ends a
//! stream whose server answers the same page again) and the paging checks.

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use crate::{Error, Result};

/// The page size listings use unless told otherwise: the server's default.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// The largest page size the server accepts.
pub const MAX_PAGE_SIZE: u32 = 10_000;

/// One page of a listing: its items and the cursor of the next page (`None`: this was the
/// last page).
///
/// ```
/// use wmill_core::Page;
///
/// let page = Page::new(vec!["a", "b"], Some(2u32));
/// assert_eq!(page.items.len(), 2);
/// assert_eq!(page.next, Some(2));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T, C = u32> {
    /// The items of this page, in the listing's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` after the last page.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page of `items` followed by the page at `next`.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        Page { items, next }
    }
}

/// An item of a listing: what identifies it (a path, a job id), so [`paginate`] can tell a page
/// the server answered twice.
///
/// ```
/// use std::hash::{Hash, Hasher};
/// use wmill_core::ListItem;
///
/// struct Row { name: String }
/// impl ListItem for Row {
///     fn identify(&self, mut state: &mut dyn Hasher) {
///         self.name.hash(&mut state);
///     }
/// }
/// ```
pub trait ListItem {
    /// Feeds what identifies this item to `state`.
    fn identify(&self, state: &mut dyn Hasher);
}

fn fingerprint<T: ListItem>(items: &[T]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    items.len().hash(&mut h);
    for item in items {
        item.identify(&mut h);
    }
    h.finish()
}

pub(super) fn stalled(listing: &'static str, reason: impl Into<String>) -> Error {
    Error::ListingStalled {
        listing,
        reason: reason.into(),
    }
}

/// Turns a page-fetching function into a stream of items.
///
/// `fetch(cursor)` returns the page at `cursor` and the cursor of the next one; the stream
/// starts at `first`, yields each page's items in order, and ends after a page without a next
/// cursor or at the first error. One page is held at a time. A server that does not move on
/// ends the stream with [`Error::ListingStalled`]: a page whose next cursor is the cursor it
/// was fetched with, or a non-empty page with the same items as the page before it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use futures::TryStreamExt;
/// use wmill_core::{Error, ListItem, Page, paginate};
///
/// #[derive(Debug)]
/// struct N(u32);
/// impl ListItem for N {
///     fn identify(&self, state: &mut dyn std::hash::Hasher) {
///         state.write_u32(self.0);
///     }
/// }
///
/// // Pages of 3 over 0..8.
/// let items: Vec<N> = paginate("numbers", 1u32, |page: &u32| {
///     let page = *page;
///     async move {
///         let items: Vec<N> = (0..8).skip((page as usize - 1) * 3).take(3).map(N).collect();
///         let next = (items.len() == 3).then_some(page + 1);
///         Ok(Page::new(items, next))
///     }
/// })
/// .try_collect()
/// .await
/// .unwrap();
/// assert_eq!(items.len(), 8);
///
/// // A server that ignores the page number: an error, not a loop.
/// let err = paginate("numbers", 1u32, |page: &u32| {
///     let next = *page + 1;
///     async move { Ok(Page::new(vec![N(1), N(2)], Some(next))) }
/// })
/// .try_collect::<Vec<N>>()
/// .await
/// .unwrap_err();
/// assert!(matches!(err, Error::ListingStalled { .. }), "{err}");
/// # }
/// ```
pub fn paginate<'a, T, C, F, Fut>(
    listing: &'static str,
    first: C,
    fetch: F,
) -> BoxStream<'a, Result<T>>
where
    T: ListItem + Send + 'a,
    C: PartialEq + fmt::Debug + Send + 'a,
    F: FnMut(&C) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'a,
{
    struct State<T, C, F> {
        fetch: F,
        next: Option<C>,
        items: std::vec::IntoIter<T>,
        last: Option<u64>,
    }
    let state = State {
        fetch,
        next: Some(first),
        items: Vec::new().into_iter(),
        last: None,
    };
    stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(item) = st.items.next() {
                return Some((Ok(item), st));
            }
            let cursor = st.next.take()?;
            // The page just yielded is gone before the next one arrives: one page in memory.
            st.items = Vec::new().into_iter();
            let page = match (st.fetch)(&cursor).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), st)),
            };
            if page.next.as_ref() == Some(&cursor) {
                let e = stalled(
                    listing,
                    format!(
                        "the server answered the page at {cursor:?} without moving on (same cursor again)"
                    ),
                );
                return Some((Err(e), st));
            }
            if !page.items.is_empty() {
                let fp = fingerprint(&page.items);
                if st.last == Some(fp) {
                    let e = stalled(
                        listing,
                        format!(
                            "the server answered the page at {cursor:?} with the {} items of the page before it",
                            page.items.len()
                        ),
                    );
                    return Some((Err(e), st));
                }
                st.last = Some(fp);
            }
            st.next = page.next;
            st.items = page.items.into_iter();
        }
    })
    .boxed()
}

/// Checks a page (from 1) and page size (1 to 10000) before any request.
///
/// ```
/// use wmill_core::validate_paging;
///
/// assert!(validate_paging(Some(1), Some(10_000)).is_ok());
/// assert!(validate_paging(Some(0), None).is_err());
/// assert!(validate_paging(None, Some(0)).is_err());
/// assert!(validate_paging(None, Some(10_001)).is_err());
/// ```
pub fn validate_paging(page: Option<u32>, per_page: Option<u32>) -> Result<()> {
    if page == Some(0) {
        return Err(Error::invalid("page", "pages are numbered from 1"));
    }
    validate_page_size(per_page)
}

pub(super) fn validate_page_size(per_page: Option<u32>) -> Result<()> {
    match per_page {
        Some(n) if n == 0 || n > MAX_PAGE_SIZE => Err(Error::invalid(
            "page size",
            format!("{n} items per page: the server takes 1 to {MAX_PAGE_SIZE}"),
        )),
        _ => Ok(()),
    }
}

/// A filter value the server reads as one item of a comma-separated list, where a leading `!`
/// negates: it must be non-empty, without `,`, control characters or a leading `!`.
pub(super) fn validate_filter(what: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    if value.contains(',') {
        return Err(Error::invalid(
            what,
            format!("{value:?} contains `,`, which the server reads as a list separator"),
        ));
    }
    if value.starts_with('!') {
        return Err(Error::invalid(
            what,
            format!("{value:?} starts with `!`, which the server reads as a negation"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            what,
            format!("{value:?} contains a control character"),
        ));
    }
    Ok(())
}
