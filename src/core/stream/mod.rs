//! The per-stream state machine. The glue forwards proxy events here; every
//! paused stream ends in [`Stream::finish`], which either resumes it or
//! sends the local reply.

mod finish;
mod invoke;
mod roots;
#[cfg(test)]
mod tests;

use crate::core::config::{Config, Scope};
use crate::core::credentials::Provider;
use crate::core::errors::{ErrorKey, PolicyError};
use crate::core::host::{Host, LogLevel, Metric};
use crate::core::views::{RequestView, ResponseView};
use roots::StreamRoot;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the glue returns to the proxy for a header or body event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue,
    Pause,
}

#[derive(Debug)]
enum State {
    /// The phase that calls Lambda has not come yet (or never will).
    Idle,
    /// Holding the body named by the scope until it is complete.
    Buffering,
    /// The payload is ready; credentials are being fetched.
    WaitingCredentials { payload: Vec<u8> },
    /// The Invoke callout is in flight (the payload is kept for a retry).
    WaitingLambda {
        token: u32,
        sent_at: SystemTime,
        payload: Vec<u8>,
    },
    /// A retryable failure: the call is sent again at `due` (the root's timer).
    WaitingRetry { payload: Vec<u8>, due: SystemTime },
    /// Resumed or replied: the filter has nothing more to do.
    Done,
}

