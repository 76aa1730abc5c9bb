//! The documentation holds together: the README stays short, every link between the documents lands on a file
//! and a heading that exist, and every `docs/...` path a message, a hint or `init`'s template cites exists.
//! Moving or renaming a section fails here, not in front of a user.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`.
fn slug(title: &str) -> String {
    title
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            out.insert(slug(&line[hashes..]));
        }
    }
    out
}

/// The documents: the root's Markdown files, docs/, examples/ and benches/.
fn documents() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        root(),
        root().join("docs"),
        root().join("examples/multi-env"),
        root().join("benches"),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Whether `target` (a path relative to `from`'s folder, with an optional `#anchor`) exists.
fn resolves(from: &Path, target: &str) -> Result<(), String> {
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap().join(path)
    };
    if !file.exists() {
        return Err(format!("no file {}", file.display()));
    }
    if !anchor.is_empty() && file.extension().is_some_and(|e| e == "md") && !anchors(&file).contains(anchor) {
        return Err(format!("no heading #{anchor} in {}", file.display()));
    }
    Ok(())
}

#[test]
fn the_readme_is_read_in_five_minutes() {
    let lines = std::fs::read_to_string(root().join("README.md")).unwrap().lines().count();
    assert!(lines <= 300, "README.md has {lines} lines; the guides under docs/ take the rest");
}

#[test]
fn every_link_between_the_documents_lands() {
    let mut broken = Vec::new();
    let mut links = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (i, _) in line.match_indices("](") {
                let rest = &line[i + 2..];
                let Some(end) = rest.find(')') else { continue };
                let target = &rest[..end];
                if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
                    continue;
                }
                links += 1;
                if let Err(e) = resolves(&doc, target) {
                    broken.push(format!("{}:{}: ({target}): {e}", doc.display(), n + 1));
                }
            }
        }
    }
    assert!(links > 50, "only {links} links read: is the scan still finding them?");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_doc_path_a_message_cites_exists() {
    let mut cited = 0;
    let mut anchored = 0;
    let mut missing = Vec::new();
    let mut files = Vec::new();
    let mut dirs = vec![root().join("src"), root().join("crates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, _) in text.match_indices("docs/") {
            let rest = &text[i..];
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "/-_.#".contains(c)))
                .unwrap_or(rest.len());
            let target = rest[..len].trim_end_matches('.');
            if !target.contains(".md") {
                continue;
            }
            cited += 1;
            anchored += usize::from(target.contains('#'));
            if let Err(e) = resolves(&root().join("README.md"), target) {
                missing.push(format!("{}: {target}: {e}", file.display()));
            }
        }
    }
    assert!(cited >= 8, "only {cited} citations found");
    // Hints cite the section that answers them (`docs/rotation.md#timing`), and a renamed heading fails here.
    assert!(anchored >= 6, "only {anchored} citations name a section");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_anchor_rule_is_githubs() {
    assert_eq!(slug("Issuer behind CloudFront"), "issuer-behind-cloudfront");
    assert_eq!(slug("What happens when things go wrong"), "what-happens-when-things-go-wrong");
    assert_eq!(slug("plan --json, and exit codes"), "plan---json-and-exit-codes");
    assert_eq!(slug("The API's own domain"), "the-apis-own-domain");
    assert_eq!(slug("`key_store: kms`"), "key_store-kms");
}
