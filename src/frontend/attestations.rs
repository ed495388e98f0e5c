//! SBOM attestations the frontend makes itself. `--sbom` (the `attest:sbom` option) alone is left to
//! BuildKit: its SBOM processor runs the generator on the final image after any frontend. With
//! `BUILDKIT_SBOM_SCAN_STAGE` or `BUILDKIT_SBOM_SCAN_CONTEXT`, as in BuildKit's Dockerfile frontend, the
//! frontend runs the generator itself with the builder stage and/or the build context as extra targets
//! (BuildKit's SBOM protocol, `docs/attestations/sbom-protocol.md`), and returns the scan as an
//! attestation bundle; BuildKit then skips its own scan, since the result has an SBOM.

use crate::rules::codes::*;
use std::collections::BTreeMap;

use super::Failure;
use crate::diag::Diagnostic;
use crate::gateway::{self, keys, parse_bool, Bundle, Caps, Gateway, GatewayError};
use crate::llb::{CopyOptions, EnvList, Exec, FileAction, MarshalOptions, Mount, MountKind, State};
use crate::lower::{self, BuildInputs, Lowered};
use crate::platform::Platform;
use crate::reference;

use keys::{SBOM_SCAN_CONTEXT_ARG as SCAN_CONTEXT, SBOM_SCAN_STAGE_ARG as SCAN_STAGE};
/// scratchkit's one stage besides the image, as `BUILDKIT_SBOM_SCAN_STAGE` may name it.
const STAGE_NAME: &str = "builder";
pub const PREDICATE_SPDX: &str = "https://spdx.dev/Document";
/// The gateway cap that lets a frontend return attestations (BuildKit ≥0.11).
const CAP_ATTESTATIONS: &str = "reference.attestations";
/// Where the generator finds its targets and writes its statements (BuildKit's own paths).
const CORE: &str = "sbom";
const SOURCE: &str = "/run/src/core/sbom";
const EXTRAS: &str = "/run/src/extras";
const OUT: &str = "/run/out";

/// What `--sbom` and the scan build args ask the frontend to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The generator image, as given (`generator=`), or BuildKit's default.
    pub generator: String,
    /// The other `--sbom` fields, given to the generator as `BUILDKIT_SCAN_<key>=<value>`.
    pub params: BTreeMap<String, String>,
    pub stage: bool,
    pub context: bool,
}

