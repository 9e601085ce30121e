//! The HTTP context: forwards every proxy event to the core's [`Stream`].

use super::host::callout_answer;
use crate::core::stream::waiters::Waiters;
use crate::core::stream::{Action as CoreAction, Stream};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;
use std::cell::RefCell;
use std::rc::Rc;

pub struct HttpFilter {
    id: u32,
    /// Shared with the waiters once the root has to wake the stream.
    stream: Rc<RefCell<Stream>>,
    /// None when nothing can wait (static credentials and no retries).
    waiters: Option<Rc<Waiters>>,
}

impl HttpFilter {
    pub fn new(id: u32, stream: Rc<RefCell<Stream>>, waiters: Option<Rc<Waiters>>) -> Self {
        HttpFilter {
            id,
            stream,
            waiters,
        }
    }

    fn with(&self, f: impl FnOnce(&mut Stream) -> CoreAction) -> Action {
        let action = match self.stream.try_borrow_mut() {
            Ok(mut s) => f(&mut s),
            Err(_) => {
                busy(self.id, "an event");
                return Action::Pause;
            }
        };
        self.after_event();
        match action {
            CoreAction::Continue => Action::Continue,
            CoreAction::Pause => Action::Pause,
        }
    }

    /// Hands the stream to the waiters when the root's timer or a
    /// credentials answer will have to resume it.
    fn after_event(&self) {
        if let Some(w) = &self.waiters {
            w.after_event(self.id, &self.stream);
        }
    }
}

/// The stream is already in use: an event for it arrived from inside one of
/// its own calls into the proxy. Not expected from Envoy; said loudly, since
/// the event is not handled.
fn busy(id: u32, what: &str) {
    let line =
        format!("aws-lambda: [stream {id}] {what} arrived while the stream was busy: not handled");
    let _ = proxy_wasm::hostcalls::log(proxy_wasm::types::LogLevel::Error, &line);
}

impl Drop for HttpFilter {
    fn drop(&mut self) {
        if let Some(w) = &self.waiters {
            w.remove(self.id);
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
        match self.stream.try_borrow_mut() {
            Ok(mut s) => match s.reserve_answer(body_size) {
                Ok(size) => {
                    let (headers, body) = callout_answer(size);
                    s.on_lambda_answer(token, headers, body);
                }
                Err(e) => s.on_answer_refused(e),
            },
            Err(_) => busy(self.id, "a Lambda answer"),
        }
        self.after_event();
    }
}

impl HttpContext for HttpFilter {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_request_headers(end_of_stream))
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_request_body(body_size, end_of_stream))
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        self.with(Stream::on_request_trailers)
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_response_headers(end_of_stream))
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        self.with(|s| s.on_response_body(body_size, end_of_stream))
    }

    fn on_http_response_trailers(&mut self, _num_trailers: usize) -> Action {
        self.with(Stream::on_response_trailers)
    }
}
