//! Fixtures of the stream tests: a [`Stream`] over a [`FakeHost`] with static
//! credentials, the request it sees and the function's answers.

use super::{headers, FakeHost};
use crate::core::config::from_json;
use crate::core::credentials::Credentials;
use crate::core::credentials::Provider;
use crate::core::credentials::StaticCredentials as Fixed;
use crate::core::host::Headers;
use crate::core::stream::budget::Budget;
use crate::core::stream::Stream;
use std::cell::Cell;
use std::rc::Rc;

/// The request of the stream tests.
pub fn request() -> Headers {
    headers(&[
        (":method", "POST"),
        (":path", "/orders?q=1&q=2"),
        (":authority", "api.example.com"),
        ("x-user", "alice"),
        ("authorization", "Bearer downstream-token"),
    ])
}

/// A fake whose request carries the headers of [`request`].
pub fn with_request() -> FakeHost {
    FakeHost {
        request_headers: request(),
        ..Default::default()
    }
}

/// What the stream tests vary besides the configuration and the host.
pub struct With {
    pub id: u32,
    pub creds: Rc<dyn Provider>,
    /// None: a budget of the configuration's `maxBufferedBytes`.
    pub budget: Option<Rc<Budget>>,
}

impl Default for With {
    /// Stream 3 with static keys.
    fn default() -> Self {
        let keys = Credentials::new("AKID", "SECRET", None);
        With {
            id: 3,
            creds: Rc::new(Fixed(Some(Rc::new(keys)))),
            budget: None,
        }
    }
}

/// A stream of the configuration `json` over `fake`.
#[allow(clippy::unwrap_used)]
pub fn stream_with(json: &str, fake: &Rc<FakeHost>, with: With) -> Stream {
    let env = |_: &str| None;
    let cfg = from_json(json.as_bytes(), &env).unwrap().config;
    let budget = with
        .budget
        .unwrap_or_else(|| Rc::new(Budget::new(cfg.max_buffered_bytes)));
    Stream::new(with.id, Rc::new(cfg), fake.clone(), with.creds, budget)
}

/// A fake whose backend answered 200 with the 7 bytes `backend`.
pub fn with_response() -> FakeHost {
    FakeHost {
        response_headers: headers(&[(":status", "200"), ("content-length", "7")]),
        response_body: b"backend".to_vec(),
        ..Default::default()
    }
}

/// Stream 3 of the configuration `json` over `fake`, with static keys.
pub fn stream(json: &str, fake: FakeHost) -> (Stream, Rc<FakeHost>) {
    let fake = Rc::new(fake);
    (stream_with(json, &fake, With::default()), fake)
}

/// A 200 answer of the function with `body`.
pub fn ok(body: &str) -> (Headers, Vec<u8>) {
    (
        headers(&[
            (":status", "200"),
            ("content-type", "application/json"),
            ("x-amzn-requestid", "rid"),
        ]),
        body.as_bytes().to_vec(),
    )
}

/// The function answers the call of token 7 (the fake's first) with 200 and `body`.
pub fn answer_ok(s: &mut Stream, body: &str) {
    let (hs, b) = ok(body);
    s.on_lambda_answer(7, hs, b);
}

/// The function failed (`x-amz-function-error: kind`): its answer to the
/// call of token 7 is [`ok`]'s with that header, and `body`.
pub fn answer_function_error(s: &mut Stream, kind: &str, body: &[u8]) {
    let mut hs = ok("").0;
    hs.push(("x-amz-function-error".to_string(), kind.to_string()));
    s.on_lambda_answer(7, hs, body.to_vec());
}

/// The call sent carried `sent`, and the function's 200 answer resumes the
/// stream once (`resumed`: the fake's count of resumes of that side).
pub fn sent_then_resumed(s: &mut Stream, f: &FakeHost, sent: &[u8], resumed: &Cell<u32>) {
    assert_eq!(f.dispatched.borrow()[0].2, sent);
    answer_ok(s, "{}");
    assert_eq!(resumed.get(), 1);
}

/// The status and headers of the local reply that carries a function's
/// answer whose content-type is `content_type`.
pub fn reply_for_content_type(content_type: &str) -> (u32, Headers) {
    let (mut s, f) = stream(
        r#"{"function":"demo","sendToConsumer":true}"#,
        with_request(),
    );
    s.on_request_headers(true);
    let hs = headers(&[(":status", "200"), ("content-type", content_type)]);
    s.on_lambda_answer(7, hs, b"{}".to_vec());
    let reply = f.replies.borrow()[0].clone();
    (reply.0, reply.1)
}
