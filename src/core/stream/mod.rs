//! The per-stream state machine. The glue forwards proxy events here; every
//! paused stream ends in [`Stream::finish`], which either resumes it or
//! sends the local reply.

mod roots;
#[cfg(test)]
mod tests;

use crate::core::aws::answer::{LambdaAnswer, Outcome};
use crate::core::config::{Config, Scope};
use crate::core::credentials::{Credentials, Lookup, Provider};
use crate::core::errors::{ErrorKey, PolicyError};
use crate::core::host::{Host, LogLevel, Metric};
use crate::core::views::{RequestView, ResponseView};
use roots::StreamRoot;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// The Invoke callout is in flight.
    WaitingLambda { token: u32, sent_at: SystemTime },
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
        }
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    /// True while the stream waits for credentials (the glue wakes it).
    pub fn waits_for_credentials(&self) -> bool {
        matches!(self.state, State::WaitingCredentials { .. })
    }

    /// The token of the Invoke call in flight, if any.
    pub fn lambda_token(&self) -> Option<u32> {
        match self.state {
            State::WaitingLambda { token, .. } => Some(token),
            _ => None,
        }
    }

    fn log(&self, level: LogLevel, msg: &str) {
        self.host.log(level, &format!("[stream {}] {msg}", self.id));
    }

    pub fn on_request_headers(&mut self, end_of_stream: bool) -> Action {
        let scope = self.cfg.scope;
        if scope.is_request_phase() || self.cfg.needs.request {
            self.capture_request();
        }
        match scope {
            Scope::Request => self.start(),
            Scope::RequestContent if end_of_stream => self.start(),
            Scope::RequestContent => {
                // Envoy runs a proxy-wasm `Pause` on headers as "stop all": no body
                // callback would come. The headers go on; the body is held below.
                self.log(LogLevel::Debug, "buffering the request body");
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
                    self.log(LogLevel::Debug, &format!("payload template failed: {e}"));
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

    fn with_credentials(&mut self, payload: Vec<u8>) -> Action {
        match self.creds.credentials(self.id, self.host.now()) {
            Lookup::Ready(c) => self.invoke(payload, &c),
            Lookup::Pending => {
                self.log(LogLevel::Debug, "waiting for credentials");
                self.state = State::WaitingCredentials { payload };
                Action::Pause
            }
            Lookup::Failed(why) => {
                self.host.count(Metric::CredentialsError);
                self.fail(PolicyError::new(ErrorKey::InvalidResponse, why))
            }
        }
    }

    /// Credentials became available (or failed) while this stream waited.
    pub fn on_credentials(&mut self) {
        if let State::WaitingCredentials { payload } =
            std::mem::replace(&mut self.state, State::Idle)
        {
            self.with_credentials(payload);
        }
    }

    fn invoke(&mut self, payload: Vec<u8>, creds: &Credentials) -> Action {
        let now = self.host.now();
        let headers = match self.cfg.target.signed_headers(&payload, creds, now) {
            Ok(h) => h,
            Err(e) => return self.fail(PolicyError::new(ErrorKey::InvalidResponse, e)),
        };
        match self.host.dispatch(&self.cfg.cluster, &headers, &payload, self.cfg.timeout) {
            Ok(token) => {
                self.log(
                    LogLevel::Debug,
                    &format!("invoking {} through cluster {} (token {token})", self.cfg.target.path_and_query, self.cfg.cluster),
                );
                self.state = State::WaitingLambda { token, sent_at: now };
                Action::Pause
            }
            Err(e) => self.fail(PolicyError::new(
                ErrorKey::InvalidResponse,
                format!("cannot send the Lambda call through cluster {:?}: {e}; check that the cluster exists", self.cfg.cluster),
            )),
        }
    }

    /// The Invoke callout answered. `headers` without `:status` is a transport failure.
    pub fn on_lambda_answer(&mut self, token: u32, headers: Vec<(String, String)>, body: Vec<u8>) {
        let State::WaitingLambda {
            token: expected,
            sent_at,
        } = self.state
        else {
            self.log(
                LogLevel::Warn,
                &format!("unexpected callout answer (token {token}) ignored"),
            );
            return;
        };
        if token != expected {
            self.log(
                LogLevel::Warn,
                &format!("callout token {token} does not match {expected}: ignored"),
            );
            return;
        }
        let elapsed = self.host.now().duration_since(sent_at).unwrap_or_default();
        let timed_out = elapsed + Duration::from_millis(5) >= self.cfg.timeout;
        let answer = LambdaAnswer::from_callout(&headers, body);
        let outcome = answer.outcome(timed_out);
        self.log(
            LogLevel::Debug,
            &format!(
                "lambda answered {:?} in {} ms: {}",
                answer.status,
                elapsed.as_millis(),
                outcome.as_str()
            ),
        );
        self.publish_call(&answer, elapsed);
        self.host.count(match outcome {
            Outcome::Success => Metric::Success,
            Outcome::FunctionError => Metric::FunctionError,
            Outcome::ApiError => Metric::ApiError,
            Outcome::Timeout => Metric::Timeout,
            Outcome::TransportError => Metric::TransportError,
        });
        self.host.record_duration_ms(elapsed.as_millis() as u64);
        if let Err(e) = answer.verdict(outcome, self.cfg.timeout.as_millis() as u64) {
            return self.finish_err(e);
        }
        self.on_success(Rc::new(answer), headers);
    }

    fn on_success(&mut self, answer: Rc<LambdaAnswer>, headers: Vec<(String, String)>) {
        let lambda = roots::lambda_value(answer.clone(), headers);
        for var in &self.cfg.variables {
            let value = match var.value.render(&self.root(Some(lambda.clone()))) {
                Ok(v) => v,
                Err(e) => {
                    self.log(
                        LogLevel::Debug,
                        &format!("variable {} failed: {e}", var.name),
                    );
                    self.host.count(Metric::TemplateError);
                    return self.finish_err(PolicyError::new(
                        ErrorKey::TemplateVariable,
                        format!("variable {:?}: {}", var.name, e.message),
                    ));
                }
            };
            self.host.set_filter_state(&var.name, &header_safe(&value));
            self.attributes.borrow_mut().push((var.name.clone(), value));
        }
        if !self.cfg.send_to_consumer {
            return self.finish(End::Continue);
        }
        let status = answer.status.map(u32::from).unwrap_or(200);
        let headers = self.consumer_headers(&answer);
        let body = Rc::try_unwrap(answer)
            .map(|a| a.body)
            .unwrap_or_else(|a| a.body.clone());
        if self.cfg.scope == Scope::ResponseContent && self.buffered_response > 0 {
            return self.finish(End::Replace { body });
        }
        self.finish(End::Reply {
            status,
            headers,
            body,
        })
    }

    /// Headers of the reply that carries the function's result: in response
    /// phases the backend's headers (length recomputed), else the content type.
    fn consumer_headers(&self, answer: &LambdaAnswer) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = match &self.response {
            Some(r) => r
                .headers
                .iter()
                .filter(|(n, _)| {
                    !n.starts_with(':') && n != "content-length" && n != "transfer-encoding"
                })
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        if !out.iter().any(|(n, _)| n == "content-type") {
            if let Some(ct) = &answer.content_type {
                out.push(("content-type".to_string(), ct.clone()));
            }
        }
        out
    }

    /// Filter state for access logs: `wasm.lambda_status`, `wasm.lambda_request_id`,
    /// `wasm.lambda_duration_ms` (and `wasm.lambda_error_key` on failure).
    fn publish_call(&self, answer: &LambdaAnswer, elapsed: Duration) {
        if let Some(status) = answer.status {
            self.host
                .set_filter_state("lambda_status", &status.to_string());
        }
        if let Some(id) = &answer.request_id {
            self.host
                .set_filter_state("lambda_request_id", &header_safe(id));
        }
        self.host
            .set_filter_state("lambda_duration_ms", &elapsed.as_millis().to_string());
    }

    fn fail(&mut self, e: PolicyError) -> Action {
        self.finish_err(e);
        Action::Pause
    }

    fn finish_err(&mut self, e: PolicyError) {
        self.host
            .set_filter_state("lambda_error_key", e.key.as_str());
        self.log(
            LogLevel::Debug,
            &format!("answering {} {}: {}", e.status(), e.key.as_str(), e.details),
        );
        self.finish(End::Reply {
            status: e.status(),
            headers: vec![("content-type".to_string(), "application/json".to_string())],
            body: e.body().into_bytes(),
        });
    }

    /// The one place where a paused stream ends.
    fn finish(&mut self, end: End) {
        let was_paused = !matches!(self.state, State::Idle | State::Done);
        self.state = State::Done;
        match end {
            End::Continue if !was_paused => {}
            End::Continue if self.cfg.scope.is_request_phase() => self.host.resume_request(),
            End::Continue => self.host.resume_response(),
            End::Replace { body } => {
                self.host
                    .replace_response_body(self.buffered_response, &body);
                self.host.resume_response();
            }
            End::Reply {
                status,
                headers,
                body,
            } => {
                let hs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                self.host.send_reply(status, &hs, &body);
            }
        }
    }
}

/// Filter state often becomes a header (`%FILTER_STATE(...)%`): CR, LF and NUL
/// would make Envoy refuse the header (or split it), so they become spaces.
/// Templates of this filter still read the exact value.
fn header_safe(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(['\r', '\n', '\0']) {
        v.replace(['\r', '\n', '\0'], " ").into()
    } else {
        v.into()
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
