//! From the raw JSON types to the runtime [`Config`]: defaults, enums,
//! templates compiled once, the Invoke target precomputed.

use super::raw::{self, RawConfig};
use super::*;
use crate::core::template::{Map, Object, Root};
use std::rc::Rc;

const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// A valid configuration and the warnings to log once.
#[derive(Debug)]
pub struct Parsed {
    pub config: Config,
    pub warnings: Vec<String>,
}

fn err(field: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Empty strings count as unset, as in Gravitee's UI.
fn set(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn one_of<T: Copy>(
    field: &str,
    value: Option<String>,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(v) = set(value) else {
        return Ok(default);
    };
    choices
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            err(
                field,
                format!("unknown value {v:?}, expected one of {}", names.join(", ")),
            )
        })
}

fn template(field: &str, src: &str) -> Result<Template, ConfigError> {
    Template::compile(src)
        .map_err(|e| err(field, format!("template {src:?} does not compile: {e}")))
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
        let Some(src) = set(src) else { return Ok(None) };
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

fn endpoint_parts(field: &str, url: &str) -> Result<(String, String), ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| err(field, format!("{url:?} is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(err(
                field,
                format!("{url:?} must start with http:// or https://"),
            ))
        }
    }
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .filter(|a| !a.is_empty() && !a.contains('@'))
        .ok_or_else(|| err(field, format!("{url:?} has no host")))?;
    if uri.query().is_some() {
        return Err(err(field, format!("{url:?} must not carry a query")));
    }
    Ok((authority, uri.path().trim_end_matches('/').to_string()))
}

fn timeout(raw: &RawConfig) -> Duration {
    let ms = [
        raw.read_timeout_ms,
        raw.api_call_attempt_timeout_ms,
        raw.api_call_timeout_ms,
    ]
    .into_iter()
    .flatten()
    .filter(|ms| *ms > 0)
    .min()
    .unwrap_or(DEFAULT_TIMEOUT_MS);
    Duration::from_millis(ms)
}

