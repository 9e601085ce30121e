//! From the raw JSON types to the runtime [`Config`]: defaults, enums,
//! templates compiled once, the Invoke target precomputed.

use super::credentials;
use super::fields::{endpoint_parts, err, non_empty, one_of, template};
use super::raw::{self, RawConfig};
use super::*;
use crate::core::apigw::resource::name_ok;
use crate::core::template::Map;
use std::rc::Rc;

const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Default `maxBufferedBytes`: about twenty 6 MB bodies at once, far below
/// V8's limit (a Wasm VM cannot give memory back once it has grown).
pub const DEFAULT_MAX_BUFFERED_BYTES: u64 = 128 * 1024 * 1024;
const MIN_BUFFERED_BYTES: u64 = 1024 * 1024;
const MAX_BUFFERED_BYTES: u64 = 768 * 1024 * 1024;

/// A valid configuration and the warnings to log once.
#[derive(Debug)]
pub struct Parsed {
    pub config: Config,
    pub warnings: Vec<String>,
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

    let (apigw, hold_request_headers) = super::apigw::from_raw(&raw, &mut warnings)?;
    let scope = one_of(
        "scope",
        raw.scope.clone(),
        if apigw.payload_format.describes_request() {
            Scope::RequestContent
        } else {
            Scope::Request
        },
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
    let region = non_empty(raw.region.clone()).unwrap_or_else(|| "us-east-1".to_string());
    if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(err("region", format!("{region:?} is not an AWS region")));
    }
    let function = non_empty(raw.function.clone())
        .ok_or_else(|| err("function", "required: a function name, ARN or name:alias"))?;
    if function.len() > 170 || function.contains('/') || function.chars().any(char::is_whitespace) {
        return Err(err(
            "function",
            format!("{function:?} is not a function name, ARN or name:alias"),
        ));
    }
    let qualifier = non_empty(raw.qualifier.clone());

    let endpoint = non_empty(raw.endpoint.clone())
        .unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
    let (authority, base_path) = endpoint_parts("endpoint", &endpoint)?;
    let cluster = non_empty(raw.cluster.clone()).unwrap_or_else(|| "lambda".to_string());

    let payload = match non_empty(raw.payload.clone()) {
        Some(p) => Some(template("payload", &p)?),
        None => None,
    };
    let unescaped = payload.as_ref().map_or(0, Template::blocks_in_json_strings);
    if unescaped > 0 {
        warnings.push(format!(
            "`payload`: {unescaped} expression(s) inside JSON strings are not escaped, so a value \
             with a quote or a backslash changes the payload; write \"user\": {{#jsonEncode(...)}} \
             instead of \"user\": \"{{#...}}\""
        ));
    }
    let mut variables = Vec::new();
    for (i, v) in raw.variables.iter().flatten().enumerate() {
        let name = v.name.trim();
        if !name_ok(name) {
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

    let credentials = credentials::from_raw(&raw, &region, env, &properties, &mut warnings)?;

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
    let gravitee = super::gravitee::from_raw(&raw, &mut warnings)?;
    let templates = || {
        payload
            .iter()
            .chain(variables.iter().map(|v| &v.value))
            .chain(gravitee.templates())
    };
    // An event is built from the whole request: headers, body and the caller's address.
    let event = apigw.payload_format.describes_request();
    let needs = Needs {
        request: event || templates().any(|t| t.references("request")),
        request_headers: event || templates().any(|t| !t.reads_only("request", "content")),
        addresses: event
            || templates().any(|t| {
                t.source().contains("remoteAddress") || t.source().contains("localAddress")
            }),
        bodies_after_call: gravitee.bodies_after_call()
            || variables
                .iter()
                .any(|v| v.value.references("request") || v.value.references("response")),
    };
    let invoke_on_local_replies = raw.invoke_on_local_replies.unwrap_or(false);
    if invoke_on_local_replies && scope.is_request_phase() {
        warnings.push(
            "`invokeOnLocalReplies` is ignored in the request scopes (it is about responses)"
                .to_string(),
        );
    }
    let max_buffered_bytes = raw.max_buffered_bytes.unwrap_or(DEFAULT_MAX_BUFFERED_BYTES);
    if !(MIN_BUFFERED_BYTES..=MAX_BUFFERED_BYTES).contains(&max_buffered_bytes) {
        return Err(err(
            "maxBufferedBytes",
            format!("must be between {MIN_BUFFERED_BYTES} (1 MiB) and {MAX_BUFFERED_BYTES} (768 MiB; V8 caps a VM at about 1 GiB)"),
        ));
    }
    let target = InvokeTarget::new(
        &authority,
        &base_path,
        &function,
        qualifier.as_deref(),
        &region,
        invocation_type.as_str(),
        log_type,
    )
    .map_err(|e| err("endpoint", e))?;
    // A payload without `{#…}` blocks (or none: an empty body) is the same
    // for every request: its signature is made once a second.
    let target = match &payload {
        None => target.with_fixed_payload(Vec::new()),
        Some(t) if t.is_literal() => target.with_fixed_payload(t.source().as_bytes().to_vec()),
        Some(_) => target,
    };
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
            credentials,
            properties,
            needs,
            retry,
            max_buffered_bytes: max_buffered_bytes as usize,
            invoke_on_local_replies,
            error_params: ErrorParams {
                function: Some(function),
                region: Some(region),
                qualifier,
                ..ErrorParams::default()
            },
            response_templates: gravitee.response_templates,
            condition: gravitee.condition,
            on_condition_error: gravitee.on_condition_error,
            apigw,
            hold_request_headers,
        },
        warnings,
    })
}
