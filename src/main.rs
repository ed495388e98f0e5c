//! `scratchkit`: a BuildKit frontend when BuildKit starts it, a command-line tool otherwise.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Args, CommandFactory, Parser, Subcommand};
use scratchkit::compile::{compile, decode, Compiled, MAX_SPEC_BYTES};
use scratchkit::llb::{render, MarshalOptions, SourceFile};
use scratchkit::lower::{self, BuildInputs, PlatformInputs};
use scratchkit::plan::Found;
use scratchkit::plan::PlanInputs;
use scratchkit::platform::Platform;

/// FROM-scratch images from a short spec: a BuildKit frontend and its command-line tools.
///
/// Build with `docker buildx build -f scratch.yaml .` (the spec's `# syntax=` line selects the frontend);
/// these commands check and show a spec without BuildKit.
#[derive(Parser)]
#[command(name = "scratchkit", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the spec and print every problem at once; exit status 1 on errors.
    Check {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Print the image config JSON.
    Config {
        #[command(flatten)]
        spec: SpecArgs,
        /// The platform to show the config for (default: the spec's first).
        #[arg(long, value_name = "PLATFORM", value_parser = parse_platform)]
        platform: Option<Platform>,
    },
    /// Print the marshalled pb.Definition (what `buildctl build` reads on stdin), or with --json a view.
    ///
    /// The frontend learns things from BuildKit that this command cannot: the builder image's digest and
    /// `Env` (give them with --builder-ref and --builder-env, or the image is referenced by tag with no Env),
    /// and the shared libraries the binaries need (found in the builder's output after it ran; give them
    /// with --library). It also reads the builder's dpkg database, so this graph has no `[rootfs] package
    /// metadata` layer; it keeps the optional data files (`/etc/services`…) that the frontend leaves out
    /// when the builder lacks them; and a `context:NAME:…` copy reads the client's local directory NAME,
    /// as for `--build-context NAME=./dir`, where the frontend takes whatever that flag names (an image too).
    Llb {
        #[command(flatten)]
        spec: SpecArgs,
        /// A readable view of the graph and the image config instead of the protobuf bytes.
        #[arg(long)]
        json: bool,
        /// Target platforms, comma-separated; the graph of the first is printed.
        #[arg(long, value_name = "P[,P]", value_delimiter = ',', value_parser = parse_platform)]
        platform: Vec<Platform>,
        /// The platform BuildKit runs on (where the builder runs unless the spec says `platform: target`).
        #[arg(long, value_name = "PLATFORM", value_parser = parse_platform, default_value = "linux/amd64")]
        build_platform: Platform,
        /// Stack the layers as one chain instead of MergeOp, as for a BuildKit without MergeOp.
        #[arg(long)]
        no_merge: bool,
        /// The build context directory (for its .dockerignore); default: the spec's directory.
        #[arg(long, value_name = "DIR")]
        context: Option<PathBuf>,
        /// The builder image reference to use, e.g. pinned to the digest BuildKit resolved.
        #[arg(long, value_name = "REF")]
        builder_ref: Option<String>,
        /// A `NAME=value` of the builder image's config Env (repeatable).
        #[arg(long, value_name = "NAME=VALUE")]
        builder_env: Vec<String>,
        /// A builder file the binaries need at run time (interpreter, library), as the checks find them.
        #[arg(long, value_name = "PATH")]
        library: Vec<String>,
    },
    /// Print the JSON schema of scratch.yaml (for editors; `docs/scratch.schema.json` is this output).
    ///
    /// Editors that use the YAML language server check and complete a spec that names it on its second
    /// line: `# yaml-language-server: $schema=<path or URL of scratch.schema.json>`.
    Schema {
        /// Print the key overview table of `docs/spec.md` (Markdown) instead.
        #[arg(long)]
        overview: bool,
        /// Print the table of message codes of `docs/spec.md` (Markdown) instead.
        #[arg(long, conflicts_with = "overview")]
        rules: bool,
    },
    /// Write a first scratch.yaml for the Go (go.mod), Rust (Cargo.toml), C (Makefile), Python
    /// (pyproject.toml, requirements.txt) or Node (package.json) project in a directory, and print the
    /// command that builds it.
    ///
    /// The spec names the builder image, runs the build with the language's caches mounted (Go's build and
    /// module caches, cargo's registry and target directory), copies the binary to /usr/local/bin and makes
    /// it the entrypoint; for Python and Node, Debian's interpreter runs the project copied to /app. An
    /// existing scratch.yaml is kept unless --force.
    Init {
        /// The project directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The frontend image for the `# syntax=` line; pin yours by digest (`registry/scratchkit@sha256:…`).
        #[arg(long, value_name = "IMAGE", default_value = scratchkit::init::DEFAULT_FRONTEND)]
        frontend: String,
        /// The builder image (default: golang:<go.mod version>, rust:1-bookworm, gcc:14-bookworm; debian:bookworm-slim for Python and Node).
        #[arg(long, value_name = "IMAGE")]
        builder: Option<String>,
        /// Replace an existing scratch.yaml.
        #[arg(long)]
        force: bool,
    },
    /// Check an image scratchkit did not build: a `docker save` archive, an OCI layout (directory or
    /// tar, as `--output type=oci` writes) or an image in a registry (pulled anonymously), each platform
    /// of an index; nothing is run.
    ///
    /// Prints each problem, what it breaks at run time and the scratch.yaml key that fixes it. Exit status:
    /// 0 clean, 1 problems (at or above --fail-on), 2 the image could not be read.
    Doctor {
        /// The `docker save` archive, OCI layout directory or OCI archive; when no such file exists, an
        /// image reference in a registry (`ghcr.io/org/app:1.2`, `localhost:5000/app`).
        image: String,
        /// Pull from a registry that is not on loopback over plain HTTP (loopback registries always are).
        #[arg(long)]
        plain_http: bool,
        /// Print a scratch.yaml that rebuilds the image's files from the --builder image, with the
        /// pitfalls fixed, instead of the findings.
        #[arg(long, requires = "builder", conflicts_with = "json")]
        spec: bool,
        /// With --spec: the image holding the files the image copied (its build stage), as `builder.image`.
        #[arg(long, value_name = "IMAGE", requires = "spec")]
        builder: Option<String>,
        /// Print JSON (`{"images": [{"image", "platform", "findings": [{"severity", "code", "problem", "breaks", "fix"}]}]}`).
        #[arg(long)]
        json: bool,
        /// The least severe finding that makes the exit status 1.
        #[arg(long, value_enum, default_value = "warning")]
        fail_on: FailOn,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Serve BuildKit's gateway API on stdin/stdout (what BuildKit runs; also the default when BuildKit's
    /// environment is present and no command is given).
    Frontend,
    /// Run the build-time checks over a mounted directory and write their verdict (what the frontend's
    /// analysis exec runs inside BuildKit; docs/dev/analysis-exec.md).
    #[command(hide = true)]
    Analyze {
        /// The request the frontend wrote (JSON).
        request: PathBuf,
        /// The builder's output or the image, as the request says.
        root: PathBuf,
        /// Where to write the verdict (JSON).
        verdict: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Warning,
    Error,
}

#[derive(Args)]
struct SpecArgs {
    /// The spec file (scratch.yaml).
    spec: PathBuf,
    /// A build argument, as `docker buildx build --build-arg` takes it (repeatable).
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    build_args: Vec<(String, String)>,
    /// The target to build (`default` or `debug`).
    #[arg(long)]
    target: Option<String>,
    /// An image label, as `docker buildx build --label` gives it; wins over `image.labels` (repeatable).
    #[arg(long = "label", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    labels: Vec<(String, String)>,
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    Platform::parse(s)
}

fn parse_build_arg(s: &str) -> Result<(String, String), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    Ok((name.to_string(), value.to_string()))
}

fn main() -> ExitCode {
    let started_by_buildkit = scratchkit::gateway::Options::in_env();
    if std::env::args_os().len() == 1 && started_by_buildkit {
        return scratchkit::frontend::serve_stdio();
    }
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A spec read and compiled; its problems are already printed.
struct Loaded {
    path: PathBuf,
    filename: String,
    text: String,
    compiled: Compiled,
}

/// Reads and compiles the spec, printing its warnings; `None` (after printing the errors) when it fails.
fn load(args: &SpecArgs, platforms: Vec<Platform>) -> anyhow::Result<Option<Loaded>> {
    let path = args.spec.clone();
    let filename = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    // At most one byte past the limit: `check /dev/zero` stops there instead of filling memory.
    let mut bytes = Vec::new();
    let file = std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_SPEC_BYTES as u64 + 1), &mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    let text = match decode(&bytes, &filename) {
        Ok(text) => text,
        Err(e) => {
            eprint!("{}", e.rendered);
            return Ok(None);
        }
    };
    let build_args: BTreeMap<String, String> = args.build_args.iter().cloned().collect();
    let inputs = PlanInputs { build_args, platforms, default_platform: None, target: args.target.clone() };
    match compile(&text, &filename, &inputs) {
        Ok(compiled) => {
            if !compiled.warnings.items.is_empty() {
                eprint!("{}", compiled.warnings.render(&filename, &text));
            }
            Ok(Some(Loaded { path, filename, text, compiled }))
        }
        Err(e) => {
            eprint!("{}", e.rendered);
            Ok(None)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Frontend => Ok(scratchkit::frontend::serve_stdio()),
        Command::Analyze { request, root, verdict } => {
            scratchkit::analysis::main(&request, &root, &verdict).map_err(anyhow::Error::msg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { image, plain_http, spec, builder, json, fail_on } => {
            doctor(&image, plain_http, builder.filter(|_| spec).as_deref(), json, fail_on)
        }
        Command::Init { dir, frontend, builder, force } => init(&dir, &frontend, builder.as_deref(), force),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "scratchkit", &mut script);
            emit(&script)
        }
        Command::Schema { overview, rules } => {
            let text = match (overview, rules) {
                (true, _) => scratchkit::spec::schema::overview(),
                (_, true) => scratchkit::rules::markdown(),
                _ => scratchkit::spec::schema::json_schema_text(),
            };
            emit(text.as_bytes())
        }
        Command::Check { spec } => {
            let Some(loaded) = load(&spec, Vec::new())? else { return Ok(ExitCode::from(1)) };
            eprintln!("{}: ok", loaded.path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { spec, platform } => {
            let Some(loaded) = load(&spec, platform.into_iter().collect())? else { return Ok(ExitCode::from(1)) };
            let plan = loaded.compiled.plan;
            let config = lower::image_config(&plan, &plan.platforms[0]).with_labels(&spec.labels);
            emit(format!("{}\n", serde_json::to_string_pretty(&config)?).as_bytes())
        }
        Command::Llb { spec, json, platform, build_platform, no_merge, context, builder_ref, builder_env, library } => {
            let Some(loaded) = load(&spec, platform)? else { return Ok(ExitCode::from(1)) };
            let build = llb_build_inputs(&loaded, &spec, build_platform, no_merge, context);
            let per_platform = PlatformInputs {
                builder_ref,
                builder_env: scratchkit::llb::EnvList::parse(builder_env),
                ..PlatformInputs::default()
            };
            let found = Found { libraries: library, ..Found::default() };
            print_llb(&lower::lower(&loaded.compiled.plan, &build, &per_platform, &found), json)
        }
    }
}

/// `scratchkit llb`'s per-build inputs: what the frontend would have from BuildKit, from the flags.
fn llb_build_inputs(
    loaded: &Loaded,
    spec: &SpecArgs,
    build_platform: Platform,
    no_merge: bool,
    context: Option<PathBuf>,
) -> BuildInputs {
    let mut build = BuildInputs::new(build_platform);
    build.merge = !no_merge;
    build.labels = spec.labels.clone();
    // The same source map the frontend sends.
    build.source = Some(std::sync::Arc::new(SourceFile {
        filename: loaded.filename.clone(),
        data: loaded.text.clone().into_bytes(),
        language: "yaml".into(),
    }));
    let dir = context.unwrap_or_else(|| loaded.path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf));
    if let Ok(ignore) = std::fs::read_to_string(dir.join(".dockerignore")) {
        build.context = lower::context_options(None, scratchkit::gateway::parse_dockerignore(&ignore));
    }
    build
}

/// The first platform's graph, as protobuf bytes or (`json`) a readable view with the image config.
fn print_llb(lowered: &[lower::Lowered], json: bool) -> anyhow::Result<ExitCode> {
    let Some(first) = lowered.first() else { bail!("no platform to build for") };
    if lowered.len() > 1 {
        eprintln!("note: `llb` prints the graph of the first platform ({}); BuildKit builds each", first.platform);
    }
    let def = first.image.marshal(&MarshalOptions::default());
    if json {
        let view =
            serde_json::json!({ "platform": first.platform.to_string(), "llb": render(&def), "config": first.config });
        emit(format!("{}\n", serde_json::to_string_pretty(&view)?).as_bytes())
    } else {
        emit(&prost::Message::encode_to_vec(&def))
    }
}

/// `scratchkit doctor`: the report (or with `spec_builder`, the spec) on stdout; 2 when the image cannot be read.
fn doctor(
    image: &str,
    plain_http: bool,
    spec_builder: Option<&str>,
    json: bool,
    fail_on: FailOn,
) -> anyhow::Result<ExitCode> {
    use scratchkit::doctor::{self, Severity};
    let input = doctor::open(image, plain_http);
    if let Some(builder) = spec_builder {
        return match input.and_then(|i| doctor::spec::spec(&i, builder, doctor::Limits::default())) {
            Ok(text) => emit(text.as_bytes()),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::from(2))
            }
        };
    }
    let reports = match input.and_then(|i| doctor::examine(&i, doctor::Limits::default())) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&serde_json::json!({ "images": reports }))?)
    } else {
        doctor::render(&reports)
    };
    emit(text.as_bytes())?;
    let least = match fail_on {
        FailOn::Warning => Severity::Warning,
        FailOn::Error => Severity::Error,
    };
    let failing = reports.iter().flat_map(|r| &r.findings).any(|f| f.severity >= least);
    Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `scratchkit init`: writes the spec, says what it found on stderr and prints the build command on stdout.
fn init(dir: &Path, frontend: &str, builder: Option<&str>, force: bool) -> anyhow::Result<ExitCode> {
    match scratchkit::init::init(dir, frontend, builder, force) {
        Ok(w) => {
            for note in &w.notes {
                eprintln!("note: {note}");
            }
            eprintln!(
                "wrote {} for the {} program `{}`; build it with:",
                w.path.display(),
                w.project.language(),
                w.project.binary()
            );
            emit(format!("{}\n", w.command).as_bytes())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Writes the command's output. A reader that stopped reading (`| head`) is not an error.
fn emit(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
