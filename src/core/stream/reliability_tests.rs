//! Trailers, the buffer budget and local replies, against the fake host of
//! the stream tests.

use super::*;

fn content(scope: &str, fake: FakeHost) -> (Stream, Rc<FakeHost>) {
    let part = if scope == "REQUEST_CONTENT" {
        "request"
    } else {
        "response"
    };
    let json =
        format!(r#"{{"function":"demo","scope":"{scope}","payload":"{{#{part}.content}}"}}"#);
    stream(&json, fake)
}

#[test]
fn request_trailers_end_the_body_and_are_held() {
    let (mut s, f) = content(
        "REQUEST_CONTENT",
        FakeHost {
            request_body: b"hello world".to_vec(),
            ..with_request()
        },
    );
    assert_eq!(s.on_request_headers(false), Action::Continue);
    assert_eq!(s.on_request_body(5, false), Action::Pause);
    assert!(f.dispatched.borrow().is_empty());
    assert_eq!(
        s.on_request_trailers(),
        Action::Pause,
        "trailers wait for the function"
    );
    assert_eq!(
        f.dispatched.borrow()[0].2,
        b"hello",
        "the body Envoy held so far"
    );
    answer_ok(&mut s, "{}");
    assert_eq!(f.resumed_request.get(), 1);
}

#[test]
fn response_trailers_end_the_body() {
    let (mut s, f) = content(
        "RESPONSE_CONTENT",
        FakeHost {
            response_body: b"grpc-frame".to_vec(),
            ..with_request()
        },
    );
    s.on_request_headers(false);
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(10, false), Action::Pause);
    assert_eq!(s.on_response_trailers(), Action::Pause);
    sent_then_resumed(&mut s, &f, b"grpc-frame", &f.resumed_response);
}

#[test]
fn trailers_outside_a_held_body_pass() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    assert_eq!(s.on_request_trailers(), Action::Continue);
    assert_eq!(s.on_response_trailers(), Action::Continue);
    assert!(f.dispatched.borrow().is_empty());
}

fn with_budget(json: &str, fake: FakeHost, budget: &Rc<Budget>) -> (Stream, Rc<FakeHost>) {
    let fake = Rc::new(fake);
    let with = With {
        id: 5,
        budget: Some(budget.clone()),
        ..With::default()
    };
    (stream_with(json, &fake, with), fake)
}

#[test]
fn a_body_over_the_budget_gets_503_and_the_budget_is_given_back() {
    let json = r#"{"function":"demo","scope":"REQUEST_CONTENT","payload":"{#request.content}","sendToConsumer":true}"#;
    let budget = Rc::new(Budget::new(1000));
    let body = || FakeHost {
        request_body: vec![b'x'; 600],
        ..with_request()
    };
    let (mut first, f1) = with_budget(json, body(), &budget);
    first.on_request_headers(false);
    assert_eq!(first.on_request_body(600, true), Action::Pause);
    assert_eq!(f1.dispatched.borrow().len(), 1);
    assert_eq!(
        budget.used(),
        600,
        "the payload only: the body is not held twice"
    );

    let (mut second, f2) = with_budget(json, body(), &budget);
    second.on_request_headers(false);
    assert_eq!(second.on_request_body(600, true), Action::Pause);
    assert!(f2.dispatched.borrow().is_empty());
    let replies = f2.replies.borrow();
    assert_eq!(replies[0].0, 503);
    assert!(String::from_utf8_lossy(&replies[0].2).contains("AWS_LAMBDA_OVERLOADED"));
    assert!(f2.metrics.borrow().contains(&Metric::Overloaded));
    assert_eq!(budget.used(), 600, "the refused stream took nothing");

    let (hs, b) = ok("{}");
    assert_eq!(first.reserve_answer(b.len()), Ok(2));
    first.on_lambda_answer(7, hs, b);
    assert_eq!(f1.replies.borrow()[0].0, 200);
    assert_eq!(budget.used(), 0, "given back when the stream ends");
    assert_eq!(budget.peak(), 602);
}

#[test]
fn an_answer_over_the_budget_is_not_read() {
    let budget = Rc::new(Budget::new(1000));
    let (mut s, f) = with_budget(r#"{"function":"demo"}"#, with_request(), &budget);
    s.on_request_headers(true);
    let refused = s.reserve_answer(5000).unwrap_err();
    assert!(
        f.replies.borrow().is_empty(),
        "answered in the stream's context, by the caller"
    );
    s.on_answer_refused(refused);
    assert_eq!(f.replies.borrow()[0].0, 503);
    assert_eq!(budget.used(), 0);
}

/// The attribute `response.code_details` (None: Envoy does not have it).
fn code_details(details: Option<&str>) -> Vec<(String, Vec<u8>)> {
    details
        .map(|d| ("response.code_details".to_string(), d.as_bytes().to_vec()))
        .into_iter()
        .collect()
}

#[test]
fn envoy_local_replies_are_not_sent_to_the_function() {
    for (details, invoked) in [
        (Some("upstream_response_timeout"), false),
        (Some("via_upstream"), true),
        (None, true),
    ] {
        let (mut s, f) = stream(
            r#"{"function":"demo","scope":"RESPONSE"}"#,
            FakeHost {
                properties: code_details(details),
                ..with_request()
            },
        );
        s.on_request_headers(true);
        let action = s.on_response_headers(false);
        assert_eq!(
            f.dispatched.borrow().len(),
            usize::from(invoked),
            "{details:?}"
        );
        assert_eq!(action == Action::Pause, invoked, "{details:?}");
    }
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE","invokeOnLocalReplies":true}"#,
        FakeHost {
            properties: code_details(Some("upstream_response_timeout")),
            ..with_request()
        },
    );
    s.on_response_headers(false);
    assert_eq!(f.dispatched.borrow().len(), 1, "opted in");
}

#[test]
fn an_empty_body_after_the_headers_went_on_is_replaced_not_replied() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","sendToConsumer":true}"#,
        with_request(),
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(0, true), Action::Pause);
    answer_ok(&mut s, r#"{"from":"lambda"}"#);
    assert!(
        f.replies.borrow().is_empty(),
        "the headers are gone: no local reply"
    );
    assert_eq!(
        f.replaced_bodies.borrow().last().map(Vec::as_slice),
        Some(&br#"{"from":"lambda"}"#[..])
    );
    assert_eq!(f.resumed_response.get(), 1);
}

#[test]
fn only_the_first_of_repeated_content_types_reaches_the_consumer() {
    let (status, hs) = reply_for_content_type("application/json,text/html");
    assert_eq!(status, 200);
    assert_eq!(hs, headers(&[("content-type", "application/json")]));
}
