//! The layout stays one-way: this test reads every file of `src/`, finds what it imports from the
//! rest of the crate (`use crate::…`, `use super::…`, `crate::…`/`super::…`/`self::…` paths in
//! code, `use child::…` of its own child modules), and fails on
//! 1. a file-level import cycle (file A uses B and B, directly or through others, uses A);
//! 2. an import between top-level folders that `ARCHITECTURE.md`'s layering table does not allow;
//! 3. a folder of `src/` that the table does not name.
//!
//! It also keeps the sizes a reader can take in: no file of `src/` over 700 lines before its
//! `#[cfg(test)]` module, no function over 80 lines (first to last line).
//!
//! `#[cfg(test)]` code is not part of the layout (each file is read up to its first
//! `#[cfg(test)]`); `mod x;` declarations are not imports (a parent owns its children), but a
//! parent's `pub use child::X` is. `src/bin/` is its own crate: `drat::…` there means the library.
//!
//! Run `cargo test --test layering -- --nocapture` to see the graph it checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from a crate root (`["sim", "world"]`) and the file that holds it.
type ModPath = Vec<String>;

struct Crate {
    /// Every module that has a file of its own, by path.
    files: BTreeMap<ModPath, PathBuf>,
    /// Code of each file (comments, strings and `#[cfg(test)]` parts removed).
    code: BTreeMap<ModPath, String>,
}

fn strip(src: &str) -> String {
    let cut = src.find("#[cfg(test)]").map_or(src, |i| &src[..i]);
    let b = cut.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                newline_kept(b[i], &mut out);
                i += 1;
            }
            i += 2;
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !is_ident(b[i - 1]))
        {
            // raw string r"…", r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                newline_kept(b[j], &mut out);
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                newline_kept(b[i.min(b.len() - 1)], &mut out);
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // char literal 'x' (lifetimes have no closing quote two bytes on)
            out.push_str("' '");
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            let mut j = i + 2;
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            let ch = cut[i..].chars().next().expect("index at a char boundary");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Keeps the line count of what `strip` removes.
fn newline_kept(c: u8, out: &mut String) {
    if c == b'\n' {
        out.push('\n');
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `mod name;` declarations (not inline `mod name { … }`).
fn child_mods(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let t = line.trim();
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let t = t.strip_prefix("pub(crate) ").unwrap_or(t);
        if let Some(rest) = t.strip_prefix("mod ") {
            if let Some(name) = rest.strip_suffix(';') {
                out.push(name.trim().to_string());
            }
        }
    }
    out
}

fn load(root_file: &Path, root: ModPath, c: &mut Crate) {
    let text = std::fs::read_to_string(root_file)
        .unwrap_or_else(|e| panic!("{}: {e}", root_file.display()));
    let code = strip(&text);
    let dir = if root_file
        .file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs")
        || root.is_empty()
    {
        root_file
            .parent()
            .expect("a file has a parent")
            .to_path_buf()
    } else {
        root_file.with_extension("")
    };
    for child in child_mods(&code) {
        let (a, b) = (
            dir.join(format!("{child}.rs")),
            dir.join(&child).join("mod.rs"),
        );
        let file = if a.exists() {
            a
        } else if b.exists() {
            b
        } else {
            panic!("{}: mod {child}; has no file", root_file.display())
        };
        let mut p = root.clone();
        p.push(child);
        load(&file, p, c);
    }
    c.files.insert(root.clone(), root_file.to_path_buf());
    c.code.insert(root, code);
}

/// Expands a use tree at `s` (just after `prefix::`) into full paths.
fn expand(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let mut path: Vec<String> = prefix.to_vec();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'{' {
            i += 1;
            loop {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    return i + 1;
                }
                i += expand(&s[i..], &path, out);
            }
        }
        let start = i;
        while i < b.len() && (is_ident(b[i]) || b[i] == b'*') {
            i += 1;
        }
        if i > start {
            path.push(s[start..i].to_string());
        }
        let rest = &s[i..];
        let ws = rest.len() - rest.trim_start().len();
        if rest.trim_start().starts_with("::") {
            i += ws + 2;
            continue;
        }
        out.push(path);
        return i;
    }
}

/// The absolute module paths a file's code names.
fn references(
    module: &ModPath,
    code: &str,
    children: &[String],
    lib_name: Option<&str>,
) -> Vec<Vec<String>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_ident(b[i]) || (i > 0 && (is_ident(b[i - 1]) || b[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let word = &code[start..i];
        if !code[i..].starts_with("::") {
            continue;
        }
        let base: Option<Vec<String>> = match word {
            "crate" => Some(vec![]),
            "self" => Some(module.clone()),
            "super" => {
                let mut m = module.clone();
                let mut j = i;
                m.pop();
                while code[j..].starts_with("::super") {
                    m.pop();
                    j += 7;
                }
                i = j;
                Some(m)
            }
            w if Some(w) == lib_name => Some(vec!["<lib>".to_string()]),
            w if children.iter().any(|c| c == w) => {
                let mut m = module.clone();
                m.push(w.to_string());
                Some(m)
            }
            _ => None,
        };
        if let Some(base) = base {
            let mut paths = Vec::new();
            i += expand(&code[i + 2..], &base, &mut paths) + 2;
            out.extend(paths);
        }
    }
    out
}

/// The file a module path resolves to: its longest prefix that has a file.
fn resolve<'a>(c: &'a Crate, path: &[String]) -> Option<&'a ModPath> {
    (0..=path.len())
        .rev()
        .find_map(|n| c.files.get_key_value(&path[..n]).map(|(k, _)| k))
}

