//! `make bench`'s route-mode floor: the request becomes the Invoke and the
//! router carries it (Envoy needs `allow_on_headers_stop_iteration: true` so
//! that the held headers still let the body through). Compared with
//! tools/callout_floor, it tells whether that structure would be cheaper.

use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;

#[path = "../../floor_root.rs"]
mod floor_root;

proxy_wasm::main! {{
    floor_root::start::<RouteFloor>();
}}

#[derive(Default)]
struct RouteFloor;

impl Context for RouteFloor {}

impl HttpContext for RouteFloor {
    fn on_http_request_headers(&mut self, _headers: usize, end_of_stream: bool) -> Action {
        if end_of_stream {
            Action::Continue
        } else {
            Action::Pause
        }
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if !end_of_stream {
            return Action::Pause;
        }
        let body = self.get_http_request_body(0, size).unwrap_or_default();
        let length = body.len().to_string();
        // Envoy routes on x-forwarded-proto and logs x-request-id: they stay.
        let kept: Vec<(String, String)> = self
            .get_http_request_headers()
            .into_iter()
            .filter(|(n, _)| n == "x-forwarded-proto" || n == "x-request-id")
            .collect();
        let mut headers = vec![
            (":method", "POST"),
            (":path", "/2015-03-31/functions/bench/invocations"),
            (":authority", "lambda"),
            (":scheme", "http"),
            ("content-type", "application/json"),
            ("content-length", length.as_str()),
        ];
        headers.extend(kept.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        self.set_http_request_headers(headers);
        self.set_http_request_body(0, size, &body);
        Action::Continue
    }
}
