//! The checker's own tests: it finds a planted cycle of each form an import
//! can take, and the catch-alls over kinds, and passes what is neither.

use std::collections::BTreeSet;

use crate::catch_alls::catch_alls;
use crate::graph::{cycles, describe, import_graph, Graph};
use crate::Files;

/// A crate written as one text: each file after `@path`, `lib.rs` its root.
fn graph_of(text: &str) -> Graph {
    let files = text
        .split('@')
        .skip(1)
        .map(|file| file.split_once(char::is_whitespace).unwrap());
    import_graph(
        &files.map(|(path, source)| (path.into(), source.into())).collect(),
        &["lib.rs"],
    )
}

/// The files of each cycle, sorted and joined by spaces.
fn cycle_files(text: &str) -> Vec<String> {
    let graph = graph_of(text);
    let names = |c: &Vec<usize>| BTreeSet::from_iter(c.iter().map(|&m| graph.modules[m].file.as_str()));
    cycles(&graph)
        .iter()
        .map(|c| Vec::from_iter(names(c)).join(" "))
        .collect()
}

#[test]
fn use_tree_over_lines_with_nested_braces() {
    let text = "
        @lib.rs mod a; mod b;
        @a.rs use crate::{
            b::{
                Thing as T,
                inner::{LIMIT},
            },
        };
        pub fn f() {}
        @b.rs pub mod inner { pub const LIMIT: u8 = 1; } pub struct Thing; use crate::{a::{self, f}};";
    assert_eq!(cycle_files(text), ["a.rs b.rs"]);
    let graph = graph_of(text);
    let report = describe(&graph, &cycles(&graph)[0]);
    assert!(report.contains("a.rs:3 -> b.rs (crate::b::Thing)"), "{report}");
    assert!(report.contains("b.rs:1 -> a.rs (crate::a::f)"), "{report}");
}

#[test]
fn super_super_and_self_paths() {
    let text = "
        @lib.rs   mod p; mod q;
        @p/mod.rs pub mod a; pub mod b;
        @p/a.rs   pub struct A; fn f() -> super::b::B { todo!() }
        @p/b.rs   pub struct B; use super::super::q::Q;
        @q.rs     use crate::p as parent; pub struct Q; fn g() { self::parent::a::A; }";
    assert_eq!(cycle_files(text), ["p/a.rs p/b.rs q.rs"]);
}

#[test]
fn super_inside_an_inline_module_is_its_file() {
    let text = "
        @lib.rs mod a; mod b;
        @a.rs   pub fn f() {} mod inner { use super::f; use super::super::b::g; }
        @b.rs   pub fn g() { crate::a::f() }";
    assert_eq!(cycle_files(text), ["a.rs b.rs"]);
}

#[test]
fn relative_2018_paths_through_children_and_imported_names() {
    // `b` is a module `a` imports; `inner` a child of `b` whose re-export leads back to `a`.
    for b in ["use inner::F; pub fn g() {}", "pub fn g() { inner::F() }"] {
        let text = format!(
            "@lib.rs     pub mod a; pub mod b;
             @a.rs       use crate::{{b::{{self}}}}; pub fn f() {{ b::g() }}
             @b/mod.rs   mod inner; {b}
             @b/inner.rs pub use crate::a::f as F;"
        );
        assert_eq!(cycle_files(&text), ["a.rs b/mod.rs"], "{b}");
    }
}

#[test]
fn paths_inline_in_expressions_patterns_and_types() {
    let text = "
        @lib.rs mod a; mod b; mod c;
        @a.rs   pub const LIMIT: u8 = 3;
                fn f(x: u8) -> bool { match x { crate::b::FLAT => true, _ => false } }
        @b.rs   pub const FLAT: u8 = 1; pub struct Holder(Vec<crate::c::Kind>);
        @c.rs   pub enum Kind { A } fn g() -> u8 { crate::a::LIMIT + 1 }";
    assert_eq!(cycle_files(text), ["a.rs b.rs c.rs"]);
}

#[test]
fn reexports_are_followed_to_the_defining_module() {
    let text = "
        @lib.rs     mod a; mod b; mod c;
        @a.rs       use crate::c::Renamed; pub fn f() {}
        @b/mod.rs   mod inner; pub use self::inner::*;
        @b/inner.rs pub struct Thing; impl Thing { fn g() { crate::a::f() } }
        @c.rs       pub use crate::b::{Thing as Renamed};";
    assert_eq!(cycle_files(text), ["a.rs b/inner.rs"]);
}

#[test]
fn glob_imports_are_edges() {
    assert_eq!(
        cycle_files("@lib.rs mod a; mod b; @a.rs use crate::b::*; @b.rs use crate::a::*;"),
        ["a.rs b.rs"]
    );
}

