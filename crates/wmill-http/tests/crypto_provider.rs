//! The TLS crypto provider: the SDK installs rustls' `ring` provider when none is installed,
//! and keeps one that is. (A test binary of its own: the provider is process-wide.)

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

#[test]
fn installs_ring_once_and_keeps_the_installed_provider() {
    assert!(
        CryptoProvider::get_default().is_none(),
        "nothing installs a provider before the SDK does"
    );

    // A client of the SDK's own installs ring.
    let wm = wmill_http::Windmill::builder()
        .with_base_url("https://windmill.example")
        .with_workspace("ws")
        .with_token("tok")
        .build();
    assert!(wm.is_ok(), "{:?}", wm.err());
    let installed = CryptoProvider::get_default().cloned();
    let installed = installed.expect("a provider once a client is built");
    let ring = rustls::crypto::ring::default_provider();
    let suites =
        |p: &CryptoProvider| -> Vec<_> { p.cipher_suites.iter().map(|s| s.suite()).collect() };
    assert_eq!(suites(&installed), suites(&ring));

    // Calling it again keeps the provider installed.
    wmill_http::install_crypto_provider();
    let again = CryptoProvider::get_default()
        .cloned()
        .expect("still installed");
    assert!(Arc::ptr_eq(&installed, &again));

    // A reqwest client of the caller's own builds with it.
    assert!(wmill_http::reqwest::Client::builder().build().is_ok());
}
