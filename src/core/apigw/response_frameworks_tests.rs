//! Proxy responses written by real frameworks (tests/fixtures/apigw/responses), mapped.

use super::response::{map_response, ProxyResponse};
use super::settings::ResponseFormat::{self, ApiGatewayV1 as V1, ApiGatewayV2 as V2};

fn mapped(format: ResponseFormat, name: &str) -> ProxyResponse {
    let path = format!(
        "{}/tests/fixtures/apigw/responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    map_response(format, &std::fs::read(path).unwrap()).unwrap()
}

fn values<'a>(r: &'a ProxyResponse, name: &str) -> Vec<&'a str> {
    r.headers
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\xaeB`\x82";

#[test]
fn powertools_created_with_two_cookies() {
    for (format, file) in [
        (V1, "powertools-v1-created.json"),
        (V2, "powertools-v2-created.json"),
    ] {
        let r = mapped(format, file);
        assert_eq!(r.status, 201, "{file}");
        assert_eq!(values(&r, "x-created-by"), ["powertools"], "{file}");
        assert_eq!(values(&r, "location"), ["/items/7"], "{file}");
        assert_eq!(values(&r, "content-type"), ["application/json"], "{file}");
        assert_eq!(
            values(&r, "set-cookie"),
            [
                "session=abc; Path=/; Secure",
                "theme=dark; HttpOnly; Secure"
            ],
            "{file}"
        );
        assert_eq!(r.body, br#"{"created": {"name": "w"}}"#, "{file}");
    }
}

#[test]
fn powertools_binary_and_not_found() {
    for (format, png, missing) in [
        (V1, "powertools-v1-png.json", "powertools-v1-404.json"),
        (V2, "powertools-v2-png.json", "powertools-v2-404.json"),
    ] {
        let r = mapped(format, png);
        assert_eq!((r.status, r.body.as_slice()), (200, PNG), "{png}");
        assert_eq!(values(&r, "content-type"), ["image/png"], "{png}");
        assert!(values(&r, "set-cookie").is_empty(), "{png}");
        let r = mapped(format, missing);
        assert_eq!(r.status, 404, "{missing}");
        assert_eq!(r.body, br#"{"statusCode":404,"message":"Not found"}"#);
    }
}

#[test]
fn mangum_cookies_in_both_shapes() {
    for (format, file) in [(V1, "mangum-v1-echo.json"), (V2, "mangum-v2-echo.json")] {
        let r = mapped(format, file);
        assert_eq!(r.status, 200, "{file}");
        assert_eq!(values(&r, "set-cookie"), ["a=1", "b=2"], "{file}");
        assert_eq!(values(&r, "content-type"), ["application/json"], "{file}");
        assert!(
            r.body.starts_with(br#"{"method": "GET", "path": "/echo""#),
            "{file}"
        );
    }
}
