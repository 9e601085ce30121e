//! The host-free core of the filter. Nothing in here talks to the proxy:
//! the wasm glue drives it through the [`host::Host`] trait.

pub mod aws;
pub(crate) mod callout;
pub mod config;
pub mod credentials;
pub mod errors;
pub mod host;
pub(crate) mod secret;
// `Stream::id` is dead (rustc says so now that the core is private in the
// module); stream/ is reworked apart: drop it there, then this allow.
#[allow(dead_code)]
pub mod stream;
pub mod template;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub(crate) mod time;
pub mod views;
