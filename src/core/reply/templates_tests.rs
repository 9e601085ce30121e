//! `responseTemplates` at configuration: what is accepted, and refusals naming the path.

use super::templates::{ResponseTemplates, DEFAULT_KEY};

fn refused(json: &str) -> (String, String) {
    match ResponseTemplates::from_json("responseTemplates", json.as_bytes()) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => (e.field, e.reason),
    }
}

fn one(media_json: &str) -> String {
    format!(r#"{{"AWS_LAMBDA_TIMEOUT": {{"application/json": {media_json}}}}}"#)
}

#[test]
fn gravitees_model_is_accepted_and_compiled() {
    let json = r#"{
        "AWS_LAMBDA_TIMEOUT": {
            "application/json": {"status": 504, "headers": {"X-Why": "timeout", "Retry-After": "5"},
                                 "body": "{\"error\": \"{#error.key}\"}", "propagateErrorKeyToLogs": true},
            "*/*": {"status": 504}
        },
        "DEFAULT": {"Text/Plain": {"status": 500, "body": "failed"}}
    }"#;
    let c = ResponseTemplates::from_json("responseTemplates", json.as_bytes()).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let t = &c.templates;
    assert!(!t.is_empty());
    let timeout = &t.by_key["AWS_LAMBDA_TIMEOUT"];
    let json_t = &timeout["application/json"];
    assert_eq!(json_t.status, 504);
    assert_eq!(
        json_t.headers,
        [
            ("retry-after".to_string(), "5".to_string()),
            ("x-why".to_string(), "timeout".to_string())
        ]
    );
    assert!(json_t.propagate_error_key_to_logs);
    assert!(json_t.body.as_ref().unwrap().references("error"));
    let star = &timeout["*/*"];
    assert!(star.body.is_none() && star.headers.is_empty() && !star.propagate_error_key_to_logs);
    // Media types are matched lowercase.
    assert!(t.by_key[DEFAULT_KEY].contains_key("text/plain"));
    assert_eq!(t.bodies().count(), 2);
}

