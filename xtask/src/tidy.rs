//! The architecture's source invariants, checked by reading the source: no import
//! circle between the modules of a crate, only pc-cli reads the environment or the
//! terminal, tokio runs in `pc` only for `pc demo` and `pc sim`, pc-models does no
//! I/O, the clients hold no protocol decision and each client method is written once,
//! only pc-bench measures speed, the xtask installs nothing, and docs/ARCHITECTURE.md's
//! map names every source file.
//!
//! The source is read as text with its comments and literals blanked
//! ([`code_only`]), which is enough for what these checks look for and needs no
//! parser crate.

use crate::{Result, root};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

/// The library crates, which take values rather than read the environment or the
/// terminal.
const LIBRARIES: &[&str] = &["pc-models", "pc-http", "pc-devices", "pc-sim"];

/// What reads the environment or the terminal. std's `is_terminal` needs the
/// `IsTerminal` trait in scope, so the trait's name is what is looked for
/// (`is_terminal` itself is also the name of a terminal upload status).
const ENVIRONMENT_READERS: &[&str] = &[
    "std::env::var",
    "env::var(",
    "env::var_os(",
    "env::vars(",
    "std::env::args",
    "env::args(",
    "IsTerminal",
    "io::stdin",
];

/// The one deliberate exception (docs/ARCHITECTURE.md): `ProxyOptions::FromEnvironment`,
/// pc-http's default, reads `HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY` when a transport is
/// built, as curl, reqwest and ureq do.
const ENVIRONMENT_EXCEPTIONS: &[(&str, &[&str])] = &[(
    "crates/pc-http/src/proxy.rs",
    &["std::env::var", "env::var("],
)];

/// The files of pc-cli's `src/` that may name tokio or the simulator: `pc demo` and
/// `pc sim`.
const SIMULATOR_FILES: &[&str] = &["demo.rs", "sim.rs"];

/// Every tidy check, each violation on its own line.
pub fn check_all() -> Result {
    let root = root();
    let mut problems = import_circles(&root)?;
    problems.extend(environment_readers(&root)?);
    problems.extend(tokio_outside_the_simulator(&root)?);
    problems.extend(io_in_the_models(&root)?);
    problems.extend(decisions_in_the_clients(&root)?);
    problems.extend(benchmarks_outside_the_bench(&root)?);
    problems.extend(installs_in_the_xtask(&root)?);
    problems.extend(files_the_map_does_not_name(&root)?);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// A workspace crate: its package name and its folder.
struct Crate {
    name: String,
    dir: PathBuf,
}

/// The workspace's crates: each folder of `crates/` with a manifest, and `xtask`.
fn crates(root: &Path) -> Result<Vec<Crate>> {
    let mut dirs = vec![root.join("xtask")];
    for entry in read_dir(&root.join("crates"))? {
        if entry.join("Cargo.toml").is_file() {
            dirs.push(entry);
        }
    }
    dirs.into_iter()
        .map(|dir| {
            let manifest = read(&dir.join("Cargo.toml"))?;
            let name = manifest
                .lines()
                .find_map(|line| {
                    let value = line.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
                    Some(value.trim().trim_matches('"').to_owned())
                })
                .ok_or_else(|| format!("{}: no package name", dir.display()))?;
            Ok(Crate { name, dir })
        })
        .collect()
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// The entries of a folder, sorted.
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// The `.rs` files under `dir`, at any depth, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in read_dir(dir)? {
        if entry.is_dir() {
            files.extend(rust_files(&entry)?);
        } else if entry.extension().is_some_and(|extension| extension == "rs") {
            files.push(entry);
        }
    }
    Ok(files)
}

/// One source file of a crate: its path from the workspace root and its code, with
/// comments, literals and (unless `with_tests`) `#[cfg(test)]` items blanked.
struct Source {
    path: String,
    code: String,
}

