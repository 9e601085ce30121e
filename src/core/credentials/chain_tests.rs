#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::credentials::fetch::Answer;
use crate::core::secret::Secret;
use crate::core::testing::role;
use std::time::UNIX_EPOCH;

fn at(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

fn config(base: bool, role_set: bool, container: bool, imds: bool) -> CredentialsConfig {
    CredentialsConfig {
        base: base.then(|| Credentials::new("AKIDBASE", "basesecret", None)),
        base_source: "test",
        role: role_set.then(role),
        container: container.then(|| ContainerConfig {
            cluster: "pod".into(),
            authority: "169.254.170.23".into(),
            path: "/v1/credentials".into(),
            token: Some(Secret::new("podtoken")),
        }),
        imds: imds.then(|| ImdsConfig {
            cluster: "imds".into(),
            authority: "169.254.169.254".into(),
        }),
        share: true,
    }
}

fn first_call(cfg: &CredentialsConfig) -> Option<(String, String, String)> {
    let mut f = fetcher_for(cfg, "us-east-1")?;
    match f.start(at(1_700_000_000, 0)) {
        Step::Call(r) => Some((
            r.cluster.clone(),
            r.header(":method")?.to_string(),
            r.header(":path")?.to_string(),
        )),
        Step::Done(_) => None,
    }
}

#[test]
fn fetcher_chain_follows_the_configuration() {
    let call = |c, m: &str, p: &str| Some((String::from(c), m.to_string(), p.to_string()));
    // Fixed keys without a role, or nothing at all: no fetcher.
    assert!(fetcher_for(&config(true, false, false, false), "us-east-1").is_none());
    assert!(fetcher_for(&config(false, false, false, false), "us-east-1").is_none());
    assert!(fetcher_for(&config(false, true, false, false), "us-east-1").is_none());
    let (sts, pod, imds) = (
        call("sts", "POST", "/"),
        call("pod", "GET", "/v1/credentials"),
        call("imds", "PUT", "/latest/api/token"),
    );
    for ((keys, role, container, metadata), want) in [
        // A role with keys: STS directly (the keys win over the container and IMDS).
        ((true, true, true, true), &sts),
        // A role without keys: the base comes first from the container, else IMDS.
        ((false, true, true, true), &pod),
        ((false, true, false, true), &imds),
        // No role: the container, else IMDS.
        ((false, false, true, true), &pod),
        ((false, false, false, true), &imds),
    ] {
        let cfg = config(keys, role, container, metadata);
        assert_eq!(
            &first_call(&cfg),
            want,
            "{keys} {role} {container} {metadata}"
        );
    }
}

#[test]
fn fetcher_debug_holds_no_secret() {
    for cfg in [
        config(true, true, false, false),
        config(false, true, true, false),
        config(false, false, true, false),
    ] {
        let f = fetcher_for(&cfg, "us-east-1");
        let dbg = format!("{f:?}");
        assert!(
            !dbg.contains("basesecret") && !dbg.contains("podtoken"),
            "{dbg}"
        );
    }
}

/// 2015-08-30T12:36:00Z.
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

const OK: &str = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIATEMP</AccessKeyId>\
    <SecretAccessKey>tempsecret</SecretAccessKey><SessionToken>temptoken</SessionToken>\
    <Expiration>2015-08-30T13:36:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";

/// AssumeRole with base credentials from the container endpoint at
/// `authority` and `path` (cluster `pod`).
fn role_over_container(authority: &str, path: &str) -> RoleChain {
    let pod = ContainerConfig {
        cluster: "pod".into(),
        authority: authority.into(),
        path: path.into(),
        token: None,
    };
    RoleChain::new(
        Box::new(ContainerFetch::new(pod)),
        AssumeRole::new(role(), "us-east-1", None),
    )
}

#[test]
fn base_from_container_then_assume_role_and_reuse() {
    let mut f = role_over_container("169.254.170.23", "/v1/creds");
    let Step::Call(first) = f.start(t0()) else {
        panic!("expected the container call")
    };
    assert_eq!(first.cluster, "pod");
    let pod_json = br#"{"AccessKeyId":"ASIAPOD","SecretAccessKey":"podsecret","Token":"PODTOKEN","Expiration":"2015-08-30T18:36:00Z"}"#;
    let Step::Call(sts) = f.on_answer(Answer::new(Some(200), pod_json, t0())) else {
        panic!("expected the STS call")
    };
    assert_eq!(sts.cluster, "sts");
    assert_eq!(sts.header("x-amz-security-token"), Some("PODTOKEN"));
    assert!(sts
        .header("authorization")
        .unwrap()
        .contains("Credential=ASIAPOD/"));
    assert!(matches!(
        f.on_answer(Answer::new(Some(200), OK.as_bytes(), t0())),
        Step::Done(Ok(_))
    ));
    // Next refresh: the base is still fresh, straight to STS.
    let Step::Call(again) = f.start(t0() + Duration::from_secs(3600)) else {
        panic!("expected a call")
    };
    assert_eq!(again.cluster, "sts");
    // STS refuses: the base is dropped and fetched again next time.
    let refused = f.on_answer(Answer::new(
        Some(403),
        b"<ErrorResponse><Error><Code>ExpiredToken</Code></Error></ErrorResponse>",
        t0(),
    ));
    assert!(
        matches!(refused, Step::Done(Err(ref e)) if e.ends_with("Error Code: ExpiredToken")),
        "{refused:?}"
    );
    let Step::Call(next) = f.start(t0()) else {
        panic!("expected a call")
    };
    assert_eq!(next.cluster, "pod");
    // The base is about to expire: fetched again.
    let Step::Call(_) = f.on_answer(Answer::new(Some(200), pod_json, t0())) else {
        panic!("expected the STS call")
    };
    f.on_answer(Answer::new(Some(200), OK.as_bytes(), t0()));
    let Step::Call(late) = f.start(t0() + Duration::from_secs(6 * 3600 - 60)) else {
        panic!("expected a call")
    };
    assert_eq!(late.cluster, "pod");
}

#[test]
fn base_failure_is_reported() {
    let mut f = role_over_container("h", "/");
    f.start(t0());
    let Step::Done(Err(e)) = f.on_answer(Answer::new(None, b"", t0())) else {
        panic!("expected a failure")
    };
    assert_eq!(e, "base credentials for STS AssumeRole: container credentials endpoint unreachable through cluster pod");
}
