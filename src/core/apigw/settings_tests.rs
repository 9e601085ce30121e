//! `payloadFormat`, `responseFormat`, `apiGateway` and the scope rule.

use super::settings::{
    check_scope, validate, PayloadFormat as P, RawSettings, ResponseFormat as R,
};
use super::{ApiGateway, RawApiGateway};

fn formats(payload: Option<&str>, response: Option<&str>) -> (P, R) {
    let (s, _) = validate(RawSettings {
        payload_format: payload,
        response_format: response,
        ..RawSettings::default()
    })
    .unwrap();
    (s.payload_format, s.response_format)
}

fn raw_api(json: &str) -> RawApiGateway {
    serde_json::from_str(json).unwrap()
}

fn api_err(json: &str) -> (String, String) {
    let raw = raw_api(json);
    let e = validate(RawSettings {
        payload_format: Some("API_GATEWAY_V1"),
        api_gateway: Some(&raw),
        ..RawSettings::default()
    })
    .unwrap_err();
    (e.field, e.reason)
}

#[test]
fn defaults_follow_the_payload_format() {
    assert_eq!(formats(None, None), (P::Template, R::Raw));
    assert_eq!(formats(Some(""), Some("  ")), (P::Template, R::Raw));
    assert_eq!(
        formats(Some("API_GATEWAY_V1"), None),
        (P::ApiGatewayV1, R::ApiGatewayV1)
    );
    assert_eq!(
        formats(Some("API_GATEWAY_V2"), None),
        (P::ApiGatewayV2, R::ApiGatewayV2)
    );
    assert_eq!(formats(Some("ENVOY"), None), (P::Envoy, R::Envoy));
    assert_eq!(
        formats(Some("API_GATEWAY_V2"), Some("RAW")),
        (P::ApiGatewayV2, R::Raw)
    );
    assert_eq!(
        formats(None, Some("API_GATEWAY_V1")),
        (P::Template, R::ApiGatewayV1)
    );
    let (s, warnings) = validate(RawSettings::default()).unwrap();
    assert_eq!(s.api_gateway, ApiGateway::default());
    assert_eq!(
        (
            s.api_gateway.stage.as_str(),
            s.api_gateway.route_key.as_str()
        ),
        ("$default", "$default")
    );
    assert!(warnings.is_empty());
}

#[test]
fn unknown_values_name_the_field_and_the_choices() {
    let e = validate(RawSettings {
        payload_format: Some("V1"),
        ..RawSettings::default()
    })
    .unwrap_err();
    assert_eq!(e.field, "payloadFormat");
    assert_eq!(
        e.reason,
        "unknown value \"V1\", expected one of TEMPLATE, API_GATEWAY_V1, API_GATEWAY_V2, ENVOY"
    );
    let e = validate(RawSettings {
        response_format: Some("raw"),
        ..RawSettings::default()
    })
    .unwrap_err();
    assert_eq!(e.field, "responseFormat");
    assert!(e
        .reason
        .contains("RAW, API_GATEWAY_V1, API_GATEWAY_V2, ENVOY"));
    assert_eq!(
        e.to_string(),
        format!("field `responseFormat`: {}", e.reason)
    );
}

