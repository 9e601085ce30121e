#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::credentials::fetch::Answer;
use crate::core::credentials::Credentials;
use crate::core::testing::assert_credentials;
use std::time::UNIX_EPOCH;

fn fetch() -> ImdsFetch {
    ImdsFetch::new(ImdsConfig {
        cluster: "imds".into(),
        authority: "169.254.169.254".into(),
    })
}

fn call(step: Step) -> CalloutRequest {
    match step {
        Step::Call(r) => r,
        Step::Done(d) => panic!("expected a call, got {d:?}"),
    }
}

fn done(step: Step) -> Result<Credentials, String> {
    match step {
        Step::Done(d) => d,
        Step::Call(r) => panic!("expected the end, got {r:?}"),
    }
}

const CREDS: &str = r#"{
  "Code" : "Success",
  "LastUpdated" : "2026-11-24T06:00:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAIMDS",
  "SecretAccessKey" : "imdssecret",
  "Token" : "IMDSSESSION",
  "Expiration" : "2026-11-24T12:00:00Z"
}"#;

#[test]
fn three_steps_token_role_credentials() {
    let t = UNIX_EPOCH;
    let mut f = fetch();
    let put = call(f.start(t));
    assert_eq!(put.cluster, "imds");
    assert_eq!(put.timeout, IMDS_TIMEOUT);
    assert_eq!(put.header(":method"), Some("PUT"));
    assert_eq!(put.header(":path"), Some("/latest/api/token"));
    assert_eq!(put.header(":authority"), Some("169.254.169.254"));
    assert_eq!(
        put.header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );

    let list = call(f.on_answer(Answer::new(Some(200), b"AQAEAtokenXYZ==", t)));
    assert_eq!(list.header(":method"), Some("GET"));
    assert_eq!(
        list.header(":path"),
        Some("/latest/meta-data/iam/security-credentials/")
    );
    assert_eq!(
        list.header("x-aws-ec2-metadata-token"),
        Some("AQAEAtokenXYZ==")
    );
    assert!(!format!("{f:?}").contains("AQAEAtoken"), "{f:?}");
    assert!(!format!("{list:?}").contains("AQAEAtoken"));

    let get = call(f.on_answer(Answer::new(Some(200), b"my-instance role\nother\n", t)));
    assert_eq!(
        get.header(":path"),
        Some("/latest/meta-data/iam/security-credentials/my-instance%20role")
    );
    assert_eq!(
        get.header("x-aws-ec2-metadata-token"),
        Some("AQAEAtokenXYZ==")
    );

    let c = done(f.on_answer(Answer::new(Some(200), CREDS.as_bytes(), t))).unwrap();
    let (secret, token) = ("imdssecret", Some("IMDSSESSION"));
    assert_credentials(&c, "ASIAIMDS", secret, token, Some(1_795_521_600));
    // The fetch starts over from the token.
    assert_eq!(call(f.start(t)).header(":path"), Some(TOKEN_PATH));
}

#[test]
fn token_failures() {
    let mut f = fetch();
    f.start(UNIX_EPOCH);
    assert_eq!(
        done(f.on_answer(Answer::new(None, b"", UNIX_EPOCH))).unwrap_err(),
        "instance metadata (IMDSv2 token) unreachable through cluster imds"
    );
    f.start(UNIX_EPOCH);
    assert_eq!(
        done(f.on_answer(Answer::new(Some(403), b"Forbidden", UNIX_EPOCH))).unwrap_err(),
        "instance metadata (IMDSv2 token) answered status 403"
    );
    f.start(UNIX_EPOCH);
    assert!(
        done(f.on_answer(Answer::new(Some(200), b"  \n", UNIX_EPOCH)))
            .unwrap_err()
            .contains("empty IMDSv2 token")
    );
}

#[test]
fn no_role_attached() {
    for (status, body) in [
        (Some(404), &b"<html>Not Found</html>"[..]),
        (Some(200), &b"\n"[..]),
    ] {
        let mut f = fetch();
        f.start(UNIX_EPOCH);
        call(f.on_answer(Answer::new(Some(200), b"tok", UNIX_EPOCH)));
        assert_eq!(
            done(f.on_answer(Answer::new(status, body, UNIX_EPOCH))).unwrap_err(),
            "instance metadata: no IAM role is attached to the instance"
        );
    }
}

fn third_answer(status: Option<u16>, body: &str) -> Result<Credentials, String> {
    let mut f = fetch();
    f.start(UNIX_EPOCH);
    call(f.on_answer(Answer::new(Some(200), b"tok", UNIX_EPOCH)));
    call(f.on_answer(Answer::new(Some(200), b"role", UNIX_EPOCH)));
    done(f.on_answer(Answer::new(status, body.as_bytes(), UNIX_EPOCH)))
}

#[test]
fn credentials_failures() {
    assert_eq!(
        third_answer(Some(500), "").unwrap_err(),
        "instance metadata (role credentials) answered status 500"
    );
    let code = third_answer(
        Some(200),
        r#"{"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"A","SecretAccessKey":"imdssecret"}"#,
    );
    assert_eq!(
        code.unwrap_err(),
        "instance metadata: credentials Code is AssumeRoleUnauthorizedAccess, not Success"
    );
    let garbage = third_answer(Some(200), "imdssecret").unwrap_err();
    assert!(
        garbage.contains("not a JSON credentials object") && !garbage.contains("imdssecret"),
        "{garbage}"
    );
    assert_eq!(
        third_answer(Some(200), r#"{"Code":"Success","SecretAccessKey":"s"}"#).unwrap_err(),
        "instance metadata answer has no AccessKeyId"
    );
}

#[test]
fn answer_without_call_is_an_error() {
    assert!(done(fetch().on_answer(Answer::new(Some(200), b"x", UNIX_EPOCH))).is_err());
}
