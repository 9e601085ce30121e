//! The policy's `condition`, evaluated where the scope acts, and the
//! request's `Accept` values that an error answer needs.

use super::{Action, State, Stream};
use crate::core::condition::OnConditionError;
use crate::core::config::Scope;
use crate::core::errors::{ErrorKey, PolicyError};
use crate::core::host::{LogLevel, Metric};

impl Stream {
    /// Evaluates the condition once, when the stream reaches its phase (or
    /// on headers in the `*_CONTENT` scopes when it reads no body). None: the
    /// policy runs. Some: the stream was left alone (false, or an evaluation
    /// error with `onConditionError: SKIP`) or answered 500 (`FAIL`).
    pub(super) fn gate(&mut self) -> Option<Action> {
        if std::mem::replace(&mut self.gated, true) {
            return None;
        }
        let cfg = self.cfg.clone();
        let condition = cfg.condition.as_ref()?;
        match condition.evaluate(&self.root(None)) {
            Ok(true) => None,
            Ok(false) => {
                self.log(
                    LogLevel::Debug,
                    format_args!("the condition is false: the policy is skipped"),
                );
                Some(self.skip())
            }
            Err(why) => {
                self.host.count(Metric::ConditionError);
                match cfg.on_condition_error {
                    OnConditionError::Skip => {
                        self.log(
                            LogLevel::Warn,
                            format_args!("{why}: the policy is skipped (onConditionError SKIP)"),
                        );
                        Some(self.skip())
                    }
                    OnConditionError::Fail => {
                        self.log(
                            LogLevel::Warn,
                            format_args!("{why}: answering 500 (onConditionError FAIL)"),
                        );
                        Some(self.fail(PolicyError::new(ErrorKey::PolicyInternal, why)))
                    }
                }
            }
        }
    }

    /// Whether the condition can be evaluated on headers in a `*_CONTENT`
    /// scope (it reads no body): then a false one never holds the body.
    pub(super) fn gate_on_headers(&self) -> bool {
        self.cfg
            .condition
            .as_ref()
            .is_some_and(|c| !c.reads_content())
    }

    /// The policy does nothing more for this stream: no call, no variable,
    /// nothing held (a body held so far goes on with the returned `Continue`).
    fn skip(&mut self) -> Action {
        self.state = State::Done;
        self.paused = false;
        self.let_go();
        Action::Continue
    }

    /// The request's `Accept` values, read on request headers in the scopes
    /// that let the headers go on (Envoy no longer exposes them afterwards).
    pub(super) fn capture_accept(&mut self) {
        if self.cfg.scope != Scope::Request {
            self.accept = Some(self.read_accept());
        }
    }

    /// The `Accept` values an error answer is chosen by: captured on request
    /// headers, or (REQUEST scope, whose headers are held while it fails)
    /// read now.
    pub(super) fn accept_values(&self) -> Vec<String> {
        match &self.accept {
            Some(values) => values.clone(),
            None if self.cfg.scope == Scope::Request => self.read_accept(),
            // Never reached the request headers (another filter replied first).
            None => Vec::new(),
        }
    }

    /// Every `Accept` value when the request's headers were copied anyway,
    /// else the first one (one lookup, no copy of the other headers).
    fn read_accept(&self) -> Vec<String> {
        match &self.request {
            Some(req) if self.cfg.needs.request_headers => req
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("accept"))
                .map(|(_, v)| v.clone())
                .collect(),
            _ => self.host.request_header("accept").into_iter().collect(),
        }
    }
}
