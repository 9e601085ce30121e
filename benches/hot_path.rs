//! Micro-benchmarks of the host-free hot path: signing one Invoke request,
//! rendering a payload template, evaluating variables. `make bench` runs them.
//! Benchmark code, not shipped: a broken fixture may fail loudly.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use envoy_lambda_policy::core::aws::target::InvokeTarget;
use envoy_lambda_policy::core::config::from_json;
use envoy_lambda_policy::core::credentials::{Credentials, StaticCredentials};
use envoy_lambda_policy::core::stream::budget::Budget;
use envoy_lambda_policy::core::stream::Stream;
use envoy_lambda_policy::core::template::{Map, Root, Template, Value};
use envoy_lambda_policy::core::testing::NoopHost;
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

/// One REQUEST_CONTENT request as `make bench` sends it (case wasm_content):
/// headers, body, signed Invoke, Lambda answer, local reply.
fn bench_stream(c: &mut Criterion) {
    let json = br#"{"function": "bench", "region": "us-east-1", "endpoint": "http://127.0.0.1:9",
        "cluster": "double", "accessKey": "AKIDBENCHMARK", "secretKey": "benchmark-secret-key",
        "scope": "REQUEST_CONTENT", "sendToConsumer": true, "payload": "{#request.content}"}"#;
    let cfg = Rc::new(
        from_json(json, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"))
            .config,
    );
    let creds = Rc::new(StaticCredentials(cfg.credentials.base.clone().map(Rc::new)));
    let h = |n: &str, v: &str| (n.to_string(), v.to_string());
    let host = Rc::new(NoopHost {
        request_headers: vec![
            h(":authority", "127.0.0.1:10000"),
            h(":path", "/"),
            h(":method", "POST"),
            h(":scheme", "http"),
            h("content-length", "85"),
            h("content-type", "application/json"),
            h("x-forwarded-proto", "http"),
            h("x-request-id", "0b3c5f2e-6a1d-4c59-9d0e-5f3b1f0a2c11"),
        ],
        body: br#"{"order": 1234, "items": ["a", "b", "c"], "customer": {"id": "c-42", "tier": "gold"}}"#.to_vec(),
        now: UNIX_EPOCH + Duration::from_secs(1_764_000_000),
    });
    let answer_headers = vec![
        h(":status", "200"),
        h("content-type", "application/json"),
        h("content-length", "50"),
        h("date", "Tue, 25 Nov 2026 08:00:00 GMT"),
        h("server", "envoy"),
    ];
    let answer = br#"{"statusCode": 200, "body": "ok", "echo": "static"}"#.to_vec();
    let budget = Rc::new(Budget::new(128 << 20));
    c.bench_function("stream_request_content_round_trip", |b| {
        b.iter(|| {
            let mut s = Stream::new(3, cfg.clone(), host.clone(), creds.clone(), budget.clone());
            s.on_request_headers(false);
            s.on_request_body(85, true);
            s.on_lambda_answer(1, answer_headers.clone(), answer.clone());
            s
        })
    });
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
    )
    .unwrap();
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

criterion_group!(benches, bench, bench_stream);
criterion_main!(benches);
