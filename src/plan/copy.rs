//! `copy`, named contexts: what goes into the image, from where, and what it must not replace.

use crate::rules::codes::*;
use std::collections::{BTreeMap, HashMap};

use super::accounts::{Accounts, Owner};
use super::build::Planner;
use super::claims::{Kind, Meets};
use super::paths::{context_path, names_directory, AbsPath, PathError};
use super::rootfs::rootfs_claims;
use super::*;
use crate::spec::{self, Str};

/// The last component of a copy's source, if it has one.
pub(super) fn source_name(from: &Source) -> Option<&str> {
    match from {
        Source::Builder(p) => p.file_name(),
        Source::Context(p) | Source::Named { path: p, .. } => p.rsplit('/').next().filter(|s| !s.is_empty()),
    }
}

impl Planner {
    /// `context:<path>` → the context; otherwise the builder (or, without a builder, the context).
    pub(super) fn source(&mut self, s: &Str, has_builder: bool) -> Option<(Source, bool)> {
        let text = self.text(s);
        let is_dir = text.ends_with('/');
        if let Some(rel) = text.strip_prefix("context:") {
            if let Some((name, rel)) = rel.split_once(':').filter(|(name, _)| is_context_name(name)) {
                return match context_path(rel) {
                    Ok(path) => Some((Source::Named { name: name.to_string(), path }, is_dir)),
                    Err(e) => {
                        self.path_error(s.span, &format!("path in context `{name}`"), rel, e);
                        None
                    }
                };
            }
            return match context_path(rel) {
                Ok(p) => Some((Source::Context(p), is_dir)),
                Err(e) => {
                    self.path_error(s.span, "context path", rel, e);
                    None
                }
            };
        }
        if !has_builder {
            return match context_path(&text) {
                Ok(p) => Some((Source::Context(p), is_dir)),
                Err(e) => {
                    self.path_error(s.span, "context path", &text, e);
                    None
                }
            };
        }
        match AbsPath::parse(&text) {
            Ok(p) => Some((Source::Builder(p), is_dir)),
            Err(PathError::Relative) => {
                self.error(
                    SK214,
                    s.span,
                    format!("`{text}` is a relative path in the builder"),
                    format!("write the absolute path the build writes to, e.g. `/out/{text}`, or `context:{text}` for a file of the build context"),
                );
                None
            }
            Err(e) => {
                self.path_error(s.span, "copy source", &text, e);
                None
            }
        }
    }

    pub(super) fn copies(&mut self, spec: &spec::Spec, has_builder: bool, accounts: &Accounts) -> Vec<Copy> {
        if spec.copy.is_empty() {
            self.error(
                SK215,
                spec.copy_span,
                "`copy` lists nothing",
                "list at least one file, e.g. `copy: [/out/app]`",
            );
        }
        let mut out: Vec<Copy> = Vec::new();
        let mut dests: HashMap<AbsPath, usize> = HashMap::new();
        for c in &spec.copy {
            let Some(from) = &c.from else { continue };
            let Some((source, is_dir)) = self.source(from, has_builder) else { continue };
            if self.in_cache(&source, from) {
                continue;
            }
            let Some(dest) = self.copy_dest(c, from, &source, is_dir) else { continue };
            let mode = c.mode.as_ref().and_then(|m| self.mode(m));
            if let (Some(m), Some(written)) = (mode, &c.mode) {
                // A copy's mode applies to every file it copies, a directory's included.
                self.risky_mode(written.span, &dest, m, false);
            }
            let owner = c.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
            if let Some(line) = dests.get(&dest) {
                self.error(
                    SK216,
                    c.span,
                    format!("`{dest}` is copied twice"),
                    format!("the first copy is on line {line}; give one of them another `to:`"),
                );
                continue;
            }
            dests.insert(dest.clone(), c.span.line);
            out.push(Copy { from: source, dest, contents: is_dir, mode, owner, span: c.span });
        }
        self.copies_into_copies(&out);
        if let Some((message, hint)) = super::record::over_budget(&out) {
            self.error(SK281, spec.copy_span, message, hint);
        }
        out
    }

    /// A copy from under a builder cache mount: what is there is not in the builder's output.
    fn in_cache(&mut self, source: &Source, from: &Str) -> bool {
        if let Source::Builder(path) = source {
            if let Some((cache, at)) = self.caches.iter().find(|(cache, _)| path.starts_with(cache)) {
                let (cache, line) = (cache.clone(), at.line);
                self.error(
                    SK217,
                    from.span,
                    format!(
                        "`{path}` is in the cache mount `{cache}` (`builder.cache`, line {line}): a cache mount's contents are not in the builder's output"
                    ),
                    format!("copy it out of the cache at the end of `run` (`cp -r {path} /out/`) and copy that, or take `{cache}` out of `builder.cache`"),
                );
                return true;
            }
        }
        false
    }

