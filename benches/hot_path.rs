//! Micro-benchmarks of the host-free hot path: signing one Invoke request,
//! rendering a payload template, evaluating variables. `make bench` runs them.
//! Benchmark code, not shipped: a broken fixture may fail loudly.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use envoy_lambda_policy::core::aws::invoke::InvokeTarget;
use envoy_lambda_policy::core::credentials::Credentials;
use envoy_lambda_policy::core::template::{Map, Root, Template, Value};
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Scope {
    request: Value,
    lambda: Value,
}

impl Root for Scope {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "request" => Some(self.request.clone()),
            "lambdaResponse" => Some(self.lambda.clone()),
            _ => None,
        }
    }
}

fn scope_with(id: u64) -> Scope {
    let mut headers = Map::new_case_insensitive();
    headers.insert("x-user", Value::List(Rc::new(vec![Value::from("alice")])));
    let mut request = Map::new();
    request.insert("headers", Value::Map(Rc::new(headers)));
    request.insert(
        "content",
        Value::from(r#"{"order":1234,"items":["a","b","c"]}"#),
    );
    request.insert("path", Value::from("/orders"));
    let answer: String = serde_json::to_string(&serde_json::json!((0..24)
        .map(|i| (
            format!("field{i}"),
            serde_json::json!({"id": i, "name": format!("name-{i}")})
        ))
        .collect::<serde_json::Map<String, serde_json::Value>>()))
    .unwrap_or_default();
    let mut lambda = Map::new();
    lambda.insert(
        "content",
        Value::from(answer.replacen('{', &format!("{{\"request\":{id},"), 1)),
    );
    lambda.insert("status", Value::Int(200));
    Scope {
        request: Value::Map(Rc::new(request)),
        lambda: Value::Map(Rc::new(lambda)),
    }
}

fn bench(c: &mut Criterion) {
    let mut n = 0u64;
    let target = InvokeTarget::new(
        "lambda.us-east-1.amazonaws.com",
        "",
        "arn:aws:lambda:us-east-1:123456789012:function:bench",
        None,
        "us-east-1",
        "RequestResponse",
        "None",
    );
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    );
    let body = br#"{"order":1234,"items":["a","b","c"],"customer":{"id":"c-42","tier":"gold"}}"#;
    let now = UNIX_EPOCH + Duration::from_secs(1_764_000_000);
    c.bench_function("sign_invoke_request", |b| {
        b.iter(|| target.signed_headers(black_box(body), &creds, black_box(now)))
    });

    let s = scope_with(0);
    let payload = Template::compile(r#"{"user": "{#request.headers['X-User'][0]}", "path": "{#request.path}", "body": {#request.content}}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("render_payload_template", |b| {
        b.iter(|| payload.render(black_box(&s)))
    });

    let vars: Vec<Template> = (0..8)
        .map(|i| {
            Template::compile(&format!(
                "{{#jsonPath(#lambdaResponse.content, '$.field{i}.name')}}"
            ))
        })
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    // A fresh answer per iteration, as per request: the 2 KB JSON is parsed once
    // and shared by the 8 variables.
    c.bench_function("evaluate_8_jsonpath_variables_2kb", |b| {
        b.iter_batched(
            || {
                n += 1;
                scope_with(n)
            },
            |fresh| {
                vars.iter()
                    .map(|v| v.render(black_box(&fresh)))
                    .collect::<Vec<_>>()
            },
            criterion::BatchSize::SmallInput,
        )
    });
    let _ = SystemTime::now();
}

criterion_group!(benches, bench);
criterion_main!(benches);
