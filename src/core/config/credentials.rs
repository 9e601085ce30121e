//! The credentials part of the configuration: static keys (plain or EL over
//! `#env` / `#properties`, resolved once here), the VM environment, the
//! container endpoint, instance metadata and the role to assume.

use super::fields::{endpoint_parts, err, non_empty, template};
use super::raw::RawConfig;
use super::*;
use crate::core::credentials::container::ContainerConfig;
use crate::core::credentials::imds::ImdsConfig;
use crate::core::credentials::sts::RoleConfig;
use crate::core::credentials::Credentials;
use crate::core::secret::Secret;
use crate::core::template::{Object, Root};
use std::rc::Rc;

/// Reads every credentials field; a field that cannot work refuses the configuration.
pub(super) fn from_raw(
    raw: &RawConfig,
    region: &str,
    env: &dyn Fn(&str) -> Option<String>,
    properties: &Value,
    warnings: &mut Vec<String>,
) -> Result<CredentialsConfig, ConfigError> {
    let container = match (
        non_empty(raw.container_credentials_cluster.clone()),
        non_empty(env("AWS_CONTAINER_CREDENTIALS_FULL_URI")),
    ) {
        (Some(cluster), Some(uri)) => {
            let (authority, path) = endpoint_parts("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)?;
            Some(ContainerConfig {
                cluster,
                authority,
                path: if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                },
                token: non_empty(env("AWS_CONTAINER_AUTHORIZATION_TOKEN")).map(Secret::new),
            })
        }
        (Some(_), None) => {
            warnings.push("containerCredentialsCluster is set but AWS_CONTAINER_CREDENTIALS_FULL_URI is not in the VM environment: add it to vm_config.environment_variables.host_env_keys".to_string());
            None
        }
        _ => None,
    };
    let imds = match non_empty(raw.imds_cluster.clone()) {
        Some(cluster) => {
            let url = non_empty(raw.imds_endpoint.clone())
                .unwrap_or_else(|| "http://169.254.169.254".to_string());
            let (authority, _) = endpoint_parts("imdsEndpoint", &url)?;
            Some(ImdsConfig { cluster, authority })
        }
        None => None,
    };
    let root = ConfigRoot { env, properties };
    let access_key = root.credential("accessKey", raw.access_key.clone())?;
    let secret_key = root.credential("secretKey", raw.secret_key.clone())?;
    let session_token = root.credential("sessionToken", raw.session_token.clone())?;
    let (base, base_source) = match (access_key, secret_key) {
        (Some(ak), Some(sk)) => (
            Some(Credentials::new(ak, sk, session_token)),
            "configuration",
        ),
        (Some(_), None) => return Err(err("secretKey", "required when accessKey is set")),
        (None, Some(_)) => return Err(err("accessKey", "required when secretKey is set")),
        (None, None) => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(ak), Some(sk)) if !ak.is_empty() && !sk.is_empty() => (
                Some(Credentials::new(ak, sk, env("AWS_SESSION_TOKEN"))),
                "environment",
            ),
            _ if container.is_some() => (None, "container endpoint"),
            _ if imds.is_some() => (None, "instance metadata"),
            _ => {
                warnings.push(
                    "no AWS credentials: set accessKey/secretKey, or pass AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the VM with vm_config.environment_variables; invocations fail with 500 until then"
                        .to_string(),
                );
                (None, "none")
            }
        },
    };

    let role = match non_empty(raw.role_arn.clone()) {
        None => None,
        Some(arn) => {
            if !arn.starts_with("arn:") {
                return Err(err("roleArn", format!("{arn:?} is not an IAM role ARN")));
            }
            if let Some(d) = raw.duration_seconds {
                if !(900..=43_200).contains(&d) {
                    return Err(err("durationSeconds", "must be between 900 and 43200"));
                }
            }
            let sts = non_empty(raw.sts_endpoint.clone())
                .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
            let (sts_authority, sts_path) = endpoint_parts("stsEndpoint", &sts)?;
            Some(RoleConfig {
                arn,
                session_name: non_empty(raw.role_session_name.clone())
                    .unwrap_or_else(|| "gravitee".to_string()),
                external_id: non_empty(raw.external_id.clone()),
                duration_seconds: raw.duration_seconds,
                cluster: non_empty(raw.sts_cluster.clone()).unwrap_or_else(|| "sts".to_string()),
                authority: sts_authority,
                base_path: sts_path,
            })
        }
    };

    Ok(CredentialsConfig {
        base,
        base_source,
        role,
        container,
        imds,
        share: raw.share_credentials.unwrap_or(true),
    })
}

/// `#env['NAME']` and `#properties` for credential fields, resolved once here.
struct ConfigRoot<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    properties: &'a Value,
}

struct EnvObject(Vec<(String, String)>);

impl Object for EnvObject {
    fn get(&self, key: &str) -> Option<Value> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| Value::from(v.as_str()))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

impl Root for ConfigRoot<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "properties" => Some(self.properties.clone()),
            _ => None,
        }
    }
}

impl ConfigRoot<'_> {
    /// Renders a credential field: plain text as is, or EL with `#env` / `#properties`.
    fn credential(&self, field: &str, src: Option<String>) -> Result<Option<String>, ConfigError> {
        let Some(src) = non_empty(src) else {
            return Ok(None);
        };
        let t = template(field, &src)?;
        if t.is_literal() {
            return Ok(Some(src));
        }
        let env_names = ["env", "environment"];
        let env_values: Vec<(String, String)> = if env_names.iter().any(|n| t.references(n)) {
            collect_env_refs(&src)
                .into_iter()
                .filter_map(|k| (self.env)(&k).map(|v| (k, v)))
                .collect()
        } else {
            Vec::new()
        };
        let root = WithEnv {
            inner: self,
            env: Value::Object(Rc::new(EnvObject(env_values))),
        };
        let out = t
            .render(&root)
            .map_err(|e| err(field, format!("template does not evaluate: {e}")))?;
        Ok(Some(out).filter(|s| !s.is_empty()))
    }
}

struct WithEnv<'a, 'b> {
    inner: &'a ConfigRoot<'b>,
    env: Value,
}

impl Root for WithEnv<'_, '_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "env" | "environment" => Some(self.env.clone()),
            other => self.inner.lookup(other),
        }
    }
}

/// The variable names a credential template may read: every quoted word and
/// every `.NAME` after `#env`; only these are read from the environment.
fn collect_env_refs(src: &str) -> Vec<String> {
    src.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}
