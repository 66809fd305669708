// Our warnings are deprecation warnings, so rustc's own `allow(deprecated)`
// silences them too, even under `deny(warnings)`; a warning never stops the
// build by itself.
#![deny(warnings)]
#![allow(deprecated)]

#[path = "support/from_text.rs"]
mod from_text;

const DEEP_AND_MISMATCHED: netinit::NetworkSpec = netinit::network![
    dense(64 -> 64, relu, init = xavier_normal),
    dense(64 -> 64, softmax),
    dense(64 -> 10, softmax),
];

fn main() {
    let kinds: Vec<netinit::Lint> = DEEP_AND_MISMATCHED.lint().iter().map(|d| d.lint).collect();
    assert_eq!(kinds, [netinit::Lint::InitMismatch, netinit::Lint::SoftmaxHidden]);
    from_text::assert_same(include_str!("allow_deprecated.rs"), &[DEEP_AND_MISMATCHED]);
}
