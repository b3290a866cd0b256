//! What variables and resources share: the request about one item
//! (`{ws}/{area}/{op}/{path}`), reading and deleting one, `exists`, setting one, and the
//! listing request.

use futures::FutureExt;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use wmill_core::{ItemKind, ItemPath, Result};

use crate::client::Windmill;
use crate::transport::Request;
use crate::urls::Seg;

impl Windmill {
    /// `{ws}/{area}/{op}/{path}` (`variables/get_value/u/a/b`), idempotent, a 404 naming the
    /// item as a `kind`.
    fn item_call<'a>(
        &'a self,
        method: Method,
        kind: ItemKind,
        [area, op]: [&'static str; 2],
        path: &'a ItemPath,
    ) -> Request<'a> {
        self.route_call(method, &[area, op], Seg::Item(path))
            .idempotent()
            .not_found(kind, path.as_str())
    }

    /// The value of the item (`GET {ws}/{area}/{op}/{path}`), decoded.
    ///
    /// A plain function mapping the send's future: no `async fn` layer on this hot path.
    pub(crate) fn get_item<'a, T: DeserializeOwned>(
        &'a self,
        kind: ItemKind,
        route: [&'static str; 2],
        path: &'a ItemPath,
    ) -> impl Future<Output = Result<T>> + 'a {
        self.item_call(Method::GET, kind, route, path)
            .send()
            .map(|resp| resp?.json())
    }

    /// Deletes the item (`DELETE {ws}/{area}/delete/{path}`).
    pub(crate) async fn delete_item(
        &self,
        kind: ItemKind,
        area: &'static str,
        path: &ItemPath,
    ) -> Result<()> {
        self.item_call(Method::DELETE, kind, [area, "delete"], path)
            .send()
            .await
            .map(drop)
    }

    /// Whether the item exists (`GET {ws}/{area}/exists/{path}`).
    pub(crate) async fn item_exists(&self, area: &'static str, path: &ItemPath) -> Result<bool> {
        self.route_call(Method::GET, &[area, "exists"], Seg::Item(path))
            .idempotent()
            .send()
            .await?
            .json()
    }

    /// Sets an item to `value`: when it `exists`, `POST {ws}/{area}/{op}/{path}`
    /// `{"value": value}` (route `[area, op]`); else `POST {ws}/{area}/create`
    /// `{path, value, ...fields}` (the kind's own fields of a new item). The create is
    /// idempotent: a create that races with another writer, or a repeated one, answers "already
    /// exists" and falls back to the update.
    pub(crate) async fn set_item<V: Serialize + Sync + ?Sized>(
        &self,
        exists: bool,
        kind: ItemKind,
        route @ [area, _]: [&'static str; 2],
        path: &ItemPath,
        value: &V,
        fields: impl IntoIterator<Item = (&'static str, Value)>,
    ) -> Result<()> {
        let update = || async {
            self.item_call(Method::POST, kind, route, path)
                .json(&json!({ "value": value }))?
                .send()
                .await
                .map(drop)
        };
        if exists {
            return update().await;
        }
        let item = [("path", json!(path.as_str())), ("value", json!(value))];
        let create: Map<String, Value> = item
            .into_iter()
            .chain(fields)
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let created = self
            .call(Method::POST, &[Seg::Ws, Seg::Lit(area), Seg::Lit("create")])
            .json(&create)?
            .idempotent()
            .send()
            .await;
        match created {
            Err(e) if e.is_already_exists() => update().await,
            other => other.map(drop),
        }
    }

    /// `GET {ws}/{area}/list` with the `filters` that are set, then `page` and `per_page`
    /// (checked before any request), idempotent.
    pub(crate) fn list_call(
        &self,
        area: &'static str,
        filters: &[(&str, Option<&str>)],
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Request<'_>> {
        wmill_core::validate_paging(page, per_page)?;
        let mut call = self.call(Method::GET, &[Seg::Ws, Seg::Lit(area), Seg::Lit("list")]);
        for (key, value) in filters {
            call = call.query_opt(key, *value);
        }
        Ok(call
            .query_opt("page", page.map(|p| p.to_string()))
            .query_opt("per_page", per_page.map(|p| p.to_string()))
            .idempotent())
    }
}
