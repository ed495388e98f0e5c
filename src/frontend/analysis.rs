//! The checks as cached BuildKit execs of this frontend's own image (docs/dev/analysis-exec.md): the
//! request goes in as a file, the verdict comes back with one read. Without a known image of its own
//! the frontend checks through gateway requests instead (`mod.rs`).

use std::collections::BTreeSet;

use prost::Message;

use crate::analysis::{Check, Request, Verdict};
use crate::gateway::{CacheImport, Caps, Checks, Gateway, Request as BuildRequest};
use crate::llb::State;
use crate::lower::analysis as exec;
use crate::plan::PlanInputs;
use crate::platform::Platform;
use crate::proto::pb;

use super::{marshal, Failed, Failure, SpecText};
use crate::diag::Diagnostics;
use crate::verify::{context::FromContext, Verified};

/// Where BuildKit (v0.11+) mounts the frontend's own definition: its image, pinned by digest.
pub const FRONTEND_BIN: &str = "/run/config/buildkit/metadata/frontend.bin";
/// The most verdict bytes read (its package metadata is the big part: copyright files).
const MAX_VERDICT: u64 = 64 << 20;
/// One read of the verdict: well under the gateway's 16 MiB message limit.
const CHUNK: u64 = 4 << 20;

/// What the execs need: the image that runs them and the plan inputs their requests carry.
#[derive(Clone)]
pub struct Analyzer {
    pub image: State,
    pub inputs: PlanInputs,
    pub build_platform: Platform,
}

/// The checks run as execs of this frontend's own image when it is known and BuildKit can mount the
/// builder without hashing it (`MountContentCache`, v0.13+), or with `SCRATCHKIT_CHECKS=exec` on any
/// BuildKit; else, and with `SCRATCHKIT_CHECKS=gateway`, they read through gateway requests (`None`).
pub fn choose(request: &BuildRequest, caps: &Caps, inputs: PlanInputs, build_platform: &Platform) -> Option<Analyzer> {
    let in_exec = match request.checks {
        Checks::Exec => true,
        Checks::Gateway => false,
        // Before v0.13 a read-only mount is hashed file by file: the whole builder, on a cold build.
        Checks::Auto => caps.has_llb("exec.mount.cache.content"),
    };
    if !in_exec {
        return None;
    }
    let metadata = std::fs::read(FRONTEND_BIN).ok();
    let image = own_image(metadata.as_deref(), request.frontend_image.as_deref(), build_platform)?;
    Some(Analyzer { image, inputs, build_platform: build_platform.clone() })
}

/// This frontend's own image: the source op of its definition (`frontend.bin`), else the `source`
/// option (the `# syntax=` image as the client named it; BuildKit before v0.11 has no `frontend.bin`).
pub fn own_image(metadata: Option<&[u8]>, source: Option<&str>, platform: &Platform) -> Option<State> {
    let pinned = metadata.and_then(|bytes| pb::Definition::decode(bytes).ok()).and_then(|def| {
        def.def.iter().find_map(|op| match pb::Op::decode(op.as_slice()).ok()?.op? {
            pb::op::Op::Source(s) => s.identifier.strip_prefix("docker-image://").map(str::to_string),
            _ => None,
        })
    });
    let reference =
        pinned.or_else(|| source.map(str::trim).filter(|s| !s.is_empty()).map(crate::reference::normalize))?;
    Some(State::image(&reference, platform, None).named("[internal] load the checks (this frontend's image)"))
}

/// The verdict of the exec checking `checked` (the builder's output or the image) as `check` says, with
/// the exec's state (the builder's is tied into the image's graph).
pub async fn verdict<G: Gateway>(
    g: &G,
    analyzer: &Analyzer,
    spec: (&str, &str),
    platform: &Platform,
    checked: &State,
    check: Check,
    solving: (bool, &[CacheImport]),
) -> Result<(Verdict, State), Failed> {
    let builder = matches!(check, Check::Builder { .. });
    let request = Request::new(spec.0, spec.1, &analyzer.inputs, platform, check);
    let bytes = serde_json::to_vec(&request).map_err(|e| Failure(e.to_string()))?;
    let state = if builder {
        exec::builder_verdict(&analyzer.image, bytes, checked, &analyzer.build_platform)
    } else {
        exec::image_verdict(&analyzer.image, bytes, checked, &analyzer.build_platform)
    };
    let ref_id = g.solve(marshal(&state, solving.0), solving.1).await?;
    let mut out = Vec::new();
    loop {
        let chunk = g.read_range(&ref_id, exec::VERDICT, out.len() as u64, CHUNK).await?;
        let done = (chunk.len() as u64) < CHUNK;
        out.extend(chunk);
        if done {
            break;
        }
        if out.len() as u64 >= MAX_VERDICT {
            return Err(Failure(format!("the checks' verdict for {platform} is over {} MiB", MAX_VERDICT >> 20)).into());
        }
    }
    let verdict = serde_json::from_slice(&out)
        .map_err(|e| Failure(format!("cannot read the checks' verdict for {platform}: {e}")))?;
    Ok((verdict, state))
}

