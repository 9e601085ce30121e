//! The function as an API backend: the payload limit and the buffer budget,
//! `holdRequestHeaders`, the missing-buffer-filter warning and the scopes an
//! event format refuses.

use super::*;

#[test]
fn the_event_respects_the_payload_limit_and_the_buffer_budget() {
    // Event invocations accept 1 MB: a bigger body is refused before the event is built.
    let big = vec![b'a'; 1024 * 1024 + 1];
    let (mut s, f) = stream(
        &api(r#","invocationType":"Event""#),
        posted(&big, "text/plain"),
    );
    send_body(&mut s, big.len());
    assert_eq!(reply(&f).0, 413);
    assert!(f.dispatched.borrow().is_empty());
    assert!(f.metrics.borrow().contains(&Metric::PayloadTooLarge));

    // 700 KB of binary held, then its base64 event: over a 1 MiB budget, a 503.
    let blob = vec![0u8; 700 * 1024];
    let (mut s, f) = stream(
        &api(r#","maxBufferedBytes":1048576"#),
        posted(&blob, "application/octet-stream"),
    );
    send_body(&mut s, blob.len());
    let (status, _, body) = reply(&f);
    assert_eq!(status, 503);
    assert!(String::from_utf8_lossy(&body).contains("AWS_LAMBDA_OVERLOADED"));
    assert!(f.dispatched.borrow().is_empty());
    assert_eq!(s.held.budget().used(), 0);
}

#[test]
fn hold_request_headers_pauses_the_headers_and_resumes_once() {
    let (mut s, f) = stream(
        r#"{"function":"api","payloadFormat":"API_GATEWAY_V1","holdRequestHeaders":true}"#,
        started_upstream(posted(b"abc", "text/plain")),
    );
    assert_eq!(s.on_request_headers(false), Action::Pause);
    assert_eq!(s.on_request_body(3, true), Action::Pause);
    assert_eq!(sent_event(&f)["body"], "abc");
    answer_ok(&mut s, "{}");
    assert_eq!(f.resumed_request.get(), 1);
    assert!(
        !f.logs
            .borrow()
            .iter()
            .any(|l| l.contains("envoy.filters.http.buffer")),
        "no warning: the headers were held"
    );
}

#[test]
fn an_upstream_request_already_started_is_warned_once() {
    let cfg = r#"{"function":"api","scope":"REQUEST_CONTENT","payload":"{#request.content}"}"#;
    let mut warnings = 0;
    for _ in 0..2 {
        let (mut s, f) = stream(cfg, started_upstream(posted(b"abc", "text/plain")));
        send_body(&mut s, 3);
        warnings += f
            .logs
            .borrow()
            .iter()
            .filter(|l| l.contains("envoy.filters.http.buffer") && l.contains("holdRequestHeaders"))
            .count();
    }
    assert_eq!(warnings, 1, "one warning per VM");
}

#[test]
fn no_warning_while_the_upstream_request_has_not_started() {
    let cfg = r#"{"function":"api","scope":"REQUEST_CONTENT","payload":"{#request.content}"}"#;
    let (mut s, f) = stream(cfg, posted(b"abc", "text/plain"));
    send_body(&mut s, 3);
    assert!(!f
        .logs
        .borrow()
        .iter()
        .any(|l| l.contains("envoy.filters.http.buffer")));
}

/// The check is a host call on every stream's way: it runs on each of the VM's
/// first 64 REQUEST_CONTENT streams, then on one in 64, and still finds a
/// route that sends the headers on later.
#[test]
fn the_upstream_check_reads_the_first_64_streams_then_one_in_64() {
    let cfg = r#"{"function":"api","scope":"REQUEST_CONTENT","payload":"{#request.content}"}"#;
    let warned = |f: &FakeHost| {
        f.logs
            .borrow()
            .iter()
            .any(|l| l.contains("envoy.filters.http.buffer"))
    };
    let mut reads = Vec::new();
    for n in 1..=300u32 {
        // From the 70th stream on, the headers have gone upstream.
        let host = posted(b"abc", "text/plain");
        let host = if n >= 70 {
            started_upstream(host)
        } else {
            host
        };
        let (mut s, f) = stream(cfg, host);
        send_body(&mut s, 3);
        if f.property_reads
            .borrow()
            .iter()
            .any(|p| p == "upstream.address")
        {
            reads.push(n);
        }
        assert_eq!(warned(&f), n == 128, "stream {n}");
    }
    let expected: Vec<u32> = (1..=64).chain([128]).collect();
    assert_eq!(reads, expected, "read until it warned, then never");
}

#[test]
fn event_formats_refuse_request_and_response_scopes_and_a_payload() {
    let env = |_: &str| None;
    for (json, field) in [
        (api(r#","scope":"REQUEST""#), "scope"),
        (api(r#","scope":"RESPONSE""#), "scope"),
        (api(r#","payload":"{}""#), "payload"),
        (api(r#","payloadFormat":"API_GATEWAY_V3""#), "payloadFormat"),
    ] {
        let json = json.replacen(
            r#""payloadFormat":"API_GATEWAY_V1","#,
            "",
            usize::from(field == "payloadFormat"),
        );
        let e = from_json(json.as_bytes(), &env).unwrap_err();
        assert_eq!(e.field, field, "{json}");
    }
    let parsed = from_json(
        br#"{"function":"f","scope":"REQUEST","holdRequestHeaders":true}"#,
        &env,
    )
    .unwrap();
    assert!(!parsed.config.hold_request_headers);
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.contains("holdRequestHeaders")));
}
