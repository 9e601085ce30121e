//! Proxy responses: what each format accepts, infers and refuses.

use super::response::{map_response, ProxyResponse};
use super::settings::ResponseFormat::{self, ApiGatewayV1 as V1, ApiGatewayV2 as V2, Envoy, Raw};

fn ok(format: ResponseFormat, payload: &str) -> ProxyResponse {
    map_response(format, payload.as_bytes()).unwrap()
}

fn err(format: ResponseFormat, payload: &str) -> String {
    let e = map_response(format, payload.as_bytes()).unwrap_err();
    assert!(!e.is_empty());
    e
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn v1_status_headers_and_body() {
    let r = ok(
        V1,
        r#"{"statusCode": 201, "headers": {"X-One": "1", "Set-Cookie": "lost=1", "x-n": 5},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"], "x-multi": ["p", "q"]},
            "body": "{\"id\":7}", "isBase64Encoded": false}"#,
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        r.headers,
        h(&[
            ("x-one", "1"),
            ("x-n", "5"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("x-multi", "p"),
            ("x-multi", "q"),
            ("content-type", "application/json"),
        ])
    );
    assert_eq!(r.body, b"{\"id\":7}");
}

#[test]
fn v1_accepts_a_numeric_string_status_base64_and_null_fields() {
    let r = ok(
        V1,
        r#"{"statusCode": "404", "headers": null, "multiValueHeaders": null,
            "body": "iVBORw0KGgo=", "isBase64Encoded": true,
            "headers_unknown": 1}"#,
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.body, b"\x89PNG\r\n\x1a\n");
    let r = ok(V1, r#"{"statusCode": 204, "body": null}"#);
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = ok(
        V1,
        r#"{"statusCode": 200, "headers": {"Content-Type": "image/png"}}"#,
    );
    assert_eq!(r.headers, h(&[("content-type", "image/png")]));
}

#[test]
fn v1_refuses_what_api_gateway_calls_malformed() {
    let cases = [
        ("[1,2]", "not a JSON object"),
        ("\"hello\"", "not a JSON object"),
        ("not json", "not JSON"),
        ("{}", "statusCode is missing"),
        (r#"{"statusCode": null}"#, "statusCode is missing"),
        (r#"{"statusCode": 99}"#, "100 to 599"),
        (r#"{"statusCode": 600}"#, "100 to 599"),
        (r#"{"statusCode": -1}"#, "100 to 599"),
        (r#"{"statusCode": 200.5}"#, "100 to 599"),
        (r#"{"statusCode": "2OO"}"#, "integer or a numeric string"),
        (r#"{"statusCode": true}"#, "integer or a numeric string"),
        (
            r#"{"statusCode": 200, "body": {"a": 1}}"#,
            "body must be a string",
        ),
        (
            r#"{"statusCode": 200, "body": "x", "isBase64Encoded": "yes"}"#,
            "true or false",
        ),
        (
            r#"{"statusCode": 200, "body": "not base64!", "isBase64Encoded": true}"#,
            "base64",
        ),
        (
            r#"{"statusCode": 200, "body": "aGk", "isBase64Encoded": true}"#,
            "base64",
        ),
        (
            r#"{"statusCode": 200, "headers": []}"#,
            "headers must be an object",
        ),
        (
            r#"{"statusCode": 200, "headers": {"a": {}}}"#,
            "not a string",
        ),
        (
            r#"{"statusCode": 200, "multiValueHeaders": {"a": "b"}}"#,
            "not a list",
        ),
        (
            r#"{"statusCode": 200, "multiValueHeaders": {"a": [[1]]}}"#,
            "not a string",
        ),
    ];
    for (payload, expected) in cases {
        let e = err(V1, payload);
        assert!(e.contains(expected), "{payload}: {e}");
    }
}

#[test]
fn errors_never_carry_the_body() {
    let e = err(
        V1,
        r#"{"statusCode": 200, "body": "SECRET-BODY!", "isBase64Encoded": true}"#,
    );
    assert!(!e.contains("SECRET"), "{e}");
    let e = err(V1, r#"{"statusCode": "SECRET"}"#);
    assert!(!e.contains("SECRET"), "{e}");
}

#[test]
fn v2_explicit_response_with_cookies() {
    let r = ok(
        V2,
        r#"{"statusCode": 201, "headers": {"Location": "/items/7", "content-type": "application/json"},
            "cookies": ["a=1; Path=/", "b=2; HttpOnly"], "body": "{}",
            "multiValueHeaders": {"x-ignored": ["v"]}}"#,
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        r.headers,
        h(&[
            ("location", "/items/7"),
            ("content-type", "application/json"),
            ("set-cookie", "a=1; Path=/"),
            ("set-cookie", "b=2; HttpOnly"),
        ])
    );
    assert_eq!(r.body, b"{}");
    assert!(err(V2, r#"{"statusCode": 200, "cookies": "a=1"}"#).contains("cookies"));
    assert!(err(V2, r#"{"statusCode": 200, "cookies": [1]}"#).contains("cookies"));
    assert!(err(V2, r#"{"statusCode": 700}"#).contains("100 to 599"));
}

#[test]
fn v2_infers_a_200_json_answer_without_status_code() {
    let json = h(&[("content-type", "application/json")]);
    for payload in [
        r#"{"message": "hi"}"#,
        "[1, 2]",
        "42",
        "null",
        "true",
        "not json at all",
        "",
    ] {
        let r = ok(V2, payload);
        assert_eq!((r.status, &r.headers), (200, &json), "{payload}");
        assert_eq!(r.body, payload.as_bytes(), "{payload}");
    }
    // A JSON string answers with its text.
    assert_eq!(
        ok(V2, r#""Hello from Lambda!""#).body,
        b"Hello from Lambda!"
    );
    // `statusCode: null` is no status: inferred too.
    assert_eq!(
        ok(V2, r#"{"statusCode": null, "a": 1}"#).body,
        br#"{"statusCode": null, "a": 1}"#
    );
}

#[test]
fn envoy_envelope_in_both_spellings() {
    let r = ok(
        Envoy,
        r#"{"status_code": 202, "headers": {"x-a": "1"}, "cookies": ["c=1"],
            "body": "aGk=", "is_base64_encoded": true, "unknown": 1}"#,
    );
    assert_eq!(r.status, 202);
    assert_eq!(
        r.headers,
        h(&[
            ("x-a", "1"),
            ("set-cookie", "c=1"),
            ("content-type", "application/json")
        ])
    );
    assert_eq!(r.body, b"hi");
    let r = ok(
        Envoy,
        r#"{"statusCode": "418", "body": "aGk=", "isBase64Encoded": true}"#,
    );
    assert_eq!((r.status, r.body.as_slice()), (418, b"hi".as_slice()));
    // Status 0 or absent keeps the Lambda API's 200; the body may be absent.
    assert_eq!(ok(Envoy, r#"{"status_code": 0}"#).status, 200);
    let r = ok(Envoy, "{}");
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert!(err(Envoy, "[]").contains("not a JSON object"));
    assert!(err(Envoy, r#"{"status_code": 1000}"#).contains("100 to 599"));
    assert!(err(Envoy, r#"{"body": 5}"#).contains("body must be a string"));
}

#[test]
fn raw_is_not_a_proxy_format() {
    assert!(err(Raw, "{}").contains("RAW"));
}
