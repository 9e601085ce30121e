//! The function's answer as an HTTP response: API Gateway's proxy response (v1, v2 with
//! its inference for payloads without `statusCode`) or Envoy's native envelope. Every
//! header is checked ([`headers`]); an `Err` says what was wrong, never with body content.

mod apigw;
mod envoy;
mod fields;
mod headers;

#[cfg(any(test, feature = "testing"))]
pub use headers::DROPPED as DROPPED_HEADERS;

use super::settings::ResponseFormat;

/// What the consumer receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    pub status: u16,
    /// Lower-case names; no pseudo-header, hop-by-hop header or `content-length`; at most
    /// one `content-type`; no CR, LF or NUL anywhere.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Maps a successful invocation's payload. `RAW` is not a proxy format: the caller passes
/// the payload through itself.
pub fn map_response(format: ResponseFormat, payload: &[u8]) -> Result<ProxyResponse, String> {
    match format {
        ResponseFormat::Raw => Err("RAW is not a proxy response format".to_string()),
        ResponseFormat::ApiGatewayV1 => apigw::v1(payload),
        ResponseFormat::ApiGatewayV2 => apigw::v2(payload),
        ResponseFormat::Envoy => envoy::map(payload),
    }
}