#[test]
fn a_parent_using_its_children_is_not_an_edge() {
    let text = "
        @lib.rs     mod a;
        @a/mod.rs   mod child; use child::X; pub use self::child::Y; pub fn helper() { child::g() }
        @a/child.rs pub struct X; pub struct Y; pub fn g() {} use super::helper;";
    let graph = graph_of(text);
    assert_eq!(
        Vec::from_iter(graph.edges.keys()),
        [&(2, 1)],
        "only the child's import of its parent"
    );
}

#[test]
fn test_code_is_not_counted() {
    let text = r#"
        @lib.rs mod a; mod b;
        @a.rs   use crate::b::g; pub fn f() {}
        @b.rs   pub fn g() {}
        #[cfg(test)] use crate::a::f as ff;
        #[cfg(test)] #[allow(unused)] mod tests { use crate::a::f; }
        #[cfg(all(test, feature = "x"))] impl B { fn t() { crate::a::f() } }
        #[cfg(test)] fn t<A, B>() { crate::a::f() }"#;
    assert!(cycle_files(text).is_empty());
}

#[test]
fn comments_and_literals_are_not_counted_and_the_lexer_stays_in_step() {
    let hidden = r###"
/// use crate::a::f;
//! crate::a::f()
/** crate::a::f */
/* /* nested */ crate::a::f */
fn l<'a>(x: &'a str) -> char { '"' }
const S: &str = "use crate::a::f; \" crate::a::f";
const R: &str = r#"use "crate::a::f; "#;
const B: &[u8] = br##"x"# crate::a::f "#"##;
const C: [char; 3] = ['\'', '\\', 'a'];
fn m<'b>(_: &'b u8) { let _ = b'"'; }
"###;
    let with =
        |g: &str| format!("@lib.rs mod a; mod b; @a.rs use crate::b::g; pub fn f() {{}} @b.rs{hidden}{g}");
    assert!(cycle_files(&with("pub fn g() {}")).is_empty());
    let graph = graph_of(&with("pub fn g() { crate::a::f() }"));
    let report = describe(&graph, &cycles(&graph)[0]);
    assert!(report.contains("b.rs:11 -> a.rs (crate::a::f)"), "{report}");
}

/// The lines flagged in a file, and those marked `// flagged`.
fn flagged_and_marked(source: &str) -> (Vec<usize>, Vec<usize>) {
    let files = Files::from([("lib.rs".to_string(), source.to_string())]);
    let flagged = catch_alls(&files, &["lib.rs"]).iter().map(|f| f.line).collect();
    let marked = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.ends_with("// flagged"));
    (flagged, marked.map(|(k, _)| k + 1).collect())
}

#[test]
fn wildcard_and_binding_arms_over_a_kind_are_flagged() {
    let (flagged, marked) = flagged_and_marked(
        "fn f(k: LayerKind) -> u8 {
            match k {
                LayerKind::A => 1,
                _ => 2, // flagged
            }
            match k { LayerKind::A => 1, _ if x => 2, LayerKind::B => 3 } // flagged
            match k {
                LayerKind::A => if c { 1 } else { 2 }
                B | _ => 3 // flagged
            }
            match k {
                LayerKind::A(x) => x,
                other => g(other), // flagged
            }
            match (k, o) {
                (LayerKind::A, _) => 1,
                (kind, Some(_)) => 2, // flagged
                (_, None) => 3,
            }
        }",
    );
    assert_eq!(flagged, marked);
}

#[test]
fn matches_and_refutable_lets_on_a_kind_are_flagged() {
    let (flagged, marked) = flagged_and_marked(
        "fn f() {
            let a = matches!(k, LayerKind::A | LayerKind::B); // flagged
            let b = matches!(
                k,
                LayerKind::A // flagged
            );
            if let LayerKind::A(x) = k { g(x) } // flagged
            while let Some(LayerKind::A) = it.next() {} // flagged
            let LayerKind::A { s: true } = k else { return }; // flagged
        }",
    );
    assert_eq!(flagged, marked);
}

#[test]
fn exhaustive_matches_other_enums_and_macros_are_not_flagged() {
    let (flagged, _) = flagged_and_marked(
        "fn f(k: LayerKind) -> u8 {
            match k {
                LayerKind::A(x) if x > 1 => if x > 2 { 3 } else { 2 }
                LayerKind::B { .. } | crate::LayerKind::C => { match o { Some(_) => 1, _ => 0 } }
                LayerKind::D(Shape::Image { h, .. }, _) => h,
            }
            match s { Shape::A => 1, _ => 2 };
            let x = matches!(s, Shape::A);
        }
        macro_rules! kinds { ($k:expr) => { match $k { LayerKind::A => 1, _ => 2 } }; }
        #[cfg(test)]
        mod tests { fn t() { match k { LayerKind::A => 1, _ => 2 }; } }",
    );
    assert!(flagged.is_empty(), "{flagged:?}");
}
