//! The import graph between modules, and its cycles.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::modules::{is_descendant, load_modules, resolve, Module, Target, BUDGET};
use crate::scan::Binding;
use crate::Files;

pub(crate) struct Graph {
    pub(crate) modules: Vec<Module>,
    /// `(from, to)`, with the line and the path of the first import that makes it.
    pub(crate) edges: BTreeMap<(usize, usize), (usize, String)>,
}

pub(crate) fn import_graph(files: &Files, roots: &[&str]) -> Graph {
    let (modules, mut unresolved) = load_modules(files, roots);
    let mut edges = BTreeMap::new();
    for (m, module) in modules.iter().enumerate() {
        for reference in &module.scan.references {
            let glob = reference.binding == Binding::Glob;
            let written = reference.path.join("::") + if glob { "::*" } else { "" };
            let to = match resolve(&modules, m, reference, BUDGET) {
                Some(Target::Item(to)) => to,
                Some(Target::Module(to)) if glob => to,
                None if ["crate", "self", "super"].contains(&reference.path[0].as_str()) => {
                    unresolved.push(format!("{}:{} {written}", module.file, reference.line));
                    continue;
                }
                _ => continue,
            };
            if to != m && !is_descendant(&modules, to, m) {
                edges.entry((m, to)).or_insert((reference.line, written));
            }
        }
    }
    if std::env::var_os("ARCH_DEBUG").is_some() {
        eprintln!("unresolved, or missing files:\n  {}", unresolved.join("\n  "));
        for ((from, to), (line, path)) in &edges {
            let (from, to) = (&modules[*from].file, &modules[*to].file);
            eprintln!("edge {from}:{line} -> {to} ({path})");
        }
    }
    Graph { modules, edges }
}

pub(crate) fn successors(graph: &Graph, v: usize) -> impl Iterator<Item = usize> + '_ {
    graph.edges.range((v, 0)..(v + 1, 0)).map(|(&(_, w), _)| w)
}

/// The strongly connected components of more than one module (Tarjan's algorithm), sorted.
pub(crate) fn cycles(graph: &Graph) -> Vec<Vec<usize>> {
    #[derive(Default)]
    struct Search {
        index: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        found: Vec<Vec<usize>>,
    }
    fn visit(graph: &Graph, v: usize, s: &mut Search) {
        let index = s.index.len();
        s.index.insert(v, index);
        s.low.insert(v, index);
        s.stack.push(v);
        for w in successors(graph, v) {
            if !s.index.contains_key(&w) {
                visit(graph, w, s);
            }
            if s.stack.contains(&w) {
                s.low.insert(v, s.low[&v].min(s.low[&w]));
            }
        }
        if s.low[&v] == index {
            let at = s.stack.iter().rposition(|&w| w == v).unwrap();
            let mut component = s.stack.split_off(at);
            component.sort();
            s.found.push(component);
        }
    }
    let mut search = Search::default();
    for v in 0..graph.modules.len() {
        if !search.index.contains_key(&v) {
            visit(graph, v, &mut search);
        }
    }
    search.found.retain(|component| component.len() > 1);
    search.found.sort();
    search.found
}

/// The shortest cycle through `start` inside `component`, as modules in order.
pub(crate) fn shortest_cycle(graph: &Graph, component: &[usize], start: usize) -> Vec<usize> {
    let (mut previous, mut queue) = (BTreeMap::new(), VecDeque::from([start]));
    while let Some(v) = queue.pop_front() {
        for w in successors(graph, v).filter(|w| component.contains(w)) {
            if w == start {
                let mut cycle = vec![v];
                while let Some(&p) = previous.get(cycle.last().unwrap()) {
                    cycle.push(p);
                }
                cycle.reverse();
                return cycle;
            } else if let std::collections::btree_map::Entry::Vacant(entry) = previous.entry(w) {
                entry.insert(v);
                queue.push_back(w);
            }
        }
    }
    vec![start]
}

/// A component as cycles in order, a shortest one through each module not shown yet, each
/// edge with the import that makes it.
pub(crate) fn describe(graph: &Graph, component: &[usize]) -> String {
    let file = |m: usize| graph.modules[m].file.as_str();
    let names: Vec<&str> = component.iter().map(|&m| file(m)).collect();
    let mut text = format!("{} modules in a cycle: {}\n", component.len(), names.join(", "));
    let mut shown = BTreeSet::new();
    for &start in component {
        if shown.insert(start) {
            text += &format!("  cycle through {}:\n", file(start));
            let cycle = shortest_cycle(graph, component, start);
            for (k, &from) in cycle.iter().enumerate() {
                let to = cycle[(k + 1) % cycle.len()];
                let (line, path) = &graph.edges[&(from, to)];
                text += &format!("    {}:{line} -> {} ({path})\n", file(from), file(to));
                shown.insert(from);
            }
        }
    }
    text
}
