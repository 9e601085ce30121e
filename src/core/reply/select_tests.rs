//! Template selection: key, parent, DEFAULT; media type by `Accept`.

use super::accept::Accept;
use super::templates::ResponseTemplates;
use crate::core::errors::ErrorKey;

/// Templates whose status says which one was picked.
fn templates(json: &str) -> ResponseTemplates {
    ResponseTemplates::from_json("responseTemplates", json.as_bytes())
        .unwrap()
        .templates
}

fn picked(t: &ResponseTemplates, key: ErrorKey, accept: &[&str]) -> Option<(String, String, u16)> {
    t.select(key, &Accept::parse(accept.iter().copied()))
        .map(|s| (s.key.to_string(), s.media.to_string(), s.template.status))
}

fn is(key: &str, media: &str, status: u16) -> Option<(String, String, u16)> {
    Some((key.to_string(), media.to_string(), status))
}

const LAYERED: &str = r#"{
    "AWS_LAMBDA_TIMEOUT": {"application/json": {"status": 504}},
    "AWS_LAMBDA_INVALID_RESPONSE": {"application/json": {"status": 502}, "*/*": {"status": 503}},
    "DEFAULT": {"*/*": {"status": 599}, "text/plain": {"status": 598}}
}"#;

/// The precise key first, then its parent (the Gravitee key itself finds
/// its own templates).
#[test]
fn the_precise_key_then_the_parent_key() {
    let t = templates(LAYERED);
    for (key, accept, expected) in [
        (
            ErrorKey::Timeout,
            &["application/json"][..],
            is("AWS_LAMBDA_TIMEOUT", "application/json", 504),
        ),
        (
            ErrorKey::Throttled,
            &["application/json"],
            is("AWS_LAMBDA_INVALID_RESPONSE", "application/json", 502),
        ),
        (
            ErrorKey::FunctionError,
            &["text/html"],
            is("AWS_LAMBDA_INVALID_RESPONSE", "*/*", 503),
        ),
        (
            ErrorKey::InvalidResponse,
            &[],
            is("AWS_LAMBDA_INVALID_RESPONSE", "*/*", 503),
        ),
    ] {
        assert_eq!(picked(&t, key, accept), expected, "{key:?} {accept:?}");
    }
}

#[test]
fn then_default() {
    let t = templates(LAYERED);
    for key in [
        ErrorKey::TemplateVariable,
        ErrorKey::PayloadTooLarge,
        ErrorKey::Overloaded,
        ErrorKey::InvalidStatusCode,
    ] {
        assert_eq!(
            picked(&t, key, &["text/plain"]),
            is("DEFAULT", "text/plain", 598),
            "{key:?}"
        );
        assert_eq!(picked(&t, key, &[]), is("DEFAULT", "*/*", 599), "{key:?}");
    }
}

#[test]
fn neither_parent_nor_default_when_the_key_has_templates_but_none_matches() {
    let t = templates(LAYERED);
    // AWS_LAMBDA_TIMEOUT has only application/json and no */*: built-in answer.
    assert_eq!(picked(&t, ErrorKey::Timeout, &["text/plain"]), None);
    assert_eq!(picked(&t, ErrorKey::Timeout, &[]), None);
    // The parent has templates: DEFAULT's text/plain is not consulted either.
    let parent_only = templates(
        r#"{"AWS_LAMBDA_INVALID_RESPONSE": {"application/json": {"status": 502}},
            "DEFAULT": {"text/plain": {"status": 598}}}"#,
    );
    assert_eq!(
        picked(&parent_only, ErrorKey::NotFound, &["text/plain"]),
        None
    );
    // A key given with no template at all answers with the built-in one.
    let empty_key =
        templates(r#"{"AWS_LAMBDA_NOT_FOUND": {}, "DEFAULT": {"*/*": {"status": 599}}}"#);
    assert_eq!(picked(&empty_key, ErrorKey::NotFound, &[]), None);
    assert_eq!(
        picked(&empty_key, ErrorKey::Timeout, &[]),
        is("DEFAULT", "*/*", 599)
    );
}

#[test]
fn no_templates_no_selection() {
    let t = templates("{}");
    assert_eq!(picked(&t, ErrorKey::Timeout, &["application/json"]), None);
    let other = templates(r#"{"AWS_LAMBDA_THROTTLED": {"*/*": {"status": 429}}}"#);
    assert_eq!(picked(&other, ErrorKey::Timeout, &[]), None);
    assert_eq!(
        picked(&other, ErrorKey::Throttled, &[]),
        is("AWS_LAMBDA_THROTTLED", "*/*", 429)
    );
}

const MEDIA: &str = r#"{"DEFAULT": {
    "application/json": {"status": 201},
    "application/xml": {"status": 202},
    "text/plain": {"status": 203},
    "text/*": {"status": 204}
}}"#;

#[test]
fn the_best_accepted_media_type_with_a_template() {
    let t = templates(MEDIA);
    let media = |accept: &[&str]| picked(&t, ErrorKey::Timeout, accept).map(|p| p.2);
    assert_eq!(media(&["application/xml, application/json"]), Some(202));
    assert_eq!(
        media(&["text/plain;q=0.5, application/xml;q=0.6"]),
        Some(202)
    );
    assert_eq!(
        media(&["application/json;q=0.1", "text/plain;q=0.2"]),
        Some(203)
    );
    // Ranges without a template are skipped, whatever their q.
    assert_eq!(
        media(&["image/png, text/html;q=0.9, application/json;q=0.1"]),
        Some(201)
    );
    // Types are compared lowercase.
    assert_eq!(media(&["APPLICATION/XML"]), Some(202));
    // A wildcard range matches the template keyed by that wildcard, after concrete ones.
    assert_eq!(media(&["text/*, text/plain"]), Some(203));
    assert_eq!(media(&["text/*"]), Some(204));
    // Nothing matches and no */* template: built-in.
    assert_eq!(media(&["image/png"]), None);
    assert_eq!(media(&["*/*"]), None);
    assert_eq!(media(&[]), None);
    // q=0 is never matched.
    assert_eq!(media(&["application/json;q=0, image/png"]), None);
}

#[test]
fn wildcard_template_when_no_range_has_one() {
    let t =
        templates(r#"{"DEFAULT": {"application/json": {"status": 201}, "*/*": {"status": 299}}}"#);
    let media = |accept: &[&str]| picked(&t, ErrorKey::Timeout, accept).map(|p| p.1);
    assert_eq!(media(&["image/png"]).as_deref(), Some("*/*"));
    assert_eq!(media(&[]).as_deref(), Some("*/*"));
    assert_eq!(media(&["garbage"]).as_deref(), Some("*/*"));
    assert_eq!(media(&["application/json;q=0"]).as_deref(), Some("*/*"));
    // `*/*` in Accept looks the `*/*` template up like any range, in q order (Gravitee).
    assert_eq!(
        media(&["*/*, application/json;q=0.5"]).as_deref(),
        Some("*/*")
    );
    assert_eq!(
        media(&["*/*, application/json"]).as_deref(),
        Some("application/json")
    );
}
