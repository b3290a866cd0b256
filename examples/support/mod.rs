//! Shared by the examples: use the Windmill server the environment describes, or an embedded,
//! seeded in-memory backend when there is none.

use wmill::{Client, InMemory};

/// Whether the environment points at a Windmill server (`BASE_INTERNAL_URL` or `WM_BASE_URL`,
/// and `WM_TOKEN`).
#[allow(dead_code)]
pub fn server_configured() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    (set("BASE_INTERNAL_URL") || set("WM_BASE_URL")) && set("WM_TOKEN")
}

/// Installs the global client: the configured server, else `seed(InMemory::new())`.
#[allow(dead_code)]
pub fn install_client(seed: impl FnOnce(InMemory) -> wmill::Result<InMemory>) -> wmill::Result<()> {
    if server_configured() {
        let client = Client::from_env()?;
        println!("Using the Windmill server configured in the environment.");
        wmill::set_client(client);
    } else {
        println!("No Windmill server configured: using the embedded in-memory backend.");
        wmill::set_client(Client::new(seed(InMemory::new())?));
    }
    Ok(())
}
