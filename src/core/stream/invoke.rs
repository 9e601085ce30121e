//! Getting credentials, sending the Invoke call, and reading its answer into
//! variables (retries: `retry.rs`).

use super::finish::header_safe;
use super::retry::retryable;
use super::{roots, End, State, Stream};
use crate::core::aws::answer::{LambdaAnswer, Outcome, MAX_ANSWER_BYTES};
use crate::core::config::Scope;
use crate::core::credentials::{Credentials, Lookup};
use crate::core::errors::{classify, ErrorKey, ErrorParams, Fault, PolicyError};
use crate::core::host::{Callout, LogLevel, Metric};
use crate::core::stream::Action;
use crate::core::time::millis;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// The failed call's error with its precise key and the answer's parameters.
fn precise(e: PolicyError, answer: &LambdaAnswer, outcome: Outcome) -> PolicyError {
    let error_type = answer.aws_error_type();
    let fault = match outcome {
        Outcome::Success => return e,
        Outcome::FunctionError => Fault::Function,
        Outcome::ApiError => Fault::Api,
        Outcome::Timeout => Fault::Timeout,
        Outcome::TransportError => Fault::Transport,
        Outcome::Oversized => Fault::Oversized,
    };
    let key = classify(fault, answer.status, error_type.as_deref());
    let params = ErrorParams {
        status: answer.status,
        aws_error_type: error_type,
        aws_request_id: answer.request_id.clone(),
        function_error: answer.function_error.clone(),
        ..ErrorParams::default()
    };
    PolicyError::new(key, e.details).with_params(params)
}

impl Stream {
    pub(super) fn with_credentials(&mut self, payload: Vec<u8>) -> Action {
        let now = self.host.now();
        match self.creds.credentials(self.id, now) {
            Lookup::Ready(c) => self.invoke(payload, &c, now),
            Lookup::Pending => {
                self.log(LogLevel::Debug, format_args!("waiting for credentials"));
                let until = self.call_deadline(now);
                self.state = State::WaitingCredentials { payload, until };
                Action::Pause
            }
            Lookup::Failed(why) => {
                self.host.count(Metric::CredentialsError);
                self.fail(PolicyError::new(ErrorKey::CredentialsError, why))
            }
        }
    }

    /// How long a stream waits for credentials: its call timeout, and never
    /// past `apiCallTimeoutMs` counted from its first attempt.
    fn call_deadline(&self, now: SystemTime) -> SystemTime {
        let mut until = now + self.cfg.timeout;
        if let (Some(budget), Some(first)) = (self.cfg.retry.budget, self.first_sent) {
            until = until.min(first + budget);
        }
        until
    }

