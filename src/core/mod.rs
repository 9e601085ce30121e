//! The host-free core of the filter. Nothing in here talks to the proxy:
//! the wasm glue drives it through the [`host::Host`] trait.

pub mod apigw;
pub mod aws;
pub(crate) mod callout;
pub mod condition;
pub mod config;
pub mod credentials;
pub mod errors;
pub mod field_error;
pub mod host;
pub mod reply;
pub(crate) mod secret;
pub mod stream;
pub mod template;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub(crate) mod time;
pub mod views;
