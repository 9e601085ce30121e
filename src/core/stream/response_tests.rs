//! The response side: what the RESPONSE and RESPONSE_CONTENT scopes hold,
//! send and hand on to the consumer.

use super::*;

#[test]
fn response_scope_send_to_consumer_keeps_backend_headers() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE","sendToConsumer":true,"payload":"{#response.status}"}"#,
        FakeHost {
            request_headers: request(),
            response_headers: headers(&[
                (":status", "201"),
                ("content-length", "5"),
                ("x-backend", "yes"),
            ]),
            ..Default::default()
        },
    );
    assert_eq!(s.on_request_headers(true), Action::Continue);
    assert_eq!(s.on_response_headers(false), Action::Pause);
    assert_eq!(f.dispatched.borrow()[0].2, b"201");
    answer_ok(&mut s, "new body");
    let replies = f.replies.borrow();
    assert_eq!(replies[0].0, 200);
    assert_eq!(replies[0].2, b"new body");
    assert!(replies[0]
        .1
        .contains(&("x-backend".to_string(), "yes".to_string())));
    assert!(!replies[0].1.iter().any(|(n, _)| n == "content-length"));
}

#[test]
fn response_content_resumes_without_send_to_consumer() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","payload":"{#response.content}"}"#,
        FakeHost {
            response_headers: headers(&[(":status", "200")]),
            response_body: b"backend".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(7, true), Action::Pause);
    sent_then_resumed(&mut s, &f, b"backend", &f.resumed_response);
}

#[test]
fn response_content_send_to_consumer_replaces_the_body_in_place() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","sendToConsumer":true,"payload":"{#response.content}"}"#,
        with_response(),
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(
        f.response_header_changes.borrow()[0],
        ("content-length".to_string(), None),
        "the length changes: it must not go out"
    );
    assert_eq!(s.on_response_body(7, true), Action::Pause);
    s.on_lambda_answer(7, headers(&[(":status", "202")]), b"from lambda".to_vec());
    assert_eq!(
        f.replaced_bodies.borrow().last().map(Vec::as_slice),
        Some(&b"from lambda"[..])
    );
    assert_eq!(
        f.response_header_changes.borrow().len(),
        1,
        "no header is touched after the headers went on"
    );
    assert_eq!(f.resumed_response.get(), 1);
    assert!(f.replies.borrow().is_empty());
}
