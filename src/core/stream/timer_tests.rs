//! The root's timer: periods rounded up to whole milliseconds.

use super::*;

#[test]
fn waits_round_up_to_whole_milliseconds_as_in_128_bits() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    for wait in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_millis(1),
        Duration::from_nanos(1_000_001),
        Duration::new(1, 0),
        Duration::new(1, 1),
        Duration::new(7, 999_999_999),
        Duration::new(86_400, 500_000),
    ] {
        let exact = wait.as_nanos().div_ceil(1_000_000);
        let expected = Duration::from_millis(u64::try_from(exact).unwrap_or(u64::MAX));
        assert_eq!(after(now + wait, now), expected.max(MIN_TIMER), "{wait:?}");
    }
    assert_eq!(after(now, now + Duration::from_secs(1)), MIN_TIMER);
}
