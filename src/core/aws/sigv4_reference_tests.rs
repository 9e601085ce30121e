//! The signer against `aws-sigv4`, as the AWS SDKs sign: thousands of random
//! Invoke requests and STS form posts, signed by both, the same to the byte.

use super::*;

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
