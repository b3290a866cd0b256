//! The TLS crypto provider: rustls with `ring`.

/// Makes `ring` the process-wide rustls crypto provider, unless one is installed already.
///
/// The SDK's HTTP clients use rustls with the `ring` crypto provider rather than reqwest's
/// default, aws-lc-rs, whose C library takes about a third of a cold build's CPU time. reqwest
/// built this way takes the provider from rustls' process-wide default, which this function
/// installs. [`WindmillBuilder::build`](crate::WindmillBuilder::build) (and so
/// [`Windmill::from_env`](crate::Windmill::from_env)) and the SDK's S3 stores call it before
/// they build a client; call it yourself before you build a `reqwest::Client` or an
/// `object_store` store of your own ahead of the SDK's first client, unless your own
/// dependencies give reqwest a provider (its `rustls` feature). A provider you installed first
/// is kept: this function never replaces one.
///
/// ```
/// wmill_http::install_crypto_provider();
/// let client = wmill_http::reqwest::Client::builder().build()?;
/// # let _ = client;
/// # Ok::<(), wmill_http::reqwest::Error>(())
/// ```
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may install one between the check and this call: its provider stays,
        // and the error saying so is not one.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