fn graph(c: &Crate, lib_name: Option<&str>) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mut g = BTreeMap::new();
    for (m, code) in &c.code {
        let children: Vec<String> = child_mods(code);
        let mut deps = BTreeSet::new();
        for p in references(m, code, &children, lib_name) {
            if p.first().is_some_and(|s| s == "<lib>") {
                continue;
            }
            if let Some(t) = resolve(c, &p) {
                if t != m {
                    deps.insert(t.clone());
                }
            }
        }
        g.insert(m.clone(), deps);
    }
    g
}

fn name(c: &Crate, m: &ModPath) -> String {
    c.files[m].display().to_string()
}

/// Every strongly connected component with more than one file.
fn cycles(g: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    // Tarjan, iteratively small enough to recurse: the crate has < 200 files.
    struct T<'a> {
        g: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a ModPath) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().expect("v is on the stack");
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on: BTreeSet::new(),
        out: vec![],
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// The layering table of ARCHITECTURE.md: rows `| `folder/` | job | `a`, `b` |`, the last
/// cell listing what the folder may import (`—` for nothing, `everything` for the binary).
fn allowed(arch: &str) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    let mut in_table = false;
    for line in arch.lines() {
        if line.starts_with("<!-- layering -->") {
            in_table = true;
            continue;
        }
        if line.starts_with("<!-- /layering -->") {
            break;
        }
        if !in_table || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let folder = cells[0]
            .trim_matches('`')
            .trim_end_matches('/')
            .trim_end_matches(".rs")
            .to_string();
        let may = cells.last().expect("a row has cells");
        let set = if may.contains("everything") {
            None
        } else {
            Some(
                may.split(',')
                    .map(|s| {
                        s.trim()
                            .trim_matches('`')
                            .trim_end_matches('/')
                            .trim_end_matches(".rs")
                            .to_string()
                    })
                    .filter(|s| !s.is_empty() && s != "—")
                    .collect(),
            )
        };
        out.insert(folder, set);
    }
    out
}

fn top(c: &Crate, m: &ModPath) -> String {
    // `src/sim/world.rs` → `sim`; `src/error.rs` → `error`; `src/lib.rs` → `lib`.
    let f = &c.files[m];
    let rel = f.strip_prefix("src").expect("under src");
    let first = rel
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .to_string();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn the_crate_has_no_file_level_import_cycle_and_follows_architecture_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("the manifest dir exists");
    let mut lib = Crate {
        files: BTreeMap::new(),
        code: BTreeMap::new(),
    };
    load(Path::new("src/lib.rs"), vec![], &mut lib);
    let mut bins = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir("src/bin")
        .map(|d| d.map(|e| e.expect("readable").path()).collect())
        .unwrap_or_default();
    entries.sort();
    for e in entries {
        let f = if e.is_dir() {
            e.join("main.rs")
        } else {
            e.clone()
        };
        if f.extension().is_some_and(|x| x == "rs") && f.exists() {
            let mut b = Crate {
                files: BTreeMap::new(),
                code: BTreeMap::new(),
            };
            load(&f, vec![], &mut b);
            bins.push(b);
        }
    }

    let arch =
        std::fs::read_to_string("ARCHITECTURE.md").expect("ARCHITECTURE.md at the repository root");
    let rules = allowed(&arch);
    let mut problems = Vec::new();

    let g = graph(&lib, None);
    let mut edges = 0;
    for (m, deps) in &g {
        edges += deps.len();
        let from = top(&lib, m);
        println!("{}", name(&lib, m));
        for d in deps {
            println!("    -> {}", name(&lib, d));
            let to = top(&lib, d);
            if from == to || from == "lib" {
                continue;
            }
            match rules.get(&from) {
                None => {}
                Some(None) => {}
                Some(Some(ok)) if ok.contains(&to) => {}
                Some(Some(_)) => problems.push(format!(
                    "{} imports {} (`{to}`), which ARCHITECTURE.md does not allow `{from}`",
                    name(&lib, m),
                    name(&lib, d)
                )),
            }
        }
    }
    let folders: BTreeSet<String> = lib
        .files
        .keys()
        .map(|m| top(&lib, m))
        .filter(|t| t != "lib")
        .collect();
    for f in &folders {
        if !rules.contains_key(f) {
            problems.push(format!(
                "src/{f} is not in ARCHITECTURE.md's layering table"
            ));
        }
    }
    if !bins.is_empty() && !rules.contains_key("bin") {
        problems.push("src/bin is not in ARCHITECTURE.md's layering table".into());
    }
    let mut n_cycles = 0;
    for comp in cycles(&g) {
        n_cycles += 1;
        problems.push(format!(
            "import cycle: {}",
            comp.iter()
                .map(|m| name(&lib, m))
                .collect::<Vec<_>>()
                .join(" ↔ ")
        ));
    }
    for b in &bins {
        let gb = graph(b, Some("drat"));
        for comp in cycles(&gb) {
            n_cycles += 1;
            problems.push(format!(
                "import cycle: {}",
                comp.iter()
                    .map(|m| name(b, m))
                    .collect::<Vec<_>>()
                    .join(" ↔ ")
            ));
        }
    }
    println!("layering: {} library files, {edges} file-level imports, {} folders, {n_cycles} file-level import cycles", lib.files.len(), folders.len());
    assert!(
        problems.is_empty(),
        "layering problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_reader_sees_use_trees_super_paths_and_cycles() {
    let mut out = Vec::new();
    expand("a::{b, c::{D, e::F}}, g", &[], &mut out);
    assert_eq!(
        out,
        vec![
            vec!["a", "b"],
            vec!["a", "c", "D"],
            vec!["a", "c", "e", "F"]
        ]
    );
    let code =
        strip("use super::x::Y; // crate::no\nfn f() { crate::z::w(); let s = \"crate::no\"; }");
    let refs = references(&vec!["m".into(), "n".into()], &code, &[], None);
    assert_eq!(refs, vec![vec!["m", "x", "Y"], vec!["z", "w"]]);
    let mut g: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    let p = |s: &str| vec![s.to_string()];
    g.insert(p("a"), [p("b")].into());
    g.insert(p("b"), [p("c")].into());
    g.insert(p("c"), [p("a")].into());
    g.insert(p("d"), [p("a")].into());
    let cs = cycles(&g);
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].len(), 3);
    g.get_mut(&p("c")).expect("c").clear();
    assert!(cycles(&g).is_empty());
}

