//! `scratchkit doctor IMAGE`: what is wrong with an image scratchkit did not build. It reads a
//! `docker save` archive or an OCI layout, or pulls an image from a registry ([`registry`]), without
//! running anything ([`archive`], [`layers`]), and checks
//! each platform's root filesystem with the final-image check of a build plus the pitfalls a spec's
//! `rootfs` prevents ([`checks`]).

pub mod archive;
pub mod checks;
pub mod layers;
pub mod registry;
pub mod spec;

use std::path::Path;

use serde::Serialize;

pub use checks::{Finding, Severity};
pub use layers::Limits;

/// The findings for one image of the input (one platform of an index).
#[derive(Debug, Serialize)]
pub struct Report {
    pub image: String,
    pub platform: String,
    pub findings: Vec<Finding>,
}

/// Reads the input at `path` and checks every image in it. An error means it could not be read.
pub fn doctor(path: &Path, limits: Limits) -> Result<Vec<Report>, String> {
    examine(&archive::Input::open(path)?, limits)
}

/// What the command line names: a file or directory when there is one at that path, else an image
/// reference in a registry.
pub fn open(image: &str, plain_http: bool) -> Result<archive::Input, String> {
    let path = Path::new(image);
    if path.exists() {
        return archive::Input::open(path);
    }
    archive::Input::pull(image, plain_http).map_err(|e| format!("{e} (there is no file `{image}` either)"))
}

/// Checks every image of `input`.
pub fn examine(input: &archive::Input, limits: Limits) -> Result<Vec<Report>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    for image in &input.images {
        let fs = input.rootfs(image, limits)?;
        let findings = runtime
            .block_on(checks::examine(&fs, &image.config, &image.platform))
            .map_err(|e| format!("{}: {e}", image.name))?;
        reports.push(Report { image: image.name.clone(), platform: image.platform.clone(), findings });
    }
    Ok(reports)
}

/// The reports as a table per image: severity, problem, what breaks, the key that fixes it.
pub fn render(reports: &[Report]) -> String {
    let mut out = String::new();
    for r in reports {
        if r.findings.is_empty() {
            out.push_str(&format!("{} ({}): no problems found\n", r.image, r.platform));
            continue;
        }
        let n = r.findings.len();
        out.push_str(&format!("{} ({}): {n} problem{}\n", r.image, r.platform, if n == 1 { "" } else { "s" }));
        let head = ["SEVERITY", "PROBLEM", "BREAKS AT RUNTIME", "FIX (scratch.yaml)"];
        let rows: Vec<[String; 4]> = r
            .findings
            .iter()
            .map(|f| {
                let severity = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                [severity.to_string(), f.problem.clone(), f.breaks.clone(), f.fix.to_string()]
            })
            .collect();
        let mut width = head.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 4]| {
            let padded: Vec<String> = cells.iter().zip(width).map(|(c, w)| format!("{c:w$}")).collect();
            format!("  {}\n", padded.join("  ").trim_end())
        };
        out.push_str(&line(head));
        for row in &rows {
            out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
        }
    }
    out
}
