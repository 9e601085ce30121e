//! How a stream ends: the reply headers, the filter state for access logs,
//! and [`Stream::finish`], the one place where a paused stream ends.

use super::{End, State, Stream};
use crate::core::aws::answer::LambdaAnswer;
use crate::core::errors::PolicyError;
use crate::core::host::{LogLevel, Metric};
use crate::core::reply::{self, Accept, Reply, Source};
use crate::core::stream::Action;
use crate::core::time::millis;
use std::time::Duration;

impl Stream {
    /// Headers of the reply that carries the function's result: in response
    /// phases the backend's headers (length recomputed), else the content type.
    pub(super) fn consumer_headers(&self, answer: &LambdaAnswer) -> Vec<(String, String)> {
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
                // The Lambda API's header goes into a local reply: CR, LF or NUL
                // in it would split or break the consumer's response. Envoy joins
                // repeated content-type headers with commas: the first one counts.
                let first = ct.split(',').next().unwrap_or_default().trim();
                out.push(("content-type".to_string(), header_safe(first).into_owned()));
            }
        }
        out
    }

    /// Filter state for access logs: `wasm.lambda_status`, `wasm.lambda_request_id`,
    /// `wasm.lambda_duration_ms` (and `wasm.lambda_error_key` on failure).
    pub(super) fn publish_call(&self, answer: &LambdaAnswer, elapsed: Duration) {
        if let Some(status) = answer.status {
            self.host
                .set_filter_state("lambda_status", &status.to_string());
        }
        if let Some(id) = &answer.request_id {
            self.host
                .set_filter_state("lambda_request_id", &header_safe(id));
        }
        self.host
            .set_filter_state("lambda_duration_ms", &millis(elapsed).to_string());
    }

    pub(super) fn fail(&mut self, e: PolicyError) -> Action {
        self.finish_err(e);
        Action::Pause
    }

    /// Answers `e`: the response template selected for its key and the
    /// request's `Accept`, else (none, or one that failed to render) the
    /// built-in answer. `wasm.lambda_error_key` is the precise key.
    pub(super) fn finish_err(&mut self, mut e: PolicyError) {
        let cfg = self.cfg.clone();
        let base = &cfg.error_params;
        let p = &mut e.params;
        for (field, value) in [
            (&mut p.function, &base.function),
            (&mut p.region, &base.region),
            (&mut p.qualifier, &base.qualifier),
        ] {
            if field.is_none() {
                field.clone_from(value);
            }
        }
        self.host
            .set_filter_state("lambda_error_key", e.key.as_str());
        let values = self.accept_values();
        let accept = Accept::parse(values.iter().map(String::as_str));
        let answer = reply::answer(&cfg.response_templates, &e, &accept, &self.root(None));
        match &answer.source {
            Source::Fallback(selected, why) => {
                self.host.count(Metric::ResponseTemplateError);
                self.log(
                    LogLevel::Warn,
                    format_args!(
                        "response template {} {} failed to render ({why}): the built-in answer is sent",
                        selected.key, selected.media
                    ),
                );
            }
            Source::Template(selected) => self.log(
                LogLevel::Debug,
                format_args!(
                    "answering with response template {} {}",
                    selected.key, selected.media
                ),
            ),
            Source::BuiltIn => {}
        }
        let Reply {
            status,
            headers,
            body,
        } = answer.reply;
        self.log(
            LogLevel::Debug,
            format_args!("answering {status} {}: {}", e.key.as_str(), e.details),
        );
        self.finish(End::Reply {
            status,
            headers,
            body,
        });
    }

    /// The one place where a paused stream ends.
    pub(super) fn finish(&mut self, end: End) {
        let was_paused = std::mem::replace(&mut self.paused, false);
        self.state = State::Done;
        // Nothing the call needed is kept while the stream goes on.
        self.let_go();
        match end {
            End::Continue if !was_paused => {}
            End::Continue if self.cfg.scope.is_request_phase() => self.host.resume_request(),
            End::Continue => self.host.resume_response(),
            End::Replace { body } => {
                self.host.replace_response_body(self.body_size, &body);
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
pub(super) fn header_safe(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(['\r', '\n', '\0']) {
        v.replace(['\r', '\n', '\0'], " ").into()
    } else {
        v.into()
    }
}
