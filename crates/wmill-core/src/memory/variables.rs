//! [`VariableStore`] for [`InMemory`].

use async_trait::async_trait;

use crate::{
    Error, ItemKind, ItemPath, ListVariables, Result, SetVariableOptions, VariableInfo,
    VariableStore,
};

use super::in_memory::{InMemory, Variable};
use super::items;

impl InMemory {
    /// The value of the variable at `path`, if this backend holds it.
    pub(crate) fn variable_value(&self, path: &ItemPath) -> Option<String> {
        self.inner
            .data
            .lock()
            .variables
            .get(path)
            .map(|v| v.value.clone())
    }

    pub(super) fn put_variable(
        &self,
        path: &ItemPath,
        value: String,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.mutate(|data| {
            match data.variables.get_mut(path) {
                Some(v) => v.value = value,
                None => {
                    data.variables.insert(
                        path.clone(),
                        Variable {
                            value,
                            is_secret: options.is_secret,
                            description: options.description.clone(),
                        },
                    );
                }
            }
            Ok(())
        })
    }
}

#[async_trait]
impl VariableStore for InMemory {
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        self.variable_value(path)
            .ok_or_else(|| Error::not_found(ItemKind::Variable, path.as_str()))
    }

    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.put_variable(path, value.to_owned(), options)
    }

    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        self.mutate(|data| items::remove(&mut data.variables, ItemKind::Variable, path))
    }

    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        let data = self.inner.data.lock();
        let start = options.path_start.as_deref();
        let pages = (options.page, options.per_page);
        items::list(&data.variables, start, pages, |p, v| {
            Some(VariableInfo {
                path: p.clone(),
                is_secret: v.is_secret,
                description: v.description.clone(),
                value: (!v.is_secret).then(|| v.value.clone()),
            })
        })
    }
}
