//! The header rules every proxy format shares.

use super::response::map_response;
use super::settings::ResponseFormat::{ApiGatewayV1 as V1, ApiGatewayV2 as V2, Envoy};
use serde_json::json;

fn with_headers(headers: serde_json::Value) -> Result<Vec<(String, String)>, String> {
    let payload = json!({"statusCode": 200, "headers": headers}).to_string();
    map_response(V2, payload.as_bytes()).map(|r| r.headers)
}

#[test]
fn hop_by_hop_content_length_and_pseudo_headers_are_dropped() {
    let got = with_headers(json!({
        "Connection": "close", "keep-alive": "5", "Proxy-Connection": "x",
        "Transfer-Encoding": "chunked", "upgrade": "h2c", "TE": "trailers", "trailer": "x",
        "Content-Length": "999", ":status": "500", ":path": "/x", "x-kept": "yes"
    }))
    .unwrap();
    assert_eq!(got, vec![("x-kept".to_string(), "yes".to_string())]);
}

#[test]
fn cr_lf_and_nul_are_refused_in_names_and_values() {
    for bad in ["a\rb", "a\nb", "a\u{0}b", "v\r\nx-injected: 1"] {
        let e = with_headers(json!({ "x-h": bad })).unwrap_err();
        assert!(e.contains("CR, LF or NUL"), "{e}");
        let e = with_headers(json!({ bad: "v" })).unwrap_err();
        assert!(e.contains("CR, LF or NUL"), "{e}");
    }
    let e = with_headers(json!({ ":x\r": "v" })).unwrap_err();
    assert!(e.contains("CR, LF or NUL"), "{e}");
}

#[test]
fn names_must_be_tokens() {
    for bad in ["", "has space", "a:b", "caf\u{e9}", "x(y)", "a/b"] {
        let e = with_headers(json!({ bad: "v" })).unwrap_err();
        assert!(e.contains("not a valid token"), "{bad:?}: {e}");
    }
    assert!(with_headers(json!({"x-ok_1.2~!#$%&'*+^`|": "v"})).is_ok());
}

#[test]
fn names_are_lower_cased_values_trimmed_and_content_type_kept_once() {
    let payload = json!({
        "statusCode": 200,
        "multiValueHeaders": {
            "Content-Type": ["text/plain", "text/html"],
            "X-Pad": ["  v \t"]
        }
    })
    .to_string();
    let r = map_response(V1, payload.as_bytes()).unwrap();
    assert_eq!(
        r.headers,
        vec![
            ("content-type".to_string(), "text/html".to_string()),
            ("x-pad".to_string(), "v".to_string()),
        ]
    );
    // Across `headers` and `multiValueHeaders` (v1) and spellings (Envoy) too.
    let payload = json!({"headers": {"content-type": "a/b", "Content-Type": "c/d"}}).to_string();
    let r = map_response(Envoy, payload.as_bytes()).unwrap();
    let types: Vec<_> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "content-type")
        .collect();
    assert_eq!(types.len(), 1);
}

#[test]
fn long_names_are_cut_in_errors() {
    let long = format!("{}\n", "n".repeat(500));
    let e = with_headers(json!({ long: "v" })).unwrap_err();
    assert!(e.len() < 200, "{e}");
}
