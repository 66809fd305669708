//! Spelling help for the names a user writes: "did you mean …?".

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a plausible typo (at most a third of the word's length, and at least 1).
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let length = word.chars().count();
    let limit = (length / 3).max(1);
    candidates
        .iter()
        // The distance is at least the difference in length: a candidate
        // too far in length is skipped without the quadratic table, so a
        // huge word costs no more than its length.
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= limit)
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The name of `valid` that `word` most likely means, a layer's name as
/// other libraries write it included: an alias of `aliases` (PyTorch's
/// `linear` for `dense`), the same name but for case and underscores
/// (`MaxPool2d`, `layernorm`), a typo ([`closest`]), or a typo but for
/// case and underscores (`max_pool` for `max_pool2d`).
pub fn meant<'a>(word: &str, valid: &[&'a str], aliases: &[(&str, &'a str)]) -> Option<&'a str> {
    let fold = |name: &str| name.to_lowercase().replace('_', "");
    let folded = fold(word);
    let folded_valid: Vec<String> = valid.iter().map(|name| fold(name)).collect();
    let candidates: Vec<&str> = folded_valid.iter().map(String::as_str).collect();
    aliases
        .iter()
        .find(|(alias, name)| *alias == folded && valid.contains(name))
        .map(|(_, name)| *name)
        .or_else(|| {
            candidates
                .iter()
                .position(|name| *name == folded)
                .map(|at| valid[at])
        })
        .or_else(|| closest(word, valid))
        .or_else(|| {
            let near = closest(&folded, &candidates)?;
            candidates
                .iter()
                .position(|name| *name == near)
                .map(|at| valid[at])
        })
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and
/// transpositions of two neighbours (the usual typos) each cost 1.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in table.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
        }
    }
    table[a.len() * width + b.len()]
}

/// The message and help for a name that is not one of `valid`:
/// `unknown activation `rleu`; did you mean `relu`?`, then the valid names.
pub fn unknown(what: &str, found: &str, valid: &[&str]) -> (String, String) {
    unknown_meant(what, found, valid, closest(found, valid))
}

/// [`unknown`], with the name `found` may have meant already guessed.
pub fn unknown_meant(what: &str, found: &str, valid: &[&str], guess: Option<&str>) -> (String, String) {
    let guess = guess
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default();
    let plural = if valid.len() == 1 { "" } else { "s" };
    (
        format!("unknown {what} `{}`{guess}", shortened(found)),
        format!("the {what}{plural} netinit knows: {}", list(valid)),
    )
}

/// `word`, or its first 60 characters and `…`: a message quotes what was
/// written, not a megabyte of it.
pub fn shortened(word: &str) -> String {
    match word.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &word[..cut]),
        None => word.to_owned(),
    }
}

/// `a`, `b` and `c`: the names as a user reads them in a message.
pub fn list(names: &[&str]) -> String {
    joined(names, "and")
}

/// `a`, `b` or `c`: the names to choose from.
pub fn alternatives(names: &[&str]) -> String {
    joined(names, "or")
}

fn joined(names: &[&str], last_word: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {last_word} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name() {
        let names = ["relu", "leaky_relu", "selu", "tanh", "sigmoid"];
        assert_eq!(closest("rleu", &names), Some("relu"));
        assert_eq!(closest("sigmiod", &names), Some("sigmoid"));
        assert_eq!(closest("leaky_rel", &names), Some("leaky_relu"));
        assert_eq!(closest("banana", &names), None);
        // A huge word is compared with no candidate: none is close in length.
        assert_eq!(closest(&"x".repeat(10_000_000), &names), None);
        assert_eq!(shortened(&"y".repeat(100)).chars().count(), 61);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(alternatives(&["a", "b"]), "`a` or `b`");
    }
}
