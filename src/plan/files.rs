//! `rootfs.dirs[]`, `rootfs.files[]`: directories and small files the spec writes itself.

use crate::rules::codes::*;
use std::collections::HashMap;

use super::accounts::{Accounts, Owner};
use super::build::Planner;
use super::paths::{AbsPath, Mode};
use super::*;
use crate::spec;

impl Planner {
    /// The spec's own `dirs` and `files`.
    pub(super) fn dirs_and_files(&mut self, r: &spec::Rootfs, accounts: &Accounts, pieces: &mut Vec<Piece>) {
        let dirs = self.dirs(r, accounts);
        if !dirs.is_empty() {
            pieces.push(Piece::Dirs(dirs));
        }
        let files = self.files(r, accounts);
        if !files.is_empty() {
            pieces.push(Piece::Files(files));
        }
    }

    /// `rootfs.dirs`: a path listed twice the same way is made once.
    fn dirs(&mut self, r: &spec::Rootfs, accounts: &Accounts) -> Vec<DirEntry> {
        let dirs: Vec<DirEntry> = r
            .dirs
            .iter()
            .filter_map(|d| {
                let path = self.abs_path(d.path.as_ref()?, "dir path")?;
                let mode = d.mode.as_ref().map_or(Some(Mode::new(0o755)), |m| self.mode(m))?;
                if let Some(written) = &d.mode {
                    self.risky_mode(written.span, &path, mode, true);
                }
                let owner = d.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
                Some(DirEntry { path, mode, owner, span: Some(d.span) })
            })
            .collect();
        for d in r.dirs.iter().filter(|d| d.path.is_none()) {
            self.error(SK224, d.span, "a dir has no `path`", "write `{path: /data, mode: \"0750\"}`");
        }
        // A path listed twice the same way is made once; two different ways cannot both hold.
        let mut first: HashMap<AbsPath, DirEntry> = HashMap::new();
        dirs.into_iter()
            .filter(|d| match first.get(&d.path) {
                None => {
                    first.insert(d.path.clone(), d.clone());
                    true
                }
                Some(f) if f.mode == d.mode && f.owner == d.owner => false,
                Some(f) => {
                    let line = f.span.map_or(0, |s| s.line);
                    self.error(
                        SK225,
                        d.span.unwrap_or_default(),
                        format!(
                            "`{}` is listed twice in `rootfs.dirs`, with another mode or owner than on line {line}",
                            d.path
                        ),
                        "keep one entry for it",
                    );
                    false
                }
            })
            .collect()
    }

    fn files(&mut self, r: &spec::Rootfs, accounts: &Accounts) -> Vec<FileEntry> {
        let mut files = Vec::new();
        for f in &r.files {
            let (Some(path), Some(content)) = (&f.path, &f.content) else {
                self.error(
                    SK226,
                    f.span,
                    "a file needs `path` and `content`",
                    "write `{path: /etc/app/motd, content: \"hello\\n\"}`",
                );
                continue;
            };
            let Some(path) = self.abs_path(path, "file path") else { continue };
            let content = self.text(content);
            let Some(mode) = f.mode.as_ref().map_or(Some(Mode::new(0o644)), |m| self.mode(m)) else { continue };
            if let Some(written) = &f.mode {
                self.risky_mode(written.span, &path, mode, false);
            }
            let owner = f.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
            files.push(FileEntry { path, content, mode, owner, span: f.span });
        }
        files
    }
}
