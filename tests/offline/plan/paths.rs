//! Paths and modes as the spec writes them.

use scratchkit::plan::Mode;

#[test]
fn modes_have_at_most_five_digits() {
    assert_eq!(Mode::parse("01777").map(|m| m.bits()), Some(0o1777));
    assert!(Mode::parse("000755").is_none(), "six digits");
    assert!(Mode::parse("0o0000755").is_none(), "seven digits after 0o");
}
