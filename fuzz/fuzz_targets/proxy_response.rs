//! Fuzz target: a function's answer read as a proxy response.
//!
//! Input: one mode byte, then the payload. `mode % 3` picks the format (API Gateway v1,
//! v2, Envoy's envelope); see `fuzz/seeds/proxy_response/`.
//!
//! Checked, for every format:
//! * `map_response` never panics and gives the same result twice;
//! * `Ok`: a status from 100 to 599; header names non-empty lower-case tokens, none a
//!   pseudo-header, hop-by-hop header or `content-length` (`DROPPED_HEADERS`, the mapper's
//!   own list: `response_headers_tests.rs` checks each name on it is dropped); at most one
//!   `content-type`; no CR, LF or NUL in a name or value;
//! * `Err`: a non-empty reason that never holds the response's `body` text (over 16 bytes).
//!
//! Run with `cargo +nightly fuzz run proxy_response fuzz/corpus/proxy_response
//! fuzz/seeds/proxy_response` from the repository root.
#![no_main]

use envoy_lambda_policy::core::apigw::{map_response, ResponseFormat, DROPPED_HEADERS};
use libfuzzer_sys::fuzz_target;

const FORMATS: [ResponseFormat; 3] = [
    ResponseFormat::ApiGatewayV1,
    ResponseFormat::ApiGatewayV2,
    ResponseFormat::Envoy,
];

fn token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The `body` string of a JSON object payload, if any.
fn body_text(payload: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    v.get("body")?.as_str().map(str::to_string)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, payload)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(mode) % FORMATS.len()];
    let got = map_response(format, payload);
    assert_eq!(got, map_response(format, payload), "not deterministic");
    match got {
        Ok(r) => {
            assert!((100..=599).contains(&r.status), "status {}", r.status);
            let mut content_types = 0;
            for (name, value) in &r.headers {
                assert!(token(name), "header name {name:?}");
                assert_eq!(name, &name.to_ascii_lowercase(), "header name {name:?}");
                assert!(
                    !DROPPED_HEADERS.contains(&name.as_str()),
                    "header {name:?} kept"
                );
                assert!(!value.contains(['\r', '\n', '\0']), "{name}: {value:?}");
                content_types += usize::from(name == "content-type");
            }
            assert!(content_types <= 1, "{content_types} content-type headers");
        }
        Err(e) => {
            assert!(!e.is_empty(), "an empty error");
            if let Some(body) = body_text(payload).filter(|b| b.len() > 16) {
                assert!(!e.contains(&body), "the error holds the body: {e:?}");
            }
        }
    }
});
