//! Files copied from the build context (a binary built earlier in CI: the goreleaser and `cargo build`
//! pattern). One that is dynamically linked needs a loader and libraries the context does not hold: with
//! a builder image they are taken from it (with or without `run`), as for the builder's own files;
//! without one the build stops at its copy entry.

use futures_util::future::join_all;

use super::dlopen;
use super::libraries::Root;
use super::{elf, Diagnostic, Diagnostics, Filesystem};
use crate::plan::{Libraries, Plan, Source};
use crate::platform::Platform;

/// What the context's copied files need.
#[derive(Debug, Default)]
pub struct FromContext {
    pub diagnostics: Diagnostics,
    /// The dynamic ones, for the builder's closure; their imports are read (`dlopened` is filled).
    pub roots: Vec<Root>,
    /// Those that call `iconv_open`: image path and machine.
    pub iconv: Vec<(String, u16)>,
}

/// Whether the plan copies a file from the build context (then it is worth reading).
pub fn copies_from_context(plan: &Plan) -> bool {
    plan.copies.iter().any(|c| matches!(c.from, Source::Context(_)) && !c.contents)
}

/// Reads each file `copy` takes from the build context (`fs` is the context, paths from its root).
/// Directories are not looked into.
pub async fn context_files<F: Filesystem>(fs: &F, plan: &Plan, platform: &Platform) -> FromContext {
    let mut out = FromContext::default();
    let copies: Vec<(&crate::plan::Copy, String)> =
        plan.copies.iter().filter(|c| !c.contents).filter_map(|c| if let Source::Context(p) = &c.from { Some((c, format!("/{p}"))) } else { None }).collect();
    let found = join_all(copies.iter().map(|(_, path)| async move {
        match fs.stat(path).await {
            // A path the context lacks is BuildKit's to report, when the image copies it.
            Err(_) => Ok(None),
            Ok(stat) if stat.is_dir => Ok(None),
            Ok(_) => elf::inspect(fs, path).await,
        }
    }))
    .await;
    let ds = &mut out.diagnostics;
    for ((copy, path), found) in copies.into_iter().zip(found) {
        let shown = format!("context:{}", path.trim_start_matches('/'));
        let info = match found {
            Ok(Some(info)) => info,
            Ok(None) => continue,
            Err(e) => {
                ds.push(Diagnostic::error(copy.span, format!("cannot read `{shown}` as ELF: {e}")).hint("the binary may be corrupt"));
                continue;
            }
        };
        if platform.elf_machine().is_some_and(|m| m != info.machine) {
            ds.push(
                Diagnostic::error(copy.span, format!("`{shown}` is built for {}, but the image is for {platform}", info.machine_name()))
                    .hint("build it for the target platform, or build it in a `builder` for each platform"),
            );
            continue;
        }
        if !info.is_dynamic() {
            continue;
        }
        let needs = if info.needed.is_empty() { String::new() } else { format!(" and {}", info.needed.join(", ")) };
        let interp = info.interpreter.clone().unwrap_or_default();
        if plan.libraries == Libraries::None {
            ds.push(
                Diagnostic::error(copy.span, format!("`{shown}` is dynamically linked: it needs {interp}{needs}"))
                    .hint("set `rootfs.libraries: auto` to copy them, or link statically (for Go: `CGO_ENABLED=0`)"),
            );
            continue;
        }
        if plan.builder.is_none() {
            ds.push(
                Diagnostic::error(copy.span, format!("`{shown}` is dynamically linked: it needs {interp}{needs}, and without a `builder` there is nothing to copy them from"))
                    .hint("name an image that has its libraries, e.g. `builder: {image: debian:bookworm-slim}` (no `run` needed); or link it statically (Go: `CGO_ENABLED=0`; Rust: `-C target-feature=+crt-static`)"),
            );
            continue;
        }
        out.roots.push(Root { image: copy.dest.to_string(), builder: path, info, dlopened: Vec::new(), context: false });
    }
    // What glibc opens for them, read here where the files are; then they are named as the spec names them.
    let scan = dlopen::scan(fs, &mut out.roots).await;
    for (image, e) in &scan.unreadable {
        let span = plan.copies.iter().find(|c| c.dest.as_str() == image).map(|c| c.span);
        out.diagnostics
            .push(Diagnostic::error(span.unwrap_or_default(), format!("cannot read the dynamic symbols of `{image}`: {e}")).hint("the file may be corrupt"));
    }
    out.iconv = scan.iconv;
    for root in &mut out.roots {
        root.builder = format!("context:{}", root.builder.trim_start_matches('/'));
        root.context = true;
    }
    out
}
