//! The compile-time diagnostics: every error and warning of `network!`, and
//! the placements that must compile. The `.stderr` files were made with the
//! toolchain pinned in `rust-toolchain.toml`; rustc rewords its own messages
//! between releases.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
