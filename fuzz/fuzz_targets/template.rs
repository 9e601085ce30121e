//! Fuzz target: compile arbitrary text as a Gravitee EL template and render
//! it against a fixed root. Neither step may panic, hang or overflow the stack;
//! a literal template must render to its source; rendering is deterministic.
//!
//! Run with `cargo +nightly fuzz run template fuzz/seeds/template` from the
//! repository root (libFuzzer needs a nightly toolchain).
#![no_main]

use envoy_lambda_policy::core::template::{Map, Object, Root, Template, Value};
use libfuzzer_sys::fuzz_target;

struct Request;

impl Object for Request {
    fn get(&self, key: &str) -> Option<Value> {
        match key {
            "path" => Some(Value::str("/api/orders/42")),
            "method" => Some(Value::str("POST")),
            "content" => Some(Value::str(r#"{"order":{"id":42,"items":[1,2,3]}}"#)),
            "headers" => {
                let mut h = Map::new_case_insensitive();
                h.insert(
                    "x-header",
                    Value::list(vec![Value::str("h1"), Value::str("h2")]),
                );
                h.insert(
                    "content-type",
                    Value::list(vec![Value::str("application/json")]),
                );
                Some(Value::map(h))
            }
            "params" => {
                let mut p = Map::new();
                p.insert("q", Value::list(vec![Value::str("search")]));
                Some(Value::map(p))
            }
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"path": "/api/orders/42", "method": "POST"})
    }
}

struct FixedRoot;

impl Root for FixedRoot {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "request" => Some(Value::object(Request)),
            "lambdaResponse" => {
                let mut m = Map::new();
                m.insert("status", Value::Int(200));
                m.insert(
                    "content",
                    Value::str(
                        r#"{"field":"value","n":42,"arr":[1,2.5,"x",null],"o":{"a":{"b":true}}}"#,
                    ),
                );
                Some(Value::map(m))
            }
            "context" => {
                let mut attrs = Map::new();
                attrs.insert("name", Value::str("attr"));
                let mut m = Map::new();
                m.insert("attributes", Value::map(attrs));
                Some(Value::map(m))
            }
            "big" => Some(Value::Int(i64::MAX)),
            "f" => Some(Value::Float(-0.5)),
            "t" => Some(Value::Bool(true)),
            "empty" => Some(Value::str("")),
            _ => None,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(template) = Template::compile(src) else {
        return;
    };
    let first = template.render(&FixedRoot);
    if template.is_literal() {
        assert_eq!(first.as_deref(), Ok(src));
    }
    assert_eq!(first, template.render(&FixedRoot));
    let _ = template.references("request");
});
