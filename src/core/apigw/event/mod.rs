//! The event a function receives, built from the request: API Gateway v1 ([`v1`]),
//! v2 / Function URL ([`v2`]) or Envoy's native envelope ([`envoy`]). Serialized with
//! serde_json; the caller checks the size against Lambda's limit.

pub(crate) mod common;
mod envoy;
mod v1;
mod v2;

use super::settings::PayloadFormat;
use super::ApiGateway;

/// The request as Envoy gives it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Lower-case names in arrival order, pseudo-headers (`:method`, `:path`,
    /// `:authority`, `:scheme`) included.
    pub headers: &'a [(String, String)],
    /// The whole body (empty when none).
    pub body: &'a [u8],
    /// The downstream address (`source.address`), with or without its port.
    pub source_ip: Option<&'a str>,
    /// `request.protocol` (`HTTP/1.1`, `HTTP/2`, …); `HTTP/1.1` when unknown.
    pub protocol: Option<&'a str>,
    /// When the request arrived, in ms since the epoch.
    pub time_ms: u64,
}

/// The JSON event for `format`; `Err` says what the request lacks (no body content).
pub fn build_event(
    format: PayloadFormat,
    api: &ApiGateway,
    req: &HttpRequest<'_>,
) -> Result<Vec<u8>, String> {
    let parts = common::Parts::of(req)?;
    let json = match format {
        PayloadFormat::Template => {
            return Err("TEMPLATE builds no event: the payload template is the body".to_string())
        }
        PayloadFormat::ApiGatewayV1 => serde_json::to_vec(&v1::event(api, req, &parts)),
        PayloadFormat::ApiGatewayV2 => serde_json::to_vec(&v2::event(api, req, &parts)),
        PayloadFormat::Envoy => serde_json::to_vec(&envoy::event(req, &parts)),
    };
    json.map_err(|e| format!("the event does not serialize: {e}"))
}
