//! The thin proxy-wasm layer: registration, the root context (configuration,
//! shared state) and the HTTP context that forwards events to the core.

mod host;
mod http;
mod root;

use proxy_wasm::traits::RootContext;
use proxy_wasm::types::LogLevel;

proxy_wasm::main! {{
    // Installs the SDK's panic hook (a panic is logged before the VM aborts)
    // and lets every level through the SDK: Envoy filters by its own level,
    // which the host reads as streams start.
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|id| -> Box<dyn RootContext> { Box::new(root::PolicyRoot::new(id)) });
}}
