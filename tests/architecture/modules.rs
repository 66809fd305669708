//! The module tree of each crate, and where a path written in a module leads:
//! the module that defines the item, through `pub use` re-exports and aliases.

use std::collections::{BTreeMap, VecDeque};

use crate::lexer::{strip_test_code, tokenize, Token};
use crate::scan::{scan_file, Binding, FileScan, Reference};
use crate::Files;

pub(crate) struct Module {
    pub(crate) file: String,
    pub(crate) parent: Option<usize>,
    pub(crate) root: usize,
    pub(crate) children: BTreeMap<String, usize>,
    pub(crate) tokens: Vec<Token>,
    pub(crate) scan: FileScan,
}

/// The modules of each crate, from its root through `mod name;` (`name.rs` or
/// `name/mod.rs`), and the declared files that are missing.
pub(crate) fn load_modules(files: &Files, roots: &[&str]) -> (Vec<Module>, Vec<String>) {
    let (mut modules, mut missing) = (Vec::<Module>::new(), Vec::new());
    // Files to load, each with its parent module and its name there.
    let mut pending: VecDeque<(String, Option<(usize, String)>)> =
        roots.iter().map(|root| (root.to_string(), None)).collect();
    while let Some((file, parent)) = pending.pop_front() {
        let Some(source) = files.get(&file) else {
            missing.push(file);
            continue;
        };
        let (m, tokens) = (modules.len(), strip_test_code(&tokenize(source)));
        let scan = scan_file(&tokens);
        // A crate root's and a `mod.rs`'s children are beside it; those of `a/b.rs` are in `a/b/`.
        let dir = if parent.is_some() && !file.ends_with("/mod.rs") {
            file.trim_end_matches(".rs")
        } else {
            file.rsplit_once('/').map_or("", |(dir, _)| dir)
        };
        for name in &scan.mod_files {
            let [flat, nested] = [format!("{dir}/{name}.rs"), format!("{dir}/{name}/mod.rs")];
            let child = if files.contains_key(nested.trim_start_matches('/')) {
                nested
            } else {
                flat
            };
            pending.push_back((child.trim_start_matches('/').to_string(), Some((m, name.clone()))));
        }
        let parent = parent.map(|(p, name)| {
            modules[p].children.insert(name, m);
            p
        });
        let root = parent.map_or(m, |p| modules[p].root);
        let children = BTreeMap::new();
        modules.push(Module {
            file,
            parent,
            root,
            children,
            tokens,
            scan,
        });
    }
    (modules, missing)
}

pub(crate) fn is_descendant(modules: &[Module], module: usize, ancestor: usize) -> bool {
    let parent = modules[module].parent;
    parent.is_some_and(|p| p == ancestor || is_descendant(modules, p, ancestor))
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target {
    Module(usize),
    /// An item defined in this module; a path through it (`Type::method`) stops here.
    Item(usize),
}

/// How many steps a path may take; ends the chase of `use`s that import each other.
pub(crate) const BUDGET: usize = 16;

/// A path seen from inside module `m`: its first segment a child, an item or an imported name.
pub(crate) fn resolve_in(modules: &[Module], m: usize, segments: &[String], budget: usize) -> Option<Target> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(Target::Module(m));
    };
    let module = &modules[m];
    if budget == 0 {
        return None;
    } else if let Some(&child) = module.children.get(first) {
        return resolve_in(modules, child, rest, budget - 1);
    } else if module.scan.items.contains(first) {
        return Some(Target::Item(m));
    }
    let references = &module.scan.references;
    let imports = |binding: Binding| references.iter().filter(move |r| r.binding == binding);
    match imports(Binding::Name(first.clone())).find_map(|r| resolve(modules, m, r, budget - 1)) {
        Some(Target::Module(named)) => return resolve_in(modules, named, rest, budget - 1),
        Some(item) => return Some(item),
        None => {}
    }
    imports(Binding::Glob).find_map(|r| match resolve(modules, m, r, budget - 1)? {
        Target::Module(glob) if glob != m => resolve_in(modules, glob, segments, budget - 1),
        _ => None,
    })
}

/// A path written in module `m`: from `crate`, `self`, `super`, or a name in scope there.
pub(crate) fn resolve(modules: &[Module], m: usize, reference: &Reference, budget: usize) -> Option<Target> {
    let (path, module) = (&reference.path, &modules[m]);
    let imported = |r: &Reference| matches!(&r.binding, Binding::Name(name) if *name == path[0]);
    match path.first()?.as_str() {
        "crate" => resolve_in(modules, module.root, &path[1..], budget),
        "self" => resolve_in(modules, m, &path[1..], budget),
        "super" => {
            // The first `super`s leave the inline modules around the path, which are this file.
            let supers = path.iter().take_while(|s| *s == "super").count();
            let mut module = m;
            for _ in reference.inline_depth..supers {
                module = modules[module].parent?;
            }
            resolve_in(modules, module, &path[supers..], budget)
        }
        // Not a glob's name: globs are mostly other crates', and would be chased in a loop.
        first if module.children.contains_key(first) || module.scan.items.contains(first) => {
            resolve_in(modules, m, path, budget)
        }
        _ if module.scan.references.iter().any(imported) => resolve_in(modules, m, path, budget),
        _ => None, // another crate, a local variable, a type of the prelude, …
    }
}
