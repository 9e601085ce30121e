//! The HTTP context: forwards every proxy event to the core's [`Stream`].

use super::host::callout_answer;
use super::registry::Registry;
use crate::core::stream::{Action as CoreAction, Stream};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub struct HttpFilter {
    id: u32,
    /// Shared with the registry once the root has to wake the stream.
    stream: Rc<RefCell<Stream>>,
    registry: Option<Rc<Registry>>,
    /// Whether this stream is in the registry: only streams that wait for
    /// credentials or a retry are (most never are, and cost it nothing).
    enlisted: Cell<bool>,
}

impl HttpFilter {
    pub fn new(id: u32, stream: Rc<RefCell<Stream>>, registry: Option<Rc<Registry>>) -> Self {
        HttpFilter {
            id,
            stream,
            registry,
            enlisted: Cell::new(false),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Stream) -> CoreAction) -> Action {
        match self.stream.try_borrow_mut() {
            Ok(mut s) => {
                let action = f(&mut s);
                self.enlist_if_waiting(&s);
                match action {
                    CoreAction::Continue => Action::Continue,
                    CoreAction::Pause => Action::Pause,
                }
            }
            Err(_) => Action::Pause,
        }
    }

    /// Hands the stream to the registry when the root's timer or a
    /// credentials answer will have to resume it.
    fn enlist_if_waiting(&self, s: &Stream) {
        let Some(r) = &self.registry else { return };
        let waiting = s.waits_for_credentials() || s.retry_due().is_some();
        if waiting && !self.enlisted.replace(true) {
            r.add(self.id, &self.stream);
        }
    }
}

impl Drop for HttpFilter {
    fn drop(&mut self) {
        if let Some(r) = self.registry.as_ref().filter(|_| self.enlisted.get()) {
            r.remove(self.id);
        }
    }
}

impl Context for HttpFilter {
    fn on_http_call_response(
        &mut self,
        token: u32,
        _headers: usize,
        body_size: usize,
        _trailers: usize,
    ) {
        let (headers, body) = callout_answer(body_size);
        if let Ok(mut s) = self.stream.try_borrow_mut() {
            s.on_lambda_answer(token, headers, body);
            self.enlist_if_waiting(&s);
            if let Some(r) = &self.registry {
                r.after_answer(self.id, &s);
            }
        }
    }
}

impl HttpContext for HttpFilter {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_request_headers(end_of_stream))
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_request_body(body_size, end_of_stream))
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_response_headers(end_of_stream))
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_response_body(body_size, end_of_stream))
    }
}
