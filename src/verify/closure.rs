//! The closure of everything the image ships from the builder: the files `copy` lists, every ELF file
//! inside the directories it copies, what glibc opens for them by name ([`super::dlopen`]), and the
//! targets of the symlinks in those directories ([`super::links`]). What it needs from elsewhere in the
//! builder is returned as builder paths to copy to the same place (the `[rootfs] libraries` layer).

use crate::rules::codes::*;
use std::collections::BTreeSet;

use futures_util::future::join_all;

use super::libraries::{self, Layout, Root};
use super::trees::{self, Placed};
use super::{dlopen, extras, links, notes, Diagnostic, Diagnostics};
use crate::diag::Span;
use crate::plan::{AbsPath, Copy, Plan};
use crate::platform::Platform;

/// The builder copies of the spec.
pub struct Copies<'a> {
    /// Every copy from the builder, with its source.
    pub all: &'a [(&'a Copy, &'a AbsPath)],
    /// Those of directories, to look into.
    pub trees: &'a [(&'a Copy, &'a AbsPath)],
}

/// The builder paths the image needs besides its copies, sorted, none inside another; the problems go
/// to `ds`. `roots` are the dynamic files `copy` lists; `from_context` the build context's.
pub async fn of_image<F: super::Filesystem>(
    fs: &F,
    plan: &Plan,
    platform: &Platform,
    Copies { all: copies, trees }: Copies<'_>,
    mut roots: Vec<Root>,
    from_context: (Vec<Root>, Vec<(String, u16)>),
    ds: &mut Diagnostics,
) -> Vec<String> {
    let (context_roots, context_iconv) = from_context;
    let fallback = plan.builder.as_ref().map(|b| b.image_span).unwrap_or_default();
    let span_of = |image: &str| span_of(plan, image).unwrap_or(fallback);
    let found_links = walk_trees(fs, platform, trees, &mut roots, ds).await;
    // Builder paths brought to the same place in the image, besides the libraries.
    let mut brought: Vec<String> = Vec::new();
    let mut layout_copies: Vec<(String, String)> =
        copies.iter().map(|(copy, path)| (copy.dest.to_string(), path.to_string())).collect();

    let mut scan = dlopen::scan(fs, &mut roots).await;
    // The context's files were read where they are.
    roots.extend(context_roots);
    scan.iconv.extend(context_iconv);
    for (image, e) in &scan.unreadable {
        ds.push(
            Diagnostic::error(SK302, span_of(image), format!("cannot read the dynamic symbols of `{image}`: {e}"))
                .hint("the file may be corrupt"),
        );
    }
    let machine = platform.elf_machine().or_else(|| roots.first().map(|r| r.info.machine)).unwrap_or_default();
    let user = scan.iconv.first().map(|(image, _)| (image.as_str(), span_of(image)));
    let mut extra = extras::bring(fs, plan, machine, &roots, user, ds).await;
    layout_copies.extend(extra.trees.iter().map(|dir| (dir.clone(), dir.clone())));
    brought.append(&mut extra.paths);
    roots.append(&mut extra.roots);

    let layout = Layout::new(layout_copies);
    let provided = |image: &str| provided_by_rootfs(plan, image);
    let verdicts = links::check(fs, &layout, &provided, &found_links).await;
    brought.extend(link_verdicts(plan, &found_links, verdicts, &span_of, ds));
    let files = closure_with_notes(fs, roots, &layout, machine, &span_of, brought, ds).await;
    outermost(files)
}

/// Walks each copied directory (a few requests at a time): its ELF files join `roots`; its symlinks, with
/// their targets, are returned.
async fn walk_trees<F: super::Filesystem>(
    fs: &F,
    platform: &Platform,
    trees: &[(&Copy, &AbsPath)],
    roots: &mut Vec<Root>,
    ds: &mut Diagnostics,
) -> Vec<(Placed, String)> {
    let walked = join_all(trees.iter().map(|(copy, path)| trees::walk(fs, path.as_str(), copy.dest.as_str()))).await;
    let mut found_links: Vec<(Placed, String)> = Vec::new();
    for ((copy, path), walked) in trees.iter().zip(walked) {
        match walked {
            Ok(mut walked) => {
                found_links.append(&mut walked.links);
                roots.extend(tree_roots(ds, platform, copy, path, walked));
            }
            Err(e) => ds.push(
                Diagnostic::error(SK301, copy.span, format!("cannot look into `{path}`: {e}"))
                    .hint("the libraries its files need cannot be found without it"),
            ),
        }
    }
    found_links
}

