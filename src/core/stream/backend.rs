//! The function as an API backend: the event built from the request in place of the
//! payload template (`payloadFormat`), the proxy response mapped into the consumer's
//! answer (`responseFormat`), and the checks that the request body was really held.

use super::{End, Stream};
use crate::core::apigw::{build_event, map_response, HttpRequest, ResponseFormat};
use crate::core::aws::answer::LambdaAnswer;
use crate::core::config::{InvocationType, Scope};
use crate::core::errors::{ErrorKey, PolicyError};
use crate::core::host::{LogLevel, Metric};
use std::cell::Cell;

thread_local! {
    /// The missing-buffer-filter warning is written once per VM.
    static WARNED_UNHELD: Cell<bool> = const { Cell::new(false) };
    /// REQUEST_CONTENT streams of this VM that could have met the missing buffer filter.
    static UNHELD_CANDIDATES: Cell<u64> = const { Cell::new(0) };
}

/// The missing-buffer-filter check runs on a VM's first this many candidate streams, then on
/// one in this many.
const UNHELD_EVERY: u64 = 64;

/// Bytes an event adds to the body it carries: the JSON around it, about 1 KB of fields
/// and every header twice (v1's `headers` and `multiValueHeaders`), escaped.
fn event_overhead(headers: &[(String, String)]) -> usize {
    let bytes: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 8).sum();
    2048 + 3 * bytes
}

impl Stream {
    /// The payload when no template is set: the event of `payloadFormat` (with its bytes
    /// reserved from the VM's budget while it is built), else nothing.
    pub(super) fn event_payload(&mut self) -> Result<Vec<u8>, PolicyError> {
        let format = self.cfg.apigw.payload_format;
        if !format.describes_request() {
            return Ok(Vec::new());
        }
        let Some(req) = self.request.clone() else {
            return Err(PolicyError::new(
                ErrorKey::TemplatePayload,
                "the request was not captured",
            ));
        };
        let body = req.content.as_deref().unwrap_or_default();
        let limit = self.cfg.invocation_type.max_payload_bytes();
        if body.len() > limit {
            // The event carries at least the whole body: over the limit before it is built.
            return Err(self.payload_too_large(body.len(), limit));
        }
        // Text is copied, binary grows by a third (base64); both are held while it is built.
        let estimate = body.len() / 3 * 4 + 4 + event_overhead(&req.headers);
        self.reserve(estimate)?;
        let protocol = self
            .host
            .property(&["request", "protocol"])
            .map(|p| String::from_utf8_lossy(&p).into_owned());
        let event = build_event(
            format,
            &self.cfg.apigw.api_gateway,
            &HttpRequest {
                headers: &req.headers,
                body,
                source_ip: req.remote_address.as_deref(),
                protocol: protocol.as_deref(),
                time_ms: req.timestamp_ms,
            },
        );
        self.held.shrink(estimate);
        event.map_err(|e| PolicyError::new(ErrorKey::TemplatePayload, e))
    }

    /// The 413 of a payload over Lambda's limit (Lambda is not called).
    pub(super) fn payload_too_large(&self, size: usize, limit: usize) -> PolicyError {
        self.host.count(Metric::PayloadTooLarge);
        PolicyError::new(
            ErrorKey::PayloadTooLarge,
            format!(
                "payload is at least {size} bytes; {} invocations accept at most {limit}",
                self.cfg.invocation_type.as_str()
            ),
        )
    }

    /// With `sendToConsumer`, how a proxy response (`responseFormat` other than `RAW`)
    /// ends the stream: status, headers and body replaced (request scopes, `RESPONSE`),
    /// or only the body once the backend's headers went on (`RESPONSE_CONTENT`). None:
    /// the raw payload is the answer (`RAW`, `Event` and `DryRun` invocations).
    pub(super) fn proxy_end(&self, answer: &LambdaAnswer) -> Option<Result<End, PolicyError>> {
        let format = self.cfg.apigw.response_format;
        if format == ResponseFormat::Raw
            || self.cfg.invocation_type != InvocationType::RequestResponse
        {
            return None;
        }
        let mapped = match map_response(format, &answer.body) {
            Ok(m) => m,
            Err(why) => {
                self.log(
                    LogLevel::Debug,
                    format_args!("not a {} proxy response: {why}", format.as_str()),
                );
                return Some(Err(PolicyError::new(
                    ErrorKey::InvalidProxyResponse,
                    format!(
                        "the function's answer is not an {} proxy response: {why}",
                        format.as_str()
                    ),
                )));
            }
        };
        if self.cfg.scope == Scope::ResponseContent && self.response_headers_sent {
            return Some(Ok(End::Replace { body: mapped.body }));
        }
        Some(Ok(End::Reply {
            status: u32::from(mapped.status),
            headers: mapped.headers,
            body: mapped.body,
        }))
    }

    /// REQUEST_CONTENT holds only the body: without Envoy's buffer filter after this one
    /// (or `holdRequestHeaders`), the router has already sent the headers upstream when
    /// the body is complete, so the backend is called before the function answered, and
    /// an answer from the filter (`sendToConsumer`, an error) resets that request. Envoy
    /// has then chosen the upstream host; warns once per VM, naming the fix. The check
    /// is a host call (about 4k instructions when the attribute is not there): it runs
    /// on each of the VM's first `UNHELD_EVERY` such streams, then on every
    /// `UNHELD_EVERY`th, so a listener or route set up this way is still found when it
    /// has a small share of the VM's streams, for 1/`UNHELD_EVERY` of the cost.
    pub(super) fn check_request_held(&self) {
        if self.cfg.scope != Scope::RequestContent
            || self.cfg.hold_request_headers
            || WARNED_UNHELD.with(Cell::get)
        {
            return;
        }
        let nth = UNHELD_CANDIDATES.with(|n| {
            n.set(n.get().saturating_add(1));
            n.get()
        });
        if nth > UNHELD_EVERY && nth % UNHELD_EVERY != 0 {
            return;
        }
        let Some(upstream) = self.host.property(&["upstream", "address"]) else {
            return;
        };
        WARNED_UNHELD.with(|w| w.set(true));
        self.log(
            LogLevel::Warn,
            format_args!(
                "scope REQUEST_CONTENT: the request headers already went to the backend ({}) before the body was complete, so the backend is called before the function answered and an answer from this filter resets that request; put envoy.filters.http.buffer after this filter in http_filters, or set allow_on_headers_stop_iteration: true in the Wasm filter's config and holdRequestHeaders: true here (logged once)",
                String::from_utf8_lossy(&upstream)
            ),
        );
    }
}
