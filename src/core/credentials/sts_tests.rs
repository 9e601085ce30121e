#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::credentials::fetch::{Answer, Fetch, Step};
use crate::core::testing::{self, assert_credentials};
use std::time::UNIX_EPOCH;

/// 2015-08-30T12:36:00Z, the date of the AWS SigV4 test suite.
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn role() -> RoleConfig {
    RoleConfig {
        arn: "arn:aws:iam::123456789012:role/demo-role".into(),
        ..testing::role()
    }
}

fn base(token: Option<&str>) -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token.map(str::to_string),
    )
}

const OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo-role/gravitee</Arn><AssumedRoleId>AROA:gravitee</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIATEMPKEY</AccessKeyId>
      <SecretAccessKey>tempsecret/ABC+def</SecretAccessKey>
      <SessionToken>FwoGZXIvYXdzE&amp;token&lt;x&gt;&#x41;&#66;</SessionToken>
      <Expiration>2026-11-24T12:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

#[test]
fn form_body_golden() {
    assert_eq!(
        form_body(&role()),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role&RoleSessionName=gravitee"
    );
    let r = RoleConfig {
        session_name: "gw session@1".into(),
        duration_seconds: Some(900),
        external_id: Some("ext+id/=&1".into()),
        ..role()
    };
    assert_eq!(
        form_body(&r),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role&RoleSessionName=gw%20session%401&DurationSeconds=900&ExternalId=ext%2Bid%2F%3D%261"
    );
}

#[test]
fn request_is_a_signed_form_post() {
    let req = assume_role_request(&role(), "us-east-1", &base(None), t0()).unwrap();
    assert_eq!(req.cluster, "sts");
    assert_eq!(req.timeout, STS_TIMEOUT);
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..3], &[":method", ":path", ":authority"]);
    assert_eq!(req.header(":method"), Some("POST"));
    assert_eq!(req.header(":path"), Some("/"));
    assert_eq!(
        req.header(":authority"),
        Some("sts.us-east-1.amazonaws.com")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(req.header("x-amz-date"), Some("20150830T123600Z"));
    assert_eq!(req.header("x-amz-security-token"), None);
    // Golden, checked against an independent SigV4 computation.
    assert_eq!(
        req.header("authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=7581d6e2b4694a136e879c1614d38e593eb48262e6e22c2a138acbbb485d00a9"
        )
    );
    assert_eq!(req.body, form_body(&role()).into_bytes());
    assert!(!format!("{req:?}").contains("wJalrXUtnFEMI"));
}

#[test]
fn session_token_of_the_base_is_sent_and_signed() {
    let req = assume_role_request(&role(), "eu-west-1", &base(Some("BASETOKEN")), t0()).unwrap();
    assert_eq!(req.header("x-amz-security-token"), Some("BASETOKEN"));
    let auth = req.header("authorization").unwrap();
    assert!(auth.contains("/eu-west-1/sts/aws4_request"), "{auth}");
    assert!(auth.contains("x-amz-security-token"), "{auth}");
    assert!(!format!("{req:?}").contains("BASETOKEN"));
}

#[test]
fn base_path_and_global_endpoint() {
    let r = RoleConfig {
        base_path: "/sts/".into(),
        authority: "sts.amazonaws.com".into(),
        ..role()
    };
    let req = assume_role_request(&r, "eu-west-1", &base(None), t0()).unwrap();
    assert_eq!(req.header(":path"), Some("/sts/"));
    assert!(req
        .header("authorization")
        .unwrap()
        .contains("/us-east-1/sts/aws4_request"));
}

#[test]
fn success_is_parsed_with_entities() {
    let c = parse_answer(Some(200), OK.as_bytes(), "sts").unwrap();
    let (secret, token) = ("tempsecret/ABC+def", Some("FwoGZXIvYXdzE&token<x>AB"));
    assert_credentials(&c, "ASIATEMPKEY", secret, token, Some(1_795_521_600));
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("tempsecret") && !dbg.contains("FwoG"),
        "{dbg}"
    );
}

