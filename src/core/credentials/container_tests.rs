#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::credentials::fetch::{Answer, Fetch, Step};
use crate::core::secret::Secret;
use crate::core::testing::assert_credentials;
use std::time::UNIX_EPOCH;

fn cfg(token: Option<&str>) -> ContainerConfig {
    ContainerConfig {
        cluster: "pod_identity".into(),
        authority: "169.254.170.23".into(),
        path: "/v1/credentials".into(),
        token: token.map(Secret::new),
    }
}

const OK: &str = r#"{"AccessKeyId":"ASIAPOD","SecretAccessKey":"podsecret/xyz","Token":"podtoken==","AccountId":"123456789012","Expiration":"2026-11-24T12:00:00Z"}"#;

#[test]
fn get_with_authorization_token() {
    let mut f = ContainerFetch::new(cfg(Some("tok-abc")));
    let Step::Call(req) = f.start(UNIX_EPOCH) else {
        panic!("expected a call")
    };
    assert_eq!(req.cluster, "pod_identity");
    assert_eq!(
        &req.headers[..3],
        &[
            (":method".to_string(), "GET".to_string()),
            (":path".to_string(), "/v1/credentials".to_string()),
            (":authority".to_string(), "169.254.170.23".to_string()),
        ]
    );
    assert_eq!(req.header("authorization"), Some("tok-abc"));
    assert!(req.body.is_empty());
    assert!(!format!("{req:?}").contains("tok-abc"));
    assert!(!format!("{f:?}").contains("tok-abc"));
}

#[test]
fn no_authorization_without_token() {
    let Step::Call(req) = ContainerFetch::new(cfg(None)).start(UNIX_EPOCH) else {
        panic!("expected a call")
    };
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn success_is_parsed() {
    let mut f = ContainerFetch::new(cfg(None));
    f.start(UNIX_EPOCH);
    let Step::Done(Ok(c)) = f.on_answer(Answer::new(Some(200), OK.as_bytes(), UNIX_EPOCH)) else {
        panic!("expected creds")
    };
    let (secret, token) = ("podsecret/xyz", Some("podtoken=="));
    assert_credentials(&c, "ASIAPOD", secret, token, Some(1_795_521_600));
    assert!(!format!("{c:?}").contains("podsecret"));
}

#[test]
fn failures_name_the_problem_without_the_body() {
    let err =
        |status, body: &str| parse_answer(status, body.as_bytes(), "pod_identity").unwrap_err();
    assert_eq!(
        err(None, ""),
        "container credentials endpoint unreachable through cluster pod_identity"
    );
    assert_eq!(
        err(Some(403), "denied podsecret"),
        "container credentials endpoint answered status 403"
    );
    let garbage = err(Some(200), "<html>podsecret</html>");
    assert!(
        garbage.contains("not a JSON credentials object"),
        "{garbage}"
    );
    let typed = err(
        Some(200),
        r#"{"AccessKeyId":"A","SecretAccessKey":12345678}"#,
    );
    assert!(!typed.contains("12345678"), "{typed}");
    assert_eq!(
        err(Some(200), r#"{"AccessKeyId":"A"}"#),
        "container credentials endpoint answer has no SecretAccessKey"
    );
    let date = err(
        Some(200),
        r#"{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"tomorrow"}"#,
    );
    assert!(date.contains("Expiration"), "{date}");
}

#[test]
fn answer_without_call_is_an_error() {
    let mut f = ContainerFetch::new(cfg(None));
    assert!(matches!(
        f.on_answer(Answer::new(Some(200), OK.as_bytes(), UNIX_EPOCH)),
        Step::Done(Err(_))
    ));
}