    /// Credentials became available (or failed) while this stream waited.
    pub fn on_credentials(&mut self) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::WaitingCredentials { payload, .. } => {
                self.with_credentials(payload);
            }
            other => self.state = other,
        }
    }

    /// The root's timer: a retry is due, or the wait for credentials is over.
    pub fn on_timer(&mut self, now: SystemTime) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::WaitingRetry { payload, due } if due <= now => {
                self.with_credentials(payload);
            }
            State::WaitingCredentials { until, .. } if until <= now => {
                self.host.count(Metric::CredentialsError);
                self.finish_err(PolicyError::new(
                    ErrorKey::CredentialsError,
                    format!(
                        "no AWS credentials within {} ms: the credentials fetch has not answered",
                        millis(self.cfg.timeout)
                    ),
                ));
            }
            other => self.state = other,
        }
    }

    fn invoke(&mut self, payload: Vec<u8>, creds: &Credentials, now: SystemTime) -> Action {
        self.attempts += 1;
        self.first_sent.get_or_insert(now);
        let headers = match self.cfg.target.signed_headers(&payload, creds, now) {
            Ok(h) => h,
            Err(e) => return self.fail(PolicyError::new(ErrorKey::InvalidResponse, e)),
        };
        let call = Callout {
            cluster: &self.cfg.cluster,
            headers: &headers,
            body: &payload,
            timeout: self.cfg.timeout,
        };
        match self.host.dispatch(call) {
            Ok(token) => {
                self.log(
                    LogLevel::Debug,
                    format_args!("invoking {} through cluster {} (token {token})", self.cfg.target.path_and_query, self.cfg.cluster),
                );
                self.state = State::WaitingLambda {
                    token,
                    sent_at: now,
                    payload,
                };
                Action::Pause
            }
            Err(e) => self.fail(PolicyError::new(
                ErrorKey::Unreachable,
                format!("cannot send the Lambda call through cluster {:?}: {e}; check that the cluster exists", self.cfg.cluster),
            )),
        }
    }

    /// How many bytes of an Invoke answer of `body_size` bytes to copy into
    /// the VM (at most one more than Lambda's limit, which is then refused),
    /// taken from the budget first. Err: the budget refused them; the answer
    /// is not to be read, and the caller ends the stream with
    /// [`Stream::on_answer_refused`] once the stream's context is current
    /// (an answer forwarded by the root is read while the root is).
    pub fn reserve_answer(&mut self, body_size: usize) -> Result<usize, PolicyError> {
        if !matches!(self.state, State::WaitingLambda { .. }) {
            return Ok(0);
        }
        let size = body_size.min(MAX_ANSWER_BYTES + 1);
        self.reserve(size).map(|()| size)
    }

    /// The budget refused the answer's bytes: the stream answers 503.
    pub fn on_answer_refused(&mut self, e: PolicyError) {
        self.finish_err(e);
    }

    /// The Invoke callout answered. `headers` without `:status` is a transport failure.
    pub fn on_lambda_answer(&mut self, token: u32, headers: Vec<(String, String)>, body: Vec<u8>) {
        let State::WaitingLambda {
            token: expected,
            sent_at,
            ..
        } = self.state
        else {
            self.log(
                LogLevel::Warn,
                format_args!("unexpected callout answer (token {token}) ignored"),
            );
            return;
        };
        if token != expected {
            self.log(
                LogLevel::Warn,
                format_args!("callout token {token} does not match {expected}: ignored"),
            );
            return;
        }
        let elapsed = self.host.now().duration_since(sent_at).unwrap_or_default();
        let timed_out = elapsed + Duration::from_millis(5) >= self.cfg.timeout;
        let answer = LambdaAnswer::from_callout(&headers, body);
        let outcome = answer.outcome(timed_out);
        self.log(
            LogLevel::Debug,
            format_args!(
                "lambda answered {:?} in {} ms: {}",
                answer.status,
                millis(elapsed),
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
            Outcome::Oversized => Metric::Oversized,
        });
        self.host.record_duration_ms(millis(elapsed));
        if retryable(outcome, answer.status) && self.schedule_retry() {
            // The next attempt takes its own answer's bytes.
            self.held.shrink(answer.body.len());
            return;
        }
        if let Err(e) = answer.verdict(outcome, millis(self.cfg.timeout)) {
            return self.finish_err(precise(e, &answer, outcome));
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
                        format_args!("variable {} failed: {e}", var.name),
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
        // The variables' view of the answer ends here: the body below then
        // moves into the reply instead of being copied.
        drop(lambda);
        if !self.cfg.send_to_consumer {
            return self.finish(End::Continue);
        }
        match self.proxy_end(&answer) {
            Some(Ok(end)) => return self.finish(end),
            Some(Err(e)) => return self.finish_err(e),
            None => {}
        }
        let status = answer.status.map(u32::from).unwrap_or(200);
        let headers = self.consumer_headers(&answer);
        let body = Rc::try_unwrap(answer)
            .map(|a| a.body)
            .unwrap_or_else(|a| a.body.clone());
        if self.cfg.scope == Scope::ResponseContent && self.response_headers_sent {
            // The status and headers are gone: only the body can change (an
            // empty one too).
            return self.finish(End::Replace { body });
        }
        self.finish(End::Reply {
            status,
            headers,
            body,
        })
    }
}
