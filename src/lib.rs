//! envoy-lambda-policy: Gravitee's `aws-lambda` policy as a proxy-wasm HTTP filter.
//!
//! * [`core`] is host-free: configuration, templates, credentials, SigV4 signing,
//!   Invoke request building, response interpretation and the per-stream state
//!   machine. It never imports `proxy_wasm` and is tested natively.
//! * `glue` (wasm32 only) is the thin proxy-wasm layer: `main!`, the root and
//!   HTTP contexts and a narrow host trait over `proxy_wasm::hostcalls`.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod glue;
