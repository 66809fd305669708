//! The `network!` invocations of a Rust source file, as text: what goes
//! between the macro's brackets, and where it starts in the file. Shared by
//! the tests that read the UI cases' networks at run time. Paths are
//! absolute so that a `#![no_implicit_prelude]` case can use it too.

/// One invocation: the text between the brackets and its byte offset.
pub struct Invocation<'a> {
    /// Where the macro's path starts (`netinit::network!` or `network!`):
    /// rustc reports an error at the end of the macro's input there.
    pub start: usize,
    /// What goes between `network![` and `]` (or `network! {` and `}`).
    pub text: &'a str,
    /// Where that text starts in the file.
    pub offset: usize,
}

/// Every `network![…]`, `network!(…)` and `network! {…}` in `source`, in
/// order, skipping line comments.
pub fn invocations(source: &str) -> ::std::vec::Vec<Invocation<'_>> {
    let mut found = ::std::vec::Vec::new();
    let mut rest = 0;
    while let ::std::option::Option::Some(at) = source[rest..].find("network!") {
        let start = rest + at;
        rest = start + "network!".len();
        let line_start = source[..start].rfind('\n').map_or(0, |newline| newline + 1);
        if source[line_start..start].contains("//") {
            continue;
        }
        let path_start = source[..start]
            .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            .len();
        let open = rest + source[rest..].find(['[', '(', '{']).expect("an opening bracket");
        let close = matching(source, open);
        found.push(Invocation {
            start: path_start,
            text: &source[open + 1..close],
            offset: open + 1,
        });
        rest = close;
    }
    found
}

/// The byte offset of the bracket that closes the one at `open`.
fn matching(source: &str, open: usize) -> usize {
    let mut depth = 0_usize;
    for (index, character) in source[open..].char_indices() {
        match character {
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + index;
                }
            }
            _ => {}
        }
    }
    ::std::panic!("unbalanced brackets after byte {open}")
}