/// The builder's output checked by the exec: what the checks found (with what the build context's files
/// need: their findings are the frontend's own, their roots go to the exec), the copies' sources the probe
/// holds as themselves, and the verdict's state.
pub async fn builder_verified<G: Gateway>(
    g: &G,
    analyzer: &Analyzer,
    spec: SpecText<'_>,
    platform: &Platform,
    builder: &State,
    from_context: FromContext,
    solving: (bool, &[CacheImport]),
) -> Result<(Verified, BTreeSet<String>, State), Failed> {
    let check = Check::Builder { context_roots: from_context.roots, iconv: from_context.iconv };
    let (verdict, state) = verdict(g, analyzer, (spec.text, spec.filename), platform, builder, check, solving).await?;
    match verdict {
        Verdict::Builder { diagnostics, libraries, absent, packages, held } => {
            let mut found = from_context.diagnostics;
            found.extend(diagnostics);
            Ok((Verified { diagnostics: found, libraries, absent, packages }, held, state))
        }
        other => Err(unexpected(other, "the builder's output", platform)),
    }
}

/// The image checked by the exec, `accept` not held against it; returns its warnings, or its errors as
/// the build's failure.
pub async fn image_checked<G: Gateway>(
    g: &G,
    analyzer: &Analyzer,
    spec: SpecText<'_>,
    platform: &Platform,
    image: &State,
    accept: Vec<String>,
    solving: (bool, &[CacheImport]),
) -> Result<Diagnostics, Failed> {
    let started = std::time::Instant::now();
    let (verdict, _) =
        verdict(g, analyzer, (spec.text, spec.filename), platform, image, Check::Image { accept }, solving).await?;
    let Verdict::Image { diagnostics, entries, elves } = verdict else {
        return Err(unexpected(verdict, "the image", platform));
    };
    eprintln!(
        "scratchkit: image check for {platform} (exec): {entries} entries, {elves} ELF files, {} ms",
        started.elapsed().as_millis()
    );
    if diagnostics.has_errors() {
        return Err(Failure(diagnostics.sorted().render(spec.filename, spec.text)).into());
    }
    Ok(diagnostics)
}

