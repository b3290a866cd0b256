//! Who the token is and what the server is: `whoami`, version, OIDC id tokens, API tokens,
//! user emails.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::{Error, ItemKind, Result};

use crate::client::Windmill;
use crate::urls::Seg;

impl Windmill {
    /// The global identity of the token (`GET users/whoami`): email, username, login type, ...
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn whoami(&self) -> Result<Value> {
        self.call(Method::GET, &[Seg::Lit("users"), Seg::Lit("whoami")])
            .idempotent()
            .send()
            .await?
            .json()
    }

    /// The identity of the token in the workspace (`GET w/{ws}/users/whoami`): username,
    /// is_admin, groups, folders, ...
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn workspace_whoami(&self) -> Result<Value> {
        self.call(
            Method::GET,
            &[Seg::Ws, Seg::Lit("users"), Seg::Lit("whoami")],
        )
        .idempotent()
        .send()
        .await?
        .json()
    }

    /// The server version (`GET version`, text).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn version(&self) -> Result<String> {
        self.call(Method::GET, &[Seg::Lit("version")])
            .idempotent()
            .send()
            .await?
            .text_value()
    }

    /// An OIDC id token for `audience` (Enterprise Edition), for federation with AWS, GCP,
    /// Vault... (`POST w/{ws}/oidc/token/{audience}?expires_in=<secs>`, text JWT).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), audience = audience))]
    pub async fn get_id_token(
        &self,
        audience: &str,
        expires_in: Option<Duration>,
    ) -> Result<String> {
        self.route_call(Method::POST, &["oidc", "token"], Seg::One(audience))
            .query_opt("expires_in", expires_in.map(|d| d.as_secs().to_string()))
            .idempotent()
            .send()
            .await?
            .text_value()
    }

    /// Creates an API token valid for `duration` (`POST users/tokens/create`
    /// `{label: "refresh <epoch>", expiration: <UTC RFC 3339>}`, 201 with the token as text).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn create_token(&self, duration: Duration) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let expiration = now
            .checked_add(duration)
            .ok_or_else(|| Error::invalid("token duration", format!("{duration:?} is too long")))?;
        let expiration = rfc3339_utc(expiration.as_secs());
        self.call(
            Method::POST,
            &[Seg::Lit("users"), Seg::Lit("tokens"), Seg::Lit("create")],
        )
        .json(&json!({
            "label": format!("refresh {}", now.as_secs()),
            "expiration": expiration,
        }))?
        .send()
        .await?
        .text_value()
    }

    /// The email of a user (`GET w/{ws}/users/username_to_email/{username}`). Deprecated by
    /// Windmill in favour of the `WM_END_USER_EMAIL` / `WM_EMAIL` variables of the job.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn username_to_email(&self, username: &str) -> Result<String> {
        self.route_call(
            Method::GET,
            &["users", "username_to_email"],
            Seg::One(username),
        )
        .idempotent()
        .not_found(ItemKind::Other, username)
        .send()
        .await?
        .text_value()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (UTC).
pub(crate) fn rfc3339_utc(secs: u64) -> String {
    wmill_core::timestamp_to_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests;
