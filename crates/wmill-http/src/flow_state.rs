//! The user state of the current flow: [`Windmill::set_flow_user_state`] and
//! [`Windmill::get_flow_user_state`].

use reqwest::Method;
use serde_json::Value;
use wmill_core::{Error, ItemKind, Result};

use crate::client::Windmill;
use crate::transport::Request;
use crate::urls::Seg;

impl Windmill {
    /// Sets a user state value of the current flow (the root job of `WM_JOB_ID`):
    /// `GET jobs_u/get_root_job_id/{WM_JOB_ID}`, then `POST jobs/flow/user_states/{root}/{key}`
    /// with the value as the body. Outside a flow this is [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), key = key))]
    pub async fn set_flow_user_state(&self, key: &str, value: &Value) -> Result<()> {
        let root = self.get_root_job_id(None).await?.to_string();
        self.user_state_call(Method::POST, &root, key)
            .json(value)?
            .send()
            .await
            .map(drop)
    }

    /// A user state value of the current flow, `None` when it is not set
    /// (`GET jobs/flow/user_states/{root}/{key}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), key = key))]
    pub async fn get_flow_user_state(&self, key: &str) -> Result<Option<Value>> {
        let root = self.get_root_job_id(None).await?.to_string();
        let resp = self.user_state_call(Method::GET, &root, key).send().await;
        match resp {
            Ok(r) => match r.json()? {
                Value::Null => Ok(None),
                v => Ok(Some(v)),
            },
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `{ws}/jobs/flow/user_states/{root}/{key}`, idempotent, a 404 naming the root job.
    fn user_state_call<'a>(&'a self, method: Method, root: &'a str, key: &str) -> Request<'a> {
        let segs = [
            Seg::Ws,
            Seg::Lit("jobs"),
            Seg::Lit("flow"),
            Seg::Lit("user_states"),
            Seg::One(root),
            Seg::One(key),
        ];
        self.call(method, &segs)
            .idempotent()
            .not_found(ItemKind::Job, root)
    }
}