/// A verdict of the wrong kind, or one saying the check could not run.
fn unexpected(verdict: Verdict, what: &str, platform: &Platform) -> Failed {
    match verdict {
        Verdict::Failed { message } => Failure(format!("cannot check {what} for {platform}: {message}")).into(),
        _ => Failure(format!("cannot check {what} for {platform}: the analyzer answered another check")).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostic;
    use crate::gateway::{Built, FileStat, GatewayError, ResolvedImage};

    fn chosen(checks: Checks, llb_caps: &[&str], source: Option<&str>) -> bool {
        let mut request = BuildRequest::default();
        (request.checks, request.frontend_image) = (checks, source.map(str::to_string));
        let caps = Caps { llb: llb_caps.iter().map(|c| c.to_string()).collect(), ..Caps::default() };
        let amd64 = Platform::linux_amd64();
        choose(&request, &caps, PlanInputs::default(), &amd64).is_some()
    }

    #[test]
    fn the_checks_are_execs_by_default_where_buildkit_need_not_hash_the_builder() {
        let v13 = ["mergeop", "exec.mount.cache.content"];
        assert!(chosen(Checks::Auto, &v13, Some("scratchkit:x")));
        // BuildKit before v0.13 (Docker 20.10 to 25): the probe and gateway reads, unless asked.
        assert!(!chosen(Checks::Auto, &["mergeop"], Some("scratchkit:x")));
        assert!(chosen(Checks::Exec, &["mergeop"], Some("scratchkit:x")));
        // Asked for the gateway (a cache shared across BuildKit v0.13 and v0.14+).
        assert!(!chosen(Checks::Gateway, &v13, Some("scratchkit:x")));
        // Without an image of its own (the in-memory gateway of the offline tests), it cannot run them.
        assert!(!chosen(Checks::Auto, &v13, None));
        assert!(!chosen(Checks::Exec, &v13, None));
    }

    #[test]
    fn the_own_image_is_the_pinned_source_of_the_definition_else_the_source_option() {
        let amd64 = Platform::linux_amd64();
        let pinned =
            "docker.io/library/scratchkit:x@sha256:0123456789012345678901234567890123456789012345678901234567890123";
        let def = State::image(pinned, &amd64, None).marshal(&crate::llb::MarshalOptions::default());
        let shown = |s: Option<State>| {
            format!("{:#}", crate::llb::render(&s.expect("an image").marshal(&crate::llb::MarshalOptions::default())))
        };
        assert!(shown(own_image(Some(&def.encode_to_vec()), Some("other:1"), &amd64)).contains(pinned));
        assert!(shown(own_image(None, Some("scratchkit:h"), &amd64))
            .contains("docker-image://docker.io/library/scratchkit:h"));
        assert!(shown(own_image(Some(b"not a definition"), Some("scratchkit:h"), &amd64))
            .contains("docker.io/library/scratchkit:h"));
        assert!(own_image(None, None, &amd64).is_none());
        assert!(own_image(None, Some(" "), &amd64).is_none());
    }

    /// A gateway whose every solve is the exec, which wrote these bytes as its verdict.
    struct Answering(Vec<u8>);

    impl Gateway for Answering {
        async fn ping(&self) -> Result<Caps, GatewayError> {
            unreachable!()
        }
        async fn resolve_image_config(&self, _: &str, _: &Platform, _: &str) -> Result<ResolvedImage, GatewayError> {
            unreachable!()
        }
        async fn solve(&self, _: pb::Definition, _: &[CacheImport]) -> Result<String, GatewayError> {
            Ok("verdict".into())
        }
        async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
            assert_eq!((ref_id, path), ("verdict", exec::VERDICT));
            Ok(self.0.clone())
        }
        async fn stat_file(&self, _: &str, _: &str) -> Result<FileStat, GatewayError> {
            unreachable!()
        }
        async fn return_images(&self, _: Vec<Built>, _: bool) -> Result<(), GatewayError> {
            unreachable!()
        }
        async fn return_metadata(&self, _: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
            unreachable!()
        }
        async fn return_error(&self, _: String, _: Vec<prost_types::Any>) -> Result<(), GatewayError> {
            unreachable!()
        }
    }

    #[test]
    fn the_builders_verdict_adds_to_the_contexts_findings_and_names_what_the_probe_holds() {
        let amd64 = Platform::linux_amd64();
        let warned = |message: &str| {
            let mut d = Diagnostics::default();
            d.push(Diagnostic::warning(crate::rules::codes::SK338, None, message));
            d
        };
        let verdict = Verdict::Builder {
            diagnostics: warned("found in the builder"),
            libraries: vec!["/lib/x86_64-linux-gnu/libc.so.6".into()],
            absent: vec!["/usr/share/zoneinfo/UTC".into()],
            packages: Default::default(),
            held: ["/out/a".to_string()].into(),
        };
        let g = Answering(serde_json::to_vec(&verdict).unwrap());
        let image = State::image("docker.io/library/scratchkit:x", &amd64, None);
        let analyzer = Analyzer { image, inputs: PlanInputs::default(), build_platform: amd64.clone() };
        let from_context = FromContext { diagnostics: warned("found in the context"), roots: vec![], iconv: vec![] };
        let spec = SpecText { text: "", filename: "scratch.yaml" };
        let builder = State::image("docker.io/library/golang:1", &amd64, None);
        let checked = builder_verified(&g, &analyzer, spec, &amd64, &builder, from_context, (false, &[]));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (verified, held, state) = runtime.block_on(checked).map_err(|e| e.message).unwrap();
        let messages: Vec<&str> = verified.diagnostics.items.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["found in the context", "found in the builder"]);
        assert_eq!(verified.libraries, ["/lib/x86_64-linux-gnu/libc.so.6"]);
        assert_eq!(verified.absent, ["/usr/share/zoneinfo/UTC"]);
        assert_eq!(held.into_iter().collect::<Vec<_>>(), ["/out/a"]);
        let shown = format!("{:#}", crate::llb::render(&state.marshal(&crate::llb::MarshalOptions::default())));
        assert!(shown.contains(exec::BUILDER_NAME), "{shown}");
    }
}
