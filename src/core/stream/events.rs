//! The proxy's events for a stream: headers, bodies and trailers of the
//! request and the response. Each decides whether this is the moment the
//! scope acts; a body is taken from the VM's budget before it is copied in.

use super::budget::try_vec;
use super::{Action, State, Stream};
use crate::core::config::Scope;
use crate::core::errors::{ErrorKey, PolicyError};
use crate::core::host::{LogLevel, Metric};
use std::rc::Rc;

/// Which half of the exchange a body or trailers event is about.
#[derive(Debug, Clone, Copy)]
enum Side {
    Request,
    Response,
}

impl Side {
    /// The scope that holds this side's body.
    fn content_scope(self) -> Scope {
        match self {
            Side::Request => Scope::RequestContent,
            Side::Response => Scope::ResponseContent,
        }
    }
}

impl Stream {
    pub fn on_request_headers(&mut self, end_of_stream: bool) -> Action {
        let scope = self.cfg.scope;
        if self.cfg.needs.request {
            self.capture_request();
        }
        self.capture_accept();
        match scope {
            Scope::Request => self.begin(),
            Scope::RequestContent if end_of_stream => self.begin(),
            Scope::RequestContent => {
                if self.gate_on_headers() {
                    if let Some(action) = self.gate() {
                        return action;
                    }
                }
                // Envoy runs a proxy-wasm `Pause` on headers as "stop all": no body
                // callback would come. The headers go on; the body is held below.
                self.log(LogLevel::Debug, format_args!("buffering the request body"));
                self.state = State::Buffering;
                if self.cfg.hold_request_headers {
                    // The listener lets a headers pause be a plain stop (its Wasm config
                    // sets allow_on_headers_stop_iteration): the body still comes here.
                    return Action::Pause;
                }
                Action::Continue
            }
            _ => Action::Continue,
        }
    }

    pub fn on_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        self.body_event(Side::Request, size, end_of_stream)
    }

    /// Trailers end the body as end-of-stream does: the call starts, and the
    /// trailers are held with the body until the stream is resumed.
    pub fn on_request_trailers(&mut self) -> Action {
        self.trailers_event(Side::Request)
    }

    pub fn on_response_headers(&mut self, end_of_stream: bool) -> Action {
        if !self.cfg.scope.is_request_phase() && self.is_local_reply() {
            // Not the backend's answer: Envoy's own (a 503, a 504) or another
            // filter's. There is no upstream response to call the function on.
            self.log(LogLevel::Debug, format_args!("local reply: not invoking"));
            self.state = State::Done;
            return self.pass();
        }
        match self.cfg.scope {
            Scope::Response => {
                self.capture_response();
                self.begin()
            }
            Scope::ResponseContent => {
                self.capture_response();
                if end_of_stream {
                    return self.begin();
                }
                if self.gate_on_headers() {
                    if let Some(action) = self.gate() {
                        return action;
                    }
                }
                self.response_headers_sent = true;
                if self.cfg.send_to_consumer {
                    // The body will be replaced: its length is not known yet.
                    self.host.set_response_header("content-length", None);
                }
                // As for requests: headers go on (a later buffering filter may
                // hold them), the body is held until the function answered.
                self.state = State::Buffering;
                Action::Continue
            }
            _ => self.pass(),
        }
    }

    pub fn on_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        self.body_event(Side::Response, size, end_of_stream)
    }

    /// As for requests: trailers (every gRPC response has them) end the body.
    pub fn on_response_trailers(&mut self) -> Action {
        self.trailers_event(Side::Response)
    }

    /// Whether the stream holds this side's body for its scope right now.
    fn holds_body(&self, side: Side) -> bool {
        self.cfg.scope == side.content_scope() && matches!(self.state, State::Buffering)
    }

    fn body_event(&mut self, side: Side, size: usize, end_of_stream: bool) -> Action {
        if !self.holds_body(side) {
            return self.pass();
        }
        self.body_size = size;
        if !end_of_stream {
            return Action::Pause;
        }
        self.body_complete(side)
    }

    fn trailers_event(&mut self, side: Side) -> Action {
        if !self.holds_body(side) {
            return self.pass();
        }
        self.body_complete(side)
    }

    /// The whole body is with Envoy (end of stream or trailers): it is copied
    /// in, once the budget allowed its bytes, and the call starts.
    fn body_complete(&mut self, side: Side) -> Action {
        let size = self.body_size;
        if let Err(e) = self.reserve(size) {
            return self.fail(e);
        }
        match side {
            Side::Request => {
                let body = self.host.request_body(size);
                if let Some(req) = self.request.as_mut().and_then(Rc::get_mut) {
                    req.content = Some(body);
                }
            }
            Side::Response => {
                let body = self.host.response_body(size);
                if let Some(resp) = self.response.as_mut().and_then(Rc::get_mut) {
                    resp.content = Some(body);
                }
            }
        }
        self.begin()
    }

    /// Takes `bytes` from the VM's budget before they are copied into the VM,
    /// and checks that the VM can still grow by that much: a stream over
    /// either limit gets a 503, the VM never traps on an allocation.
    pub(super) fn reserve(&mut self, bytes: usize) -> Result<(), PolicyError> {
        if bytes == 0 {
            return Ok(());
        }
        // Reserved and freed at once: the allocator keeps the block for the
        // copy that follows, which the SDK makes with an infallible allocation.
        if self.held.grow(bytes) && try_vec(bytes).is_some() {
            return Ok(());
        }
        self.host.count(Metric::Overloaded);
        self.log(
            LogLevel::Warn,
            format_args!(
                "{bytes} more bytes would pass the VM's buffer budget ({} of {} in use): answering 503",
                self.held.budget().used(),
                self.held.budget().limit()
            ),
        );
        Err(PolicyError::new(
            ErrorKey::Overloaded,
            format!(
                "the filter holds too many bytes in this Envoy worker; {bytes} more were refused"
            ),
        ))
    }

    /// Whether the response being seen was made by Envoy or a filter (a
    /// local reply), not received from the upstream.
    pub(super) fn is_local_reply(&self) -> bool {
        if self.cfg.invoke_on_local_replies {
            return false;
        }
        self.host
            .property(&["response", "code_details"])
            .is_some_and(|d| d != b"via_upstream")
    }
}
