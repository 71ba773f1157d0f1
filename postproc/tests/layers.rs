//! The module layout holds its rules: no module of the workspace's crates imports, directly or
//! through others, a module that imports it, and the CLI's layers import only downwards
//! (commands → render → run → model → vocab; see `src/lib.rs`).
//!
//! A module is a source file (`a/mod.rs` is `a`); what it imports is every `crate::…`,
//! `super::…` and `child::…` path in its code, comments left out, its inline test module
//! included.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The CLI's layers, top first.
const CLI_LAYERS: [&str; 5] = ["commands", "render", "run", "model", "vocab"];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn source_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// `src/a/b.rs` → `a::b`, `src/a/mod.rs` → `a`, `src/lib.rs` → `` (the crate root).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}::{child}")
    }
}

fn parent(module: &str) -> String {
    module
        .rsplit_once("::")
        .map_or("", |(parent, _)| parent)
        .to_owned()
}

/// The identifiers of the path that starts at `text` (`a::b::{c, d}` gives `a`, `b`).
fn path_words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        words.push(&rest[..end]);
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    words
}

/// The deepest known module that `words` (a path from `base`) names.
fn resolve(modules: &BTreeSet<String>, base: &str, words: &[&str]) -> Option<String> {
    let mut found = None;
    let mut module = base.to_owned();
    for word in words {
        module = join(&module, word);
        if modules.contains(&module) {
            found = Some(module.clone());
        } else {
            break;
        }
    }
    found
}

/// Whether `word` starts at `at` in `line` (not inside a longer identifier or path).
fn starts_word(line: &str, at: usize) -> bool {
    !matches!(line[..at].chars().next_back(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn imports_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    source_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|file| module_of(src, file)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let module = module_of(src, file);
        let children: Vec<String> = modules
            .iter()
            .filter(|other| !other.is_empty() && parent(other) == module && **other != module)
            .map(|other| other.rsplit("::").next().unwrap().to_owned())
            .collect();
        let mut in_inline_module = false;
        let edges = graph.entry(module.clone()).or_default();
        for line in fs::read_to_string(file).unwrap().lines() {
            let code = line.split("//").next().unwrap();
            if code.trim_start().starts_with("mod ") && code.trim_end().ends_with('{')
                || code.contains(" mod tests {")
            {
                in_inline_module = true;
            }
            let mut add = |base: &str, text: &str| {
                if let Some(target) = resolve(&modules, base, &path_words(text)) {
                    if target != module {
                        edges.insert(target);
                    }
                }
            };
            for (at, _) in code.match_indices("crate::") {
                if starts_word(code, at) {
                    add("", &code[at + "crate::".len()..]);
                }
            }
            for (at, _) in code.match_indices("super::") {
                if starts_word(code, at) {
                    // In an inline module, `super` is the file's module.
                    let base = if in_inline_module {
                        module.clone()
                    } else {
                        parent(&module)
                    };
                    add(&base, &code[at + "super::".len()..]);
                }
            }
            for child in &children {
                let needle = format!("{child}::");
                for (at, _) in code.match_indices(&needle) {
                    if starts_word(code, at) && !code.trim_start().starts_with("mod ") {
                        add(&module, &code[at..]);
                    }
                }
            }
        }
    }
    graph
}

/// One cycle of `graph`, if it has any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        module: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(graph, next, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(graph, module, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_cycle() {
    let root = workspace();
    for src in ["postproc/src", "plugin/src", "plugin/core/src", "tests/src"] {
        let graph = imports_graph(&root.join(src));
        assert!(
            graph.len() > 1 || src == "tests/src",
            "{src}: no modules found"
        );
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{src}: import cycle {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cli_layers_import_only_downwards() {
    let graph = imports_graph(&workspace().join("postproc/src"));
    let layer = |module: &str| {
        let top = module.split("::").next().unwrap();
        CLI_LAYERS.iter().position(|layer| *layer == top)
    };
    let mut upward = Vec::new();
    for (module, targets) in &graph {
        let Some(from) = layer(module) else { continue };
        for target in targets {
            if layer(target).is_some_and(|to| to < from) {
                upward.push(format!("{module} → {target}"));
            }
        }
    }
    assert!(upward.is_empty(), "imports against the layers: {upward:#?}");
    for top in CLI_LAYERS {
        assert!(graph.contains_key(top), "no layer module {top}");
    }
}

#[test]
fn the_checker_sees_cycles_and_layers() {
    let graph: Graph = [
        ("model::fold", vec!["model::ladder"]),
        ("model::ladder", vec!["model::fold"]),
    ]
    .into_iter()
    .map(|(module, targets)| {
        (
            module.to_owned(),
            targets.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect();
    assert!(find_cycle(&graph).is_some());
    assert_eq!(path_words("model::row::{Row, Endpoint}"), ["model", "row"]);
    let modules: BTreeSet<String> = ["model", "model::row"].map(str::to_owned).into();
    assert_eq!(
        resolve(&modules, "", &path_words("model::row::Row")).as_deref(),
        Some("model::row")
    );
}
