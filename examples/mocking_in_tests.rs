//! Unit-testing code that uses Windmill: write it against a trait (`&dyn VariableStore`), then
//! test it with a mockall mock (to check the calls) and with `InMemory` (to check behaviour).
//!
//! `cargo run` shows the checks; `cargo test -p wmill-examples --example mocking_in_tests` runs
//! them as tests.
//!
//! ```sh
//! cargo run -p wmill-examples --example mocking_in_tests
//! ```

use wmill::{Error, InMemory, ItemPath, MockVariableStore, SetVariableOptions, VariableStore};

/// The code under test: builds an API URL from a variable, with a default when it is missing.
async fn api_url(vars: &dyn VariableStore, endpoint: &str) -> wmill::Result<String> {
    let base = match vars.get_variable(&ItemPath::parse("f/api/base_url")?).await {
        Ok(url) => url,
        Err(Error::NotFound { .. }) => "https://api.example.com".to_owned(),
        Err(other) => return Err(other),
    };
    Ok(format!(
        "{}/{}",
        base.trim_end_matches('/'),
        endpoint.trim_start_matches('/')
    ))
}

async fn with_a_mock() -> wmill::Result<()> {
    let mut vars = MockVariableStore::new();
    vars.expect_get_variable()
        .withf(|path| path.as_str() == "f/api/base_url")
        .times(1)
        .returning(|_| Ok("https://staging.example.com/".to_owned()));
    let url = api_url(&vars, "/users").await?;
    assert_eq!(url, "https://staging.example.com/users");
    println!("with a mock:      {url}");
    Ok(())
}

async fn with_in_memory() -> wmill::Result<()> {
    let vars = InMemory::new();
    assert_eq!(
        api_url(&vars, "users").await?,
        "https://api.example.com/users"
    );
    vars.set_variable(
        &ItemPath::parse("f/api/base_url")?,
        "http://localhost:8080",
        &SetVariableOptions::new(),
    )
    .await?;
    let url = api_url(&vars, "users").await?;
    assert_eq!(url, "http://localhost:8080/users");
    println!("with InMemory:    {url}");
    Ok(())
}

async fn errors_are_passed_on() -> wmill::Result<()> {
    let mut vars = MockVariableStore::new();
    vars.expect_get_variable().returning(|_| {
        Err(Error::Api {
            status: 503,
            request: "GET /api/w/demo/variables/get_value/f/api/base_url".into(),
            body: "unavailable".into(),
        })
    });
    let err = api_url(&vars, "users")
        .await
        .expect_err("a 503 must not become the default URL");
    assert!(err.is_retryable());
    println!("a failing server: {err}");
    Ok(())
}

#[tokio::main]
async fn main() -> wmill::Result<()> {
    with_a_mock().await?;
    with_in_memory().await?;
    errors_are_passed_on().await?;
    println!("all checks passed");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn with_a_mock() {
        super::with_a_mock().await.unwrap();
    }

    #[tokio::test]
    async fn with_in_memory() {
        super::with_in_memory().await.unwrap();
    }

    #[tokio::test]
    async fn errors_are_passed_on() {
        super::errors_are_passed_on().await.unwrap();
    }
}
