//! envoy-lambda-policy: Gravitee's `aws-lambda` policy as a proxy-wasm HTTP filter.
//!
//! * [`core`] is host-free: configuration, templates, credentials, SigV4 signing,
//!   Invoke request building, response interpretation and the per-stream state
//!   machine. It never imports `proxy_wasm` (a native build has no `proxy-wasm`
//!   to import) and is tested natively.
//! * `glue` (wasm32 only) is the thin proxy-wasm layer: `main!`, the root and
//!   HTTP contexts and a narrow host trait over `proxy_wasm::hostcalls`.
//!
//! The core is public only with the `testing` feature (benchmarks, fuzz
//! targets): in the module itself nothing outside the crate reaches it, so
//! rustc reports what the glue does not use.
// A native build without `testing` has no glue: nothing uses the core there.
#![cfg_attr(
    not(any(target_arch = "wasm32", test, feature = "testing")),
    allow(dead_code, unused_imports)
)]

#[cfg(feature = "testing")]
pub mod core;
#[cfg(not(feature = "testing"))]
mod core;

#[cfg(target_arch = "wasm32")]
mod glue;
