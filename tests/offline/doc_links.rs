//! Every relative link in the Markdown docs points at a file that exists, and a `#anchor` at a heading
//! of that file: the docs are split over many pages, and a moved page must not leave a dead link behind.
//! A link starting with `/` is from the repository root, as GitHub reads it. Links with a scheme
//! (`https://…`) are left alone: they need a network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files users and contributors read: those at the top level and under `docs/`, `bench/`
/// and `examples/`.
fn markdown_files() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    let mut dirs: Vec<PathBuf> = ["docs", "bench", "examples"].iter().map(|d| repo().join(d)).collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Whether a line opens (or, inside a block, closes) a fenced code block. A run of backticks followed by
/// more backticks on the line is inline code (``` `a` ```), not a fence.
fn is_fence(line: &str, fenced: bool) -> bool {
    let line = line.trim();
    let Some(rest) = line.strip_prefix("```") else { return false };
    let rest = rest.trim_start_matches('`');
    if fenced {
        rest.trim().is_empty()
    } else {
        !rest.contains('`')
    }
}

/// Lines outside fenced code blocks, as written; a fenced line becomes empty, so line numbers stay right.
fn unfenced_lines(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .map(|line| {
            if is_fence(line, fenced) {
                fenced = !fenced;
                ""
            } else if fenced {
                ""
            } else {
                line
            }
        })
        .collect()
}

/// A line with its inline code spans blanked: `` `[a](b)` `` is code, not a link. A span opens with a run
/// of backticks and closes at the next run of the same length.
fn without_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|c| **c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let open = run_at(i);
        let mut j = i + open;
        let close = loop {
            if j >= chars.len() {
                break None;
            }
            if chars[j] == '`' {
                let run = run_at(j);
                if run == open {
                    break Some(j + run);
                }
                j += run;
            } else {
                j += 1;
            }
        };
        // An unclosed run is literal backticks.
        let end = close.unwrap_or(i + open);
        out.extend(std::iter::repeat_n(' ', end - i));
        i = end;
    }
    out
}

fn prose_lines(text: &str) -> Vec<String> {
    unfenced_lines(text).into_iter().map(without_code_spans).collect()
}

/// The targets of the inline links (`[text](target)`) and reference definitions (`[id]: target`) of a
/// line.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = rest[..end].trim().trim_start_matches('<').trim_end_matches('>');
        // `(file.md "title")`: the target ends at the first space.
        targets.push(target.split_whitespace().next().unwrap_or_default().to_string());
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        if let Some(at) = trimmed.find("]: ") {
            targets.push(trimmed[at + 3..].split_whitespace().next().unwrap_or_default().to_string());
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, and everything but letters, digits, `-` and
/// `_` dropped; a repeated heading gets `-1`, `-2`, …
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in unfenced_lines(text) {
        let Some(heading) = line.strip_prefix('#') else { continue };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug = crate::support::github_slug(heading);
        let mut unique = slug.clone();
        let mut n = 0;
        while !seen.insert(unique.clone()) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
    }
    // Explicit anchors: `<a id="name"></a>` or `<a name="name">`.
    for attr in ["id=\"", "name=\""] {
        let mut rest = text;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            if let Some(end) = rest.find('"') {
                seen.insert(rest[..end].to_string());
            }
        }
    }
    seen
}

/// What is wrong with one link of `file`, if anything.
fn broken(file: &Path, target: &str) -> Option<String> {
    if target.is_empty() {
        return Some("an empty link".into());
    }
    // `https:`, `mailto:`: not ours to check.
    if target.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    }) {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let resolved = if path.is_empty() {
        file.to_path_buf()
    } else if let Some(from_root) = path.strip_prefix('/') {
        repo().join(from_root)
    } else {
        file.parent().unwrap().join(path)
    };
    if !resolved.exists() {
        return Some(format!(
            "`{target}`: there is no {}",
            resolved.strip_prefix(repo()).unwrap_or(&resolved).display()
        ));
    }
    let outside = resolved.canonicalize().ok().is_none_or(|r| !r.starts_with(repo().canonicalize().unwrap()));
    if outside {
        return Some(format!("`{target}` points outside the repository, which users do not have"));
    }
    match anchor {
        Some(anchor) if resolved.extension().is_some_and(|e| e == "md") => {
            let text = std::fs::read_to_string(&resolved).unwrap();
            let shown = resolved.strip_prefix(repo()).unwrap_or(&resolved).display().to_string();
            (!anchors(&text).contains(anchor))
                .then(|| format!("`{target}`: no heading of {shown} has the anchor `#{anchor}`"))
        }
        _ => None,
    }
}

fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, line) in prose_lines(text).iter().enumerate() {
        for target in link_targets(line) {
            if let Some(problem) = broken(file, &target) {
                problems.push(format!("{}:{}: {problem}", file.strip_prefix(repo()).unwrap_or(file).display(), n + 1));
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_in_the_docs_points_at_a_file_and_heading_that_exist() {
    let files = markdown_files();
    for expected in ["README.md", "ARCHITECTURE.md", "docs/spec.md", "bench/RESULTS.md"] {
        assert!(files.contains(&repo().join(expected)), "{expected} is not among the files checked");
    }
    let mut problems = Vec::new();
    for file in &files {
        problems.extend(broken_links(file, &std::fs::read_to_string(file).unwrap()));
    }
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn a_broken_link_is_found() {
    let readme = repo().join("README.md");
    let found = |text: &str| broken_links(&readme, text);
    assert_eq!(found("see [the spec](docs/spec.md#rootfs)."), Vec::<String>::new());
    assert!(found("[top](#scratchkit)").is_empty());
    assert!(found("see [gone](docs/no-such-page.md).").len() == 1);
    assert!(found("see [anchor](docs/spec.md#no-such-heading).").len() == 1);
    assert!(found("[up](../outside.md)").len() == 1);
    assert!(found("[rooted](/docs/spec.md#rootfs)").is_empty());
    assert!(found("[rooted](/docs/no-such-page.md)").len() == 1);
    assert!(found("[ref]: docs/missing.md").len() == 1);
    // Code is not prose, and other schemes are not ours.
    assert!(found("`[a](missing.md)`").is_empty());
    assert!(found("```\n[a](missing.md)\n```").is_empty());
    assert!(
        found("``` `[a](missing.md)` ``` and [b](missing.md)").len() == 1,
        "a triple-backtick span is inline code, not a fence"
    );
    assert!(found("[web](https://example.com/x.md)").is_empty());
}

#[test]
fn anchors_are_github_slugs() {
    let a =
        anchors("# `scratch.yaml` reference\n## `--call` and the CLI\n### Named contexts (`--build-context`)\n## Tests\n## Tests\n```\n# not a heading\n```\n");
    for want in ["scratchyaml-reference", "--call-and-the-cli", "named-contexts---build-context", "tests", "tests-1"] {
        assert!(a.contains(want), "{want} missing from {a:?}");
    }
    assert!(!a.contains("not-a-heading"));
}
