//! `scratchkit`: a BuildKit frontend when BuildKit starts it, a command-line tool otherwise.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use scratchkit::compile::{compile, decode, MAX_SPEC_BYTES};
use scratchkit::llb::{render, MarshalOptions};
use scratchkit::lower::{self, Context};
use scratchkit::plan::PlanInputs;
use scratchkit::platform::Platform;

const USAGE: &str = "\
scratchkit: FROM-scratch images from a short spec

usage:
  scratchkit llb [--json] [--platform P[,P]] [--build-arg NAME=VALUE]... [--no-merge] [--target debug] [--context DIR] SPEC
      print the marshalled pb.Definition (what `buildctl build` reads on stdin), or --json a readable view
  scratchkit check [--build-arg NAME=VALUE]... SPEC
      validate the spec and print every problem; exit status 1 on errors
  scratchkit config [--platform P] [--build-arg NAME=VALUE]... SPEC
      print the image config JSON
  scratchkit frontend
      serve BuildKit's gateway API on stdin/stdout (what BuildKit runs; also the default when
      BuildKit's environment is present)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started_by_buildkit = std::env::var_os("BUILDKIT_FRONTEND_OPT_0").is_some() || std::env::var_os("BUILDKIT_SESSION_ID").is_some();
    if (args.is_empty() && started_by_buildkit) || args.first().map(String::as_str) == Some("frontend") {
        return scratchkit::gateway::serve_stdio();
    }
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

struct Cli {
    command: String,
    spec: Option<String>,
    json: bool,
    merge: bool,
    platforms: Vec<Platform>,
    build_args: BTreeMap<String, String>,
    context_dir: Option<String>,
    target: Option<String>,
}

fn parse(args: &[String]) -> anyhow::Result<Cli> {
    let mut cli = Cli {
        command: String::new(),
        spec: None,
        json: false,
        merge: true,
        platforms: Vec::new(),
        build_args: BTreeMap::new(),
        context_dir: None,
        target: None,
    };
    let mut it = args.iter();
    cli.command = it.next().cloned().unwrap_or_default();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => cli.json = true,
            "--no-merge" => cli.merge = false,
            "--platform" => {
                let v = it.next().context("--platform needs a value")?;
                for p in v.split(',') {
                    cli.platforms.push(Platform::parse(p).map_err(anyhow::Error::msg)?);
                }
            }
            "--build-arg" => {
                let v = it.next().context("--build-arg needs NAME=VALUE")?;
                let (k, val) = v.split_once('=').context("--build-arg needs NAME=VALUE")?;
                cli.build_args.insert(k.to_string(), val.to_string());
            }
            "--target" => cli.target = Some(it.next().context("--target needs a name")?.clone()),
            "--context" => cli.context_dir = Some(it.next().context("--context needs a directory")?.clone()),
            "-h" | "--help" => bail!("{USAGE}"),
            s if s.starts_with('-') => bail!("unknown option `{s}`\n\n{USAGE}"),
            s => {
                if cli.spec.replace(s.to_string()).is_some() {
                    bail!("more than one spec given\n\n{USAGE}");
                }
            }
        }
    }
    Ok(cli)
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let cli = parse(args)?;
    if !matches!(cli.command.as_str(), "llb" | "check" | "config") {
        bail!("{USAGE}");
    }
    let path = cli.spec.clone().context(format!("no spec file given\n\n{USAGE}"))?;
    let filename = path.rsplit('/').next().unwrap_or(&path);
    // At most one byte past the limit: `check /dev/zero` stops there instead of filling memory.
    let mut bytes = Vec::new();
    let file = std::fs::File::open(&path).with_context(|| format!("reading {path}"))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_SPEC_BYTES as u64 + 1), &mut bytes).with_context(|| format!("reading {path}"))?;
    let text = match decode(&bytes, filename) {
        Ok(t) => t,
        Err(e) => {
            eprint!("{}", e.rendered);
            return Ok(ExitCode::from(1));
        }
    };
    let inputs = PlanInputs { build_args: cli.build_args.clone(), platforms: cli.platforms.clone(), default_platform: None, target: cli.target.clone() };
    let compiled = match compile(&text, filename, &inputs) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", e.rendered);
            return Ok(ExitCode::from(1));
        }
    };
    if compiled.warnings.items.iter().len() > 0 {
        eprint!("{}", compiled.warnings.render(filename, &text));
    }
    let plan = compiled.plan;
    match cli.command.as_str() {
        "check" => {
            eprintln!("{filename}: ok");
            Ok(ExitCode::SUCCESS)
        }
        "config" => {
            let config = lower::image_config(&plan, &plan.platforms[0]);
            println!("{}", serde_json::to_string_pretty(&config)?);
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let mut ctx = Context::new(Platform::linux_amd64());
            ctx.merge = cli.merge;
            let dir = cli.context_dir.clone().unwrap_or_else(|| std::path::Path::new(&path).parent().map_or(".".into(), |p| p.display().to_string()));
            if let Ok(ignore) = std::fs::read_to_string(std::path::Path::new(&dir).join(".dockerignore")) {
                ctx.context_excludes = scratchkit::gateway::parse_dockerignore(&ignore);
            }
            let lowered = lower::lower(&plan, &ctx);
            let Some(first) = lowered.first() else { bail!("no platform to build for") };
            if lowered.len() > 1 {
                eprintln!("note: `llb` prints the graph of the first platform ({}); BuildKit builds each", first.platform);
            }
            let def = first.image.marshal(&MarshalOptions::default());
            let mut out = std::io::stdout().lock();
            if cli.json {
                let view = serde_json::json!({ "platform": first.platform.to_string(), "llb": render(&def), "config": first.config });
                writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                out.write_all(&prost::Message::encode_to_vec(&def))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