/// Functions of `code` (stripped) longer than `max` lines: `(first line, name, lines)`.
fn long_functions(code: &str, max: usize) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(code.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let mut t = line.trim_start();
        for p in [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
        ] {
            t = t.strip_prefix(p).unwrap_or(t);
        }
        let Some(rest) = t.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The body starts at the first `{` outside the signature's parentheses and brackets
        // (`[T; N]` has a `;`); a `;` there first means no body (a trait method).
        let (mut paren, mut depth, mut end) = (0i32, 0i32, None);
        let bytes = code.as_bytes();
        let mut k = starts[n];
        while k < bytes.len() {
            match bytes[k] {
                b'(' | b'[' => paren += 1,
                b')' | b']' => paren -= 1,
                b';' if paren == 0 && depth == 0 => break,
                b'{' if paren == 0 => depth += 1,
                b'}' if paren == 0 => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(k);
                        break;
                    }
                }
                _ => {}
            }
            k += 1;
        }
        if let Some(e) = end {
            let last = code[..e].matches('\n').count();
            let len = last - n + 1;
            if len > max {
                out.push((n + 1, name, len));
            }
        }
    }
    out
}

#[test]
fn no_file_over_700_lines_and_no_function_over_80_in_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut stack = vec![root.join("src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("src is readable") {
            let p = e.expect("readable entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut problems = Vec::new();
    for f in &files {
        let code = strip(&std::fs::read_to_string(f).expect("a source file is readable"));
        let rel = f
            .strip_prefix(root)
            .expect("under the root")
            .display()
            .to_string();
        let n = code.lines().count();
        if n > 700 {
            problems.push(format!(
                "{rel}: {n} lines before #[cfg(test)] (at most 700)"
            ));
        }
        for (line, name, len) in long_functions(&code, 80) {
            problems.push(format!(
                "{rel}:{line}: fn {name} has {len} lines (at most 80)"
            ));
        }
    }
    println!("sizes: {} files of src/ checked", files.len());
    assert!(problems.is_empty(), "too large:\n{}", problems.join("\n"));
}

#[test]
fn the_size_check_measures_functions_from_signature_to_closing_brace() {
    let code = "fn a() {\n    x;\n}\npub(crate) fn b(v: [f32; 2]) -> f32 {\n    let s = \"}\";\n    v[0]\n}\ntrait T { fn c(&self); }\n";
    let code = strip(code);
    assert_eq!(
        long_functions(&code, 2),
        vec![(1, "a".into(), 3), (4, "b".into(), 4)]
    );
    assert!(long_functions(&code, 4).is_empty());
    // A block comment keeps its lines.
    assert_eq!(strip("/* a\nb */ x").lines().count(), 2);
}
