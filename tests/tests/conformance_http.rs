//! The wmill-core conformance suite against `Windmill` over the stateful fake Windmill server.

use std::sync::Arc;

use wmill_core::{Backend, conformance};
use wmill_http::Windmill;
use wmill_tests::fake_windmill::FakeWindmill;

fn client(server: &FakeWindmill) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap_or("none"))
        .with_workspace(server.workspace())
        .with_state_path("u/conformance/default_state")
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_over_fake_windmill() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    conformance::run_all(&wm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_through_arc_dyn_backend() {
    let server = FakeWindmill::start().await;
    let backend: Arc<dyn Backend> = Arc::new(client(&server));
    conformance::variables(backend.as_ref()).await;
    conformance::state(backend.as_ref()).await;
    conformance::jobs(backend.as_ref()).await;
    conformance::typed_jobs(backend.as_ref()).await;
}

/// The mock-API file over the fake server (`MockOverlay`): an empty mock takes every write, the
/// server every miss and every job; the suite holds as for any backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_of_the_mock_overlay_over_fake_windmill() {
    let server = FakeWindmill::start().await;
    let overlay =
        wmill_core::MockOverlay::new(wmill_core::InMemory::new(), Arc::new(client(&server)));
    conformance::run_all(&overlay).await;
    let writes: u64 = [
        "variables/create",
        "variables/update",
        "variables/delete",
        "resources/create",
        "resources/update_value",
        "resources/delete",
    ]
    .iter()
    .map(|r| server.count(r))
    .sum();
    assert_eq!(writes, 0, "writes stay in the mock: {:?}", server.counts());
    assert!(
        server.count("variables/get_value") > 0,
        "misses reach the server"
    );
}
