//! spec → LLB time: load, plan, lower and marshal every example spec, many times; prints a table.
//! Run with `cargo bench --bench spec_to_llb`.

use std::time::{Duration, Instant};

use scratchkit::compile::compile;
use scratchkit::llb::MarshalOptions;
use scratchkit::lower::{lower, BuildInputs, PlatformInputs};
use scratchkit::plan::Found;
use scratchkit::plan::PlanInputs;
use scratchkit::platform::Platform;

fn once(text: &str) -> usize {
    let compiled = compile(text, "scratch.yaml", &PlanInputs::default()).expect("example compiles");
    let lowered = lower(
        &compiled.plan,
        &BuildInputs::new(Platform::linux_amd64()),
        &PlatformInputs::default(),
        &Found::default(),
    );
    lowered.iter().map(|l| l.image.marshal(&MarshalOptions::default()).def.len()).sum()
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .filter_map(|e| {
            let dir = e.ok()?.path();
            let spec = [dir.join("scratch.yaml"), dir.join("deploy/scratch.yaml")].into_iter().find(|p| p.exists())?;
            Some((dir.file_name()?.to_string_lossy().into_owned(), std::fs::read_to_string(spec).ok()?))
        })
        .filter(|(_, text)| compile(text, "scratch.yaml", &PlanInputs::default()).is_ok())
        .collect();
    specs.sort();
    println!("| spec | ops | median spec→LLB | min | runs |");
    println!("|---|---:|---:|---:|---:|");
    for (name, text) in specs {
        let ops = once(&text);
        let mut times: Vec<Duration> = (0..501)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(once(std::hint::black_box(&text)));
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "| {name} | {ops} | {:.1} µs | {:.1} µs | {} |",
            times[times.len() / 2].as_secs_f64() * 1e6,
            times[0].as_secs_f64() * 1e6,
            times.len()
        );
    }
}
