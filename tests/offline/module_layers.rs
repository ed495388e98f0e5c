//! The modules depend one way (src/lib.rs): a newcomer can read the pipeline bottom up. Each top-level
//! module may name only the modules listed for it; doc comments are not dependencies.

use std::collections::BTreeSet;
use std::path::Path;

/// Module → the crate modules it may use. `frontend` is the top: nothing else may use it.
const ALLOWED: &[(&str, &[&str])] = &[
    ("rules", &[]),
    ("diag", &["rules"]),
    ("platform", &[]),
    ("proto", &[]),
    ("reference", &[]),
    ("init", &["reference"]),
    ("spec", &["diag", "rules"]),
    ("plan", &["diag", "platform", "reference", "rules", "spec"]),
    ("compile", &["diag", "plan", "rules", "spec"]),
    ("llb", &["platform", "proto"]),
    ("lower", &["diag", "llb", "plan", "platform", "proto", "reference"]),
    ("verify", &["diag", "plan", "platform", "rules"]),
    ("doctor", &["diag", "init", "plan", "platform", "reference", "verify"]),
    ("gateway", &["llb", "platform", "proto"]),
    ("analysis", &["compile", "diag", "plan", "platform", "rules", "verify"]),
    (
        "frontend",
        &[
            "analysis",
            "compile",
            "diag",
            "gateway",
            "llb",
            "lower",
            "plan",
            "platform",
            "proto",
            "reference",
            "rules",
            "spec",
            "verify",
        ],
    ),
];

/// The crate modules a file's code (not its comments) names as `crate::NAME`.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    crate::support::rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if matches!(top.as_str(), "lib" | "main") {
            continue;
        }
        seen.insert(top.clone());
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == top) else {
            problems.push(format!("src/{} is in no layer: add `{top}` to ALLOWED", relative.display()));
            continue;
        };
        for used in used_modules(&std::fs::read_to_string(&file).unwrap()) {
            if used != top && !allowed.contains(&used.as_str()) {
                problems.push(format!("src/{} (module `{top}`) uses `crate::{used}`", relative.display()));
            }
        }
    }
    assert!(problems.is_empty(), "imports against the layering:\n{}", problems.join("\n"));
    // The table must not go stale: every module it names exists.
    for (module, _) in ALLOWED {
        assert!(seen.contains(*module), "ALLOWED names `{module}`, which has no file under src/");
    }
}

#[test]
fn the_scanner_sees_uses_and_ignores_comments() {
    let text = "use crate::gateway::Gateway;\n//! see [`crate::frontend`]\nlet x = crate::llb::State::scratch(); // crate::verify\n";
    assert_eq!(used_modules(text), BTreeSet::from(["gateway".to_string(), "llb".to_string()]));
}

/// BuildKit's frontend options are read in one place: `gateway::Request` parses them, with every key in
/// `src/gateway/keys.rs`. No other code that sees the options (the gateway, the frontend, `main`) spells an
/// option key, key prefix or option variable; lower layers cannot import the gateway at all.
#[test]
fn frontend_options_are_read_only_by_the_request_type() {
    const KEYS: &[&str] = &[
        "filename",
        "dockerfilekey",
        "contextkey",
        "target",
        "platform",
        "image-resolve-mode",
        "multi-platform",
        "no-cache",
        "cache-from",
        "cache-imports",
        "requestid",
    ];
    const PREFIXES: &[&str] = &[
        "build-arg:",
        "label:",
        "context:",
        "local-sessionid:",
        "attest:",
        "BUILDKIT_FRONTEND_OPT_",
        "BUILDKIT_SESSION_ID",
        "BUILDKIT_MULTI_PLATFORM",
        "BUILDKIT_ATTEST_",
        "BUILDKIT_SBOM_SCAN_",
        "SCRATCHKIT_ALLOW_OLD_BUILDKIT",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("src/main.rs")];
    crate::support::rust_files(&root.join("src/gateway"), &mut files);
    crate::support::rust_files(&root.join("src/frontend"), &mut files);
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("gateway/keys.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")) {
            for (literal, after) in string_literals(line) {
                let is_key = KEYS.contains(&literal) && !after.trim_start().starts_with(':'); // not a JSON key
                if is_key || PREFIXES.iter().any(|p| literal.starts_with(p)) {
                    found.push(format!("{}:{}: {}", file.strip_prefix(root).unwrap().display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "option keys read outside gateway::Request (use gateway::keys):\n{}", found.join("\n"));
}

/// The contents of each `"…"` literal on a line, with the text after it (no escapes in the keys looked for).
fn string_literals(line: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let Some(len) = rest[start + 1..].find('"') else { break };
        let end = start + 1 + len;
        out.push((&rest[start + 1..end], &rest[end + 1..]));
        rest = &rest[end + 1..];
    }
    out
}
