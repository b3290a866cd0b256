//! Tests that run in parallel, each with its own client.
//!
//! Code written with the module-level functions (`wmill::get_variable`, ...) uses the global
//! client. `cargo test` runs tests in parallel threads, so tests that each installed a client
//! with `wmill::set_client` would see one another's. `wmill::with_client(client, future)`
//! (async) and `wmill::blocking::with_client(client, || ...)` (sync) give a test its own
//! client for its scope only.
//!
//! ```sh
//! cargo test -p wmill-examples --example testing_in_parallel   # the tests, in parallel
//! cargo run -p wmill-examples --example testing_in_parallel    # the same checks, one by one
//! ```

use std::time::Duration;

use serde_json::{Value, json};
use wmill::{Client, InMemory};

/// The code under test (async): greets a user in the workspace's language and counts the
/// greetings in the script's state.
async fn greet(user: &str) -> wmill::Result<String> {
    let template = wmill::get_variable("f/app/greeting").await?;
    let count: u64 = wmill::get_state_as().await?.unwrap_or(0);
    // Some other work: long enough for parallel tests to overlap here.
    tokio::time::sleep(Duration::from_millis(5)).await;
    wmill::set_state(&(count + 1)).await?;
    Ok(template.replace("{user}", user))
}

/// The code under test (blocking): asks a script for a price and adds the tax variable.
fn price_with_tax(item: &str) -> wmill::Result<f64> {
    let price = wmill::blocking::run_script_by_path("f/app/price", &json!({ "item": item }))?;
    let rate: f64 = wmill::blocking::get_variable("f/app/tax_rate")?
        .parse()
        .map_err(|_| wmill::Error::invalid("tax rate", "not a number"))?;
    Ok(price.as_f64().unwrap_or(0.0) * (1.0 + rate))
}

/// A client holding a greeting template.
fn greeting_client(template: &str) -> wmill::Result<Client> {
    Ok(Client::new(
        InMemory::new().with_variable("f/app/greeting", template)?,
    ))
}

/// A client with a tax rate and a price script.
fn shop_client(rate: &str, price: f64) -> wmill::Result<Client> {
    let memory = InMemory::new().with_variable("f/app/tax_rate", rate)?;
    memory.register_script("f/app/price", move |_| async move { Ok(json!(price)) })?;
    Ok(Client::new(memory))
}

/// Greets twice with its own client: the template and the count are the client's.
async fn greets_with(template: &str, user: &str, expected: &str) -> wmill::Result<()> {
    wmill::with_client(greeting_client(template)?, async {
        assert_eq!(greet(user).await?, expected);
        assert_eq!(greet(user).await?, expected);
        // Two greetings in this client's state, whatever the other tests did meanwhile.
        assert_eq!(wmill::get_state().await?, Some(Value::from(2)));
        Ok(())
    })
    .await
}

/// Prices an item with its own client.
fn prices_with(rate: &str, price: f64, expected: f64) -> wmill::Result<()> {
    wmill::blocking::with_client(shop_client(rate, price)?, || {
        for _ in 0..3 {
            let total = price_with_tax("book")?;
            assert!((total - expected).abs() < 1e-9, "{total} != {expected}");
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    })
}

fn main() -> wmill::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(greets_with("Hello, {user}!", "ada", "Hello, ada!"))?;
    rt.block_on(greets_with("Bonjour, {user} !", "ada", "Bonjour, ada !"))?;
    prices_with("0.2", 10.0, 12.0)?;
    prices_with("0.055", 100.0, 105.5)?;
    println!("every check passed, each with its own client");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Eight async tests and eight blocking ones, each with a client of its own: run in
    // parallel, any test seeing another's client fails (a wrong template, price or count).
    macro_rules! async_tests {
        ($($name:ident: $template:literal => $expected:literal,)*) => {$(
            #[tokio::test]
            async fn $name() {
                greets_with($template, "ada", $expected).await.unwrap();
            }
        )*};
    }

    async_tests! {
        greets_in_english: "Hello, {user}!" => "Hello, ada!",
        greets_in_french: "Bonjour, {user} !" => "Bonjour, ada !",
        greets_in_german: "Hallo, {user}!" => "Hallo, ada!",
        greets_in_spanish: "¡Hola, {user}!" => "¡Hola, ada!",
        greets_in_italian: "Ciao, {user}!" => "Ciao, ada!",
        greets_in_dutch: "Hoi, {user}!" => "Hoi, ada!",
        greets_in_portuguese: "Olá, {user}!" => "Olá, ada!",
        greets_in_swedish: "Hej, {user}!" => "Hej, ada!",
    }

    macro_rules! blocking_tests {
        ($($name:ident: $rate:literal, $price:literal => $expected:literal,)*) => {$(
            #[test]
            fn $name() {
                prices_with($rate, $price, $expected).unwrap();
            }
        )*};
    }

    blocking_tests! {
        prices_in_france: "0.2", 10.0 => 12.0,
        prices_in_germany: "0.19", 100.0 => 119.0,
        prices_in_japan: "0.1", 50.0 => 55.0,
        prices_in_canada: "0.05", 20.0 => 21.0,
        prices_in_hungary: "0.27", 100.0 => 127.0,
        prices_in_a_tax_haven: "0", 10.0 => 10.0,
        prices_in_switzerland: "0.081", 1000.0 => 1081.0,
        prices_in_norway: "0.25", 8.0 => 10.0,
    }

    /// A mock in a scope: checks the calls made by the code under test, in parallel with the
    /// other tests.
    #[tokio::test]
    async fn a_mock_in_its_own_scope() {
        use std::sync::Arc;
        use wmill::MockVariableStore;

        let mut vars = MockVariableStore::new();
        vars.expect_get_variable()
            .withf(|p| p.as_str() == "f/app/greeting")
            .times(1)
            .returning(|_| Ok("Hi {user}".to_owned()));
        let memory = Arc::new(InMemory::new());
        let client = Client::builder()
            .variables(Arc::new(vars))
            .state(memory)
            .build();
        let out = wmill::with_client(client, greet("bob")).await.unwrap();
        assert_eq!(out, "Hi bob");
    }
}
