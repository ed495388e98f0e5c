//! Test layer 5: the whole frontend (`frontend::run`) against the in-memory gateway of
//! `support::fake_gateway`, one module per concern. No daemon needed.

mod build_context;
mod builder_checks;
mod caching;
mod data_files;
mod errors;
mod flow;
mod image_check;
mod libraries;
mod named_contexts;
mod old_buildkit;
mod package_metadata;
mod probe;
mod request_options;
mod sbom;
mod source_map;
mod subrequests;

fn fixture(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The build arg that makes the frontend build on a BuildKit without MergeOp.
const ALLOW_OLD: (&str, &str) = ("build-arg:SCRATCHKIT_ALLOW_OLD_BUILDKIT", "true");

/// Whether the rendered diagnostics report the rule `rule` in a message that names `value`.
fn reports(rendered: &str, rule: &scratchkit::rules::Rule, value: &str) -> bool {
    let label = |severity: &str| format!("{severity}[{}]: ", rule.code);
    rendered.lines().any(|l| (l.starts_with(&label("error")) || l.starts_with(&label("warning"))) && l.contains(value))
}
