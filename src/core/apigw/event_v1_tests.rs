//! The REST API (v1) event: every field, and the edge cases of each.

use super::event::{build_event, HttpRequest};
use super::settings::PayloadFormat;
use super::settings::PayloadFormat::ApiGatewayV1 as V1;
use super::ApiGateway;
use crate::core::testing::apigw::{at_resource, build, context, deployed, event, get, request, T};
use crate::core::testing::headers;
use serde_json::{json, Value};

#[test]
fn a_full_get_is_the_documented_event() {
    let api = deployed(
        "a1b2c3",
        "prod",
        ("color", "blue"),
        "$default",
        "/items/{id}",
    );
    let h = get(
        "/items/42?tag=a&tag=b%20c&q=x+y",
        &[
            ("user-agent", "curl/8.5.0"),
            ("x-request-id", "r-1"),
            ("accept", "text/html"),
            ("accept", "application/json"),
            ("cookie", "a=1; b=2"),
        ],
    );
    let got = build(PayloadFormat::ApiGatewayV1, &api, &h, b"");
    let want = json!({
        "resource": "/items/{id}",
        "path": "/items/42",
        "httpMethod": "GET",
        "headers": {
            "host": "api.example.com", "user-agent": "curl/8.5.0", "x-request-id": "r-1",
            "accept": "application/json", "cookie": "a=1; b=2"
        },
        "multiValueHeaders": {
            "host": ["api.example.com"], "user-agent": ["curl/8.5.0"], "x-request-id": ["r-1"],
            "accept": ["text/html", "application/json"], "cookie": ["a=1; b=2"]
        },
        "queryStringParameters": {"tag": "b c", "q": "x y"},
        "multiValueQueryStringParameters": {"tag": ["a", "b c"], "q": ["x y"]},
        "pathParameters": {"id": "42"},
        "stageVariables": {"color": "blue"},
        "requestContext": context("a1b2c3", json!({
            "httpMethod": "GET",
            "identity": {
                "accessKey": null, "accountId": null, "caller": null,
                "cognitoAuthenticationProvider": null, "cognitoAuthenticationType": null,
                "cognitoIdentityId": null, "cognitoIdentityPoolId": null, "principalOrgId": null,
                "sourceIp": "203.0.113.7", "user": null, "userAgent": "curl/8.5.0", "userArn": null
            },
            "path": "/prod/items/42",
            "protocol": "HTTP/1.1",
            "requestId": "r-1",
            "requestTime": "03/Dec/2026:09:12:00 +0000",
            "requestTimeEpoch": 1_796_289_120_000u64,
            "resourcePath": "/items/{id}",
            "stage": "prod"
        })),
        "body": null,
        "isBase64Encoded": false
    });
    assert_eq!(got, want);
}

#[test]
fn without_query_resource_or_stage_variables_those_fields_are_null() {
    let got = event(V1, &get("/plain", &[]), b"");
    for field in [
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "body",
    ] {
        assert_eq!(got[field], Value::Null, "{field}");
        assert!(
            got.as_object().unwrap().contains_key(field),
            "{field} present"
        );
    }
    assert_eq!(got["resource"], "/plain");
    assert_eq!(got["requestContext"]["resourcePath"], "/plain");
    assert_eq!(got["requestContext"]["stage"], "$default");
    assert_eq!(got["requestContext"]["identity"]["userAgent"], Value::Null);
    assert_eq!(got["requestContext"]["requestId"], "");
    // A bare `?` is no query either.
    assert_eq!(
        event(V1, &get("/plain?", &[]), b"")["queryStringParameters"],
        Value::Null
    );
}

#[test]
fn a_resource_that_does_not_match_leaves_the_path_as_resource() {
    for (template, path, resource, path_parameters) in [
        ("/orders/{id}", "/users/7", "/users/7", Value::Null),
        (
            "/{proxy+}",
            "/a/b%2Fc/d",
            "/{proxy+}",
            json!({"proxy": "a/b/c/d"}),
        ),
    ] {
        let got = build(
            PayloadFormat::ApiGatewayV1,
            &at_resource(template),
            &get(path, &[]),
            b"",
        );
        assert_eq!(got["resource"], resource, "{template}");
        assert_eq!(got["pathParameters"], path_parameters, "{template}");
        assert_eq!(got["path"], path, "{template}");
    }
}

