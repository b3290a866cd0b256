//! The Python client's documented example (Windmill docs, "Python client": "Usage" and "S3
//! integration"), translated line by line; each Python line is the comment above its Rust line.
//!
//! ```python
//! import wmill
//! from wmill import S3Object
//!
//! def main():
//!     # Get a resource
//!     db_config = wmill.get_resource('u/user/db_config')
//!     # Get a variable
//!     api_key = wmill.get_variable('u/user/api_key')
//!     # Run a script asynchronously
//!     job_id = wmill.run_script_by_path_async('f/scripts/process_data', args={'input': 'value'})
//!     # Run a script synchronously and get result
//!     result = wmill.run_script_by_path('f/scripts/calculate', args={'x': 10, 'y': 20})
//!
//! # Load a file from S3
//! s3_obj = S3Object(s3='/path/to/file.txt')
//! content = wmill.load_s3_file(s3_obj)
//! # Write a file to S3
//! file_content = b'Hello Windmill!'
//! wmill.write_s3_file(s3_obj, file_content)
//! ```
//!
//! Python's `main` is synchronous: so is this one (`wmill::blocking`, what a Windmill Rust
//! script uses). Without a server configured it runs on the embedded backend and an in-memory
//! object store, seeded below. Against a server (`BASE_INTERNAL_URL` or `WM_BASE_URL`,
//! `WM_TOKEN`, `WM_WORKSPACE`) it creates the variable, resource and file it reads when they
//! are missing; the scripts `f/scripts/process_data` and `f/scripts/calculate` must exist (it
//! says so in one line when they do not).
//!
//! ```sh
//! cargo run -p wmill-examples --example python_seed
//! ```

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use wmill::{S3Object, WriteOptions};

fn main() -> wmill::Result<()> {
    support::install_client_with_files(seed, &[("/path/to/file.txt", b"a file to load")])?;

    // import wmill
    // def main():
    //     # Get a resource
    //     db_config = wmill.get_resource('u/user/db_config')
    let db_config = wmill::blocking::get_resource("u/user/db_config")?;
    //     # Get a variable
    //     api_key = wmill.get_variable('u/user/api_key')
    let api_key = wmill::blocking::get_variable("u/user/api_key")?;
    //     # Run a script asynchronously
    //     job_id = wmill.run_script_by_path_async('f/scripts/process_data', args={'input': 'value'})
    let job_id = wmill::blocking::run_script_by_path_async(
        "f/scripts/process_data",
        &json!({"input": "value"}),
    )?;
    //     # Run a script synchronously and get result
    //     result = wmill.run_script_by_path('f/scripts/calculate', args={'x': 10, 'y': 20})
    let result =
        wmill::blocking::run_script_by_path("f/scripts/calculate", &json!({"x": 10, "y": 20}))?;

    println!("db_config: {db_config}");
    println!("api_key: {} characters", api_key.len());
    println!("started job {job_id}");
    println!("f/scripts/calculate returned {result}");

    // from wmill import S3Object
    // # Load a file from S3
    // s3_obj = S3Object(s3='/path/to/file.txt')
    let s3_obj = S3Object::new("/path/to/file.txt")?;
    // content = wmill.load_s3_file(s3_obj)
    let content = wmill::blocking::load_s3_file(&s3_obj)?;
    // # Write a file to S3
    // file_content = b'Hello Windmill!'
    let file_content = b"Hello Windmill!".to_vec();
    // wmill.write_s3_file(s3_obj, file_content)
    wmill::blocking::write_s3_file(Some(&s3_obj), file_content, &WriteOptions::new())?;

    println!(
        "loaded {s3_obj} (stored at key {}): {:?}",
        s3_obj.key(),
        String::from_utf8_lossy(&content)
    );
    let written = wmill::blocking::load_s3_file(&s3_obj)?;
    println!("wrote {s3_obj}: {:?}", String::from_utf8_lossy(&written));
    // The job started asynchronously above, waited for now (Python's example leaves it).
    println!(
        "job {job_id} returned {}",
        wmill::blocking::wait_job(job_id, None)?
    );
    Ok(())
}

/// What the example reads, for the embedded backend; on a server, what it creates when missing.
fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    let wm = wm
        .with_resource(
            "u/user/db_config",
            json!({"host": "localhost", "port": 5432, "dbname": "app"}),
            "postgresql",
        )?
        .with_variable("u/user/api_key", "example-api-key")?;
    // process_data: returns what it was given; calculate: returns x + y.
    wm.register_script("f/scripts/process_data", |args| async move {
        Ok(json!({"processed": args.get("input").cloned().unwrap_or_default()}))
    })?;
    wm.register_script("f/scripts/calculate", |args| async move {
        let n = |k: &str| args.get(k).and_then(|v| v.as_i64()).unwrap_or(0);
        Ok(json!(n("x") + n("y")))
    })?;
    Ok(wm)
}
