//! The secret values: a string that must never be printed ([`Secret`]: access
//! secrets, session tokens) and one set of AWS [`Credentials`] that holds them.
//! A leaf: the signer, the configuration and the credentials sources share it.

use std::fmt;
use std::time::SystemTime;

/// Holds a secret value. `Debug` and `Display` print `***`, so a secret can
/// never end up in a log line, an error body or a panic message by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it: the signer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One set of AWS credentials. The secret and the token are redacted in every print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// When temporary credentials stop being valid (None: long-term keys).
    pub expiration: Option<SystemTime>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret),
            session_token: token.filter(|t| !t.is_empty()).map(Secret::new),
            expiration: None,
        }
    }
}

#[cfg(test)]
#[path = "secret_tests.rs"]
mod tests;
