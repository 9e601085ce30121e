#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::testing::headers;

#[test]
fn fake_host_records_and_answers_as_set() {
    let fake = FakeHost {
        request_body: b"hello".to_vec(),
        properties: vec![("upstream_var".into(), b"v".to_vec())],
        token: Cell::new(100),
        token_step: 1,
        ..Default::default()
    };
    assert_eq!(fake.request_body(3), b"hel");
    assert_eq!(fake.request_body(99), b"hello");
    assert_eq!(fake.property(&["upstream_var"]), Some(b"v".to_vec()));
    assert_eq!(fake.property(&["other"]), None);
    let hs = headers(&[(":path", "/")]);
    let call = Callout {
        cluster: "c",
        headers: &hs,
        body: b"",
        timeout: Duration::ZERO,
    };
    assert_eq!(fake.dispatch(call), Ok(100));
    assert_eq!(fake.dispatch(call), Ok(101));
    assert_eq!(fake.last_token.get(), 101);
    assert_eq!(fake.dispatched.borrow().len(), 2);
    fake.set_filter_state("a", "1");
    fake.set_filter_state("a", "2");
    assert_eq!(fake.state("a").as_deref(), Some("2"));
    fake.resume_request();
    fake.send_reply(200, &[], b"");
    assert_eq!(fake.ends(), 2);
    let refusing = FakeHost {
        refuse_dispatch: true,
        ..Default::default()
    };
    assert!(refusing.dispatch(call).is_err());
    assert_eq!(FakeHost::default().now(), at(T0));
    let fake = FakeHost {
        request_headers: headers(&[("accept", "text/html")]),
        ..Default::default()
    };
    assert_eq!(fake.request_header("accept").as_deref(), Some("text/html"));
    assert_eq!(fake.header_copies.get(), 0, "one header is not a copy");
    fake.request_headers_gone.set(true);
    assert_eq!(fake.request_header("accept"), None);
}
