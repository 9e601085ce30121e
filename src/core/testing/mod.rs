//! Test support shared by the unit tests, the benchmarks and the fuzz targets
//! (compiled under `cfg(test)` and the `testing` feature, never shipped): a
//! recording fake [`Host`](crate::core::host::Host) (`fake_host.rs`), a host
//! that keeps nothing (`noop_host.rs`), the fixtures below and, for the unit
//! tests, the stream's (`stream.rs`).

use crate::core::credentials::sts::RoleConfig;
use crate::core::host::Headers;
#[cfg(test)]
use crate::core::secret::Credentials;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(test)]
pub mod apigw;
mod fake_host;
mod noop_host;
#[cfg(test)]
pub mod stream;
#[cfg(test)]
pub mod template;

pub use fake_host::{Dispatched, FakeHost};
pub use noop_host::NoopHost;

/// The time a [`FakeHost`] starts at: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000;

/// `UNIX_EPOCH + secs`.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A header list from `(name, value)` pairs.
pub fn headers(pairs: &[(&str, &str)]) -> Headers {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The role every credentials test assumes.
pub fn role() -> RoleConfig {
    RoleConfig {
        arn: "arn:aws:iam::123456789012:role/demo".into(),
        session_name: "gravitee".into(),
        external_id: None,
        duration_seconds: None,
        cluster: "sts".into(),
        authority: "sts.us-east-1.amazonaws.com".into(),
        base_path: String::new(),
    }
}

/// Asserts every field of parsed credentials (`expiration`: UNIX seconds) and
/// that their `Debug` holds neither the secret nor the token.
#[cfg(test)]
pub fn assert_credentials(
    c: &Credentials,
    access_key_id: &str,
    secret: &str,
    token: Option<&str>,
    expiration: Option<u64>,
) {
    assert_eq!(c.access_key_id, access_key_id);
    assert_eq!(c.secret_access_key.expose(), secret);
    assert_eq!(c.session_token.as_ref().map(|t| t.expose()), token);
    assert_eq!(c.expiration, expiration.map(at));
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(secret), "{dbg}");
    assert!(token.is_none_or(|t| !dbg.contains(t)), "{dbg}");
}
