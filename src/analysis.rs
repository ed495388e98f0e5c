//! The checks as BuildKit runs them (docs/dev/analysis-exec.md): the frontend writes a [`Request`], an
//! `ExecOp` of scratchkit's own binary runs `scratchkit analyze` over the builder's output or the image
//! mounted read-only ([`LocalFs`]), and the frontend reads back the [`Verdict`]. The request carries the
//! spec and the plan's inputs, not the plan: the analyzer compiles the same plan from them, and the
//! verdict's diagnostics point into the same spec.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compile::compile;
use crate::diag::{Diagnostics, Span};
use crate::plan::PackageMetadata;
use crate::plan::{AbsPath, PlanInputs};
use crate::platform::Platform;
use crate::verify::{self, context::FromContext, libraries::Root, local_fs::LocalFs};

/// What one exec is asked to check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    pub spec: String,
    pub filename: String,
    pub build_args: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    pub default_platform: Option<String>,
    pub target: Option<String>,
    /// The platform of the image this check is for.
    pub platform: String,
    pub check: Check,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "what")]
pub enum Check {
    /// The builder's output against the plan, with what the build context's files need from it (read by
    /// the frontend: the context is the client's, not in the exec).
    Builder { context_roots: Vec<Root>, iconv: Vec<(String, u16)> },
    /// The assembled image, with the paths not held against it besides the spec's `image.accept`.
    Image { accept: Vec<String> },
}

/// What the exec found.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    Builder {
        diagnostics: Diagnostics,
        libraries: Vec<String>,
        absent: Vec<String>,
        packages: PackageMetadata,
        /// Of [`verify::copy_reads`], the paths the builder has as regular files: the probe holds them as
        /// they are, so the image's copies take them from there.
        #[serde(default)]
        held: BTreeSet<String>,
    },
    Image {
        diagnostics: Diagnostics,
        entries: usize,
        elves: usize,
    },
    /// The check itself could not run (a file it must read could not be read, a request it cannot use).
    Failed {
        message: String,
    },
}

impl Request {
    pub fn new(spec: &str, filename: &str, inputs: &PlanInputs, platform: &Platform, check: Check) -> Self {
        Request {
            spec: spec.to_string(),
            filename: filename.to_string(),
            build_args: inputs.build_args.clone(),
            platforms: inputs.platforms.iter().map(ToString::to_string).collect(),
            default_platform: inputs.default_platform.as_ref().map(ToString::to_string),
            target: inputs.target.clone(),
            platform: platform.to_string(),
            check,
        }
    }

    fn inputs(&self) -> Result<PlanInputs, String> {
        Ok(PlanInputs {
            build_args: self.build_args.clone(),
            platforms: self.platforms.iter().map(|p| Platform::parse(p)).collect::<Result<_, _>>()?,
            default_platform: self.default_platform.as_deref().map(Platform::parse).transpose()?,
            target: self.target.clone(),
        })
    }
}

/// Checks the directory `root` (the builder's output or the image, as the request says).
pub async fn analyze(request: &Request, root: &Path) -> Verdict {
    match run(request, root).await {
        Ok(verdict) => verdict,
        Err(message) => Verdict::Failed { message },
    }
}

async fn run(request: &Request, root: &Path) -> Result<Verdict, String> {
    let platform = Platform::parse(&request.platform)?;
    let compiled = compile(&request.spec, &request.filename, &request.inputs()?).map_err(|e| e.rendered)?;
    let mut plan = compiled.plan;
    let fs = LocalFs::new(root);
    match &request.check {
        Check::Builder { context_roots, iconv } => {
            let from_context =
                FromContext { diagnostics: Diagnostics::default(), roots: context_roots.clone(), iconv: iconv.clone() };
            let found = verify::builder_output_with(&fs, &plan, &platform, from_context).await.map_err(|e| e.0)?;
            Ok(Verdict::Builder {
                diagnostics: found.diagnostics,
                libraries: found.libraries,
                absent: found.absent,
                packages: found.packages,
                held: held_as_themselves(&fs, &plan),
            })
        }
        Check::Image { accept } => {
            for path in accept {
                plan.image
                    .accept
                    .push((AbsPath::parse(path).map_err(|e| format!("accept `{path}`: {e:?}"))?, Span::default()));
            }
            let checked = verify::image::check(&fs, &plan, &platform).await.map_err(|e| e.0)?;
            Ok(Verdict::Image { diagnostics: checked.diagnostics, entries: checked.entries, elves: checked.elves })
        }
    }
}

/// The copies' sources the builder has as regular files: what the probe's copy of their directory holds as
/// they are. Not a symlink (the probe copies the link), nor a directory: a link inside one that leads
/// nowhere fails BuildKit's checksum of the probe, and with it the image.
fn held_as_themselves(fs: &LocalFs, plan: &crate::plan::Plan) -> BTreeSet<String> {
    let itself = |path: &str| {
        let host = fs.resolve(path, false).ok()?;
        std::fs::symlink_metadata(host).ok().filter(|m| m.file_type().is_file())
    };
    verify::copy_reads(plan).into_iter().filter(|r| itself(&r.path).is_some()).map(|r| r.path).collect()
}

/// `scratchkit analyze REQUEST ROOT VERDICT`: reads the request, checks `root`, writes the verdict. A
/// finding is a verdict, not a failure: the exec fails only when it cannot write one.
pub fn main(request: &Path, root: &Path, verdict: &Path) -> Result<(), String> {
    let bytes = std::fs::read(request).map_err(|e| format!("cannot read {}: {e}", request.display()))?;
    let verdict_of = match serde_json::from_slice::<Request>(&bytes) {
        Ok(request) => {
            let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
            runtime.block_on(analyze(&request, root))
        }
        Err(e) => Verdict::Failed { message: format!("cannot read the analysis request: {e}") },
    };
    let out = serde_json::to_vec(&verdict_of).map_err(|e| e.to_string())?;
    std::fs::write(verdict, out).map_err(|e| format!("cannot write {}: {e}", verdict.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_holds_the_copies_sources_the_builder_has_as_regular_files() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("out/dir")).unwrap();
        std::fs::write(root.path().join("out/app"), b"x").unwrap();
        std::os::unix::fs::symlink("app", root.path().join("out/link")).unwrap();
        let spec = "builder:\n  image: golang:1\n  run: true\ncopy:\n  - /out/app\n  - /out/link\n  - /out/dir\n  - /out/missing\n  - /top\nimage:\n  entrypoint: [/out/app]\n";
        let plan = compile(spec, "scratch.yaml", &PlanInputs::default()).unwrap().plan;
        let held = held_as_themselves(&LocalFs::new(root.path()), &plan);
        // Not the link (the probe copies it as a link), nor the directory (a dangling link inside would fail
        // the probe), nor what is missing, nor a top-level path (not looked for by name: the probe would walk `/`).
        assert_eq!(held.into_iter().collect::<Vec<_>>(), ["/out/app"]);
    }

    #[test]
    fn the_probe_holds_only_what_shares_a_directory_with_another_copy() {
        let spec = "builder:\n  image: golang:1\n  run: true\ncopy:\n  - /out/a\n  - /out/b\n  - /big/one\n  - /top\nimage:\n  entrypoint: [/out/a]\n";
        let plan = compile(spec, "scratch.yaml", &PlanInputs::default()).unwrap().plan;
        let reads: Vec<String> = verify::copy_reads(&plan).into_iter().map(|r| r.path).collect();
        // `/big/one` alone in its directory: the probe would walk `/big` for it; `/top` is not looked for by name.
        assert_eq!(reads, ["/out/a", "/out/b"]);
    }
}
