//! The JSON credentials document both the container endpoint and IMDS answer.

use crate::core::credentials::Credentials;
use crate::core::time::parse_iso8601;
use serde::Deserialize;

/// The JSON both the container endpoint and IMDS answer. No `Debug`: it holds secrets.
#[derive(Deserialize)]
pub(crate) struct JsonCredentials {
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: Option<String>,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

impl JsonCredentials {
    /// Parses the answer; the error never quotes the body (serde's messages may hold values).
    pub(crate) fn parse(body: &[u8], what: &str) -> Result<Self, String> {
        serde_json::from_slice(body).map_err(|e| {
            format!(
                "{what} answer is not a JSON credentials object (line {} column {})",
                e.line(),
                e.column()
            )
        })
    }

    pub(crate) fn into_credentials(self, what: &str) -> Result<Credentials, String> {
        let missing = |name: &str| format!("{what} answer has no {name}");
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        let ak = nonempty(self.access_key_id).ok_or_else(|| missing("AccessKeyId"))?;
        let sk = nonempty(self.secret_access_key).ok_or_else(|| missing("SecretAccessKey"))?;
        let mut creds = Credentials::new(ak, sk, self.token);
        creds.expiration = match nonempty(self.expiration) {
            Some(e) => Some(parse_iso8601(&e).map_err(|e| format!("{what} Expiration: {e}"))?),
            None => None,
        };
        Ok(creds)
    }
}
