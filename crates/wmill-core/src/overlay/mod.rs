//! [`MockOverlay`]: the mock-API file (`WM_MOCKED_API_FILE`) laid over any backend, as the
//! Python and TypeScript clients use it.

mod mock_overlay;
mod runner;
mod settings;
mod stores;

pub use mock_overlay::{MOCKED_API_FILE_VAR, MOCKED_API_PERSIST_VAR, MockOverlay};
pub use settings::MockApiSettings;

#[cfg(test)]
mod tests;
