//! Serde types that mirror the plugin configuration JSON: the Gravitee policy's
//! `configuration` object, plus the few fields Envoy needs.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawConfig {
    pub scope: Option<String>,
    pub region: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub function: Option<String>,
    pub payload: Option<String>,
    pub invocation_type: Option<String>,
    pub qualifier: Option<String>,
    pub log_type: Option<String>,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    pub variables: Option<Vec<RawVariable>>,
    pub send_to_consumer: Option<bool>,
    pub connection_timeout_ms: Option<u64>,
    pub read_timeout_ms: Option<u64>,
    pub api_call_attempt_timeout_ms: Option<u64>,
    pub api_call_timeout_ms: Option<u64>,
    pub ssl: Option<serde_json::Value>,
    pub max_attempts: Option<u32>,
    pub retry_event_invocations: Option<bool>,
    // Additions for Envoy.
    pub cluster: Option<String>,
    pub endpoint: Option<String>,
    pub sts_cluster: Option<String>,
    pub sts_endpoint: Option<String>,
    pub container_credentials_cluster: Option<String>,
    pub imds_cluster: Option<String>,
    pub imds_endpoint: Option<String>,
    pub share_credentials: Option<bool>,
    pub properties: Option<BTreeMap<String, String>>,
    pub max_buffered_bytes: Option<u64>,
    pub invoke_on_local_replies: Option<bool>,
    // Gravitee's gateway features around the policy.
    #[serde(alias = "response_templates")]
    pub response_templates: Option<crate::core::reply::RawResponseTemplates>,
    pub condition: Option<String>,
    pub on_condition_error: Option<String>,
    // Lambda as an API backend (see `apigw`).
    pub payload_format: Option<String>,
    pub response_format: Option<String>,
    pub api_gateway: Option<crate::core::apigw::RawApiGateway>,
    pub hold_request_headers: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariable {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// Parses the JSON; the error names the field (`variables[1].name: …`).
pub fn parse(json: &[u8]) -> Result<RawConfig, (String, String)> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if matches!(path.as_str(), "." | "?" | "") {
            "configuration".to_string()
        } else {
            path
        };
        (field, e.into_inner().to_string())
    })
}
