//! The thin proxy-wasm layer: registration, the root context (configuration,
//! shared state) and the HTTP context that forwards events to the core.

mod host;
mod http;
mod registry;
mod root;

use proxy_wasm::traits::RootContext;
use proxy_wasm::types::LogLevel;

proxy_wasm::main! {{
    // Envoy filters by its own log level; the SDK lets everything through.
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(root::PolicyRoot::default()) });
}}
