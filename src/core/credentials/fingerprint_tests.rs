#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::secret::Credentials;
use crate::core::testing::role;

/// One edit of the settings.
type Change = Box<dyn Fn(&mut CredentialsConfig)>;

fn config(arn: &str) -> CredentialsConfig {
    let mut r = role();
    r.arn = arn.into();
    CredentialsConfig {
        base: Some(Credentials::new("AKIDBASE", "basesecret", None)),
        base_source: "configuration",
        role: Some(r),
        container: None,
        imds: None,
        share: true,
    }
}

#[test]
fn the_fingerprint_changes_with_every_setting_and_only_then() {
    let base = config("arn:aws:iam::123456789012:role/demo");
    let region = "us-east-1";
    let of = |c: &CredentialsConfig, r: &str| fingerprint(c, r).unwrap();
    assert_eq!(of(&base, region), of(&base.clone(), region));
    let key = of(&base, region);
    assert!(
        key.len() == 32 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "16 bytes of the digest in lowercase hex: {key}"
    );
    let mut quiet = base.clone();
    quiet.share = false;
    quiet.base_source = "environment";
    assert_eq!(
        of(&quiet, region),
        of(&base, region),
        "not what the credentials depend on"
    );
    let changes: Vec<Change> = vec![
        Box::new(|c| c.role.as_mut().unwrap().session_name = "other".into()),
        Box::new(|c| c.role.as_mut().unwrap().external_id = Some("x".into())),
        Box::new(|c| c.role.as_mut().unwrap().duration_seconds = Some(900)),
        Box::new(|c| c.role.as_mut().unwrap().cluster = "sts2".into()),
        Box::new(|c| c.role.as_mut().unwrap().authority = "sts.eu-west-1.amazonaws.com".into()),
        Box::new(|c| c.role.as_mut().unwrap().base_path = "/p".into()),
        Box::new(|c| c.base = Some(Credentials::new("AKIDOTHER", "basesecret", None))),
        Box::new(|c| c.base = Some(Credentials::new("AKIDBASE", "othersecret", None))),
        Box::new(|c| {
            c.base = Some(Credentials::new(
                "AKIDBASE",
                "basesecret",
                Some("tok".into()),
            ))
        }),
    ];
    let mut seen = vec![of(&base, region), of(&base, "eu-west-1")];
    for change in changes {
        let mut c = base.clone();
        change(&mut c);
        seen.push(of(&c, region));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert!(!seen.iter().any(|f| f.contains("basesecret")));
    let mut fixed = base.clone();
    fixed.role = None;
    assert!(
        fingerprint(&fixed, region).is_none(),
        "static keys are not fetched"
    );
}

#[test]
fn the_fingerprint_names_the_source_the_fetch_uses() {
    use crate::core::credentials::container::ContainerConfig;
    use crate::core::credentials::imds::ImdsConfig;
    use crate::core::secret::Secret;
    let pod = |token: &str| ContainerConfig {
        cluster: "pod".into(),
        authority: "169.254.170.23".into(),
        path: "/v1/credentials".into(),
        token: Some(Secret::new(token)),
    };
    let imds = ImdsConfig {
        cluster: "imds".into(),
        authority: "169.254.169.254".into(),
    };
    let mut c = config("arn:aws:iam::123456789012:role/demo");
    c.base = None;
    c.container = Some(pod("a"));
    let role_pod = fingerprint(&c, "us-east-1").unwrap();
    c.container = Some(pod("b"));
    let role_pod_b = fingerprint(&c, "us-east-1").unwrap();
    c.container = None;
    c.imds = Some(imds.clone());
    let role_imds = fingerprint(&c, "us-east-1").unwrap();
    c.role = None;
    let imds_only = fingerprint(&c, "us-east-1").unwrap();
    let all = [role_pod, role_pod_b, role_imds, imds_only];
    let mut unique = all.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len());
    c.imds = None;
    assert!(fingerprint(&c, "us-east-1").is_none(), "no source at all");
}