#[test]
fn a_payload_template_goes_only_with_template() {
    for format in ["API_GATEWAY_V1", "API_GATEWAY_V2", "ENVOY"] {
        let e = validate(RawSettings {
            payload_format: Some(format),
            payload_set: true,
            ..RawSettings::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "payload");
        assert!(e.reason.contains(format), "{}", e.reason);
    }
    assert!(validate(RawSettings {
        payload_set: true,
        ..RawSettings::default()
    })
    .is_ok());
}

#[test]
fn request_scope_is_refused_with_advice_for_event_formats() {
    for format in [P::ApiGatewayV1, P::ApiGatewayV2, P::Envoy] {
        for scope in ["REQUEST", "RESPONSE", "RESPONSE_CONTENT"] {
            let e = check_scope(format, scope).unwrap_err();
            assert_eq!(e.field, "scope");
            assert!(e.reason.contains("use REQUEST_CONTENT"), "{}", e.reason);
        }
        assert!(check_scope(format, "REQUEST_CONTENT").is_ok());
    }
    for scope in ["REQUEST", "REQUEST_CONTENT", "RESPONSE", "RESPONSE_CONTENT"] {
        assert!(check_scope(P::Template, scope).is_ok());
    }
}

#[test]
fn validate_applies_the_scope_rule_and_notes_what_response_content_cannot_replace() {
    let e = validate(RawSettings {
        payload_format: Some("API_GATEWAY_V2"),
        scope: Some("REQUEST"),
        ..RawSettings::default()
    })
    .unwrap_err();
    assert_eq!(e.field, "scope");
    for scope in [None, Some(""), Some("REQUEST_CONTENT")] {
        assert!(validate(RawSettings {
            payload_format: Some("API_GATEWAY_V2"),
            scope,
            ..RawSettings::default()
        })
        .is_ok());
    }
    // A v1 proxy response sent to the consumer in a response scope.
    let warnings = |scope| {
        let raw = RawSettings {
            response_format: Some("API_GATEWAY_V1"),
            scope: Some(scope),
            send_to_consumer: true,
            ..RawSettings::default()
        };
        validate(raw).unwrap().1
    };
    let warnings_of_content = warnings("RESPONSE_CONTENT");
    assert_eq!(warnings_of_content.len(), 1);
    assert!(
        warnings_of_content[0].contains("only the body is replaced"),
        "{warnings_of_content:?}"
    );
    let warnings_of_response = warnings("RESPONSE");
    assert!(warnings_of_response.is_empty(), "{warnings_of_response:?}");
}

#[test]
fn api_gateway_fields_are_read_and_defaulted() {
    let raw = raw_api(
        r#"{"stage": "prod", "stageVariables": {"b": "2", "a": "1"}, "apiId": "abc",
            "accountId": "123456789012", "routeKey": "GET /items/{id}", "resource": "/items/{id}"}"#,
    );
    let (s, warnings) = validate(RawSettings {
        payload_format: Some("API_GATEWAY_V2"),
        api_gateway: Some(&raw),
        ..RawSettings::default()
    })
    .unwrap();
    let a = s.api_gateway;
    assert_eq!(a.stage, "prod");
    assert_eq!(
        a.stage_variables,
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(
        (a.api_id.as_str(), a.account_id.as_str()),
        ("abc", "123456789012")
    );
    assert_eq!(a.route_key, "GET /items/{id}");
    assert_eq!(
        a.resource.unwrap().matches("/items/9"),
        Some(vec![("id".into(), "9".into())])
    );
    assert!(warnings.is_empty());
    let empty = raw_api(r#"{"stage": " ", "routeKey": ""}"#);
    let (s, _) = validate(RawSettings {
        payload_format: Some("ENVOY"),
        api_gateway: Some(&empty),
        ..RawSettings::default()
    })
    .unwrap();
    assert_eq!(s.api_gateway, ApiGateway::default());
}

#[test]
fn api_gateway_errors_name_the_field() {
    assert_eq!(api_err(r#"{"stage": "pr od"}"#).0, "apiGateway.stage");
    assert_eq!(api_err(r#"{"stage": "x\u0001"}"#).0, "apiGateway.stage");
    assert_eq!(
        api_err(&format!(r#"{{"stage": "{}"}}"#, "s".repeat(129))).0,
        "apiGateway.stage"
    );
    assert_eq!(
        api_err(r#"{"stageVariables": {"bad-name": "v"}}"#).0,
        "apiGateway.stageVariables"
    );
    assert_eq!(
        api_err(r#"{"stageVariables": {"ok": "a\nb"}}"#).0,
        "apiGateway.stageVariables.ok"
    );
    let (field, reason) = api_err(r#"{"resource": "items/{id}"}"#);
    assert_eq!(
        (field.as_str(), reason.contains("must start with '/'")),
        ("apiGateway.resource", true)
    );
    assert_eq!(api_err(r#"{"apiId": "a\tb"}"#).0, "apiGateway.apiId");
}

#[test]
fn api_gateway_refuses_unknown_fields_and_is_ignored_by_template() {
    let e = serde_json::from_str::<RawApiGateway>(r#"{"stageName": "x"}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `stageName`"), "{e}");
    let raw = raw_api(r#"{"stage": "prod"}"#);
    let (_, warnings) = validate(RawSettings {
        api_gateway: Some(&raw),
        ..RawSettings::default()
    })
    .unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("ignored"), "{}", warnings[0]);
}

#[test]
fn an_explicit_response_format_without_send_to_consumer_is_warned_about() {
    let warn = |response: Option<&str>, send_to_consumer: bool| {
        let (_, w) = validate(RawSettings {
            payload_format: Some("API_GATEWAY_V1"),
            response_format: response,
            send_to_consumer,
            ..RawSettings::default()
        })
        .unwrap();
        w
    };
    let w = warn(Some("API_GATEWAY_V2"), false);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("responseFormat API_GATEWAY_V2 has no effect"),
        "{}",
        w[0]
    );
    assert!(warn(Some("API_GATEWAY_V2"), true).is_empty());
    assert!(warn(Some("RAW"), false).is_empty());
    assert!(
        warn(None, false).is_empty(),
        "the default follows payloadFormat: no word"
    );
}
