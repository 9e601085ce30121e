//! The signer against AWS's SigV4 test suite (aws-c-auth `aws-signing-test-suite/v4`)
//! and (`sigv4_reference_tests.rs`), differentially, against `aws-sigv4` on thousands
//! of random Invoke requests.

use super::*;
use crate::core::callout::header_value as header;
use std::time::{Duration, UNIX_EPOCH};

const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn suite_time() -> SystemTime {
    // 2015-08-30T12:36:00Z
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds(token: Option<&str>) -> Credentials {
    Credentials::new("AKIDEXAMPLE", SUITE_SECRET, token.map(str::to_string))
}

fn suite(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    token: Option<&str>,
) -> String {
    let req = Signable {
        method,
        authority: "example.amazonaws.com",
        path_and_query: path,
        headers,
        body,
        service: "service",
        region: "us-east-1",
        time: suite_time(),
    };
    let hs = sign_headers(&req, &creds(token)).unwrap();
    assert_eq!(header(&hs, "x-amz-date"), Some("20150830T123600Z"));
    header(&hs, "authorization").unwrap().to_string()
}

const SCOPE: &str =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

#[test]
fn aws_suite_post_vanilla() {
    assert_eq!(
        suite("POST", "/", &[], b"", None),
        format!("{SCOPE}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    );
}

#[test]
fn aws_suite_get_vanilla_query_order_key_case() {
    assert_eq!(
        suite("GET", "/?Param2=value2&Param1=value1", &[], b"", None),
        format!("{SCOPE}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    );
}

#[test]
fn aws_suite_get_vanilla_with_session_token() {
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    assert_eq!(
        suite("GET", "/", &[], b"", Some(token)),
        format!("{SCOPE}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8")
    );
}

#[test]
fn aws_suite_post_x_www_form_urlencoded() {
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-length", "13"),
        (
            "x-amz-content-sha256",
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
    ];
    assert_eq!(
        suite("POST", "/", &headers, b"Param1=value1", None),
        format!("{SCOPE}, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b")
    );
}

#[test]
fn escaped_colon_is_signed_as_double_encoded() {
    let a = suite(
        "POST",
        "/2015-03-31/functions/a%3Alive/invocations",
        &[],
        b"{}",
        None,
    );
    let b = suite(
        "POST",
        "/2015-03-31/functions/a:live/invocations",
        &[],
        b"{}",
        None,
    );
    assert_ne!(a, b);
}

#[test]
fn no_secret_in_the_output() {
    let hs = sign_headers(
        &Signable {
            method: "POST",
            authority: "lambda.us-east-1.amazonaws.com",
            path_and_query: "/x",
            headers: &[],
            body: b"",
            service: "lambda",
            region: "us-east-1",
            time: suite_time(),
        },
        &creds(None),
    )
    .unwrap();
    assert!(!format!("{hs:?}").contains("wJalrXUtnFEMI"));
}

#[path = "sigv4_reference_tests.rs"]
mod reference;