fn variable_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Parses and validates the plugin configuration. `env` reads the VM environment.
pub fn from_json(json: &[u8], env: &dyn Fn(&str) -> Option<String>) -> Result<Parsed, ConfigError> {
    if json.iter().all(u8::is_ascii_whitespace) {
        return Err(err(
            "configuration",
            "empty: the plugin needs at least {\"function\": \"...\"}",
        ));
    }
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(err(
            "configuration",
            "invalid type: must be a JSON object such as {\"function\": \"...\"}",
        ));
    }
    let raw = raw::parse(json).map_err(|(field, reason)| err(&field, reason))?;
    let mut warnings = Vec::new();
    if raw.ssl.is_some() {
        warnings.push(
            "`ssl` is ignored inside Envoy: configure TLS on the Lambda cluster (transport_socket)"
                .to_string(),
        );
    }
    if raw.connection_timeout_ms.is_some() {
        warnings.push("`connectionTimeoutMs` is ignored inside Envoy: set connect_timeout on the Lambda cluster".to_string());
    }

    let scope = one_of(
        "scope",
        raw.scope.clone(),
        Scope::Request,
        &[
            ("REQUEST", Scope::Request),
            ("REQUEST_CONTENT", Scope::RequestContent),
            ("RESPONSE", Scope::Response),
            ("RESPONSE_CONTENT", Scope::ResponseContent),
        ],
    )?;
    let invocation_type = one_of(
        "invocationType",
        raw.invocation_type.clone(),
        InvocationType::RequestResponse,
        &[
            ("RequestResponse", InvocationType::RequestResponse),
            ("Event", InvocationType::Event),
            ("DryRun", InvocationType::DryRun),
        ],
    )?;
    let log_type = one_of(
        "logType",
        raw.log_type.clone(),
        "None",
        &[("None", "None"), ("Tail", "Tail")],
    )?;
    let region = set(raw.region.clone()).unwrap_or_else(|| "us-east-1".to_string());
    if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(err("region", format!("{region:?} is not an AWS region")));
    }
    let function = set(raw.function.clone())
        .ok_or_else(|| err("function", "required: a function name, ARN or name:alias"))?;
    if function.len() > 170 || function.contains('/') || function.chars().any(char::is_whitespace) {
        return Err(err(
            "function",
            format!("{function:?} is not a function name, ARN or name:alias"),
        ));
    }
    let qualifier = set(raw.qualifier.clone());

    let endpoint = set(raw.endpoint.clone())
        .unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
    let (authority, base_path) = endpoint_parts("endpoint", &endpoint)?;
    let cluster = set(raw.cluster.clone()).unwrap_or_else(|| "lambda".to_string());

    let payload = match set(raw.payload.clone()) {
        Some(p) => Some(template("payload", &p)?),
        None => None,
    };
    let mut variables = Vec::new();
    for (i, v) in raw.variables.iter().flatten().enumerate() {
        let name = v.name.trim();
        if !variable_name_ok(name) {
            return Err(err(
                &format!("variables[{i}].name"),
                format!("{name:?}: use 1 to 128 letters, digits, '_', '-' or '.'"),
            ));
        }
        variables.push(Variable {
            name: name.to_string(),
            value: template(&format!("variables[{i}].value"), &v.value)?,
        });
    }

    let mut props = Map::new();
    for (k, v) in raw.properties.iter().flatten() {
        props.insert(k.clone(), Value::from(v.as_str()));
    }
    let properties = Value::Map(Rc::new(props));

    let container = match (
        set(raw.container_credentials_cluster.clone()),
        set(env("AWS_CONTAINER_CREDENTIALS_FULL_URI")),
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
                token: set(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
                    .map(crate::core::secret::Secret::new),
            })
        }
        (Some(_), None) => {
            warnings.push("containerCredentialsCluster is set but AWS_CONTAINER_CREDENTIALS_FULL_URI is not in the VM environment: add it to vm_config.environment_variables.host_env_keys".to_string());
            None
        }
        _ => None,
    };
    let imds = match set(raw.imds_cluster.clone()) {
        Some(cluster) => {
            let url = set(raw.imds_endpoint.clone())
                .unwrap_or_else(|| "http://169.254.169.254".to_string());
            let (authority, _) = endpoint_parts("imdsEndpoint", &url)?;
            Some(ImdsConfig { cluster, authority })
        }
        None => None,
    };
    let root = ConfigRoot {
        env,
        properties: &properties,
    };
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

    let role = match set(raw.role_arn.clone()) {
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
            let sts = set(raw.sts_endpoint.clone())
                .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
            let (sts_authority, sts_path) = endpoint_parts("stsEndpoint", &sts)?;
            Some(RoleConfig {
                arn,
                session_name: set(raw.role_session_name.clone())
                    .unwrap_or_else(|| "gravitee".to_string()),
                external_id: set(raw.external_id.clone()),
                duration_seconds: raw.duration_seconds,
                cluster: set(raw.sts_cluster.clone()).unwrap_or_else(|| "sts".to_string()),
                authority: sts_authority,
                base_path: sts_path,
            })
        }
    };

    let max_attempts = raw.max_attempts.unwrap_or(3);
    if !(1..=10).contains(&max_attempts) {
        return Err(err("maxAttempts", "must be between 1 (no retry) and 10"));
    }
    let retry = RetryPolicy {
        max_attempts: if invocation_type == InvocationType::Event
            && raw.retry_event_invocations == Some(false)
        {
            1
        } else {
            max_attempts
        },
        base: Duration::from_millis(25),
        cap: Duration::from_millis(1000),
        budget: raw
            .api_call_timeout_ms
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis),
    };
    let templates = || payload.iter().chain(variables.iter().map(|v| &v.value));
    let needs = Needs {
        request: templates().any(|t| t.references("request")),
        addresses: templates()
            .any(|t| t.source().contains("remoteAddress") || t.source().contains("localAddress")),
    };
    let target = InvokeTarget::new(
        &authority,
        &base_path,
        &function,
        qualifier.as_deref(),
        &region,
        invocation_type.as_str(),
        log_type,
    );
    Ok(Parsed {
        config: Config {
            scope,
            send_to_consumer: raw.send_to_consumer.unwrap_or(false),
            invocation_type,
            cluster,
            target,
            payload,
            variables,
            timeout: timeout(&raw),
            credentials: CredentialsConfig {
                base,
                base_source,
                role,
                container,
                imds,
            },
            properties,
            needs,
            retry,
        },
        warnings,
    })
}