/// The files of a crate's `src/`, read as [`Source`]s. Without `with_tests`, a file
/// that is a `#[cfg(test)] mod name;` is left out and `#[cfg(test)]` items are blanked.
fn sources(root: &Path, src: &Path, with_tests: bool) -> Result<Vec<Source>> {
    let files = rust_files(src)?;
    let mut read_files = Vec::new();
    let mut test_paths = Vec::new();
    for file in files {
        let code = code_only(&read(&file)?);
        let code = if with_tests {
            code
        } else {
            let (code, test_modules) = without_tests(&code);
            let children = children_dir(&file);
            test_paths.extend(test_modules.iter().map(|name| children.join(name)));
            code
        };
        read_files.push((file, code));
    }
    Ok(read_files
        .into_iter()
        .filter(|(file, _)| {
            with_tests
                || !test_paths
                    .iter()
                    .any(|test| file.with_extension("") == *test || file.starts_with(test))
        })
        .map(|(file, code)| Source {
            path: file
                .strip_prefix(root)
                .unwrap_or(&file)
                .to_string_lossy()
                .into_owned(),
            code,
        })
        .collect())
}

/// Where the files of the modules a file declares live: beside a `lib.rs`, `main.rs` or
/// `mod.rs`, else in the folder named after the file.
fn children_dir(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(file);
    match file.file_stem().and_then(|stem| stem.to_str()) {
        Some("lib" | "main" | "mod") | None => parent.to_path_buf(),
        Some(stem) => parent.join(stem),
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `source` with its comments and the contents of its string and character literals
/// blanked; newlines are kept, so what is left has the same lines, and is code.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while let Some(c) = at(i) {
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        if c == '/' && at(i + 1) == Some('/') {
            while let Some(c) = at(i).filter(|c| *c != '\n') {
                blank(&mut out, c);
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while let Some(c) = at(i) {
                if c == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i).filter(|_| starts_word) {
            // `r#"…"#`, `br"…"`: ends at a quote followed by as many `#`.
            let end = (i..chars.len())
                .skip_while(|&j| chars[j] != '"')
                .skip(1)
                .find(|&j| chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == Some('#')))
                .map_or(chars.len(), |j| j + hashes + 1);
            chars[i..end].iter().for_each(|c| blank(&mut out, *c));
            i = end;
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while let Some(c) = at(i) {
                blank(&mut out, c);
                i += 1;
                if c == '\\' {
                    if let Some(c) = at(i) {
                        blank(&mut out, c);
                        i += 1;
                    }
                } else if c == '"' {
                    break;
                }
            }
        } else if c == '\'' && (at(i + 1) == Some('\\') || at(i + 2) == Some('\'')) {
            // A character literal; a lifetime or a label (`'a`) is code.
            let from = if at(i + 1) == Some('\\') {
                i + 3
            } else {
                i + 2
            };
            let end = (from..chars.len())
                .find(|&j| chars[j] == '\'')
                .map_or(chars.len(), |j| j + 1);
            chars[i..end].iter().for_each(|c| blank(&mut out, *c));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The number of `#` of a raw string literal that starts at `i` (`r"`, `r#"`, `br"`,
/// `cr"`), if one does.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// `code` (from [`code_only`]) with each `#[cfg(test)]` item blanked, and the names of
/// the modules declared `#[cfg(test)] mod name;`, whose files are test code.
fn without_tests(code: &str) -> (String, Vec<String>) {
    const CFG_TEST: &str = "#[cfg(test)]";
    let mut chars: Vec<char> = code.chars().collect();
    let mut test_modules = Vec::new();
    let mut from = 0;
    while let Some(start) = find(&chars, CFG_TEST, from) {
        let mut i = start + CFG_TEST.len();
        // Further attributes of the same item.
        loop {
            i = skip_space(&chars, i);
            if chars.get(i) == Some(&'#') && chars.get(i + 1) == Some(&'[') {
                i = matching(&chars, i + 1).map_or(chars.len(), |end| end + 1);
            } else {
                break;
            }
        }
        let item = i;
        // The item ends at its first `;` or at the `}` matching its first `{`, outside
        // parentheses and brackets.
        let mut depth = 0usize;
        let mut end = chars.len();
        while i < chars.len() {
            match chars[i] {
                '(' | '[' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                ';' if depth == 0 => {
                    end = i + 1;
                    let words = words(&chars[item..i]);
                    if let [.., keyword, name] = words.as_slice()
                        && keyword == "mod"
                    {
                        test_modules.push(name.clone());
                    }
                    break;
                }
                '{' if depth == 0 => {
                    end = matching(&chars, i).map_or(chars.len(), |end| end + 1);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        for c in &mut chars[start..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        from = end;
    }
    (chars.into_iter().collect(), test_modules)
}

/// Where `needle` next occurs in `chars`, from `from`.
fn find(chars: &[char], needle: &str, from: usize) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    (from..chars.len()).find(|&i| chars[i..].starts_with(&needle))
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// The index of the bracket closing the one at `open` (`(`, `[` or `{`).
fn matching(chars: &[char], open: usize) -> Option<usize> {
    let close = match chars.get(open)? {
        '(' => ')',
        '[' => ']',
        _ => '}',
    };
    let opening = chars[open];
    let mut depth = 0usize;
    for (i, c) in chars.iter().enumerate().skip(open) {
        if *c == opening {
            depth += 1;
        } else if *c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The identifiers of `chars`, in order.
fn words(chars: &[char]) -> Vec<String> {
    chars
        .split(|c| !is_ident(*c))
        .filter(|word| !word.is_empty())
        .map(|word| word.iter().collect())
        .collect()
}

/// The 1-based line of the character at `index`.
fn line_of(chars: &[char], index: usize) -> usize {
    1 + chars[..index].iter().filter(|c| **c == '\n').count()
}

// No import circle.

/// The modules a file names through `crate::`, with the line of the first mention:
/// `use crate::b`, `use crate::{b, c::d}`, nested groups, and paths such as
/// `crate::b::f()` anywhere in the code. Only the first segment counts, the crate's
/// top-level module; `self`, `*` and the crate root's own items are kept as named
/// and filtered out by the caller, which knows the modules.
fn crate_paths(code: &str) -> BTreeMap<String, usize> {
    let chars: Vec<char> = code.chars().collect();
    let mut named = BTreeMap::new();
    let mut from = 0;
    while let Some(start) = find(&chars, "crate", from) {
        from = start + "crate".len();
        let whole = (start == 0 || !is_ident(chars[start - 1]))
            && chars.get(from).is_none_or(|c| !is_ident(*c));
        if !whole {
            continue;
        }
        let mut i = skip_space(&chars, from);
        if chars.get(i) != Some(&':') || chars.get(i + 1) != Some(&':') {
            continue;
        }
        i = skip_space(&chars, i + 2);
        let line = line_of(&chars, start);
        let mut note = |name: String| {
            named.entry(name).or_insert(line);
        };
        if chars.get(i) == Some(&'{') {
            let end = matching(&chars, i).unwrap_or(chars.len());
            // The first word of each element of the group, at its own depth.
            let mut depth = 0usize;
            let mut element_start = true;
            for j in i + 1..end {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => element_start = true,
                    c if element_start && depth == 0 && is_ident(c) => {
                        let word: String =
                            chars[j..end].iter().take_while(|c| is_ident(**c)).collect();
                        note(word);
                        element_start = false;
                    }
                    c if c.is_whitespace() => {}
                    _ if depth == 0 => element_start = false,
                    _ => {}
                }
            }
        } else {
            let word: String = chars[i..].iter().take_while(|c| is_ident(**c)).collect();
            if !word.is_empty() {
                note(word);
            }
        }
    }
    named
}

/// The module graph of one crate: for each top-level module, the others it names, each
/// with where it first does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The top-level module of a file of `src/` (`src/x.rs` and `src/x/…` are `x`), `None`
/// for the crate root (`lib.rs`, `main.rs`) and what is not a module (`src/bin/`).
fn module_of(relative: &Path) -> Option<String> {
    let mut components = relative.components();
    let first = components.next()?.as_os_str().to_str()?;
    match (first, components.next()) {
        ("bin", Some(_)) => None,
        (_, Some(_)) => Some(first.to_owned()),
        ("lib.rs" | "main.rs", None) => None,
        (file, None) => Some(file.strip_suffix(".rs")?.to_owned()),
    }
}

/// The module graph of the crate in `dir`, test code included.
fn module_graph(root: &Path, dir: &Path) -> Result<Graph> {
    let src = dir.join("src");
    let files: Vec<(String, String)> = sources(root, &src, true)?
        .into_iter()
        .map(|source| (source.path, source.code))
        .collect();
    let prefix = src.strip_prefix(root).unwrap_or(&src).to_path_buf();
    let modules = files.iter().map(|(path, code)| {
        (
            module_of(
                Path::new(path)
                    .strip_prefix(&prefix)
                    .unwrap_or(Path::new(path)),
            ),
            path,
            code,
        )
    });
    Ok(graph_of(modules))
}

/// The items the crate root re-exports from its modules (`pub use error::{Error,
/// ErrorKind};`, `pub use wait::WaitFlow as Flow;`), each with the module it comes from,
/// so that a module naming `crate::Error` uses `error`.
fn root_reexports(code: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    let mut from = 0;
    while let Some(start) = code[from..].find("use ").map(|at| from + at) {
        from = start + "use ".len();
        let whole = start == 0 || !code[..start].ends_with(|c: char| is_ident(c) || c == ':');
        let Some(end) = code[from..].find(';').map(|at| from + at) else {
            break;
        };
        if !whole {
            continue;
        }
        let path = code[from..end].trim();
        let path = path.strip_prefix("crate::").unwrap_or(path).trim_start();
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        if !modules.contains(module.trim()) {
            continue;
        }
        // The names the statement brings in: the last segment of each element, or
        // its alias.
        for element in rest.split(['{', '}', ',']) {
            let element = element.trim();
            let name = match element.split_once(" as ") {
                Some((_, alias)) => alias.trim(),
                None => element.rsplit("::").next().unwrap_or("").trim(),
            };
            if !name.is_empty() && name != "self" && name != "*" {
                items.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    items
}

/// The graph of files given as (their module, their path, their code): an edge from a
/// module to every other module it names, directly or through an item the root
/// re-exports from it; the root's own mentions make no edge.
fn graph_of<'a>(
    files: impl Iterator<Item = (Option<String>, &'a String, &'a String)> + Clone,
) -> Graph {
    let modules: BTreeSet<String> = files.clone().filter_map(|(module, _, _)| module).collect();
    let reexported: BTreeMap<String, String> = files
        .clone()
        .filter(|(module, _, _)| module.is_none())
        .flat_map(|(_, _, code)| root_reexports(code, &modules))
        .collect();
    let mut graph: Graph = modules
        .iter()
        .map(|module| (module.clone(), BTreeMap::new()))
        .collect();
    for (module, path, code) in files {
        let Some(module) = module else { continue };
        for (named, line) in crate_paths(code) {
            let named = match reexported.get(&named) {
                Some(from) if !modules.contains(&named) => from.clone(),
                _ => named,
            };
            if named != module && modules.contains(&named) {
                let edges = graph.entry(module.clone()).or_default();
                edges
                    .entry(named)
                    .or_insert_with(|| format!("{path}:{line}"));
            }
        }
    }
    graph
}

/// Every circle of the graph: each set of modules that reach one another (a strongly
/// connected component of two or more), with one circle through them and every arrow
/// among them with where it comes from.
fn circles(graph: &Graph) -> Vec<String> {
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&String> = VecDeque::from([from]);
        while let Some(module) = queue.pop_front() {
            for next in graph.get(module).into_iter().flat_map(BTreeMap::keys) {
                if seen.insert(next.clone()) {
                    queue.push_back(next);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|module| (module, reach(module))).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for module in graph.keys() {
        if done.contains(module) || !reaches[module].contains(module) {
            continue;
        }
        let members: BTreeSet<String> = reaches[module]
            .iter()
            .filter(|other| reaches[*other].contains(module))
            .cloned()
            .collect();
        done.extend(members.iter().cloned());
        let circle = shortest_circle(graph, module, &members);
        let arrows: Vec<String> = members
            .iter()
            .flat_map(|from| {
                graph[from]
                    .iter()
                    .filter(|(to, _)| members.contains(*to))
                    .map(move |(to, at)| format!("{from} → {to} ({at})"))
            })
            .collect();
        found.push(format!(
            "{}: {} (arrows: {})",
            members.iter().cloned().collect::<Vec<_>>().join(", "),
            circle.join(" → "),
            arrows.join(", ")
        ));
    }
    found
}

/// The shortest path from `start` back to itself within `members`, as module names
/// (`start` first and last).
fn shortest_circle(graph: &Graph, start: &String, members: &BTreeSet<String>) -> Vec<String> {
    let mut previous: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue: VecDeque<&String> = VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for next in graph[module].keys().filter(|next| members.contains(*next)) {
            if next == start {
                let mut path = vec![start.clone()];
                let mut at = module;
                while at != start {
                    path.push(at.clone());
                    at = previous[at];
                }
                path.push(start.clone());
                path.reverse();
                return path;
            }
            if !previous.contains_key(next) {
                previous.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    vec![start.clone()]
}

/// The import circles of every crate's `src/`, each as a sentence.
fn import_circles(root: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for krate in crates(root)? {
        let graph = module_graph(root, &krate.dir)?;
        found.extend(circles(&graph).into_iter().map(|circle| {
            format!(
                "{}: modules import each other in a circle: {circle}",
                krate.name
            )
        }));
    }
    Ok(found)
}

// Only pc-cli reads the environment or the terminal.

/// Each line of a library's non-test code that reads the environment or the terminal,
/// past the one exception.
fn environment_readers(root: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for library in LIBRARIES {
        let src = root.join("crates").join(library).join("src");
        for source in sources(root, &src, false)? {
            for (line, needles) in mentions(&source.code, ENVIRONMENT_READERS) {
                let needles: Vec<&str> = needles
                    .into_iter()
                    .filter(|needle| {
                        !ENVIRONMENT_EXCEPTIONS
                            .iter()
                            .any(|(file, allowed)| *file == source.path && allowed.contains(needle))
                    })
                    .collect();
                if !needles.is_empty() {
                    found.push(format!(
                        "{}:{line}: a library reads the environment or the terminal ({}); \
                         only pc-cli does, the libraries take values",
                        source.path,
                        needles
                            .iter()
                            .map(|needle| format!("`{needle}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    Ok(found)
}

/// The lines of `code` where any of `needles` starts a word, with the needles found.
fn mentions<'a>(code: &str, needles: &[&'a str]) -> Vec<(usize, Vec<&'a str>)> {
    code.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let found: Vec<&str> = needles
                .iter()
                .copied()
                .filter(|needle| {
                    line.match_indices(needle).any(|(at, _)| {
                        line[..at].chars().next_back().is_none_or(|c| !is_ident(c))
                            && (needle.ends_with(|c: char| !is_ident(c))
                                || line[at + needle.len()..]
                                    .chars()
                                    .next()
                                    .is_none_or(|c| !is_ident(c)))
                    })
                })
                .collect();
            (!found.is_empty()).then_some((index + 1, found))
        })
        .collect()
}

// tokio runs in `pc` only for `pc demo` and `pc sim`.

/// Each line of pc-cli's `src/`, outside `demo.rs` and `sim.rs`, that names tokio or the
/// simulator, tests included.
fn tokio_outside_the_simulator(root: &Path) -> Result<Vec<String>> {
    let src = root.join("crates/pc-cli/src");
    let allowed: Vec<PathBuf> = SIMULATOR_FILES.iter().map(|file| src.join(file)).collect();
    let prefix = src.strip_prefix(root).unwrap_or(&src).to_path_buf();
    let mut found = Vec::new();
    for source in sources(root, &src, true)? {
        if allowed.iter().any(|file| root.join(&source.path) == *file) {
            continue;
        }
        for (line, names) in mentions(&source.code, &["tokio", "pc_sim"]) {
            found.push(format!(
                "{}:{line}: names {}; the API commands run on the blocking client, and tokio \
                 runs only for the simulator ({} in {})",
                source.path,
                names.join(", "),
                SIMULATOR_FILES.join(", "),
                prefix.display()
            ));
        }
    }
    Ok(found)
}

// pc-models does no I/O.

/// What does I/O: files, sockets, processes, the environment, the standard streams.
const IO: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "io::stdin",
    "io::stdout",
    "io::stderr",
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
];

/// Each line of pc-models' non-test code that does I/O.
fn io_in_the_models(root: &Path) -> Result<Vec<String>> {
    let src = root.join("crates/pc-models/src");
    let mut found = Vec::new();
    for source in sources(root, &src, false)? {
        for (line, names) in mentions(&source.code, IO) {
            found.push(format!(
                "{}:{line}: pc-models does I/O ({}); it is pure data and knows no transport",
                source.path,
                names.join(", ")
            ));
        }
    }
    Ok(found)
}

// The clients hold no protocol logic, and each client method is written once.

/// pc-devices' client files: the macro that writes both clients, and the two files
/// that instantiate it.
const CLIENT_FILES: &[&str] = &["client.rs", "blocking.rs", "asynchronous.rs"];

/// What a protocol decision names: a status, a terminal status, a `Retry-After`, the
/// not-found grace, a delay of its own.
const DECISIONS: &[&str] = &[
    "StatusCode",
    "status()",
    "is_terminal",
    "retry_after",
    "not_found_grace",
    "Duration::from_secs",
    "Duration::from_millis",
    "NOT_FOUND",
];

/// What would write a client method outside the macro.
const CLIENT_IMPLS: &[&str] = &["impl DevicesClient", "impl AsyncDevicesClient"];

/// Each line of the client files' non-test code that makes a protocol decision, and
/// each method block of a client outside `client.rs`.
fn decisions_in_the_clients(root: &Path) -> Result<Vec<String>> {
    let src = root.join("crates/pc-devices/src");
    let mut found = Vec::new();
    for source in sources(root, &src, false)? {
        let Some(file) = CLIENT_FILES
            .iter()
            .find(|file| root.join(&source.path) == src.join(file))
        else {
            continue;
        };
        for (line, names) in mentions(&source.code, DECISIONS) {
            found.push(format!(
                "{}:{line}: a client makes a protocol decision ({}); it belongs in `ops/` or \
                 in a flow (`WaitFlow`, `UploadFlow`), which the clients only drive",
                source.path,
                names.join(", ")
            ));
        }
        if *file != "client.rs" {
            for (line, names) in mentions(&source.code, CLIENT_IMPLS) {
                found.push(format!(
                    "{}:{line}: a client method written outside client.rs ({}); each is \
                     written once, in `devices_client!`",
                    source.path,
                    names.join(", ")
                ));
            }
        }
    }
    Ok(found)
}

// No speed claim lives in a unit test: only pc-bench measures.

/// What measures speed.
const MEASURES: &[&str] = &["divan", "criterion", "black_box"];

/// Each line, outside pc-bench, of any crate's sources or tests that measures speed.
fn benchmarks_outside_the_bench(root: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for krate in crates(root)? {
        if krate.name == "pc-bench" {
            continue;
        }
        for folder in ["src", "tests", "benches"] {
            let dir = krate.dir.join(folder);
            if !dir.is_dir() {
                continue;
            }
            for source in sources(root, &dir, true)? {
                for (line, names) in mentions(&source.code, MEASURES) {
                    found.push(format!(
                        "{}:{line}: measures speed ({}); speed is measured only by pc-bench, \
                         as ratios to a baseline of the same run",
                        source.path,
                        names.join(", ")
                    ));
                }
            }
        }
    }
    Ok(found)
}

// The xtask installs nothing.

/// The words that would make a command install something, as the xtask would pass them.
const INSTALLS: &[&str] = &["\"install\"", "\"add\""];

/// Each line of the xtask (this file apart) that passes a command an `install` or an
/// `add`: where a tool is missing, the xtask says how to get it.
fn installs_in_the_xtask(root: &Path) -> Result<Vec<String>> {
    let src = root.join("xtask/src");
    let mut found = Vec::new();
    for file in rust_files(&src)? {
        if file.file_name().is_some_and(|name| name == "tidy.rs") {
            continue;
        }
        // Literals are what is looked for: only comments are left out.
        let text = read(&file)?;
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if INSTALLS.iter().any(|word| code.contains(word)) {
                found.push(format!(
                    "{}:{}: the xtask installs something; where a tool is missing it says \
                     how to get it",
                    file.strip_prefix(root).unwrap_or(&file).display(),
                    index + 1
                ));
            }
        }
    }
    Ok(found)
}

// docs/ARCHITECTURE.md's map names every source file.

/// Each source file of a crate's `src/` that docs/ARCHITECTURE.md does not name: by
/// its path in `src/`, from the workspace root, or its file name in backquotes, or through its folder
/// (`` `resources/` ``). A crate root and a folder's `mod.rs` need no mention.
fn files_the_map_does_not_name(root: &Path) -> Result<Vec<String>> {
    let map = read(&root.join("docs/ARCHITECTURE.md"))?;
    let mut found = Vec::new();
    for krate in crates(root)? {
        let src = krate.dir.join("src");
        for file in rust_files(&src)? {
            let relative = file.strip_prefix(&src).unwrap_or(&file);
            let name = relative
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            if matches!(name.as_str(), "lib.rs" | "main.rs" | "mod.rs") {
                continue;
            }
            let path = relative.to_string_lossy().replace('\\', "/");
            let folder = path
                .split_once('/')
                .map(|(folder, _)| format!("`{folder}/`"));
            let whole = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let named = map.contains(&format!("`{path}`"))
                || map.contains(&format!("`{whole}`"))
                || map.contains(&format!("`{name}`"))
                || folder.is_some_and(|folder| map.contains(&folder));
            if !named {
                found.push(format!(
                    "{}: docs/ARCHITECTURE.md's map does not name this file",
                    file.strip_prefix(root).unwrap_or(&file).display()
                ));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the modules one file names through `crate::`, in order.
    fn check_named(source: &str, expected: &[&str]) {
        let named = crate_paths(&code_only(source));
        assert_eq!(named.keys().collect::<Vec<_>>(), expected, "{source}");
    }

    #[test]
    fn uses_and_paths_name_their_first_module() {
        check_named("use crate::b::Thing;", &["b"]);
        check_named(
            "pub(crate) use crate::{b, c::d, e::{f, g}};",
            &["b", "c", "e"],
        );
        check_named(
            "use crate::{b::{c, d::{e, f}}, g as h, self, *};",
            &["b", "g", "self"],
        );
        check_named("use crate :: {\n    b,\n    c::{d, e},\n};", &["b", "c"]);
        check_named(
            "fn f() { let x = crate::b::make(); crate::c::D::new(x) }",
            &["b", "c"],
        );
        check_named("macro_rules! m { () => { $crate::b::f() } }", &["b"]);
    }

    #[test]
    fn comments_strings_and_visibility_name_nothing() {
        check_named(
            "// use crate::a;\n/* crate::b /* crate::c */ */ /// [`crate::d`]\n\
             pub(crate) fn f() -> &'static str { \"crate::e\" }\n\
             let r = r#\"crate::f\"#; let c = '\"'; let l: &'a str = \"x\"; my_crate::g();",
            &[],
        );
    }

    #[test]
    fn lines_are_kept() {
        let code = code_only("/* one\ntwo */ \"three\nfour\" let x = 1;\nuse crate::b;");
        assert_eq!(crate_paths(&code).get("b"), Some(&4));
    }

    #[test]
    fn test_items_are_blanked_and_test_modules_named() {
        let (code, modules) = without_tests(&code_only(
            "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n    fn f() { {} }\n}\n\
             #[cfg(test)]\n#[path = \"x.rs\"]\nmod more;\n#[cfg(test)] fn g(x: [u8; 2]) { crate::c::h() }\nuse crate::d;",
        ));
        assert_eq!(crate_paths(&code).keys().collect::<Vec<_>>(), ["a", "d"]);
        assert_eq!(modules, ["more"]);
        assert_eq!(code.lines().count(), 11);
    }

    /// The circles of a crate made of `files` (path in `src/`, source).
    fn circles_of(files: &[(&str, &str)]) -> Vec<String> {
        let files: Vec<(Option<String>, String, String)> = files
            .iter()
            .map(|(path, source)| {
                (
                    module_of(Path::new(path)),
                    format!("src/{path}"),
                    code_only(source),
                )
            })
            .collect();
        circles(&graph_of(
            files
                .iter()
                .map(|(module, path, code)| (module.clone(), path, code)),
        ))
    }

    #[test]
    fn an_item_the_root_reexports_is_a_use_of_its_module() {
        let found = circles_of(&[
            (
                "lib.rs",
                "mod error; mod upload;\npub use error::{Error, ErrorKind as Kind};\n\
                 pub use crate::upload::{self, plan::Plan};\npub use pc_http as http;",
            ),
            ("error.rs", "use crate::Plan;"),
            ("upload/mod.rs", "fn f() -> crate::Kind { todo() }"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("error") && found[0].contains("upload"),
            "{found:?}"
        );
        // An external crate re-exported makes no edge, nor does the root's own use.
        assert!(
            circles_of(&[
                ("lib.rs", "mod a; mod b; pub use a::A; use crate::b::B;"),
                ("a.rs", "use crate::http;"),
                ("b.rs", "use crate::A;"),
            ])
            .is_empty()
        );
    }

    #[test]
    fn a_circle_of_three_is_found_with_its_arrows() {
        let found = circles_of(&[
            ("a.rs", "use crate::b;"),
            ("b/mod.rs", "mod x;"),
            ("b/x.rs", "fn f() { crate::c::g() }"),
            ("c.rs", "use crate::{a::A, d};"),
            ("d.rs", "use crate::e;"),
            ("e.rs", ""),
        ]);
        assert_eq!(
            found,
            [
                "a, b, c: a → b → c → a (arrows: a → b (src/a.rs:1), b → c (src/b/x.rs:1), c → a (src/c.rs:1))"
            ]
        );
    }

    #[test]
    fn the_root_and_a_module_itself_make_no_circle() {
        let found = circles_of(&[
            (
                "lib.rs",
                "mod a; mod b; pub use crate::a::A; pub use crate::b::B;",
            ),
            ("main.rs", "use crate::a;"),
            // `Error` is the root's own item; `B` comes from `b`, which names `a` only
            // through the root itself.
            ("a.rs", "use crate::{Error, B}; use crate::a::inner;"),
            ("b.rs", "use crate::{self as root, *};"),
            ("bin/tool.rs", "use crate::a; use crate::b;"),
        ]);
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn two_separate_circles_are_both_found() {
        let found = circles_of(&[
            ("a.rs", "use crate::b;"),
            ("b.rs", "use crate::a;"),
            ("c.rs", "use crate::d; use crate::a;"),
            ("d.rs", "use crate::c;"),
        ]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("a, b: a → b → a"), "{found:?}");
        assert!(found[1].starts_with("c, d: c → d → c"), "{found:?}");
    }

    #[test]
    fn readers_of_the_environment_are_found_as_words() {
        let code = code_only(
            "let a = std::env::var(\"X\");\nlet b = env::var_os(\"Y\");\n\
             use std::io::IsTerminal;\nlet s = details.is_terminal();\nlet c = my_env::var(1);\n\
             // std::env::var(\"Z\")\nlet d = std::io::stdin();",
        );
        let found = mentions(&code, ENVIRONMENT_READERS);
        assert_eq!(
            found,
            [
                (1, vec!["std::env::var", "env::var("]),
                (2, vec!["env::var_os("]),
                (3, vec!["IsTerminal"]),
                (7, vec!["io::stdin"]),
            ]
        );
        let code = code_only(
            "use tokio::runtime;\nlet x = not_tokio::f();\n#[tokio::test]\nlet s = \"tokio\";",
        );
        assert_eq!(
            mentions(&code, &["tokio", "pc_sim"]),
            [(1, vec!["tokio"]), (3, vec!["tokio"])]
        );
    }

    /// No crate's modules import each other in a circle, the crates being reorganised
    /// aside.
    #[test]
    fn no_crate_has_an_import_circle() {
        let found = import_circles(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    /// Only pc-cli reads the environment or the terminal; the libraries take values.
    #[test]
    fn only_pc_cli_reads_the_environment_or_the_terminal() {
        let found = environment_readers(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    /// tokio runs in `pc` only for `pc demo` and `pc sim`.
    #[test]
    fn only_pc_demo_and_pc_sim_name_tokio_or_the_simulator() {
        let found = tokio_outside_the_simulator(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn pc_models_does_no_io() {
        let found = io_in_the_models(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn the_clients_make_no_protocol_decision_and_write_each_method_once() {
        let found = decisions_in_the_clients(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
        // What the check looks for, in a client's code.
        let code = code_only(
            "if error.status() == Some(StatusCode::NOT_FOUND) { sleep(Duration::from_secs(1)) }",
        );
        assert_eq!(
            mentions(&code, DECISIONS)[0].1,
            ["StatusCode", "status()", "Duration::from_secs", "NOT_FOUND"]
        );
        assert_eq!(
            mentions(&code_only("impl DevicesClient {}"), CLIENT_IMPLS).len(),
            1
        );
    }

    #[test]
    fn only_pc_bench_measures_speed() {
        let found = benchmarks_outside_the_bench(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn the_xtask_installs_nothing() {
        let found = installs_in_the_xtask(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn the_architecture_map_names_every_file() {
        let found = files_the_map_does_not_name(&root()).unwrap();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }
}
