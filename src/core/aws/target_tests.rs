#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::time::UNIX_EPOCH;

fn target(function: &str, qualifier: Option<&str>) -> InvokeTarget {
    InvokeTarget::new(
        "lambda.eu-west-1.amazonaws.com",
        "",
        function,
        qualifier,
        "eu-west-1",
        "RequestResponse",
        "None",
    )
    .unwrap()
}

#[test]
fn function_name_path() {
    assert_eq!(
        target("demo", None).path_and_query,
        "/2015-03-31/functions/demo/invocations"
    );
}

#[test]
fn arn_and_alias_colons_are_encoded_once() {
    assert_eq!(
        target("arn:aws:lambda:eu-west-1:123456789012:function:demo", None).path_and_query,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Ademo/invocations"
    );
    assert_eq!(
        target("demo:live", None).path_and_query,
        "/2015-03-31/functions/demo%3Alive/invocations"
    );
}

#[test]
fn qualifier_goes_to_the_query() {
    assert_eq!(
        target("demo", Some("$LATEST")).path_and_query,
        "/2015-03-31/functions/demo/invocations?Qualifier=%24LATEST"
    );
}

#[test]
fn endpoint_base_path_is_prefixed() {
    let t = InvokeTarget::new(
        "h",
        "/function/",
        "demo",
        None,
        "us-east-1",
        "Event",
        "None",
    )
    .unwrap();
    assert_eq!(
        t.path_and_query,
        "/function/2015-03-31/functions/demo/invocations"
    );
}

#[test]
fn a_fixed_payload_is_signed_once_a_second_per_credentials() {
    let t = target("demo", None).with_fixed_payload(b"{\"k\":1}".to_vec());
    let fresh = target("demo", None);
    let a = Credentials::new("AKID", "secret", None);
    let b = Credentials::new("AKID", "secret", Some("tok".into()));
    let c = Credentials::new("AKID", "other", None);
    let t0 = UNIX_EPOCH + std::time::Duration::from_millis(1_764_000_000_100);
    let cases = [
        (&b"{\"k\":1}"[..], &a, t0),
        (b"{\"k\":1}", &a, t0 + std::time::Duration::from_millis(800)),
        (b"{\"k\":1}", &b, t0),
        (b"{\"k\":1}", &c, t0),
        (b"{\"k\":2}", &a, t0),
        (b"{\"k\":1}", &a, t0 + std::time::Duration::from_secs(1)),
        (b"{\"k\":1}", &a, t0),
    ];
    for (body, creds, now) in cases {
        assert_eq!(
            t.signed_headers(body, creds, now).unwrap(),
            fresh.signed_headers(body, creds, now).unwrap()
        );
    }
    let first = t.signed_headers(b"{\"k\":1}", &a, t0).unwrap();
    let later = t
        .signed_headers(b"{\"k\":1}", &a, t0 + std::time::Duration::from_secs(1))
        .unwrap();
    assert_ne!(first, later, "a new second is a new x-amz-date");
}

#[test]
fn headers_carry_invocation_and_log_type_and_signature() {
    let creds = Credentials::new("AKID", "secret", Some("tok".into()));
    let hs = target("demo", None)
        .signed_headers(b"{}", &creds, SystemTime::now())
        .unwrap();
    let get = |n: &str| crate::core::callout::header_value(&hs, n);
    assert_eq!(get(":method"), Some("POST"));
    assert_eq!(get(":authority"), Some("lambda.eu-west-1.amazonaws.com"));
    assert_eq!(get("x-amz-invocation-type"), Some("RequestResponse"));
    assert_eq!(get("x-amz-log-type"), Some("None"));
    assert_eq!(get("x-amz-security-token"), Some("tok"));
    assert!(get("authorization")
        .unwrap()
        .contains("/eu-west-1/lambda/aws4_request"));
}
