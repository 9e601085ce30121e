//! The host-free core of the filter. Nothing in here talks to the proxy:
//! the wasm glue drives it through the [`host::Host`] trait.

// Wired into the stream by the API Gateway and Gravitee-parity changes that follow.
#[allow(dead_code, unused_imports)]
pub mod apigw;
pub mod aws;
pub(crate) mod callout;
#[allow(dead_code, unused_imports)]
pub mod condition;
pub mod config;
pub mod credentials;
#[allow(dead_code, unused_imports)]
pub mod errors;
pub mod host;
#[allow(dead_code, unused_imports)]
pub mod reply;
pub(crate) mod secret;
pub mod stream;
pub mod template;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub(crate) mod time;
pub mod views;