/// How a paused stream ends.
enum End {
    Continue,
    /// RESPONSE_CONTENT: the headers (and so the status) went on before the
    /// body, so the result replaces the held body in place.
    Replace {
        body: Vec<u8>,
    },
    Reply {
        status: u32,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

pub struct Stream {
    id: u32,
    cfg: Rc<Config>,
    host: Rc<dyn Host>,
    creds: Rc<dyn Provider>,
    state: State,
    request: Option<Rc<RequestView>>,
    response: Option<Rc<ResponseView>>,
    attributes: Rc<RefCell<Vec<(String, String)>>>,
    /// Bytes of response body held in RESPONSE_CONTENT (replaced in place).
    buffered_response: usize,
    /// Invoke attempts sent so far, and when the first one left.
    attempts: u32,
    first_sent: Option<SystemTime>,
    /// Jitter for the retry back-off (xorshift).
    jitter: u64,
}

impl Stream {
    pub fn new(id: u32, cfg: Rc<Config>, host: Rc<dyn Host>, creds: Rc<dyn Provider>) -> Self {
        Stream {
            id,
            cfg,
            host,
            creds,
            state: State::Idle,
            request: None,
            response: None,
            attributes: Rc::default(),
            buffered_response: 0,
            attempts: 0,
            first_sent: None,
            jitter: u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
        }
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    /// True while the stream waits for credentials (the glue wakes it).
    pub fn waits_for_credentials(&self) -> bool {
        matches!(self.state, State::WaitingCredentials { .. })
    }

    /// When a retry is due, if the stream waits for one (the glue's timer fires it).
    pub fn retry_due(&self) -> Option<SystemTime> {
        match self.state {
            State::WaitingRetry { due, .. } => Some(due),
            _ => None,
        }
    }

    /// The token of the Invoke call in flight, if any.
    pub fn lambda_token(&self) -> Option<u32> {
        match self.state {
            State::WaitingLambda { token, .. } => Some(token),
            _ => None,
        }
    }

    /// One log line prefixed with the stream id; formatted only if Envoy
    /// would write it (most lines are `debug`, off in production).
    fn log(&self, level: LogLevel, msg: std::fmt::Arguments) {
        if self.host.log_enabled(level) {
            self.host.log(level, &format!("[stream {}] {msg}", self.id));
        }
    }

    pub fn on_request_headers(&mut self, end_of_stream: bool) -> Action {
        let scope = self.cfg.scope;
        if self.cfg.needs.request {
            self.capture_request();
        }
        match scope {
            Scope::Request => self.start(),
            Scope::RequestContent if end_of_stream => self.start(),
            Scope::RequestContent => {
                // Envoy runs a proxy-wasm `Pause` on headers as "stop all": no body
                // callback would come. The headers go on; the body is held below.
                self.log(LogLevel::Debug, format_args!("buffering the request body"));
                self.state = State::Buffering;
                Action::Continue
            }
            _ => Action::Continue,
        }
    }

    pub fn on_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if self.cfg.scope != Scope::RequestContent || !matches!(self.state, State::Buffering) {
            return self.pass();
        }
        if !end_of_stream {
            return Action::Pause;
        }
        let body = self.host.request_body(size);
        if let Some(req) = self.request.as_mut().and_then(Rc::get_mut) {
            req.content = Some(body);
        }
        self.start()
    }

    pub fn on_response_headers(&mut self, end_of_stream: bool) -> Action {
        match self.cfg.scope {
            Scope::Response => {
                self.capture_response();
                self.start()
            }
            Scope::ResponseContent => {
                self.capture_response();
                if end_of_stream {
                    return self.start();
                }
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
        if self.cfg.scope != Scope::ResponseContent || !matches!(self.state, State::Buffering) {
            return self.pass();
        }
        if !end_of_stream {
            return Action::Pause;
        }
        let body = self.host.response_body(size);
        self.buffered_response = size;
        if let Some(resp) = self.response.as_mut().and_then(Rc::get_mut) {
            resp.content = Some(body);
        }
        self.start()
    }

    /// An event this filter has no business with: let it through. This includes
    /// Envoy's own local replies (a 413 for a body over the buffer limit) that
    /// pass the encoder filters while this stream still buffers its body.
    fn pass(&self) -> Action {
        Action::Continue
    }

    fn capture_request(&mut self) {
        if !self.cfg.needs.request_headers {
            // Only `#request.content` is read: it is filled in at end of body.
            self.request = Some(Rc::new(RequestView::default()));
            return;
        }
        let now = self.host.now();
        let mut view = RequestView::new(self.host.request_headers(), millis(now));
        if self.cfg.needs.addresses {
            let addr = |p: &[&str]| {
                self.host
                    .property(p)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            view.remote_address = addr(&["source", "address"]).map(strip_port);
            view.local_address = addr(&["destination", "address"]).map(strip_port);
        }
        self.request = Some(Rc::new(view));
    }

    fn capture_response(&mut self) {
        self.response = Some(Rc::new(ResponseView {
            headers: self.host.response_headers(),
            content: None,
        }));
    }

    fn root(&self, lambda: Option<crate::core::template::Value>) -> StreamRoot {
        StreamRoot::new(self, lambda)
    }

    /// The phase has come: build the payload, get credentials, invoke.
    fn start(&mut self) -> Action {
        let payload = match &self.cfg.payload {
            None => Vec::new(),
            Some(t) => match t.render(&self.root(None)) {
                Ok(p) => p.into_bytes(),
                Err(e) => {
                    self.log(
                        LogLevel::Debug,
                        format_args!("payload template failed: {e}"),
                    );
                    self.host.count(Metric::TemplateError);
                    return self.fail(PolicyError::new(ErrorKey::TemplatePayload, e.message));
                }
            },
        };
        let limit = self.cfg.invocation_type.max_payload_bytes();
        if payload.len() > limit {
            self.host.count(Metric::PayloadTooLarge);
            return self.fail(PolicyError::new(
                ErrorKey::PayloadTooLarge,
                format!(
                    "payload is {} bytes; {} invocations accept at most {limit}",
                    payload.len(),
                    self.cfg.invocation_type.as_str()
                ),
            ));
        }
        self.with_credentials(payload)
    }
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `10.0.0.1:1234` → `10.0.0.1`, `[::1]:80` → `::1`.
fn strip_port(addr: String) -> String {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_string();
    }
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host.to_string()
        }
        _ => addr,
    }
}
