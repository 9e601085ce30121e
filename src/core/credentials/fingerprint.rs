//! Which roots may share credentials: a digest of the settings that decide them.

use crate::core::aws::push_hex;
use crate::core::credentials::chain::CredentialsConfig;
use crate::core::secret::Secret;
use sha2::{Digest, Sha256};

/// A digest of everything that decides which credentials a fetch gets (the
/// source, its endpoint and cluster, the role and its parameters, the region,
/// the base keys): roots with different settings never share. None when the
/// credentials are not fetched (static or environment keys without a role, or
/// none at all). Secrets go into the digest, which does not reveal them.
pub fn fingerprint(cfg: &CredentialsConfig, region: &str) -> Option<String> {
    let source = match (&cfg.role, &cfg.base, &cfg.container, &cfg.imds) {
        (Some(_), Some(_), _, _) => "assume-role:keys",
        (Some(_), None, Some(_), _) => "assume-role:container",
        (Some(_), None, None, Some(_)) => "assume-role:imds",
        (None, None, Some(_), _) => "container",
        (None, None, None, Some(_)) => "imds",
        _ => return None,
    };
    let duration = cfg.role.as_ref().and_then(|r| r.duration_seconds);
    let duration = duration.map(|d| d.to_string()).unwrap_or_default();
    let mut fields: Vec<(&str, &str)> = vec![("source", source), ("region", region)];
    if let Some(r) = &cfg.role {
        fields.extend([
            ("roleArn", r.arn.as_str()),
            ("roleSessionName", r.session_name.as_str()),
            ("externalId", r.external_id.as_deref().unwrap_or_default()),
            ("durationSeconds", duration.as_str()),
            ("stsCluster", r.cluster.as_str()),
            ("stsAuthority", r.authority.as_str()),
            ("stsPath", r.base_path.as_str()),
        ]);
    }
    if let Some(b) = &cfg.base {
        fields.extend([
            ("accessKey", b.access_key_id.as_str()),
            ("secretKey", b.secret_access_key.expose()),
            ("sessionToken", exposed(&b.session_token)),
        ]);
    } else if let Some(c) = &cfg.container {
        fields.extend([
            ("containerCluster", c.cluster.as_str()),
            ("containerAuthority", c.authority.as_str()),
            ("containerPath", c.path.as_str()),
            ("containerToken", exposed(&c.token)),
        ]);
    } else if let Some(i) = &cfg.imds {
        fields.extend([
            ("imdsCluster", i.cluster.as_str()),
            ("imdsAuthority", i.authority.as_str()),
        ]);
    }
    let mut digest = Sha256::new();
    for (name, value) in &fields {
        for part in [name.as_bytes(), value.as_bytes()] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part);
        }
    }
    // The first 16 bytes of the digest, in hex, are the key.
    let mut key = String::with_capacity(64);
    push_hex(&mut key, &digest.finalize());
    key.truncate(32);
    Some(key)
}

/// A secret's text for the digest ("" when unset).
fn exposed(secret: &Option<Secret>) -> &str {
    secret.as_ref().map_or("", Secret::expose)
}

#[cfg(test)]
#[path = "fingerprint_tests.rs"]
mod tests;