    /// Where a copy lands: `to` (inside it when it ends in `/`), or the source's own path; never `/`.
    fn copy_dest(&mut self, c: &spec::CopyEntry, from: &Str, source: &Source, is_dir: bool) -> Option<AbsPath> {
        let dest = match &c.to {
            Some(to) => {
                let to_dir = names_directory(&to.value);
                let base = self.abs_path(to, "copy destination")?;
                let name = source_name(source);
                match (to_dir && !is_dir, name) {
                    (true, Some(name)) => match base.join(name) {
                        Ok(dest) => dest,
                        Err(e) => {
                            // Only a length can fail here: `name` is a component of a valid path.
                            self.path_error(to.span, "copy destination", &format!("{base}/{name}"), e);
                            return None;
                        }
                    },
                    _ => base,
                }
            }
            None => match source {
                Source::Builder(p) => p.clone(),
                Source::Context(p) | Source::Named { path: p, .. } => match AbsPath::parse(&format!("/{p}")) {
                    Ok(d) => d,
                    Err(e) => {
                        self.path_error(from.span, "copy destination", &format!("/{p}"), e);
                        return None;
                    }
                },
            },
        };
        if dest.as_str() == "/" && !is_dir {
            self.error(SK218, from.span, "a file cannot be copied onto `/`", "give it a destination with `to:`");
            return None;
        }
        if dest.as_str() == "/" {
            // Whatever the build left in the directory would land over users, certificates and /tmp
            // unseen, and no path in it could be checked before the build.
            self.error(
                SK219,
                c.span,
                format!("`{}` is copied into `/`: what the build leaves there would cover the root filesystem", crate::diag::escape(&from.value, 64)),
                "copy it into a directory of its own (`to: /app/`), or each part where it goes (`{from: /out/bin/, to: /usr/local/bin/}`)",
            );
            return None;
        }
        Some(dest)
    }

    /// A copy whose `to` is above an earlier copy's `to` lands inside the directory that one made: BuildKit
    /// puts a file or a directory copied onto an existing directory inside it (`/opt/app/app`). A copy of
    /// a directory's contents (`from: /out/site/`) merges into it, as meant.
    pub(super) fn copies_into_copies(&mut self, copies: &[Copy]) {
        let by_dest: BTreeMap<&str, usize> = copies.iter().enumerate().map(|(i, c)| (c.dest.as_str(), i)).collect();
        for (i, c) in copies.iter().enumerate().filter(|(_, c)| !c.contents) {
            // The destinations below `c.dest` are one run of the sorted map: from `dest/` up to `dest0`.
            let (low, high) = (format!("{}/", c.dest), format!("{}0", c.dest));
            let earlier = by_dest.range(low.as_str()..high.as_str()).map(|(_, j)| *j).filter(|j| *j < i).min();
            if let Some(inner) = earlier.map(|j| &copies[j]) {
                self.error(
                    SK220,
                    c.span,
                    format!(
                        "`{}` is copied after `{}`, which is inside it: by then `{}` is a directory, and this copy would land inside it",
                        c.dest, inner.dest, c.dest
                    ),
                    format!(
                        "list this entry before line {} if `from` is a directory; a file cannot have files below it: give it another `to:` (e.g. `{}/{}`)",
                        inner.span.line,
                        c.dest,
                        source_name(&c.from).unwrap_or("app")
                    ),
                );
            }
        }
    }

    /// Copies must not replace what the rootfs writes (see [`claims`]). Returns the files the rootfs
    /// writes (for the build-time check of directory contents). (The rootfs directories the copies go
    /// into are made again by the application layer: `lower` knows them from the pieces.)
    pub(super) fn over_rootfs(
        &mut self,
        copies: &[Copy],
        rootfs: &[Piece],
        accounts: &Accounts,
        package_metadata: bool,
    ) -> Vec<RootfsFile> {
        let claims = rootfs_claims(rootfs, accounts, package_metadata);
        for (copy, (meets, _)) in copies.iter().zip(claims.walk(copies.iter().map(|c| &c.dest))) {
            let dest = &copy.dest;
            match meets {
                Meets::Free => {}
                Meets::Above(_) if copy.contents => {}
                Meets::Equal(i) | Meets::Below(i) => {
                    let c = &claims.claims[i];
                    let message = match c.kind {
                        Kind::Dir { mode, .. } => format!(
                            "`{dest}` is the directory {} makes (mode {mode}): a copy onto it replaces it",
                            c.by
                        ),
                        Kind::File | Kind::Tree if dest == &c.path => {
                            format!("`{dest}` is written by {}: this copy would replace it", c.by)
                        }
                        Kind::File | Kind::Tree => format!("`{dest}` is inside `{}`, which {} writes", c.path, c.by),
                    };
                    self.error(SK221, copy.span, message, c.hint.clone());
                }
                Meets::Above(i) => {
                    let c = &claims.claims[i];
                    self.error(
                        SK222,
                        copy.span,
                        format!("`{dest}` holds `{}` ({}): a file copied onto it would hide what the rootfs puts there", c.path, c.by),
                        format!("to copy a directory's contents into `{dest}`, end `from` with `/` (e.g. `{{from: /out{dest}/, to: {dest}/}}`)"),
                    );
                }
            }
        }
        let mut files: Vec<RootfsFile> = claims
            .claims
            .into_iter()
            .filter(|c| matches!(c.kind, Kind::File | Kind::Tree))
            .map(|c| RootfsFile { path: c.path, by: c.by, hint: c.hint })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }
}
