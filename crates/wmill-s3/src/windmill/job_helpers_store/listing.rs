//! Listings through `job_helpers/list_stored_files_paged`: the recursive walk of `list` and
//! the one level of `list_with_delimiter`, each guarded against a server that would make it
//! endless.

use std::collections::HashSet;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ListResult, ObjectMeta};
use serde::Deserialize;
use wmill_core::{Error, ItemKind};

use super::{STORE, WindmillHelperStore, parse_time};

#[derive(Deserialize)]
struct Folder {
    prefix: String,
}

#[derive(Deserialize)]
struct StoredFile {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    last_modified: Option<String>,
}

/// One page of `list_stored_files_paged`: `folders` and `files` are required (the spec's
/// `required`): an answer without them is a decode error, never an empty folder.
#[derive(Deserialize)]
struct Page {
    folders: Vec<Folder>,
    files: Vec<StoredFile>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// A listing whose page names a folder that is not below the one listed would never end.
fn folder_outside(prefix: &str, folder: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: format!(
            "listing {prefix:?}: the server named {folder:?} as a sub-folder (the listing would never end)"
        )
        .into(),
    }
}

/// A listing whose server repeats a page token would never end: it stops with this error.
fn repeated_token(prefix: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: format!(
            "listing {prefix:?}: the server sent a page token it had already sent (the listing would never end)"
        )
        .into(),
    }
}

fn folder_prefix(prefix: Option<&Path>) -> String {
    match prefix {
        Some(p) if !p.as_ref().is_empty() => format!("{}/", p.as_ref()),
        _ => String::new(),
    }
}

fn file_meta(f: StoredFile) -> Option<ObjectMeta> {
    let location = Path::parse(&f.key).ok()?;
    Some(ObjectMeta {
        location,
        last_modified: parse_time(f.last_modified.as_deref()),
        size: f.size.unwrap_or(0),
        e_tag: None,
        version: None,
    })
}

impl WindmillHelperStore {
    async fn page(&self, prefix: &str, token: Option<&str>) -> Result<Page, Error> {
        self.conn
            .read_request(
                "job_helpers/list_stored_files_paged",
                &[
                    ("prefix", Some(prefix)),
                    ("max_keys", Some("1000")),
                    ("page_token", token),
                    ("storage", self.storage.as_deref()),
                    ("s3_resource_path", self.s3_resource_path.as_deref()),
                ],
            )
            .not_found(
                ItemKind::Storage,
                self.storage.as_deref().unwrap_or("_default_").to_owned(),
            )
            .send_json()
            .await
    }

    /// Every file under `prefix`, recursively, pages fetched on demand.
    pub(super) fn list_all(
        &self,
        prefix: Option<&Path>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let this = self.clone();
        let start = vec![(folder_prefix(prefix), None::<String>)];
        let seen = HashSet::<(String, String)>::new();
        let state = (this, start, seen);
        futures::stream::try_unfold(state, |(this, mut stack, mut seen)| async move {
            let Some((prefix, token)) = stack.pop() else {
                return Ok::<_, object_store::Error>(None);
            };
            let page = this
                .page(&prefix, token.as_deref())
                .await
                .map_err(|e| this.err(e))?;
            // A sub-folder is strictly below the folder listed: anything else (the folder
            // itself, a parent, a sibling) would make the walk go round for ever.
            if let Some(outside) = page
                .folders
                .iter()
                .find(|f| f.prefix.len() <= prefix.len() || !f.prefix.starts_with(&prefix))
            {
                return Err(folder_outside(&prefix, &outside.prefix));
            }
            if let Some(next) = page.next_page_token.filter(|t| !t.is_empty()) {
                if !seen.insert((prefix.clone(), next.clone())) {
                    return Err(repeated_token(&prefix));
                }
                stack.push((prefix, Some(next)));
            }
            for folder in page.folders {
                stack.push((folder.prefix, None));
            }
            let files: Vec<object_store::Result<ObjectMeta>> = page
                .files
                .into_iter()
                .filter_map(file_meta)
                .map(Ok)
                .collect();
            Ok(Some((futures::stream::iter(files), (this, stack, seen))))
        })
        .try_flatten()
        .boxed()
    }

    /// The files and sub-folders directly under `prefix`, every page read.
    pub(super) async fn list_one_level(
        &self,
        prefix: Option<&Path>,
    ) -> object_store::Result<ListResult> {
        let folder = folder_prefix(prefix);
        let mut result = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
            extensions: Default::default(),
        };
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let page = self
                .page(&folder, token.as_deref())
                .await
                .map_err(|e| self.err(e))?;
            result.common_prefixes.extend(
                page.folders
                    .into_iter()
                    .filter_map(|f| Path::parse(f.prefix.trim_end_matches('/')).ok()),
            );
            result
                .objects
                .extend(page.files.into_iter().filter_map(file_meta));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if !seen.insert(next.clone()) => return Err(repeated_token(&folder)),
                Some(next) => token = Some(next),
                None => break,
            }
        }
        Ok(result)
    }
}