/// The SBOM scan the frontend must run itself, if any: `--sbom` is on and a scan arg asks for more than
/// the image. `declared` are the spec's args with their values (`args:` defaults, overridden by
/// `--build-arg`), which may set the scan args as `ARG` can in a Dockerfile.
pub fn request(build: &gateway::Request, declared: &[(String, String)]) -> Result<Option<Request>, Failure> {
    let Some(sbom) = &build.sbom else {
        return Ok(None);
    };
    let arg = |name: &str| {
        build.build_args.get(name).cloned().or_else(|| declared.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
    };
    let stage = match arg(SCAN_STAGE) {
        None => false,
        Some(v) => parse_bool(&v).map_or_else(|| stage_list(&v), Ok)?,
    };
    let context = match arg(SCAN_CONTEXT) {
        None => false,
        Some(v) => parse_bool(&v)
            .ok_or_else(|| Failure(format!("{SCAN_CONTEXT}={v:?} is not a boolean: use true or false")))?,
    };
    if !stage && !context {
        return Ok(None);
    }
    Ok(Some(Request { generator: sbom.generator.clone(), params: sbom.params.clone(), stage, context }))
}

/// A list of stage names, as a Dockerfile takes it: scratchkit has one stage to scan.
fn stage_list(v: &str) -> Result<bool, Failure> {
    let names: Vec<&str> = v.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
    match names.iter().find(|n| **n != STAGE_NAME) {
        Some(other) => Err(Failure(format!(
            "{SCAN_STAGE} names stage `{other}`, but scratchkit has one stage to scan: use true, false or {STAGE_NAME}"
        ))),
        None => Ok(!names.is_empty()),
    }
}

/// The generator, resolved once for the build: how BuildKit runs it.
#[derive(Clone, Debug)]
pub struct Generator {
    /// Normalized and pinned to the digest it resolved to.
    image: String,
    /// As given, for the progress name.
    name: String,
    args: Vec<String>,
    env: EnvList,
    cwd: String,
    platform: Platform,
    resolve_mode: Option<String>,
    request: Request,
}

/// Resolves the generator image on the build platform (where BuildKit runs generators). A BuildKit that
/// cannot take attestations from a frontend gets none, with a warning.
pub async fn generator<G: Gateway>(
    g: &G,
    caps: &Caps,
    request: Request,
    build: &BuildInputs,
    warnings: &mut crate::diag::Diagnostics,
) -> Result<Option<Generator>, Failure> {
    if !caps.frontend.contains(CAP_ATTESTATIONS) {
        warnings.push(
            Diagnostic::warning(
                SK401,
                None,
                format!("this BuildKit takes no attestations from a frontend (no cap {CAP_ATTESTATIONS}): {SCAN_STAGE} and {SCAN_CONTEXT} are ignored"),
            )
            .hint("BuildKit 0.11 or later scans the builder stage and the context"),
        );
        return Ok(None);
    }
    let normalized = reference::normalize(&request.generator);
    let platform = build.build_platform.clone();
    let resolved = g
        .resolve_image_config(&normalized, &platform, build.resolve_mode.as_deref().unwrap_or("default"))
        .await
        .map_err(|e| Failure(format!("cannot resolve the SBOM generator `{}`: {e}", request.generator)))?;
    let config: serde_json::Value = serde_json::from_slice(&resolved.config).map_err(|e| {
        Failure(format!("the SBOM generator `{}` has an unreadable image config: {e}", request.generator))
    })?;
    let strings = |pointer: &str| -> Vec<String> {
        config.pointer(pointer).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    };
    let mut args = strings("/config/Entrypoint");
    args.extend(strings("/config/Cmd"));
    if args.is_empty() {
        return Err(Failure(format!("the SBOM generator `{}` has no Entrypoint or Cmd to run", request.generator)));
    }
    let cwd = config
        .pointer("/config/WorkingDir")
        .and_then(|v| v.as_str())
        .filter(|d| !d.is_empty())
        .unwrap_or("/")
        .to_string();
    let image =
        if resolved.digest.is_empty() { normalized } else { reference::pin(&request.generator, &resolved.digest) };
    Ok(Some(Generator {
        image,
        name: request.generator.clone(),
        args,
        env: EnvList::parse(strings("/config/Env")),
        cwd,
        platform,
        resolve_mode: build.resolve_mode.clone(),
        request,
    }))
}

impl Generator {
    /// The generator run over one platform's image and the requested extras, and the statements it wrote
    /// alone at the root of a state. Mounts and variables are BuildKit's, so any generator that follows the
    /// protocol works; BuildKit reads every file of the bundle as a statement, and takes the one named
    /// after the core target (`sbom.spdx.json`) as the image's own SBOM.
    pub fn scan(&self, lowered: &Lowered, build: &BuildInputs) -> State {
        let mut env = self.env.clone();
        env.set("BUILDKIT_SCAN_DESTINATION", OUT);
        env.set("BUILDKIT_SCAN_SOURCE", SOURCE);
        env.set("BUILDKIT_SCAN_SOURCE_EXTRAS", format!("{EXTRAS}/"));
        for (k, v) in &self.request.params {
            env.set(&format!("BUILDKIT_SCAN_{k}"), v.clone());
        }
        let read_only = |dest: String, from: State| Mount { dest, kind: MountKind::ReadOnly { from } };
        let mut mounts = vec![
            read_only(SOURCE.to_string(), lowered.image.clone()),
            Mount { dest: "/tmp".into(), kind: MountKind::Tmpfs },
        ];
        let mut targets = vec!["image"];
        if self.request.stage {
            if let Some(builder) = &lowered.builder {
                mounts.push(read_only(format!("{EXTRAS}/{CORE}-{STAGE_NAME}"), builder.clone()));
                targets.push("builder stage");
            }
        }
        if self.request.context {
            mounts.push(read_only(format!("{EXTRAS}/{CORE}-context"), lower::build_context(build)));
            targets.push("context");
        }
        let out = FileAction::Mkdir { path: OUT.into(), mode: 0o755, make_parents: true, owner: None, timestamp: None };
        let root = State::image(&self.image, &self.platform, self.resolve_mode.as_deref())
            .file(vec![out])
            .named(format!("[internal] sbom destination {OUT}"));
        let mut exec = Exec::default();
        exec.args = self.args.clone();
        exec.env = env;
        exec.cwd = self.cwd.clone();
        exec.mounts = mounts;
        exec.platform = Some(self.platform.clone());
        let scanned = root.run(exec).named(format!(
            "[{}] generating sbom of the {} using {}",
            lowered.platform,
            targets.join(", "),
            self.name
        ));
        let statements = CopyOptions { contents_only: true, ..CopyOptions::default() };
        State::scratch()
            .file(vec![FileAction::Copy { from: scanned, src: OUT.into(), dest: "/".into(), options: statements }])
            .named(format!("[{}] sbom statements", lowered.platform))
    }

    /// Solves the scan of one platform and returns it as the bundle BuildKit expects from an SBOM scan.
    pub async fn attest<G: Gateway>(
        &self,
        g: &G,
        lowered: &Lowered,
        build: &BuildInputs,
        no_cache: bool,
    ) -> Result<Bundle, GatewayError> {
        let def = self.scan(lowered, build).marshal(&MarshalOptions { ignore_cache: no_cache });
        let ref_id = g.solve(def, &[]).await?;
        Ok(bundle(ref_id))
    }
}

/// BuildKit's metadata for an SBOM: the reason, and which scan is the image's own (`sbom.spdx.json`).
fn bundle(ref_id: String) -> Bundle {
    let metadata =
        BTreeMap::from([("reason".to_string(), b"sbom".to_vec()), ("sbom-core".to_string(), CORE.as_bytes().to_vec())]);
    Bundle { ref_id, path: String::new(), predicate_type: PREDICATE_SPDX.to_string(), metadata }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::gateway::{Options, DEFAULT_GENERATOR};

    fn options(pairs: &[(&str, &str)]) -> gateway::Request {
        let options = Options::from_vars(
            pairs.iter().enumerate().map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}"))),
        );
        gateway::Request::parse(&options).unwrap()
    }

    #[test]
    fn sbom_alone_is_left_to_buildkit() {
        assert_eq!(request(&options(&[("attest:sbom", "generator=g:1")]), &[]).unwrap(), None);
        assert_eq!(
            request(&options(&[("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true")]), &[]).unwrap(),
            None,
            "no --sbom"
        );
        let off = options(&[
            ("attest:sbom", ""),
            ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "false"),
            ("build-arg:BUILDKIT_SBOM_SCAN_CONTEXT", "0"),
        ]);
        assert_eq!(request(&off, &[]).unwrap(), None);
    }

    #[test]
    fn a_disabled_sbom_asks_for_no_scan() {
        let stage = ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true");
        for off in ["disabled=true", "type=sbom,disabled=true", "generator=g:1,disabled=1"] {
            assert_eq!(request(&options(&[("attest:sbom", off), stage]), &[]).unwrap(), None, "{off}");
        }
        let on = request(&options(&[("attest:sbom", "type=sbom,disabled=false,generator=g:1"), stage]), &[])
            .unwrap()
            .unwrap();
        assert!(on.stage && on.params.is_empty(), "{on:?}");
    }

    #[test]
    fn scan_args_ask_for_the_stage_and_the_context() {
        let o = options(&[
            ("attest:sbom", "generator=reg/gen:1,mode=x"),
            ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "builder"),
        ]);
        let r = request(&o, &[]).unwrap().unwrap();
        assert_eq!((r.generator.as_str(), r.stage, r.context), ("reg/gen:1", true, false));
        assert_eq!(r.params, BTreeMap::from([("mode".to_string(), "x".to_string())]));

        let o = options(&[("build-arg:BUILDKIT_ATTEST_SBOM", ""), ("build-arg:BUILDKIT_SBOM_SCAN_CONTEXT", "True")]);
        let r = request(&o, &[]).unwrap().unwrap();
        assert_eq!((r.generator.as_str(), r.stage, r.context), (DEFAULT_GENERATOR, false, true));
    }

    #[test]
    fn a_declared_arg_default_asks_too_and_the_flag_wins() {
        let declared = [(SCAN_STAGE.to_string(), "true".to_string())];
        let r = request(&options(&[("attest:sbom", "")]), &declared).unwrap().unwrap();
        assert!(r.stage);
        let flag_off = options(&[("attest:sbom", ""), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "false")]);
        assert_eq!(request(&flag_off, &declared).unwrap(), None);
    }

    #[test]
    fn bad_scan_values_are_errors_that_say_what_to_write() {
        let e = request(&options(&[("attest:sbom", ""), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "build")]), &[])
            .unwrap_err();
        assert!(e.0.contains("stage `build`") && e.0.contains("true, false or builder"), "{}", e.0);
        let e = request(&options(&[("attest:sbom", ""), ("build-arg:BUILDKIT_SBOM_SCAN_CONTEXT", "yes")]), &[])
            .unwrap_err();
        assert!(e.0.contains("BUILDKIT_SBOM_SCAN_CONTEXT=\"yes\""), "{}", e.0);
    }
}
