#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn debug_and_display_redact() {
    let s = Secret::new("wJalrXUtnFEMI/K7MDENG");
    assert_eq!(format!("{s:?}"), "Secret(***)");
    assert_eq!(format!("{s}"), "***");
    assert_eq!(s.expose(), "wJalrXUtnFEMI/K7MDENG");
}
