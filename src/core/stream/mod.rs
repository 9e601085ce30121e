//! The per-stream state machine. The glue forwards proxy events here; every
//! paused stream ends in [`Stream::finish`], which either resumes it or
//! sends the local reply.

mod backend;
pub mod budget;
mod events;
mod finish;
mod gate;
mod invoke;
mod retry;
mod roots;
#[cfg(test)]
#[path = "states_tests.rs"]
mod tests;
mod timer;
pub mod waiters;

use crate::core::config::Config;
use crate::core::credentials::Provider;
use crate::core::errors::{ErrorKey, PolicyError};
use crate::core::host::{Host, LogLevel, Metric};
use crate::core::time::unix_millis;
use crate::core::views::{RequestView, ResponseView};
use budget::{Budget, Held};
use roots::StreamRoot;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::SystemTime;

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
    /// The payload is ready; credentials are being fetched. The stream
    /// gives up at `until` (its call timeout).
    WaitingCredentials { payload: Vec<u8>, until: SystemTime },
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
    /// Bytes of body Envoy holds for this stream in the `*_CONTENT` scopes
    /// (the size of the last body callback; trailers end the body with it).
    body_size: usize,
    /// RESPONSE_CONTENT: the response headers went on to the consumer, so
    /// the result can only replace the body in place.
    response_headers_sent: bool,
    /// A header, body or trailers callback returned `Pause` for the call:
    /// [`Stream::finish`] must resume the stream (unless it replies).
    paused: bool,
    /// What this stream holds of the VM's memory budget.
    held: Held,
    /// Invoke attempts sent so far, and when the first one left.
    attempts: u32,
    first_sent: Option<SystemTime>,
    /// Jitter for the retry back-off (xorshift).
    jitter: u64,
    /// The condition was evaluated (it is, at most once).
    gated: bool,
    /// The request's `Accept` values, when read on request headers.
    accept: Option<Vec<String>>,
}

impl Stream {
    pub fn new(
        id: u32,
        cfg: Rc<Config>,
        host: Rc<dyn Host>,
        creds: Rc<dyn Provider>,
        budget: Rc<Budget>,
    ) -> Self {
        Stream {
            id,
            cfg,
            host,
            creds,
            state: State::Idle,
            request: None,
            response: None,
            attributes: Rc::default(),
            body_size: 0,
            response_headers_sent: false,
            paused: false,
            held: Held::new(budget),
            attempts: 0,
            first_sent: None,
            jitter: u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            gated: false,
            accept: None,
        }
    }

    /// When a retry is due, if the stream waits for one.
    #[cfg(any(test, feature = "testing"))]
    pub fn retry_due(&self) -> Option<SystemTime> {
        match self.state {
            State::WaitingRetry { due, .. } => Some(due),
            _ => None,
        }
    }

    /// When the root's timer must run [`Stream::on_timer`]: a retry that is
    /// due, or the end of a wait for credentials. None: the timer is not needed.
    pub fn wake_at(&self) -> Option<SystemTime> {
        match self.state {
            State::WaitingRetry { due, .. } => Some(due),
            State::WaitingCredentials { until, .. } => Some(until),
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

    /// Evaluates the condition (once), then starts the call and remembers
    /// that the callback it runs in returned `Pause` for it (unless the
    /// stream already ended).
    fn begin(&mut self) -> Action {
        if let Some(action) = self.gate() {
            return action;
        }
        let action = self.start();
        if !matches!(self.state, State::Done) {
            self.paused = true;
        }
        action
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
        let mut view = RequestView::new(self.host.request_headers(), unix_millis(now));
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
        self.check_request_held();
        let payload = match &self.cfg.payload {
            None => match self.event_payload() {
                Ok(event) => event,
                Err(e) => return self.fail(e),
            },
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
        if !self.cfg.needs.bodies_after_call {
            // The payload holds what the call needs: the body is not held twice.
            self.drop_content();
        }
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
        if let Err(e) = self.reserve(payload.len()) {
            return self.fail(e);
        }
        self.with_credentials(payload)
    }

    /// Lets go of the bodies captured for templates (and their budget).
    fn drop_content(&mut self) {
        let mut freed = 0;
        if let Some(req) = self.request.as_mut().and_then(Rc::get_mut) {
            freed += req.content.take().map_or(0, |c| c.len());
        }
        if let Some(resp) = self.response.as_mut().and_then(Rc::get_mut) {
            freed += resp.content.take().map_or(0, |c| c.len());
        }
        self.held.shrink(freed);
    }

    /// The stream is done with the policy: nothing it kept for the call stays
    /// in the VM, and its budget is given back.
    fn let_go(&mut self) {
        self.drop_content();
        self.held.release();
    }
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
