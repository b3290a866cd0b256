//! Shared by the examples: use the Windmill server the environment describes, or an embedded,
//! seeded in-memory backend when there is none.
//!
//! Against a server (a laptop, outside a job), an example runs to completion: it creates the
//! variables and resources it reads when they are missing (and their `f/` folder), says in one
//! line which scripts and flows to create (the SDK cannot create them), and keeps its state at
//! `u/<you>/<example>_state` when no state path is configured.

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
        prepare_server(&seed(InMemory::new())?)?;
    } else {
        println!("No Windmill server configured: using the embedded in-memory backend.");
        wmill::set_client(Client::new(seed(InMemory::new())?));
    }
    Ok(())
}

/// Gets the configured server ready for an example whose embedded backend is `local`: a state
/// path, the scripts and flows `local` runs (checked; missing ones are named in one line), the
/// variables and resources `local` holds (created when missing).
#[allow(dead_code)]
pub fn prepare_server(local: &InMemory) -> wmill::Result<()> {
    use wmill::{Error, Runnable};

    let ws = wmill::client()?.http()?.workspace().as_str().to_owned();
    if wmill::get_state_path().is_err() {
        let me = wmill::blocking::whoami()?;
        let user = me["username"].as_str().unwrap_or("me").to_owned();
        let path = format!("u/{user}/{}_state", example_name());
        let windmill = wmill::http::WindmillBuilder::from_env()
            .with_state_path(&path)
            .build()?;
        wmill::set_client(Client::windmill(windmill));
        println!("No state path configured (WM_STATE_PATH): the state is kept at {path}.");
    }

    let mut missing = Vec::new();
    for runnable in local.registered() {
        let (what, endpoint) = match &runnable {
            Runnable::ScriptPath(p) => (format!("script {p}"), format!("scripts/exists/p/{p}")),
            Runnable::Flow(p) => (format!("flow {p}"), format!("flows/exists/{p}")),
            _ => continue,
        };
        if wmill::blocking::get(&format!("w/{ws}/{endpoint}"))? != serde_json::Value::Bool(true) {
            missing.push(what);
        }
    }
    if !missing.is_empty() {
        let list = missing.join(", ");
        println!(
            "Create in workspace {ws} first (this example's seed says what each does): {list}"
        );
        return Err(Error::NotConfigured {
            what: "the example's scripts",
            hint: format!("create {list} in workspace {ws}"),
        });
    }

    let wanted = local.to_mock_json();
    let secrets: Vec<&str> = wanted["secret_variables"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    let empty = serde_json::Map::new();
    for (path, value) in wanted["variables"].as_object().unwrap_or(&empty) {
        match wmill::blocking::get_variable(path) {
            Err(Error::NotFound { .. }) => {
                ensure_folder(&ws, path)?;
                let value = value.as_str().unwrap_or_default();
                wmill::blocking::set_variable(path, value, secrets.contains(&path.as_str()))
                    .map_err(|e| could_not_create("variable", path, e))?;
                println!("created variable {path}");
            }
            other => {
                other?;
            }
        }
    }
    for (path, value) in wanted["resources"].as_object().unwrap_or(&empty) {
        if wmill::blocking::get_resource_opt(path)?.is_none() {
            ensure_folder(&ws, path)?;
            let resource_type = wanted["resource_types"][path].as_str().unwrap_or("any");
            wmill::blocking::set_resource(path, value, resource_type)
                .map_err(|e| could_not_create("resource", path, e))?;
            println!("created resource {path} ({resource_type})");
        }
    }
    Ok(())
}

/// Creates the folder of an `f/<folder>/...` path when the workspace lacks it.
#[allow(dead_code)]
fn ensure_folder(ws: &str, path: &str) -> wmill::Result<()> {
    let Some(folder) = path.strip_prefix("f/").and_then(|p| p.split('/').next()) else {
        return Ok(());
    };
    if wmill::blocking::get(&format!("w/{ws}/folders/exists/{folder}"))?
        != serde_json::Value::Bool(true)
    {
        wmill::blocking::post(
            &format!("w/{ws}/folders/create"),
            &serde_json::json!({ "name": folder }),
        )
        .map_err(|e| could_not_create("folder", &format!("f/{folder}"), e))?;
        println!("created folder f/{folder}");
    }
    Ok(())
}

/// Says in one line what to create by hand, and passes the error on.
#[allow(dead_code)]
fn could_not_create(what: &str, path: &str, e: wmill::Error) -> wmill::Error {
    println!(
        "Could not create the {what} {path} ({e}): create it in the workspace, then run again."
    );
    e
}

/// The example's name (its binary's), for the state path.
#[allow(dead_code)]
fn example_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| s.split('-').next().unwrap_or("example").to_owned())
        .unwrap_or_else(|| "example".to_owned())
}

/// [`install_client`] with workspace files too: the embedded backend gets an in-memory object
/// store, and each `(key, content)` of `files` is written where it is missing (on a server too).
#[allow(dead_code)]
pub fn install_client_with_files(
    seed: impl FnOnce(InMemory) -> wmill::Result<InMemory>,
    files: &[(&str, &[u8])],
) -> wmill::Result<()> {
    let server = server_configured();
    if server {
        install_client(seed)?;
    } else {
        println!(
            "No Windmill server configured: using the embedded in-memory backend and object store."
        );
        let store = std::sync::Arc::new(wmill::s3::object_store::memory::InMemory::new());
        wmill::set_client(
            Client::new(seed(InMemory::new())?).with_s3(wmill::S3Client::from_store(store)),
        );
    }
    for (key, content) in files {
        let obj = wmill::S3Object::new(*key)?;
        match wmill::blocking::load_s3_file(&obj) {
            Err(wmill::Error::NotFound { .. }) => {
                wmill::blocking::write_s3_file(
                    Some(&obj),
                    content.to_vec(),
                    &wmill::WriteOptions::new(),
                )
                .map_err(|e| could_not_create("file", &obj.to_string(), e))?;
                if server {
                    println!("created file {obj}");
                }
            }
            other => {
                other?;
            }
        }
    }
    Ok(())
}
