//! The compile-time diagnostics: every error and warning of `network!`, and
//! the placements that must compile. The `.stderr` files were made with the
//! toolchain pinned in `rust-toolchain.toml`; rustc rewords its own messages
//! between releases.

#[test]
fn ui() {
    // trybuild builds the crate and its dependencies again, in a project of
    // its own under target/tests/trybuild, with cargo's default dev profile.
    // Without debug info, which no case needs, that build takes about a
    // sixth less time (75 s instead of 93 s on two cores); the diagnostics
    // are the same. This test is the process's only one, so no other thread
    // reads the environment while it is set.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