/// The problems of the symlinks in copied directories; returns the builder paths their targets need.
fn link_verdicts(
    plan: &Plan,
    found_links: &[(Placed, String)],
    verdicts: Vec<links::Verdict>,
    span_of: &impl Fn(&str) -> Span,
    ds: &mut Diagnostics,
) -> Vec<String> {
    let mut brought = Vec::new();
    for ((link, target), verdict) in found_links.iter().zip(verdicts) {
        let span = span_of(&link.image);
        match verdict {
            links::Verdict::Inside => {}
            links::Verdict::Bring(path) => brought.push(path),
            // Accepted, it is the user's to know (`image.accept`): the image check leaves it too.
            links::Verdict::Dangling { .. } if plan.image.accepts(&link.image) => {}
            links::Verdict::Dangling { target: leads_to } => ds.push(
                Diagnostic::warning(
                    SK306,
                    span,
                    format!("`{}` is a symlink to `{target}`, which the builder does not have either: it dangles in the image", link.builder),
                )
                .hint(format!("make `{leads_to}` in the builder, or leave the link out")),
            ),
            links::Verdict::Moved { target: leads_to } => ds.push(
                Diagnostic::error(
                    SK307,
                    span,
                    format!("`{}` is a symlink to `{target}`, outside the directory copied; in the image it would lead to `{leads_to}`", link.builder),
                )
                .hint("copy the directory to the same path as in the builder, or make the link absolute"),
            ),
        }
    }
    brought
}

/// `brought` with the library closure of `roots`, and what the `.note.dlopen` of every file read requires,
/// brought with its own closure, whose notes are read in turn.
async fn closure_with_notes<F: super::Filesystem>(
    fs: &F,
    mut roots: Vec<Root>,
    layout: &Layout,
    machine: u16,
    span_of: &impl Fn(&str) -> Span,
    brought: Vec<String>,
    ds: &mut Diagnostics,
) -> Vec<String> {
    let mut files: Vec<String> = brought;
    let loader =
        roots.iter().find(|r| r.info.machine == machine).and_then(|r| r.info.interpreter.clone()).unwrap_or_default();
    let mut read: BTreeSet<String> = BTreeSet::new();
    // Ends: each round reads only files not read before, and brings only sonames not yet held.
    while !roots.is_empty() {
        let dynamic = roots.iter().any(|r| r.info.interpreter.is_some() || !r.info.needed.is_empty());
        let closure =
            if dynamic { libraries::closure_in(fs, &roots, layout).await } else { libraries::Closure::default() };
        for m in &closure.missing {
            ds.push(missing_library(span_of(&m.root), m));
        }
        files.extend(closure.files.iter().cloned());
        let unread: Vec<String> = roots
            .iter()
            .filter(|r| !r.context)
            .map(|r| r.builder.clone())
            .chain(closure.files)
            .filter(|f| read.insert(f.clone()))
            .collect();
        let have: BTreeSet<String> = files.iter().chain(roots.iter().map(|r| &r.builder)).cloned().collect();
        let (more, problems) = notes::required(fs, &unread, &loader, machine, &have).await;
        for (file, message) in problems {
            ds.push(
                Diagnostic::error(SK341, span_of(&file), message)
                    .hint("install the library in the builder, or leave out the file that needs it"),
            );
        }
        files.extend(more.iter().map(|r| r.builder.clone()));
        roots = more;
    }
    files
}

/// Sorted, once each, and none inside another: a file inside a directory brought whole comes with it.
fn outermost(mut files: Vec<String>) -> Vec<String> {
    files.sort();
    files.dedup();
    let dirs = files.clone();
    files.retain(|f| {
        !dirs.iter().any(|d| f.len() > d.len() && f.starts_with(d.as_str()) && f.as_bytes()[d.len()] == b'/')
    });
    files
}

