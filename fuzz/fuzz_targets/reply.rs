//! Fuzz target: a request's `Accept` header and a `responseTemplates`
//! configuration, both arbitrary.
//!
//! The input's first line is the `Accept` value, the rest the templates'
//! JSON. Parsing never panics and keeps Gravitee's order (`q` never rises);
//! a configuration is refused or compiled; every error key then gets an
//! answer: a status from 200 to 599 and headers without CR, LF or NUL,
//! whatever the template renders (or a fallback to the built-in answer).
//!
//! Run with `cargo +nightly fuzz run reply fuzz/corpus/reply fuzz/seeds/reply` from the
//! repository root.
#![no_main]

use envoy_lambda_policy::core::errors::{ErrorKey, ErrorParams, PolicyError};
use envoy_lambda_policy::core::reply::{self, Accept, ResponseTemplates};
use envoy_lambda_policy::core::template::{Root, Value};
use libfuzzer_sys::fuzz_target;

struct NoRoots;

impl Root for NoRoots {
    fn lookup(&self, _name: &str) -> Option<Value> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (accept, json) = data.split_at(split);
    let accept = String::from_utf8_lossy(accept);
    let parsed = Accept::parse(accept.split('\r'));
    let qs: Vec<u16> = parsed.ranges().iter().map(|r| r.q()).collect();
    assert!(qs.windows(2).all(|w| w[0] >= w[1]), "q rises: {qs:?}");
    let Ok(compiled) = ResponseTemplates::from_json("responseTemplates", json.get(1..).unwrap_or_default()) else {
        return;
    };
    for key in ErrorKey::ALL {
        let e = PolicyError::new(key, "Status Code: 429").with_params(ErrorParams {
            function: Some("f".to_string()),
            status: Some(429),
            ..ErrorParams::default()
        });
        let answer = reply::answer(&compiled.templates, &e, &parsed, &NoRoots);
        let r = answer.reply;
        assert!((200..=599).contains(&r.status), "status {}", r.status);
        for (name, value) in &r.headers {
            assert!(!name.is_empty() && !name.contains(['\r', '\n', '\0', ':']), "{name:?}");
            assert!(!value.contains(['\r', '\n', '\0']), "{name}: {value:?}");
        }
    }
});
