//! What one file says: the child modules it declares, the names it defines, and
//! every path it writes (`use` leaves and paths in code).

use std::collections::BTreeSet;

use crate::lexer::{is_at, matching, split_top, Token};

/// What a `use` leaf brings into scope; a path written in code brings nothing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Binding {
    Name(String),
    Glob,
    Nothing,
}

/// A path written in a file: a leaf of a `use` tree, or a path in code.
#[derive(Debug)]
pub(crate) struct Reference {
    pub(crate) path: Vec<String>,
    pub(crate) binding: Binding,
    pub(crate) line: usize,
    /// How many inline `mod … { }` enclose it: as many `super`s stay in the file.
    pub(crate) inline_depth: usize,
}

#[derive(Default, Debug)]
pub(crate) struct FileScan {
    /// `mod name;` at the top level: the child modules with a file of their own.
    pub(crate) mod_files: Vec<String>,
    /// The names defined at the top level, inline modules included.
    pub(crate) items: BTreeSet<String>,
    pub(crate) references: Vec<Reference>,
}

/// The keywords before the name of an item a path can end at.
pub(crate) const ITEMS: &str = "fn struct enum trait type const static union macro_rules";

pub(crate) fn scan_file(tokens: &[Token]) -> FileScan {
    let mut scan = FileScan::default();
    let (mut depth, mut inline_modules) = (0, Vec::new()); // the depth inside each `mod … { }`
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let name = tokens.get(i + 1).filter(|t| t.is_ident()).map(|t| t.text.clone());
        let mut found = Vec::new();
        if t.opens() {
            depth += 1;
        } else if t.closes() {
            depth -= 1;
            inline_modules.retain(|&inside| inside <= depth);
        } else if t.is("use") {
            let end = (i..tokens.len()).find(|&k| tokens[k].is(";"));
            let end = end.unwrap_or(tokens.len());
            use_leaves(&tokens[i + 1..end], &[], &mut found);
            i = end;
        } else if t.is("mod") && is_at(tokens, i + 2, ";") {
            scan.mod_files.extend(name.filter(|_| depth == 0));
        } else if t.is("mod") && is_at(tokens, i + 2, "{") {
            scan.items.extend(name.filter(|_| depth == 0));
            inline_modules.push(depth + 1);
        } else if depth == 0 && ITEMS.split(' ').any(|item| t.is(item)) {
            let skip = usize::from(is_at(tokens, i + 1, "mut") || is_at(tokens, i + 1, "!"));
            let defined = tokens.get(i + 1 + skip).filter(|t| t.is_ident());
            scan.items.extend(defined.map(|t| t.text.clone()));
        } else if t.is_ident() && is_at(tokens, i + 1, "::") && (i == 0 || !tokens[i - 1].is("::")) {
            let mut path = vec![t.text.clone()];
            while is_at(tokens, i + 1, "::") && tokens.get(i + 2).is_some_and(Token::is_ident) {
                path.push(tokens[i + 2].text.clone());
                i += 2;
            }
            found.push((path, Binding::Nothing, t.line));
        }
        let inline_depth = inline_modules.len();
        for (path, binding, line) in found {
            scan.references.push(Reference {
                path,
                binding,
                line,
                inline_depth,
            });
        }
        i += 1;
    }
    scan
}

/// The leaves of the use tree `tokens` below `prefix`, each `(path, binding, line)`.
pub(crate) fn use_leaves(
    tokens: &[Token],
    prefix: &[String],
    leaves: &mut Vec<(Vec<String>, Binding, usize)>,
) {
    let mut path = prefix.to_vec();
    for (i, t) in tokens.iter().enumerate() {
        match t.text.as_str() {
            "::" => {}
            "*" => return leaves.push((path, Binding::Glob, t.line)),
            "{" => {
                let trees = split_top(&tokens[i + 1..matching(tokens, i)], ",");
                return trees.into_iter().for_each(|tree| use_leaves(tree, &path, leaves));
            }
            "as" => break,
            _ => path.push(t.text.clone()),
        }
    }
    if path.last().is_some_and(|last| last == "self") {
        path.pop();
    }
    let name = match tokens {
        [.., as_, alias] if as_.is("as") => alias.text.clone(),
        _ => path.last().cloned().unwrap_or_default(),
    };
    if let Some(last) = tokens.last() {
        leaves.push((path, Binding::Name(name), last.line));
    }
}
