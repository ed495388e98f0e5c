//! Whatever bytes arrive as `scratch.yaml` (and as `--build-arg`s), decoding, loading, planning, lowering,
//! marshalling and rendering return an error or a graph: never a panic, an abort or a hang.
//!
//! Input: the spec's bytes, then optionally a NUL byte and `NAME=VALUE` lines, one build arg each (a spec
//! cannot hold NUL, so the split loses nothing).
#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use scratchkit::compile::{compile, decode};
use scratchkit::llb::{render, MarshalOptions, SourceFile};
use scratchkit::lower::{lower, BuildInputs, PlatformInputs};
use scratchkit::plan::{Found, PlanInputs};
use scratchkit::platform::Platform;

fuzz_target!(|data: &[u8]| {
    let (spec, args) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = decode(spec, "scratch.yaml") else { return };
    let build_args: BTreeMap<String, String> =
        String::from_utf8_lossy(args).lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let inputs = PlanInputs { build_args, ..PlanInputs::default() };
    // An error is fine (it was rendered for people on the way); only a panic is a finding.
    let Ok(compiled) = compile(&text, "scratch.yaml", &inputs) else { return };
    for merge in [true, false] {
        let mut build = BuildInputs::new(Platform::linux_amd64());
        build.merge = merge;
        build.source = Some(Arc::new(SourceFile { filename: "scratch.yaml".into(), data: text.clone().into_bytes(), language: "yaml".into() }));
        for lowered in lower(&compiled.plan, &build, &PlatformInputs::default(), &Found::default()) {
            let def = lowered.image.marshal(&MarshalOptions { ignore_cache: merge });
            let _ = render(&def);
            let _ = prost::Message::encode_to_vec(&def);
            let _ = serde_json::to_vec(&lowered.config);
            if let Some(builder) = &lowered.builder {
                let _ = render(&builder.marshal(&MarshalOptions::default()));
            }
        }
    }
});
