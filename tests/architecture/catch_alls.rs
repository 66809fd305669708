//! Decisions on a layer kind that a new kind would slip past: a `match` with a
//! catch-all arm, and `matches!`, `if let`, `while let`, `let … else` on a kind.

use std::collections::BTreeSet;

use crate::lexer::{is_at, matching, skip_group, split_top, Token};
use crate::modules::load_modules;
use crate::{Files, KIND_ENUMS};

pub(crate) struct Finding {
    pub(crate) file: String,
    pub(crate) line: usize,
    /// `file:line: code   <- the form`
    pub(crate) report: String,
}

pub(crate) fn catch_alls(files: &Files, roots: &[&str]) -> Vec<Finding> {
    let mut found = Vec::new();
    for module in load_modules(files, roots).0 {
        let lines: Vec<&str> = files[&module.file].lines().collect();
        for (line, what) in catch_alls_in(&module.tokens) {
            let report = format!("{}:{line}: {}   <- {what}", module.file, lines[line - 1].trim());
            found.push(Finding {
                file: module.file.clone(),
                line,
                report,
            });
        }
    }
    found.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    found
}

/// The line and the form of each catch-all over a kind in the tokens of a file.
pub(crate) fn catch_alls_in(tokens: &[Token]) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let opens_at = |k: usize| tokens.get(k).is_some_and(Token::opens);
        if tokens[i].is("macro_rules") && is_at(tokens, i + 1, "!") && opens_at(i + 3) {
            i = matching(tokens, i + 3); // generated dispatch may have catch-alls
        } else if tokens[i].is("match") {
            let arm = catch_all_arm(tokens, i);
            found.extend(arm.map(|line| (line, "catch-all arm in a match over a kind")));
        } else if tokens[i].is("matches") && is_at(tokens, i + 1, "!") && opens_at(i + 2) {
            let arguments = &tokens[i + 3..matching(tokens, i + 2)];
            let pattern = split_top(arguments, ",").into_iter().skip(1).find_map(kind_line);
            found.extend(pattern.map(|line| (line, "`matches!` on a kind")));
        } else if tokens[i].is("let") {
            found.extend(refutable_let_on_kind(tokens, i));
        }
        i += 1;
    }
    found
}

/// The line where `tokens` first name a variant of a kind enum (`LayerKind::…`).
pub(crate) fn kind_line(tokens: &[Token]) -> Option<usize> {
    let names = |w: &&[Token]| KIND_ENUMS.contains(&w[0].text.as_str()) && w[1].is("::");
    tokens.windows(2).find(names).map(|w| w[0].line)
}

/// The line of the first catch-all arm of the `match` at `tokens[at]`, if its arms name a kind.
pub(crate) fn catch_all_arm(tokens: &[Token], at: usize) -> Option<usize> {
    let mut open = at + 1;
    while !tokens.get(open)?.is("{") {
        if tokens[open].is(";") || tokens[open].closes() {
            return None;
        }
        open = skip_group(tokens, open);
    }
    let patterns = arm_patterns(&tokens[open + 1..matching(tokens, open)]);
    patterns.iter().find_map(|p| kind_line(p))?;
    // In a match on a tuple, the positions where an arm names a kind: there, `(_, None)` is
    // a catch-all over kinds.
    let mut kind_positions = BTreeSet::new();
    for alternative in patterns.iter().flat_map(|p| split_top(p, "|")) {
        let elements = tuple_elements(alternative).unwrap_or_default();
        for (k, element) in elements.into_iter().enumerate() {
            kind_positions.extend(kind_line(element).map(|_| k));
        }
    }
    let catch_all = |alternative: &[Token]| {
        let open_at_kinds = |elements: Vec<&[Token]>| {
            let open = |k: &usize| elements.get(*k).is_some_and(|e| irrefutable(e));
            !kind_positions.is_empty() && kind_positions.iter().all(open)
        };
        irrefutable(alternative) || tuple_elements(alternative).is_some_and(open_at_kinds)
    };
    let has_catch_all = |pattern: &&&[Token]| split_top(pattern, "|").into_iter().any(catch_all);
    patterns.iter().find(has_catch_all).map(|pattern| pattern[0].line)
}

/// The pattern of each arm, without its attributes and its `if` guard.
pub(crate) fn arm_patterns(arms: &[Token]) -> Vec<&[Token]> {
    let (mut patterns, mut i) = (Vec::new(), 0);
    while i < arms.len() {
        while is_at(arms, i, "#") {
            i = skip_group(arms, i + 1);
        }
        let start = i;
        while i < arms.len() && !arms[i].is("=>") {
            i = skip_group(arms, i);
        }
        patterns.push(split_top(&arms[start..i.min(arms.len())], "if")[0]);
        i = end_of_arm_body(arms, i + 1);
    }
    patterns.retain(|pattern| !pattern.is_empty());
    patterns
}

/// After a `,`, or after a block body not followed by `else`, `.` or `?` (its comma is optional).
pub(crate) fn end_of_arm_body(arms: &[Token], mut i: usize) -> usize {
    while i < arms.len() && !arms[i].is(",") {
        let block = arms[i].is("{");
        i = skip_group(arms, i);
        if block && !["else", ".", "?"].iter().any(|next| is_at(arms, i, next)) {
            return i + usize::from(is_at(arms, i, ","));
        }
    }
    i + 1
}

pub(crate) fn tuple_elements(pattern: &[Token]) -> Option<Vec<&[Token]>> {
    let is_tuple = is_at(pattern, 0, "(") && matching(pattern, 0) == pattern.len() - 1;
    is_tuple.then(|| split_top(&pattern[1..pattern.len() - 1], ","))
}

/// `_`, a binding (`other`, `ref mut x`, `x @ _`), `..`, or a tuple of those.
pub(crate) fn irrefutable(pattern: &[Token]) -> bool {
    let lowercase = |t: &Token| t.text.starts_with(|c: char| c.is_lowercase() || c == '_');
    let binding = |t: &Token| t.is_ident() && lowercase(t) && !t.is("true") && !t.is("false");
    split_top(pattern, "|").into_iter().any(|mut p| {
        while p.first().is_some_and(|t| t.is("ref") || t.is("mut")) {
            p = &p[1..];
        }
        match p {
            [t] => t.is("..") || binding(t),
            [t, at, rest @ ..] if at.is("@") => binding(t) && irrefutable(rest),
            _ => tuple_elements(p).is_some_and(|e| e.iter().all(|e| e.is_empty() || irrefutable(e))),
        }
    })
}

/// `if let`, `while let` and `let … else` whose pattern names a kind: its line and the form.
pub(crate) fn refutable_let_on_kind(tokens: &[Token], at: usize) -> Option<(usize, &'static str)> {
    let mut i = at + 1;
    while !tokens.get(i)?.is("=") {
        if tokens[i].is(";") || tokens[i].closes() {
            return None;
        }
        i = skip_group(tokens, i);
    }
    let line = kind_line(&tokens[at + 1..i])?;
    match at.checked_sub(1).map(|before| tokens[before].text.as_str()) {
        Some("if" | "&&") => return Some((line, "`if let` on a kind")),
        Some("while") => return Some((line, "`while let` on a kind")),
        _ => {}
    }
    while !tokens.get(i)?.is(";") {
        if tokens[i].is("else") {
            return Some((line, "`let … else` on a kind"));
        }
        i = skip_group(tokens, i);
    }
    None
}
