//! Files copied from the build context or a named context (a binary built earlier in CI: the goreleaser
//! and `cargo build` pattern). One that is dynamically linked needs a loader and libraries the context does not hold: with
//! a builder image they are taken from it (with or without `run`), as for the builder's own files;
//! without one the build stops at its copy entry.

use crate::rules::codes::*;
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

/// The contexts the plan copies files from: `None` for the build context, else the named context's name.
pub fn contexts_copied_from(plan: &Plan) -> Vec<Option<String>> {
    let mut names: Vec<Option<String>> =
        plan.copies.iter().filter(|c| !c.contents).filter_map(|c| context_of(&c.from).map(|(name, _)| name)).collect();
    names.sort();
    names.dedup();
    names
}

/// The context a source is in and its path there (from the context's root), if it is in one.
fn context_of(source: &Source) -> Option<(Option<String>, String)> {
    match source {
        Source::Builder(_) => None,
        Source::Context(p) => Some((None, format!("/{p}"))),
        Source::Named { name, path } => Some((Some(name.clone()), format!("/{path}"))),
    }
}

/// How the spec names a context's file: `context:hello`, `context:web:dist/app`.
fn shown(name: Option<&str>, path: &str) -> String {
    match name {
        None => format!("context:{}", path.trim_start_matches('/')),
        Some(name) => format!("context:{name}:{}", path.trim_start_matches('/')),
    }
}

/// Reads each file `copy` takes from a context; `contexts` are the ones [`contexts_copied_from`] names,
/// each readable from its root. Directories are not looked into.
pub async fn context_files<F: Filesystem>(
    plan: &Plan,
    platform: &Platform,
    contexts: &[(Option<String>, F)],
) -> FromContext {
    let mut out = FromContext::default();
    for (name, fs) in contexts {
        let one = of_one(fs, plan, platform, name.as_deref()).await;
        out.diagnostics.extend(one.diagnostics);
        out.roots.extend(one.roots);
        out.iconv.extend(one.iconv);
    }
    out
}

/// [`context_files`] for one context.
async fn of_one<F: Filesystem>(fs: &F, plan: &Plan, platform: &Platform, context: Option<&str>) -> FromContext {
    let mut out = FromContext::default();
    let copies: Vec<(&crate::plan::Copy, String)> = plan
        .copies
        .iter()
        .filter(|c| !c.contents)
        .filter_map(|c| context_of(&c.from).filter(|(name, _)| name.as_deref() == context).map(|(_, path)| (c, path)))
        .collect();
    let found = join_all(copies.iter().map(|(_, path)| async move {
        match fs.stat(path).await {
            // A path the context lacks is BuildKit's to report, when the image copies it.
            Err(_) => Ok(None),
            Ok(stat) if stat.is_dir => Ok(None),
            Ok(_) => elf::inspect(fs, path).await,
        }
    }))
    .await;
    for ((copy, path), found) in copies.into_iter().zip(found) {
        let shown = shown(context, &path);
        let info = match found {
            Ok(Some(info)) => info,
            Ok(None) => continue,
            Err(e) => {
                out.diagnostics.push(
                    Diagnostic::error(SK314, copy.span, format!("cannot read `{shown}` as ELF: {e}"))
                        .hint("the binary may be corrupt"),
                );
                continue;
            }
        };
        if libraries_from_builder(plan, platform, copy, &shown, &info, &mut out.diagnostics) {
            out.roots.push(Root {
                image: copy.dest.to_string(),
                builder: path,
                info,
                dlopened: Vec::new(),
                context: false,
            });
        }
    }
    read_dlopened(fs, plan, context, &mut out).await;
    out
}

/// Whether a context file's libraries are to be taken from the builder: not when it is static, nor (after
/// an error) when it is for another machine or there is no builder or `rootfs.libraries` to take them by.
fn libraries_from_builder(
    plan: &Plan,
    platform: &Platform,
    copy: &crate::plan::Copy,
    shown: &str,
    info: &elf::ElfInfo,
    ds: &mut Diagnostics,
) -> bool {
    if platform.elf_machine().is_some_and(|m| m != info.machine) {
        ds.push(
            Diagnostic::error(
                SK315,
                copy.span,
                format!("`{shown}` is built for {}, but the image is for {platform}", info.machine_name()),
            )
            .hint("build it for the target platform, or build it in a `builder` for each platform"),
        );
        return false;
    }
    if !info.is_dynamic() {
        return false;
    }
    let needs = if info.needed.is_empty() { String::new() } else { format!(" and {}", info.needed.join(", ")) };
    let interp = info.interpreter.clone().unwrap_or_default();
    if plan.libraries == Libraries::None {
        ds.push(
            Diagnostic::error(SK316, copy.span, format!("`{shown}` is dynamically linked: it needs {interp}{needs}"))
                .hint("set `rootfs.libraries: auto` to copy them, or link statically (for Go: `CGO_ENABLED=0`)"),
        );
        return false;
    }
    if plan.builder.is_none() {
        ds.push(
            Diagnostic::error(SK317, copy.span, format!("`{shown}` is dynamically linked: it needs {interp}{needs}, and without a `builder` there is nothing to copy them from"))
                .hint("name an image that has its libraries, e.g. `builder: {image: debian:bookworm-slim}` (no `run` needed); or link it statically (Go: `CGO_ENABLED=0`; Rust: `-C target-feature=+crt-static`)"),
        );
        return false;
    }
    true
}

/// What glibc opens for the roots, read here where the files are; then they are named as the spec names them.
async fn read_dlopened<F: Filesystem>(fs: &F, plan: &Plan, context: Option<&str>, out: &mut FromContext) {
    let scan = dlopen::scan(fs, &mut out.roots).await;
    for (image, e) in &scan.unreadable {
        let span = plan.copies.iter().find(|c| c.dest.as_str() == image).map(|c| c.span);
        out.diagnostics.push(
            Diagnostic::error(
                SK318,
                span.unwrap_or_default(),
                format!("cannot read the dynamic symbols of `{image}`: {e}"),
            )
            .hint("the file may be corrupt"),
        );
    }
    out.iconv = scan.iconv;
    for root in &mut out.roots {
        root.builder = shown(context, &root.builder);
        root.context = true;
    }
}