#[test]
fn empty_body_is_no_body_and_empty_config_is_empty() {
    let c = ResponseTemplates::from_json(
        "responseTemplates",
        one(r#"{"status": 502, "body": ""}"#).as_bytes(),
    )
    .unwrap();
    assert!(c.templates.by_key["AWS_LAMBDA_TIMEOUT"]["application/json"]
        .body
        .is_none());
    let empty = ResponseTemplates::from_json("responseTemplates", b"{}").unwrap();
    assert!(empty.templates.is_empty());
}

#[test]
fn a_bad_status_is_refused_naming_its_path() {
    for status in [
        "0", "99", "199", "600", "70000", "-1", "502.5", "\"502\"", "true",
    ] {
        let (field, reason) = refused(&one(&format!(r#"{{"status": {status}}}"#)));
        assert_eq!(
            field, "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.status",
            "{status}"
        );
        assert!(reason.contains("between 200 and 599"), "{status}: {reason}");
    }
    for missing in [r#"{"body": "x"}"#, r#"{"status": null}"#] {
        let (field, reason) = refused(&one(missing));
        assert_eq!(
            field,
            "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.status"
        );
        assert!(reason.starts_with("required"), "{reason}");
    }
}

#[test]
fn an_unknown_field_is_refused_naming_its_path() {
    let (field, reason) = refused(&one(r#"{"status": 502, "statusCode": 502}"#));
    assert_eq!(
        field,
        "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.statusCode"
    );
    assert!(reason.contains("unknown field `statusCode`"), "{reason}");
}

#[test]
fn wrong_json_types_are_refused_naming_their_path() {
    let (field, _) = refused(&one(r#"{"status": 502, "headers": {"x-a": 1}}"#));
    assert_eq!(
        field,
        "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.headers.x-a"
    );
    let (field, _) = refused(&one(r#"{"status": 502, "propagateErrorKeyToLogs": "yes"}"#));
    assert_eq!(
        field,
        "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.propagateErrorKeyToLogs"
    );
    let (field, _) = refused(r#"{"AWS_LAMBDA_TIMEOUT": []}"#);
    assert_eq!(field, "responseTemplates.AWS_LAMBDA_TIMEOUT");
    let (field, _) = refused("[]");
    assert_eq!(field, "responseTemplates");
}

#[test]
fn a_body_that_does_not_compile_is_refused_naming_its_path() {
    let (field, reason) = refused(&one(r#"{"status": 502, "body": "{#error.key"}"#));
    assert_eq!(
        field,
        "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.body"
    );
    assert!(reason.contains("does not compile"), "{reason}");
    let (field, _) = refused(&one(r#"{"status": 502, "body": "{#unknownFunction(1)}"}"#));
    assert_eq!(
        field,
        "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.body"
    );
}

#[test]
fn header_values_with_control_characters_are_refused() {
    for value in [
        r"a\r\nx-injected: 1",
        r"a\nb",
        r"a\rb",
        r"a\u0000b",
        r"a\u0007b",
    ] {
        let (field, reason) = refused(&one(&format!(
            r#"{{"status": 502, "headers": {{"X-A": "{value}"}}}}"#
        )));
        assert_eq!(
            field, "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.headers.X-A",
            "{value}"
        );
        assert!(reason.contains("control character"), "{reason}");
    }
    // A tab is a legal header character.
    assert!(ResponseTemplates::from_json(
        "r",
        one(r#"{"status": 502, "headers": {"x-a": "a\tb"}}"#).as_bytes()
    )
    .is_ok());
}

#[test]
fn bad_or_managed_header_names_are_refused() {
    for (name, why) in [
        ("x a", "not a header name"),
        (":status", "not a header name"),
        ("", "not a header name"),
        ("Content-Length", "Envoy sets"),
        ("transfer-encoding", "Envoy sets"),
        ("Connection", "Envoy sets"),
    ] {
        let (field, reason) = refused(&one(&format!(
            r#"{{"status": 502, "headers": {{"{name}": "v"}}}}"#
        )));
        assert_eq!(
            field,
            format!("responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.headers.{name}")
        );
        assert!(reason.contains(why), "{name}: {reason}");
    }
    let (field, reason) = refused(&one(
        r#"{"status": 502, "headers": {"X-A": "1", "x-a": "2"}}"#,
    ));
    assert!(field.ends_with(".headers.x-a"), "{field}");
    assert!(reason.contains("twice"), "{reason}");
}

#[test]
fn bad_media_types_are_refused() {
    for media in [
        "json",
        "*/json",
        "application/json; charset=utf-8",
        "text /plain",
        "",
    ] {
        let (field, reason) = refused(&format!(
            r#"{{"DEFAULT": {{"{media}": {{"status": 500}}}}}}"#
        ));
        assert_eq!(field, format!("responseTemplates.DEFAULT.{media}"));
        assert!(reason.contains("not a media type"), "{media}: {reason}");
    }
    let (field, reason) = refused(
        r#"{"DEFAULT": {"application/json": {"status": 500}, "Application/JSON": {"status": 500}}}"#,
    );
    assert_eq!(field, "responseTemplates.DEFAULT.application/json");
    assert!(reason.contains("twice"), "{reason}");
    // `type/*` is a key Gravitee can match (an `Accept: text/*` range).
    assert!(
        ResponseTemplates::from_json("r", br#"{"DEFAULT": {"text/*": {"status": 500}}}"#).is_ok()
    );
}

#[test]
fn an_empty_key_is_refused_and_unknown_keys_warned() {
    let (field, _) = refused(r#"{" ": {}}"#);
    assert_eq!(field, "responseTemplates. ");
    let c = ResponseTemplates::from_json(
        "response_templates",
        br#"{"API_KEY_MISSING": {}, "AWS_LAMBDA_THROTTLED": {}, "DEFAULT": {}}"#,
    )
    .unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("`response_templates.API_KEY_MISSING`"),
        "{:?}",
        c.warnings
    );
}
