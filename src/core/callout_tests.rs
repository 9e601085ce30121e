#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::time::Duration;

#[test]
fn callout_debug_redacts_credential_headers() {
    let req = CalloutRequest {
        cluster: "sts".into(),
        headers: vec![
            (":path".into(), "/".into()),
            (
                "authorization".into(),
                "AWS4-HMAC-SHA256 Credential=AKID/sig".into(),
            ),
            ("x-amz-security-token".into(), "SESSIONTOKEN".into()),
            ("x-aws-ec2-metadata-token".into(), "IMDSTOKEN".into()),
        ],
        body: b"Action=AssumeRole".to_vec(),
        timeout: Duration::from_secs(5),
    };
    let dbg = format!("{req:?}");
    for secret in ["AKID/sig", "SESSIONTOKEN", "IMDSTOKEN"] {
        assert!(!dbg.contains(secret), "{dbg}");
    }
    assert!(dbg.contains("\":path\", \"/\""), "{dbg}");
    assert_eq!(req.header("x-amz-security-token"), Some("SESSIONTOKEN"));
}
