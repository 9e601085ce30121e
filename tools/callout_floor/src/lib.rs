//! `make bench`'s floor: one callout and one local reply per request, and
//! nothing else. The difference between this and the real filter is what
//! signing, templates, answer checks, metrics and filter state cost.

use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;
use std::time::Duration;

#[path = "../../floor_root.rs"]
mod floor_root;

proxy_wasm::main! {{
    floor_root::start::<Floor>();
}}

#[derive(Default)]
struct Floor;

impl Context for Floor {
    fn on_http_call_response(&mut self, _token: u32, _headers: usize, size: usize, _trailers: usize) {
        let body = self.get_http_call_response_body(0, size).unwrap_or_default();
        self.send_http_response(200, vec![("content-type", "application/json")], Some(&body));
    }
}

impl HttpContext for Floor {
    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if !end_of_stream {
            return Action::Pause;
        }
        let body = self.get_http_request_body(0, size).unwrap_or_default();
        let headers = vec![
            (":method", "POST"),
            (":path", "/2015-03-31/functions/bench/invocations"),
            (":authority", "lambda"),
            ("content-type", "application/json"),
        ];
        if self
            .dispatch_http_call("double", headers, Some(&body), vec![], Duration::from_secs(5))
            .is_err()
        {
            self.send_http_response(503, vec![], None);
        }
        Action::Pause
    }
}