/// Whether a rootfs piece writes this image path (or a tree it is in).
fn provided_by_rootfs(plan: &Plan, image: &str) -> bool {
    let under =
        |dir: &str| image == dir || image.strip_prefix(dir.trim_end_matches('/')).is_some_and(|r| r.starts_with('/'));
    plan.rootfs_files.iter().any(|f| under(f.path.as_str())) || plan.planned_dirs().contains_key(image)
}

/// The span of the copy that puts `image` in the image (the deepest one).
fn span_of(plan: &Plan, image: &str) -> Option<Span> {
    plan.copies
        .iter()
        .filter(|c| {
            image == c.dest.as_str()
                || image.strip_prefix(c.dest.as_str().trim_end_matches('/')).is_some_and(|r| r.starts_with('/'))
        })
        .max_by_key(|c| c.dest.as_str().len())
        .map(|c| c.span)
}

/// The ELF files a copied tree holds, for the closure: those for the target machine (others are named in
/// one warning), and an error for each that cannot be read.
fn tree_roots(
    ds: &mut Diagnostics,
    platform: &Platform,
    copy: &Copy,
    path: &AbsPath,
    walked: trees::Walked,
) -> Vec<Root> {
    // A tree may hold ELF files no loader opens (a toolchain's test data, truncated on purpose): named in
    // one warning, not an error, since their libraries are not looked for.
    if let Some((file, e)) = walked.unreadable.first() {
        let more = if walked.unreadable.len() > 1 {
            format!(" (and {} more files)", walked.unreadable.len() - 1)
        } else {
            String::new()
        };
        ds.push(
            Diagnostic::warning(
                SK308,
                copy.span,
                format!("cannot read `{file}` in `{path}` as ELF{more}: {e}; its libraries are not looked for"),
            )
            .hint("if the image runs it, check that it is intact; else leave it out of the directory"),
        );
    }
    let want = platform.elf_machine();
    let (roots, foreign): (Vec<_>, Vec<_>) =
        walked.elf.into_iter().partition(|(_, info)| want.is_none_or(|m| m == info.machine));
    if let Some((file, info)) = foreign.first() {
        let more = if foreign.len() > 1 { format!(" and {} more", foreign.len() - 1) } else { String::new() };
        ds.push(
            Diagnostic::warning(
                SK309,
                copy.span,
                format!(
                    "`{}`{more} in `{path}` is built for {}, not {platform}: its libraries are not looked for",
                    file.builder,
                    info.machine_name()
                ),
            )
            .hint("leave files for other machines out of the directory"),
        );
    }
    roots
        .into_iter()
        .map(|(file, info)| Root {
            image: file.image,
            builder: file.builder,
            info,
            dlopened: Vec::new(),
            context: false,
        })
        .collect()
}

/// The error for a library the closure did not find, at the copy that brings the file needing it.
fn missing_library(span: Span, m: &libraries::Missing) -> Diagnostic {
    let searched = if m.searched.is_empty() { String::new() } else { format!(" (searched {})", m.searched.join(", ")) };
    if let Some(e) = &m.unreadable {
        Diagnostic::error(
            SK310,
            span,
            format!("`{}` needs `{}`, which cannot be read as ELF: {e}", m.needed_by, m.library),
        )
        .hint("the library may be corrupt: reinstall the package that provides it in the builder image")
    } else if m.origin_moved {
        Diagnostic::error(
            SK311,
            span,
            format!(
                "`{}` finds libraries relative to its own directory ($ORIGIN), but is copied to `{}`, where `{}` is not found{searched}",
                m.needed_by, m.needed_by_image, m.library
            ),
        )
        .hint(format!("copy it to the same directory (e.g. `to: {}`) or its libraries along with it, or link it without an $ORIGIN RUNPATH", m.needed_by))
    } else if m.library == dlopen::LIBGCC_S {
        Diagnostic::error(
            SK312,
            span,
            format!("`{}` calls pthread_cancel or pthread_exit, for which glibc opens `{}`; it is not in the builder{searched}", m.needed_by, m.library),
        )
        .hint("install it in the builder (Debian/Ubuntu: `libgcc-s1`; Fedora: `libgcc`)")
    } else {
        Diagnostic::error(
            SK313,
            span,
            format!("`{}` needs `{}`, which is not in the builder{searched}", m.needed_by, m.library),
        )
        .hint("install the package that provides it in the builder image, or link statically")
    }
}
