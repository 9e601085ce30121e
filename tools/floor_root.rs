//! The root context both floors share (`tools/callout_floor`, `tools/route_floor`,
//! each including this file): an HTTP filter that gives every stream a new
//! `S`, logging only warnings. The floors differ only in their stream.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};
use std::marker::PhantomData;

struct Root<S>(PhantomData<S>);

impl<S> Context for Root<S> {}

impl<S: HttpContext + Default + 'static> RootContext for Root<S> {
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(S::default()))
    }
}

/// Registers the floor whose streams are `S` (called from `main!`).
pub fn start<S: HttpContext + Default + 'static>() {
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::<S>(PhantomData)) });
}
