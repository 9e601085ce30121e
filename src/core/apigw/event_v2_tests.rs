//! The HTTP API / Function URL (payload 2.0) event.

use super::settings::PayloadFormat;
use super::ApiGateway;
use crate::core::testing::apigw::{at_resource, build, context, deployed, get, request, T};
use serde_json::{json, Value};

fn v2(api: &ApiGateway, h: &[(String, String)], body: &[u8]) -> Value {
    build(PayloadFormat::ApiGatewayV2, api, h, body)
}

#[test]
fn a_full_request_is_the_documented_event() {
    let api = deployed(
        "r3pmxmplak",
        "$default",
        ("env", "test"),
        "ANY /files/{path+}",
        "/files/{path+}",
    );
    let h = request(
        "PUT",
        "/files/a/b%20c.txt?p1=v1&p1=v2&p2=x%26y",
        &[
            ("user-agent", "agent/1"),
            ("x-request-id", "rid"),
            ("cookie", "s=1; t=2"),
            ("x-dup", "one"),
            ("cookie", "u=3"),
            ("x-dup", "two"),
            ("content-type", "text/plain"),
        ],
    );
    let got = v2(&api, &h, b"hello");
    let want = json!({
        "version": "2.0",
        "routeKey": "ANY /files/{path+}",
        "rawPath": "/files/a/b%20c.txt",
        "rawQueryString": "p1=v1&p1=v2&p2=x%26y",
        "cookies": ["s=1", "t=2", "u=3"],
        "headers": {
            "host": "api.example.com", "user-agent": "agent/1", "x-request-id": "rid",
            "x-dup": "one,two", "content-type": "text/plain"
        },
        "queryStringParameters": {"p1": "v1,v2", "p2": "x&y"},
        "pathParameters": {"path": "a/b c.txt"},
        "stageVariables": {"env": "test"},
        "requestContext": context("r3pmxmplak", json!({
            "http": {
                "method": "PUT", "path": "/files/a/b%20c.txt", "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7", "userAgent": "agent/1"
            },
            "requestId": "rid",
            "routeKey": "ANY /files/{path+}",
            "stage": "$default",
            "time": "03/Dec/2026:09:12:00 +0000",
            "timeEpoch": T
        })),
        "body": "hello",
        "isBase64Encoded": false
    });
    assert_eq!(got, want);
}

#[test]
fn fields_without_content_are_left_out() {
    let got = v2(&ApiGateway::default(), &get("/", &[]), b"");
    let obj = got.as_object().unwrap();
    for absent in [
        "cookies",
        "queryStringParameters",
        "pathParameters",
        "stageVariables",
        "body",
    ] {
        assert!(!obj.contains_key(absent), "{absent} should be omitted");
    }
    assert_eq!(got["rawQueryString"], "");
    assert_eq!(got["routeKey"], "$default");
    assert_eq!(got["requestContext"]["stage"], "$default");
    assert_eq!(got["requestContext"]["http"]["userAgent"], "");
    assert_eq!(got["isBase64Encoded"], false);
    assert_eq!(got["headers"], json!({"host": "api.example.com"}));
}

#[test]
fn cookie_headers_only_feed_cookies_and_empty_crumbs_are_skipped() {
    let got = v2(
        &ApiGateway::default(),
        &get("/", &[("cookie", "a=1;b=2; ;")]),
        b"",
    );
    assert_eq!(got["cookies"], json!(["a=1", "b=2"]));
    assert!(got["headers"].get("cookie").is_none());
}

#[test]
fn a_binary_body_is_base64() {
    let h = get("/up", &[("content-type", "image/png")]);
    let got = v2(&ApiGateway::default(), &h, &[0, 159, 146, 150]);
    assert_eq!(got["body"], "AJ+Slg==");
    assert_eq!(got["isBase64Encoded"], true);
}

#[test]
fn a_resource_that_does_not_match_gives_no_path_parameters() {
    let api = at_resource("/items/{id}");
    let got = v2(&api, &get("/items", &[]), b"");
    assert!(got.get("pathParameters").is_none());
    let got = v2(&api, &get("/items/x%2Fy?z=1", &[]), b"");
    assert_eq!(got["pathParameters"], json!({"id": "x/y"}));
}

#[test]
fn a_named_stage_prefixes_the_raw_path_as_the_default_endpoint_does() {
    let api = ApiGateway {
        stage: "prod".into(),
        ..at_resource("/items/{id}")
    };
    let got = v2(&api, &get("/items/7?x=1", &[]), b"");
    assert_eq!(got["rawPath"], "/prod/items/7");
    assert_eq!(got["requestContext"]["http"]["path"], "/prod/items/7");
    assert_eq!(got["requestContext"]["stage"], "prod");
    // The resource matches the path the consumer sent, without the stage.
    assert_eq!(got["pathParameters"], json!({"id": "7"}));
}
