#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// The lines of a well-formed entry: magic, fingerprint, lease owner and end,
/// key id, secret, token, expiry, refresh.
const OK: [&str; 9] = [MAGIC, "f1", "", "", "ASIAX", "s", "tok", "", ""];

fn entry(lines: [&str; 9]) -> Vec<u8> {
    lines.join("\n").into_bytes()
}

fn with(i: usize, v: &str) -> Vec<u8> {
    let mut lines = OK;
    lines[i] = v;
    entry(lines)
}

#[test]
fn the_lines_read_back_as_written() {
    let mut c = Credentials::new("ASIAX", "sec/ret+", Some("to=ken".into()));
    c.expiration = from_ms(1_700_000_600_000);
    let refresh = from_ms(1_700_000_300_000);
    let written = Entry {
        fp: "f1".into(),
        lease: Some(Lease {
            owner: u64::MAX,
            until_ms: 1_700_000_010_000,
        }),
        creds: Some(Wire::of(&c, refresh)),
    };
    let read = Entry::decode(&written.encode().unwrap()).unwrap();
    assert_eq!(read.fp, "f1");
    let lease = read.lease.unwrap();
    assert_eq!((lease.owner, lease.until_ms), (u64::MAX, 1_700_000_010_000));
    assert_eq!(read.creds.unwrap().read(), Some((c, refresh)));
    let bare = Entry {
        fp: "f1".into(),
        lease: None,
        creds: None,
    };
    let read = Entry::decode(&bare.encode().unwrap()).unwrap();
    assert!(read.lease.is_none() && read.creds.is_none());
    assert!(Entry::decode(&entry(OK))
        .unwrap()
        .creds
        .unwrap()
        .read()
        .is_some());
}

#[test]
fn anything_else_reads_as_no_entry() {
    let mut extra_line = entry(OK);
    extra_line.extend_from_slice(b"\nmore");
    let huge = "T".repeat(MAX_ENTRY);
    let cases: Vec<Vec<u8>> = vec![
        b"not an entry".to_vec(),
        Vec::new(),
        vec![0xff; 40],
        OK[..8].join("\n").into_bytes(),
        extra_line,
        with(0, "aws-lambda credentials 2"),
        with(7, "18446744073709551616"),
        with(7, "-1"),
        with(8, "soon"),
        with(2, "9"),
        with(3, "9"),
        entry([MAGIC, "f1", "x", "9", "ASIAX", "s", "", "", ""]),
        with(6, &huge),
    ];
    for bytes in cases {
        assert!(
            Entry::decode(&bytes).is_none(),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn credentials_without_a_secret_are_not_read() {
    let read = Entry::decode(&with(5, "")).unwrap();
    assert!(read.creds.unwrap().read().is_none());
}

#[test]
fn a_line_break_in_a_field_is_not_written() {
    let c = Credentials::new("ASIAX", "sec\nret", None);
    let e = Entry {
        fp: "f1".into(),
        lease: None,
        creds: Some(Wire::of(&c, None)),
    };
    assert!(e.encode().is_none());
}

#[test]
fn credentials_without_a_refresh_before_their_expiry_are_not_adopted() {
    let read = |expires: &str, refresh: &str| {
        let mut lines = OK;
        (lines[7], lines[8]) = (expires, refresh);
        Entry::decode(&entry(lines)).unwrap().creds.unwrap().read()
    };
    assert!(read("1700000600000", "1700000300000").is_some());
    assert!(read("1700000600000", "1700000600000").is_some());
    assert!(read("", "").is_some(), "credentials that never expire");
    assert!(
        read("1700000600000", "").is_none(),
        "expires, never refreshed"
    );
    assert!(
        read("", "1700000300000").is_none(),
        "refreshed, never expires"
    );
    assert!(
        read("1700000600000", "1700000900000").is_none(),
        "refreshed after expiry"
    );
}
