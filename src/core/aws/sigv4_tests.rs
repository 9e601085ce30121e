//! The signer against AWS's SigV4 test suite (aws-c-auth `aws-signing-test-suite/v4`)
//! and, differentially, against `aws-sigv4` on thousands of random Invoke requests.

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

/// The reference: `aws-sigv4`, as the AWS SDKs sign.
fn reference(req: &Signable<'_>, c: &Credentials) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_string(),
        c.session_token.as_ref().map(|t| t.expose().to_string()),
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(req.region)
        .name(req.service)
        .time(req.time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let uri = format!("https://{}{}", req.authority, req.path_and_query);
    let signable = SignableRequest::new(
        req.method,
        &uri,
        req.headers.iter().copied(),
        SignableBody::Bytes(req.body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut out: Vec<(String, String)> = instructions
        .into_parts()
        .0
        .into_iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect();
    out.sort();
    out
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn word(&mut self, alphabet: &[u8], max: usize) -> String {
        let len = 1 + self.below(max);
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

/// The signature headers a configured target's prepared signer adds, sorted
/// (what `reference` returns for the same request).
fn signature_of(
    target: &crate::core::aws::target::InvokeTarget,
    body: &[u8],
    creds: &Credentials,
    time: SystemTime,
) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> = target
        .signed_headers(body, creds, time)
        .unwrap()
        .into_iter()
        .filter(|(n, _)| {
            matches!(
                n.as_str(),
                "x-amz-date" | "authorization" | "x-amz-security-token"
            )
        })
        .collect();
    got.sort();
    got
}

#[test]
fn identical_to_aws_sigv4_on_random_invoke_requests() {
    use crate::core::aws::target::InvokeTarget;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let name_chars = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    let qualifier_chars = b"abcdefghijklmnopqrstuvwxyz0123456789-_$";
    let regions = [
        "us-east-1",
        "eu-west-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "cn-north-1",
    ];
    for i in 0..3000 {
        let name = rng.word(name_chars, 64);
        let function = match rng.below(4) {
            0 => name,
            1 => format!("{name}:{}", rng.word(qualifier_chars, 12)),
            2 => format!("123456789012:function:{name}"),
            _ => format!(
                "arn:aws:lambda:{}:123456789012:function:{name}",
                regions[rng.below(regions.len())]
            ),
        };
        let qualifier = (rng.below(3) == 0).then(|| rng.word(qualifier_chars, 10));
        let region = regions[rng.below(regions.len())];
        let authority = if rng.below(2) == 0 {
            format!("lambda.{region}.amazonaws.com")
        } else {
            format!("127.0.0.1:{}", 1024 + rng.below(60000))
        };
        let target = InvokeTarget::new(
            &authority,
            "",
            &function,
            qualifier.as_deref(),
            region,
            ["RequestResponse", "Event", "DryRun"][rng.below(3)],
            ["None", "Tail"][rng.below(2)],
        )
        .unwrap();
        let body: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        let token = (rng.below(2) == 0).then(|| {
            rng.word(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
                200,
            )
        });
        let secret = rng.word(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        );
        let c = Credentials::new(
            format!("AKIA{}", rng.word(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
            secret,
            token,
        );
        let time = UNIX_EPOCH + Duration::from_secs(1_400_000_000 + (rng.next() % 900_000_000));
        let amz = [
            ("x-amz-invocation-type", target.invocation_type),
            ("x-amz-log-type", target.log_type),
        ];
        let req = Signable {
            method: "POST",
            authority: &target.authority,
            path_and_query: &target.path_and_query,
            headers: &amz,
            body: &body,
            service: "lambda",
            region,
            time,
        };
        let expected = reference(&req, &c);
        let mut ours = sign_headers(&req, &c).unwrap();
        ours.sort();
        assert_eq!(ours, expected, "request {i}: {}", target.path_and_query);
        // The configured target's prepared signer, twice: the second call is
        // served from the per-second cache; then the next second.
        for (t, want) in [
            (time, &expected),
            (time, &expected),
            (
                time + Duration::from_secs(1),
                &reference(
                    &Signable {
                        time: time + Duration::from_secs(1),
                        ..req
                    },
                    &c,
                ),
            ),
        ] {
            assert_eq!(
                &signature_of(&target, &body, &c, t),
                want,
                "prepared request {i}"
            );
        }
        // Still in the cached second: another body, then the other kind of
        // credentials (with a session token if these had none, and back).
        let other_body: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        let flipped = Credentials::new(
            c.access_key_id.clone(),
            "another-secret",
            match c.session_token {
                Some(_) => None,
                None => Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
            },
        );
        // And a rotated session token of the same kind (the cache must key on its value).
        let rotated = Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.expose(),
            Some(match &c.session_token {
                Some(t) => format!("{}rotated", t.expose()),
                None => "FwoGZXIvYXdzEXAMPLETOKENrotated".to_string(),
            }),
        );
        for (b, creds) in [
            (&other_body, &c),
            (&body, &flipped),
            (&body, &c),
            (&body, &flipped),
            (&body, &rotated),
        ] {
            let want = reference(
                &Signable {
                    body: b,
                    time: time + Duration::from_secs(1),
                    ..req
                },
                creds,
            );
            assert_eq!(
                signature_of(&target, b, creds, time + Duration::from_secs(1)),
                want,
                "cached second, request {i}"
            );
        }
    }
}

#[test]
fn identical_to_aws_sigv4_for_sts_form_posts() {
    let body = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=gravitee";
    let headers = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    let req = Signable {
        method: "POST",
        authority: "sts.eu-west-1.amazonaws.com",
        path_and_query: "/",
        headers: &headers,
        body,
        service: "sts",
        region: "eu-west-1",
        time: suite_time(),
    };
    let mut ours = sign_headers(&req, &creds(Some("tok"))).unwrap();
    ours.sort();
    assert_eq!(ours, reference(&req, &creds(Some("tok"))));
}
