//! How the cost of checking and lowering a spec grows with its size: copy entries, users and build args
//! at 10, 1,000 and 100,000, plus the hostile inputs of issue 9. Prints a markdown table; the per-entry
//! columns staying flat from 1k to 100k is what "linear" means here.
//! Run with `bench/cost.sh` (or `cargo bench --bench cost`).
//!
//! The 100k specs are larger than the 1 MiB a spec file may be, so the pipeline is timed below the
//! size and item-count checks: `spec::load` (pre-scan and parse) + `plan::plan` is "check", `lower` +
//! `marshal` is "lower". The hostile rows go through `compile`, both checks and rendering included.

use std::time::{Duration, Instant};

use scratchkit::compile::compile;
use scratchkit::llb::MarshalOptions;
use scratchkit::lower::{lower, BuildInputs, PlatformInputs};
use scratchkit::plan::Found;
use scratchkit::plan::{plan, PlanInputs};
use scratchkit::platform::Platform;

const BUILDER: &str = "builder: {image: golang:1.23, run: go build -o /out/app .}\n";

fn copies(n: usize) -> String {
    let mut s = format!("{BUILDER}copy:\n");
    for i in 0..n {
        s.push_str(&format!("  - {{from: /out/f{i}, to: /app/f{i}, owner: nonroot}}\n"));
    }
    s + "image: {entrypoint: [/app/f0]}\n"
}

fn users(n: usize) -> String {
    let mut s = format!("{BUILDER}copy: [{{from: /out/app, owner: u{}}}]\nrootfs:\n  users:\n", n - 1);
    for i in 0..n {
        s.push_str(&format!("    - {{name: u{i}, uid: {}}}\n", 100_000 + i));
    }
    s
}

fn args(n: usize) -> String {
    let mut s = String::from("args:\n");
    for i in 0..n {
        s.push_str(&format!("  A{i}: value-{i}\n"));
    }
    s.push_str(BUILDER);
    s.push_str("copy: [/out/app]\nimage:\n  env:\n");
    for i in 0..n {
        s.push_str(&format!("    E{i}: \"${{A{i}}}\"\n"));
    }
    s
}

/// Median and the number of runs, running `f` for about half a second (at least 3 times).
fn time(mut f: impl FnMut()) -> (Duration, usize) {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed() < Duration::from_millis(500) && times.len() < 200) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times.len())
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn per(d: Duration, n: usize) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6 / n as f64)
}

fn main() {
    let (build, per_platform, found) =
        (BuildInputs::new(Platform::linux_amd64()), PlatformInputs::default(), Found::default());
    let inputs = PlanInputs::default();
    println!("| entries | n | spec KiB | check ms | lower ms | check µs/entry | lower µs/entry | runs |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, make) in [("copy", copies as fn(usize) -> String), ("users", users), ("args", args)] {
        for n in [10, 1_000, 100_000] {
            let text = make(n);
            let spec = scratchkit::spec::load(&text).expect("generated spec loads");
            let (p, _) =
                plan(&spec, &inputs).unwrap_or_else(|e| panic!("{kind} {n}: {}", e.render("bench.yaml", &text)));
            let (check, runs) = time(|| {
                let spec = scratchkit::spec::load(&text).unwrap();
                std::hint::black_box(plan(&spec, &inputs).is_ok());
            });
            let (low, _) = time(|| {
                for l in lower(&p, &build, &per_platform, &found) {
                    std::hint::black_box(l.image.marshal(&MarshalOptions::default()));
                }
            });
            println!(
                "| {kind} | {n} | {} | {} | {} | {} | {} | {runs} |",
                text.len() / 1024,
                ms(check),
                ms(low),
                per(check, n),
                per(low, n)
            );
        }
    }
    println!();
    println!("| hostile input | spec KiB | compile ms | output bytes | result |");
    println!("|---|---:|---:|---:|---|");
    let hostile = [
        (
            "`copy: [/a,/a,…]` 40,000 entries on one line",
            format!("{BUILDER}copy: [{}]\n", vec!["/a"; 40_000].join(",")),
        ),
        (
            "`copy: [/a,/a,…]` 160,000 entries (47 s before)",
            format!("{BUILDER}copy: [{}]\n", vec!["/a"; 160_000].join(",")),
        ),
        (
            "`copy: [/a,/a,…]` just under 1 MiB (over the 100,000 items)",
            format!("{BUILDER}copy: [{}]\n", vec!["/a"; 349_000].join(",")),
        ),
        ("99,980 block items `- /<n>`, at the limit", {
            let items: String = (0..99_980).map(|i| format!("- /{i:x}\n")).collect();
            format!("{BUILDER}copy:\n{items}image: {{entrypoint: [/0]}}\n")
        }),
        (
            "20,000 levels of `- - - …` under `x-deep`",
            format!("{BUILDER}copy: [/out/app]\nx-deep: {}a\n", "- ".repeat(20_000)),
        ),
        (
            "20,000 nested `[`",
            format!("{BUILDER}copy: [/out/app]\nx-deep: {}{}\n", "[".repeat(20_000), "]".repeat(20_000)),
        ),
    ];
    for (name, text) in hostile {
        let mut out = String::new();
        let (t, _) = time(|| {
            out = match compile(&text, "scratch.yaml", &inputs) {
                Ok(_) => "ok".into(),
                Err(e) => e.rendered,
            };
        });
        let first = out.lines().next().unwrap_or_default().to_string();
        println!("| {name} | {} | {} | {} | {} |", text.len() / 1024, ms(t), out.len(), first.replace('|', "\\|"));
    }
}
