#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn at(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

#[test]
fn amz_date_formats_utc() {
    assert_eq!(
        amz_date(at(1_440_938_160, 0)), // the AWS test suite's time (2015-08-30T12:36:00Z)
        "20150830T123600Z"
    );
    assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
    // 2024-02-29T23:59:59Z, a leap day.
    assert_eq!(
        amz_date(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
        "20240229T235959Z"
    );
}

#[test]
fn iso8601_utc() {
    for (text, want) in [
        ("1970-01-01T00:00:00Z", UNIX_EPOCH),
        ("2026-11-24T12:00:00Z", at(1_795_521_600, 0)),
        ("2024-02-29T23:59:59Z", at(1_709_251_199, 0)),
        ("2000-03-01T00:00:00Z", at(951_868_800, 0)),
    ] {
        assert_eq!(parse_iso8601(text), Ok(want), "{text}");
    }
}

#[test]
fn iso8601_fraction_and_offsets() {
    // moto writes milliseconds; some endpoints write an explicit offset.
    for (text, nanos) in [
        ("2026-11-24T12:00:00.000Z", 0),
        ("2026-11-24T12:00:00.25Z", 250_000_000),
        ("2026-11-24T12:00:00+00:00", 0),
        ("2026-11-24T14:30:00+02:30", 0),
        ("2026-11-24T11:00:00-01:00", 0),
    ] {
        assert_eq!(parse_iso8601(text), Ok(at(1_795_521_600, nanos)), "{text}");
    }
}

#[test]
fn iso8601_rejects_anything_else() {
    for bad in [
        "",
        "2026-11-24",
        "2026-11-24 12:00:00Z",
        "2026-11-24T12:00:00",
        "2026-11-24T12:00:00z",
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-24T24:00:00Z",
        "2026-11-24T12:60:00Z",
        "2026-11-24T12:00:60Z",
        "2026-11-24T12:00:00.Z",
        "2026-11-24T12:00:00.1234567890Z",
        "2026-11-24T12:00:00+0000",
        "2026-11-24T12:00:00+24:00",
        "2026-11-24T12:00:00ZZ",
        "+026-11-24T12:00:00Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:30:00+01:00",
        "2026-1a-24T12:00:00Z",
        "２026-11-24T12:00:00Z",
    ] {
        let err = parse_iso8601(bad);
        assert!(err.is_err(), "{bad:?} was accepted: {err:?}");
    }
}

#[test]
fn both_directions_agree_on_every_day() {
    // Every 7th day from 1970 to about 2290, at a time of day that moves.
    for n in 0..17_000u64 {
        let secs = n * 7 * 86_400 + (n * 3_607) % 86_400;
        let d = amz_date(at(secs, 0));
        let iso = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &d[0..4],
            &d[4..6],
            &d[6..8],
            &d[9..11],
            &d[11..13],
            &d[13..15]
        );
        assert_eq!(parse_iso8601(&iso), Ok(at(secs, 0)), "{iso}");
    }
}

#[test]
fn millis_truncate_and_saturate_in_64_bits_as_in_128() {
    for d in [
        Duration::ZERO,
        Duration::from_nanos(999_999),
        Duration::new(1, 999_999_999),
        Duration::new(86_400, 500_000),
        Duration::new(u64::MAX / 1000, 807_000_000),
        Duration::MAX,
    ] {
        let exact = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        assert_eq!(millis(d), exact, "{d:?}");
    }
    assert_eq!(
        unix_millis(at(1_764_000_000, 123_456_789)),
        1_764_000_000_123
    );
    assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
}