#[test]
fn query_keys_without_value_and_empty_pieces() {
    let got = event(V1, &get("/q?flag&&=v&a=%E2%9C%93&bad=%ff", &[]), b"");
    assert_eq!(
        got["multiValueQueryStringParameters"],
        json!({"flag": [""], "": ["v"], "a": ["✓"], "bad": ["%ff"]})
    );
}

#[test]
fn textual_bodies_are_text_and_the_others_base64() {
    let post = |ct: Option<&str>, body: &[u8]| {
        let mut h = request("POST", "/p", &[]);
        if let Some(ct) = ct {
            h.push(("content-type".into(), ct.into()));
        }
        let e = event(V1, &h, body);
        (e["body"].clone(), e["isBase64Encoded"].clone())
    };
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "Text/Plain",
        "text/csv",
        "application/problem+json",
        "application/xml",
        "application/atom+xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
    ] {
        assert_eq!(
            post(Some(ct), b"{\"a\":1}"),
            (json!("{\"a\":1}"), json!(false)),
            "{ct}"
        );
    }
    for ct in [
        None,
        Some("image/png"),
        Some("application/octet-stream"),
        Some("multipart/form-data; boundary=x"),
    ] {
        assert_eq!(
            post(ct, b"\x89PNG\x00"),
            (json!("iVBORwA="), json!(true)),
            "{ct:?}"
        );
    }
    // Textual type, bytes that are not UTF-8: base64, never lossy.
    assert_eq!(
        post(Some("text/plain"), b"caf\xe9"),
        (json!("Y2Fm6Q=="), json!(true))
    );
    assert_eq!(
        post(Some("application/json"), b""),
        (Value::Null, json!(false))
    );
}

#[test]
fn pseudo_headers_never_appear_and_a_host_header_is_kept_as_sent() {
    let got = event(V1, &get("/h", &[("host", "other.example.com:8080")]), b"");
    let names: Vec<&String> = got["headers"].as_object().unwrap().keys().collect();
    assert!(names.iter().all(|n| !n.starts_with(':')), "{names:?}");
    assert_eq!(got["headers"]["host"], "other.example.com:8080");
    assert_eq!(
        got["multiValueHeaders"]["host"],
        json!(["other.example.com:8080"])
    );
}

#[test]
fn source_addresses_lose_their_port() {
    let with_ip = |ip: Option<&str>| {
        let h = get("/", &[]);
        let req = HttpRequest {
            headers: &h,
            body: b"",
            source_ip: ip,
            protocol: Some("HTTP/2"),
            time_ms: T,
        };
        let e: Value = serde_json::from_slice(
            &build_event(PayloadFormat::ApiGatewayV1, &ApiGateway::default(), &req).unwrap(),
        )
        .unwrap();
        assert_eq!(e["requestContext"]["protocol"], "HTTP/2");
        e["requestContext"]["identity"]["sourceIp"].clone()
    };
    assert_eq!(with_ip(Some("10.1.2.3:5555")), "10.1.2.3");
    assert_eq!(with_ip(Some("10.1.2.3")), "10.1.2.3");
    assert_eq!(with_ip(Some("[2001:db8::1]:443")), "2001:db8::1");
    assert_eq!(with_ip(Some("2001:db8::1")), "2001:db8::1");
    assert_eq!(with_ip(None), "");
}

#[test]
fn a_request_without_method_or_path_is_refused_and_template_builds_nothing() {
    let api = ApiGateway::default();
    let no_method = headers(&[(":path", "/")]);
    let no_path = headers(&[(":method", "GET")]);
    for h in [&no_method, &no_path] {
        let req = HttpRequest {
            headers: h,
            body: b"",
            source_ip: None,
            protocol: None,
            time_ms: 0,
        };
        let e = build_event(PayloadFormat::ApiGatewayV1, &api, &req).unwrap_err();
        assert!(e.starts_with("the request has no :"), "{e}");
    }
    let h = get("/", &[]);
    let req = HttpRequest {
        headers: &h,
        body: b"",
        source_ip: None,
        protocol: None,
        time_ms: 0,
    };
    assert!(build_event(PayloadFormat::Template, &api, &req).is_err());
}

#[test]
fn request_times_in_common_log_format() {
    use super::event::common::clf_time;
    assert_eq!(clf_time(T), "03/Dec/2026:09:12:00 +0000");
    assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
    assert_eq!(clf_time(951_868_799_000), "29/Feb/2000:23:59:59 +0000");
    assert_eq!(clf_time(1_589_522_469_693), "15/May/2020:06:01:09 +0000");
}