#[test]
fn cdata_and_prefixed_names_are_read() {
    let xml = "<s:AssumeRoleResponse xmlns:s=\"x\"><s:AssumeRoleResult><s:Credentials><s:AccessKeyId>A</s:AccessKeyId>\
        <s:SecretAccessKey><![CDATA[se<cr>et]]></s:SecretAccessKey><s:SessionToken>T</s:SessionToken>\
        <s:Expiration>2026-11-24T12:00:00.000Z</s:Expiration></s:Credentials></s:AssumeRoleResult></s:AssumeRoleResponse>";
    let c = parse_answer(Some(200), xml.as_bytes(), "sts").unwrap();
    assert_eq!(c.secret_access_key.expose(), "se<cr>et");
}

#[test]
fn aws_error_gives_status_and_code_only() {
    let xml = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>
        <Message>User: arn:aws:iam::123456789012:user/x is not authorized secretish</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
    assert_eq!(
        parse_answer(Some(403), xml.as_bytes(), "sts").unwrap_err(),
        "STS AssumeRole failed: Status Code: 403; Error Code: AccessDenied"
    );
    let odd = "<ErrorResponse><Error><Code>Bad code with spaces &amp; stuff</Code></Error></ErrorResponse>";
    assert_eq!(
        parse_answer(Some(400), odd.as_bytes(), "sts").unwrap_err(),
        "STS AssumeRole failed: Status Code: 400; the answer holds no AWS error"
    );
    assert_eq!(
        parse_answer(Some(503), b"upstream connect error", "sts").unwrap_err(),
        "STS AssumeRole failed: Status Code: 503; the answer holds no AWS error"
    );
}

#[test]
fn transport_failure_names_the_cluster() {
    assert_eq!(
        parse_answer(None, b"", "my_sts").unwrap_err(),
        "STS unreachable through cluster my_sts"
    );
}

#[test]
fn garbage_and_missing_fields_are_clear_errors() {
    let err = |body: &str| parse_answer(Some(200), body.as_bytes(), "sts").unwrap_err();
    for garbage in [
        "",
        "not xml at all",
        "<AssumeRoleResponse>",
        "<a></b>",
        "<a/><b/>",
        "<a>&nbsp;</a>",
        "{\"json\":1}",
        "x<a/>",
        "<a/>x",
        "</a>",
    ] {
        assert!(
            err(garbage).contains("is not well-formed XML"),
            "{garbage:?}: {}",
            err(garbage)
        );
    }
    let without = |field: &str| {
        OK.lines()
            .filter(|l| !l.contains(&format!("<{field}>")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for field in FIELDS {
        let e = err(&without(field));
        assert_eq!(
            e,
            format!(
                "STS AssumeRole answer (status 200) has no {field} in AssumeRoleResult/Credentials"
            )
        );
    }
    let bad_date = OK.replace("2026-11-24T12:00:00Z", "Tuesday");
    assert!(
        err(&bad_date).starts_with("STS AssumeRole Expiration:"),
        "{}",
        err(&bad_date)
    );
    // Values outside AssumeRoleResult/Credentials do not count.
    let moved = OK
        .replace("<AssumeRoleResult>", "<Other>")
        .replace("</AssumeRoleResult>", "</Other>");
    assert!(err(&moved).contains("has no"), "{}", err(&moved));
    for e in [err(&bad_date), err(&moved)] {
        assert!(!e.contains("tempsecret") && !e.contains("FwoG"), "{e}");
    }
}

#[test]
fn fixed_base_fetch_is_one_call() {
    let mut f = AssumeRole::new(role(), "us-east-1", Some(base(None)));
    let Step::Call(req) = f.start(t0()) else {
        panic!("expected the STS call")
    };
    assert_eq!(req.cluster, "sts");
    let Step::Done(Ok(c)) = f.on_answer(Answer::new(Some(200), OK.as_bytes(), t0())) else {
        panic!("expected creds")
    };
    assert_eq!(c.access_key_id, "ASIATEMPKEY");
    assert!(matches!(
        f.on_answer(Answer::new(Some(200), OK.as_bytes(), t0())),
        Step::Done(Err(_))
    ));
    assert!(!format!("{f:?}").contains("wJalrXUtnFEMI"));
}
