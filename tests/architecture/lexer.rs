//! The lexer: a file's words, punctuation and literals (comments dropped), with
//! the helpers that walk bracketed groups and drop code under `#[cfg(test)]`.

/// A word, a punctuation or a literal (whose text is [`LITERAL`]), and its line.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) text: String,
    pub(crate) line: usize,
}

pub(crate) const LITERAL: &str = "\"";

impl Token {
    pub(crate) fn is(&self, text: &str) -> bool {
        self.text == text
    }
    pub(crate) fn is_ident(&self) -> bool {
        self.text.starts_with(|c: char| c.is_alphabetic() || c == '_')
    }
    pub(crate) fn opens(&self) -> bool {
        matches!(self.text.as_str(), "(" | "[" | "{")
    }
    pub(crate) fn closes(&self) -> bool {
        matches!(self.text.as_str(), ")" | "]" | "}")
    }
}

pub(crate) fn is_at(tokens: &[Token], i: usize, text: &str) -> bool {
    tokens.get(i).is_some_and(|t| t.is(text))
}

/// Multi-character punctuation the scanners look at (a lone `=` ends a `let` pattern).
pub(crate) const PUNCTS: &[&str] = &["..=", "::", "=>", "->", "==", "!=", "<=", ">=", "&&", "||", ".."];

/// The tokens of `source` without its comments (doc comments too).
pub(crate) fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let (mut tokens, mut i, mut line) = (Vec::new(), 0, 1);
    while i < chars.len() {
        let (end, text) = lex_one(&chars, i);
        let end = end.min(chars.len());
        tokens.extend(text.map(|text| Token { text, line }));
        line += chars[i..end].iter().filter(|&&c| c == '\n').count();
        i = end;
    }
    tokens
}

/// The end of the token, comment or space at `i`, and the token's text.
pub(crate) fn lex_one(chars: &[char], i: usize) -> (usize, Option<String>) {
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    let in_word = |k: usize| at(k).is_alphanumeric() || at(k) == '_';
    let word_end = |k: usize| (k..).find(|&k| !in_word(k)).unwrap();
    let literal = |end: usize| (end, Some(LITERAL.to_string()));
    let c = chars[i];
    if c.is_whitespace() {
        return (i + 1, None);
    } else if c == '/' && at(i + 1) == '/' {
        return ((i..).find(|&k| matches!(at(k), '\n' | '\0')).unwrap(), None);
    } else if c == '/' && at(i + 1) == '*' {
        return (end_of_block_comment(chars, i), None);
    } else if c == '"' || (c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'')) {
        return literal(end_of_quoted(chars, i));
    } else if !(in_word(i) || c == '\'') {
        let starts = |p: &&&str| p.chars().enumerate().all(|(k, pc)| at(i + k) == pc);
        let punct = PUNCTS.iter().find(starts);
        let text = punct.map_or(c.to_string(), |p| p.to_string());
        return (i + text.chars().count(), Some(text));
    }
    // A word, a number, a lifetime, or the prefix of a literal: `r#"…"#`, `b'…'`.
    let end = word_end(i + 1);
    let word: String = chars[i..end].iter().collect();
    let hashes = (end..).take_while(|&k| at(k) == '#').count();
    match word.as_str() {
        "r" | "br" | "cr" if at(end + hashes) == '"' => {
            let closes = |k: &usize| (0..=hashes).all(|h| at(k + h) == if h == 0 { '"' } else { '#' });
            let close = (end + hashes + 1..chars.len()).find(closes);
            literal(close.map_or(chars.len(), |k| k + hashes + 1))
        }
        "b" | "c" if at(end) == '"' || (word == "b" && at(end) == '\'') => literal(end_of_quoted(chars, end)),
        // A raw identifier: `r#match` is not the keyword.
        "r" if hashes == 1 => {
            let end = word_end(end + 1);
            (end, Some(chars[i..end].iter().collect()))
        }
        _ => (end, Some(word)),
    }
}

pub(crate) fn end_of_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        let pair = (chars[i], chars.get(i + 1).copied().unwrap_or('\0'));
        let (opens, closes) = (pair == ('/', '*'), pair == ('*', '/'));
        depth += i32::from(opens) - i32::from(closes);
        i += if opens || closes { 2 } else { 1 };
        if depth == 0 {
            return i;
        }
    }
    i
}

/// The end of the string or character whose opening quote is at `i`.
pub(crate) fn end_of_quoted(chars: &[char], mut i: usize) -> usize {
    let quote = chars[i];
    i += 1;
    while i < chars.len() && chars[i] != quote {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// The index of the bracket that closes the one at `open` (the end if none does).
pub(crate) fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        depth += i32::from(token.opens()) - i32::from(token.closes());
        if depth == 0 {
            return i;
        }
    }
    tokens.len()
}

/// The index after the token at `i`, or after the bracketed group it opens.
pub(crate) fn skip_group(tokens: &[Token], i: usize) -> usize {
    if tokens[i].opens() {
        matching(tokens, i) + 1
    } else {
        i + 1
    }
}

/// The slices between the `separator`s outside brackets.
pub(crate) fn split_top<'t>(tokens: &'t [Token], separator: &str) -> Vec<&'t [Token]> {
    let (mut parts, mut start, mut i) = (Vec::new(), 0, 0);
    while i < tokens.len() {
        if tokens[i].is(separator) {
            parts.push(&tokens[start..i]);
            start = i + 1;
        }
        i = skip_group(tokens, i);
    }
    parts.push(&tokens[start.min(tokens.len())..]);
    parts
}

/// The tokens without the items under `#[cfg(test)]` (a `cfg` naming `test` outside a `not`).
pub(crate) fn strip_test_code(tokens: &[Token]) -> Vec<Token> {
    let mut kept = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let attribute = if tokens[i].is("#") && is_at(tokens, i + 1, "[") {
            tokens.get(i + 2..matching(tokens, i + 1)).unwrap_or_default()
        } else {
            &[]
        };
        let names = |word: &str| attribute.iter().any(|t| t.is(word));
        if is_at(attribute, 0, "cfg") && names("test") && !names("not") {
            // Skip the attributes and the item, up to its `;` or its `{ … }` body.
            i += attribute.len() + 3;
            while i < tokens.len() && !tokens[i].closes() {
                let last = tokens[i].is(";") || tokens[i].is("{");
                i = skip_group(tokens, i);
                if last {
                    break;
                }
            }
        } else {
            kept.push(tokens[i].clone());
            i += 1;
        }
    }
    kept
}
