//! Compiling a spec into a plan (`compile`, `scratchkit::plan`): the checks each section's values get, a
//! module per section as `src/plan/` has them. Tests of one behaviour each, pinning what a wrong operator
//! or a deleted check would change (many were written for mutants that survived, see bench/RESULTS.md).

mod args;
mod copy;
mod image;
mod paths;
mod rootfs;
mod users;

use scratchkit::compile::compile;
use scratchkit::plan::PlanInputs;

pub(crate) const BUILDER: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

fn inputs(build_args: &[(&str, &str)]) -> PlanInputs {
    PlanInputs {
        build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..PlanInputs::default()
    }
}

fn errors(text: &str, build_args: &[(&str, &str)]) -> Vec<String> {
    match compile(text, "scratch.yaml", &inputs(build_args)) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics.errors().map(|d| d.message.clone()).collect(),
    }
}

/// Each diagnostic as (message, hint, line) for a spec that is expected to compile or not.
fn diagnostics(
    text: &str,
    build_args: &[(&str, &str)],
) -> Vec<(scratchkit::diag::Severity, String, String, Option<usize>)> {
    let inputs = PlanInputs {
        build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..PlanInputs::default()
    };
    let ds = match compile(text, "scratch.yaml", &inputs) {
        Ok(c) => c.warnings,
        Err(e) => e.diagnostics,
    };
    ds.items
        .iter()
        .map(|d| (d.severity, d.message.clone(), d.hint.clone().unwrap_or_default(), d.span.map(|s| s.line)))
        .collect()
}

fn plan(text: &str, build_args: &[(&str, &str)]) -> scratchkit::plan::Plan {
    let inputs = PlanInputs {
        build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..PlanInputs::default()
    };
    compile(text, "scratch.yaml", &inputs).unwrap_or_else(|e| panic!("{}", e.rendered)).plan
}
