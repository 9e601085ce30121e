//! `responseTemplates`, `condition` and `onConditionError` in the plugin configuration.

use crate::core::condition::OnConditionError;
use crate::core::config::{from_json, ConfigError, Parsed};

fn parse(json: &str) -> Result<Parsed, ConfigError> {
    from_json(json.as_bytes(), &|_| None)
}

#[test]
fn both_spellings_of_response_templates_are_read() {
    for field in ["responseTemplates", "response_templates"] {
        let json = format!(
            r#"{{"function":"f","{field}":{{"AWS_LAMBDA_TIMEOUT":{{"*/*":{{"status":504}}}}}}}}"#
        );
        let c = parse(&json).unwrap().config;
        assert!(!c.response_templates.is_empty(), "{field}");
    }
    let c = parse(r#"{"function":"f"}"#).unwrap().config;
    assert!(c.response_templates.is_empty());
    assert!(c.condition.is_none());
    assert_eq!(c.on_condition_error, OnConditionError::Skip);
    assert_eq!(c.error_params.function.as_deref(), Some("f"));
    assert_eq!(c.error_params.region.as_deref(), Some("us-east-1"));
}

#[test]
fn refusals_name_the_path() {
    for (json, field) in [
        (
            r#"{"function":"f","responseTemplates":{"AWS_LAMBDA_TIMEOUT":{"application/json":{"status":99}}}}"#,
            "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.status",
        ),
        (
            r#"{"function":"f","responseTemplates":{"DEFAULT":{"*/*":{"status":500,"bogus":1}}}}"#,
            "responseTemplates.DEFAULT.*/*",
        ),
        (
            r#"{"function":"f","responseTemplates":{"DEFAULT":{"*/*":{"status":500,"body":"{#error.key"}}}}"#,
            "responseTemplates.DEFAULT.*/*.body",
        ),
        (r#"{"function":"f","condition":"maybe"}"#, "condition"),
        (
            r#"{"function":"f","condition":"{#request.method =="}"#,
            "condition",
        ),
        (
            r#"{"function":"f","onConditionError":"ABORT"}"#,
            "onConditionError",
        ),
    ] {
        let e = parse(json)
            .err()
            .unwrap_or_else(|| panic!("accepted: {json}"));
        assert!(e.field.starts_with(field), "{json}: {e}");
    }
}

#[test]
fn what_the_condition_and_templates_read_is_captured() {
    let c = parse(r#"{"function":"f","condition":"{#request.headers['x'] != null}"}"#)
        .unwrap()
        .config;
    assert!(c.needs.request && c.needs.request_headers);
    assert!(!c.needs.bodies_after_call);
    let c = parse(
        r#"{"function":"f","responseTemplates":{"DEFAULT":{"*/*":{"status":500,"body":"{#request.content}"}}}}"#,
    )
    .unwrap()
    .config;
    assert!(c.needs.request && c.needs.bodies_after_call);
    let c = parse(r#"{"function":"f","condition":" ","onConditionError":""}"#)
        .unwrap()
        .config;
    assert!(c.condition.is_none(), "empty counts as unset");
}

#[test]
fn an_unknown_error_key_is_accepted_with_a_warning() {
    let p =
        parse(r#"{"function":"f","responseTemplates":{"GATEWAY_TIMEOUT":{"*/*":{"status":504}}}}"#)
            .unwrap();
    assert!(
        p.warnings.iter().any(|w| w.contains("GATEWAY_TIMEOUT")),
        "{:?}",
        p.warnings
    );
}
