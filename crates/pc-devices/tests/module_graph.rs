//! The crate's modules use one another one way: the `crate::…` module graph has no
//! cycle.
//!
//! A module uses another when one of its files names `crate::other…` (a `use`, a
//! path, a macro's `$crate::other…`, a doc link); an item the crate root re-exports
//! from `other` (`crate::Error`) counts as `other`. The root itself only declares and
//! re-exports, so it is left out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The text of each top-level module's files, by module name (`src/ops/tests.rs` is
/// `ops`); the root's text apart.
fn sources() -> (String, BTreeMap<String, String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut root = String::new();
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let name = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
        if name == "lib" {
            root = text;
        } else {
            modules.entry(name.to_owned()).or_default().push_str(&text);
        }
    }
    (root, modules)
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The leading identifier of `text`.
fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident_char(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first segment of each item of a `{…}` group that `text` starts inside of.
fn group_heads(text: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if item_start && depth == 0 && is_ident_char(c) => {
                heads.push(ident(&text[at..]));
                item_start = false;
            }
            _ => {}
        }
    }
    heads
}

/// The names `crate::` is followed by in `text` (each item of a `crate::{…}` group).
fn crate_paths(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        if text[..at].chars().next_back().is_some_and(is_ident_char) {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => names.extend(group_heads(group)),
            None => names.push(ident(rest)),
        }
    }
    names
}

/// What the root re-exports from each module: item name → module.
fn reexports(root: &str, modules: &BTreeSet<&str>) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    for statement in root.split("pub use ").skip(1) {
        let statement = statement.split(';').next().unwrap_or_default();
        let module = ident(statement);
        if !modules.contains(module) {
            continue;
        }
        let names: Vec<&str> = match statement.find('{') {
            Some(open) => group_heads(&statement[open + 1..]),
            None => vec![statement.rsplit("::").next().unwrap_or_default().trim()],
        };
        for name in names {
            items.insert(name.to_owned(), module.to_owned());
        }
    }
    items
}

/// Each module's uses of the others.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let (root, sources) = sources();
    let names: BTreeSet<&str> = sources.keys().map(String::as_str).collect();
    let items = reexports(&root, &names);
    let mut graph = BTreeMap::new();
    for (module, text) in &sources {
        let uses: BTreeSet<String> = crate_paths(text)
            .into_iter()
            .filter_map(|name| {
                if names.contains(name) {
                    Some(name.to_owned())
                } else {
                    items.get(name).cloned()
                }
            })
            .filter(|used| used != module)
            .collect();
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle through `module`, if the walk from it finds one.
fn find_cycle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    module: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|seen| seen == module) {
        let mut cycle = path[at..].to_vec();
        cycle.push(module.to_owned());
        return Some(cycle);
    }
    if done.contains(module) {
        return None;
    }
    path.push(module.to_owned());
    for used in graph.get(module).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, used, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(module.to_owned());
    None
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = graph();
    // The reading works: a few uses that must be seen.
    for (from, to) in [("paging", "ops"), ("ops", "error"), ("upload", "ops")] {
        assert!(
            graph[from].contains(to),
            "{from} → {to} not seen: {graph:?}"
        );
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = find_cycle(&graph, module, &mut Vec::new(), &mut done) {
            panic!("the modules use each other: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_error_and_the_shared_data_are_at_the_bottom() {
    let graph = graph();
    for (module, allowed) in [
        ("accepted", &[][..]),
        ("csv_import", &[][..]),
        ("error", &["accepted", "csv_import"][..]),
    ] {
        let uses: Vec<&str> = graph[module].iter().map(String::as_str).collect();
        assert!(
            uses.iter().all(|used| allowed.contains(used)),
            "{module} uses {uses:?}"
        );
    }
}

#[test]
fn the_reading_of_paths() {
    assert_eq!(
        crate_paths(
            "use crate::Error;\nuse crate::{ops::X, paging};\n$crate::wait::f(); pc_crate::no"
        ),
        ["Error", "ops", "paging", "wait"]
    );
    assert_eq!(group_heads("a::{b, c}, d as e}, f"), ["a", "d"]);
}
