//! The rootfs pieces and the application files as lists of file actions, one list per layer.
//!
//! Layers follow how images change: the application is its own layer; the small files taken from the
//! builder's /etc (certificates, services, protocols, MIME types) share one, the zone database has its
//! own; the small files the frontend writes itself (users, homes, /tmp, nsswitch; then the spec's dirs
//! and files) share one layer per run of consecutive pieces, because a layer costs time at export and
//! pull whatever its size, and these change only with the spec.
//!
//! Modes are exact: BuildKit's mkdir and mkfile are subject to the daemon's umask and drop special bits
//! (so `mkdir /tmp 1777` would give 0755), whereas a copy with a mode is a plain chmod. Directories and
//! user files whose mode matters are therefore staged in a tiny internal state and copied into place.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Span;
use crate::llb::{CopyOptions, FileAction, State};
use crate::plan::{AbsPath, Copy, Home, Mode, Owner, Piece, Plan, Source, Zones, CA_BUNDLE, ZONEINFO};

use super::Sources;
use crate::plan::PackageMetadata;

/// The name in Debian's zoneinfo that links out of it, to `/etc/localtime`; left out of the image's copy.
pub const ZONE_LINK_OUT: &str = "localtime";

/// Where distroless keeps one dpkg status stanza per package, and scanners look for them.
const STATUS_D: &str = "/var/lib/dpkg/status.d";

pub struct Layer {
    pub name: String,
    pub actions: Vec<FileAction>,
    /// Where the spec asks for what the layer holds (the source map points a failing copy there).
    pub spans: Vec<Span>,
}

impl Layer {
    /// The top-level entries the layer writes (`/etc`, `/usr`, `/busybox`), sorted.
    pub fn tops(&self) -> Vec<String> {
        let mut tops: Vec<String> = self
            .actions
            .iter()
            .map(|a| match a {
                FileAction::Mkdir { path, .. } | FileAction::Mkfile { path, .. } => path,
                FileAction::Copy { dest, .. } => dest,
            })
            .filter_map(|p| {
                p.trim_start_matches('/').split('/').next().filter(|c| !c.is_empty()).map(|c| format!("/{c}"))
            })
            .collect();
        tops.sort();
        tops.dedup();
        tops
    }
}

const NSSWITCH: &str = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n";

/// Nanoseconds since the epoch for every file we create: SOURCE_DATE_EPOCH, or 0 so layers are
/// reproducible without it.
pub fn timestamp(plan: &Plan) -> i64 {
    plan.epoch.unwrap_or(0).saturating_mul(1_000_000_000)
}

fn owner(o: Owner) -> Option<(u32, u32)> {
    Some((o.uid, o.gid))
}

/// The directories one layer has made so far. Each is made once, parents first, so no directory is ever
/// copied onto an existing one (which BuildKit nests: `<dir>/empty`) and the planned ones are made with
/// their mode and owner wherever the layer passes through them, in any order the spec lists them.
struct Layout<'p> {
    planned: &'p BTreeMap<String, (Mode, Owner)>,
    made: BTreeSet<String>,
    ts: i64,
}

impl<'p> Layout<'p> {
    fn new(planned: &'p BTreeMap<String, (Mode, Owner)>, ts: i64) -> Self {
        Layout { planned, made: BTreeSet::new(), ts }
    }

    /// Makes every directory above `path` not made yet: a run of unplanned ones with one `mkdir -p`
    /// (root-owned 0755, at our timestamp), a planned one exactly.
    fn parents(&mut self, path: &AbsPath) -> Vec<FileAction> {
        let mut actions = Vec::new();
        let mut plain: Option<String> = None;
        let mut above = String::new();
        let components: Vec<&str> = path.as_str().split('/').filter(|c| !c.is_empty()).collect();
        for c in components.iter().take(components.len().saturating_sub(1)) {
            above = format!("{above}/{c}");
            if !self.made.insert(above.clone()) {
                continue;
            }
            match self.planned.get(&above) {
                Some(&(mode, owner)) => {
                    actions.extend(plain.take().map(|p| self.mkdir_p(p)));
                    actions.push(self.exact(&above, mode, owner));
                }
                None => plain = Some(above.clone()),
            }
        }
        actions.extend(plain.map(|p| self.mkdir_p(p)));
        actions
    }

    /// `path` as a directory of its own (with its planned mode and owner if it has them), unless made.
    fn dir(&mut self, path: &AbsPath, mode: Mode, owner: Owner) -> Vec<FileAction> {
        let mut actions = self.parents(path);
        if self.made.insert(path.to_string()) {
            let (mode, owner) = self.planned.get(path.as_str()).copied().unwrap_or((mode, owner));
            actions.push(self.exact(path.as_str(), mode, owner));
        }
        actions
    }

    fn mkdir_p(&self, path: String) -> FileAction {
        FileAction::Mkdir { path, mode: 0o755, make_parents: true, owner: Some((0, 0)), timestamp: Some(self.ts) }
    }

    /// A copy of an empty directory: exact for every mode bit, where mkdir is subject to the umask.
    fn exact(&self, path: &str, mode: Mode, o: Owner) -> FileAction {
        FileAction::Copy {
            from: empty_dir(),
            src: "/empty".into(),
            dest: path.to_string(),
            options: CopyOptions {
                mode: Some(mode.bits()),
                owner: owner(o),
                timestamp: Some(self.ts),
                ..CopyOptions::default()
            },
        }
    }
}

/// An empty directory to copy from when a directory needs an exact mode.
fn empty_dir() -> State {
    State::scratch()
        .file(vec![FileAction::Mkdir {
            path: "/empty".into(),
            mode: 0o755,
            make_parents: false,
            owner: None,
            timestamp: Some(0),
        }])
        .named("[internal] empty directory")
}

fn exact_file(layout: &mut Layout, path: &AbsPath, content: &str, mode: Mode, o: Owner, ts: i64) -> Vec<FileAction> {
    let staged = State::scratch()
        .file(vec![FileAction::Mkfile {
            path: "/file".into(),
            mode: 0o644,
            data: content.as_bytes().to_vec(),
            owner: None,
            timestamp: Some(ts),
        }])
        .named(format!("[internal] content of {path}"));
    let mut actions = layout.parents(path);
    actions.push(FileAction::Copy {
        from: staged,
        src: "/file".into(),
        dest: path.to_string(),
        options: CopyOptions {
            mode: Some(mode.bits()),
            owner: owner(o),
            timestamp: Some(ts),
            ..CopyOptions::default()
        },
    });
    actions
}

/// A root-owned 0644 file; mkfile is exact for these bits.
fn plain_file(layout: &mut Layout, path: &str, content: &str, ts: i64) -> Vec<FileAction> {
    let p = AbsPath::parse(path).expect("constant path");
    let mut actions = layout.parents(&p);
    actions.push(FileAction::Mkfile {
        path: path.into(),
        mode: 0o644,
        data: content.as_bytes().to_vec(),
        owner: Some((0, 0)),
        timestamp: Some(ts),
    });
    actions
}

fn copy_in(
    layout: &mut Layout,
    sources: &Sources,
    from: &Source,
    dest: &AbsPath,
    options: CopyOptions,
) -> Vec<FileAction> {
    let (state, src) = sources.of(from);
    let mut actions = layout.parents(dest);
    actions.push(FileAction::Copy { from: state.clone(), src, dest: dest.to_string(), options });
    actions
}

/// The rootfs layers. `absent` lists the data files the builder turned out not to have (found by
/// `verify`); their pieces, unless the spec asked for them, are left out. Without `copy_excludes`
/// (BuildKit < v0.9), a copy cannot leave anything out, so the zoneinfo copy keeps its `right/` tree.
pub fn pieces(plan: &Plan, sources: &Sources, absent: &[String], copy_excludes: bool) -> Vec<Layer> {
    let kept: Vec<&Piece> = plan
        .rootfs
        .iter()
        .filter(|p| !matches!(p, Piece::DataFile { file, requested: None } if absent.iter().any(|a| a == file.path())))
        .collect();
    let planned = plan.planned_dirs();
    // A run of consecutive pieces of one kind is one layer (see `LayerKind`).
    kept.chunk_by(|a, b| layer_kind(a) == layer_kind(b) && layer_kind(a) != LayerKind::Own)
        .map(|run| {
            let names: Vec<&str> = run.iter().map(|p| p.name()).collect();
            let mut layout = Layout::new(&planned, timestamp(plan));
            let actions =
                run.iter().flat_map(|p| piece_actions(plan, sources, p, copy_excludes, &mut layout)).collect();
            let spans = names.iter().flat_map(|n| plan.rootfs_spans.get(n).into_iter().flatten().copied()).collect();
            Layer { name: format!("[rootfs] {}", names.join(", ")), actions, spans }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LayerKind {
    /// Small files the frontend writes itself (users, homes, /tmp, nsswitch, the spec's dirs and files).
    Written,
    /// Small files copied from the builder's /etc (the CA bundle, services, protocols, MIME types): they
    /// change together, when the builder image does.
    BuilderEtc,
    /// A layer of its own (the zone database: large, and it changes on its own schedule).
    Own,
}

fn layer_kind(piece: &Piece) -> LayerKind {
    match piece {
        Piece::CaCertificates(_) | Piece::DataFile { .. } => LayerKind::BuilderEtc,
        Piece::Timezones(_) => LayerKind::Own,
        Piece::Accounts(_) | Piece::Homes(_) | Piece::Tmp | Piece::Nsswitch | Piece::Dirs(_) | Piece::Files(_) => {
            LayerKind::Written
        }
    }
}

fn piece_actions(
    plan: &Plan,
    sources: &Sources,
    piece: &Piece,
    copy_excludes: bool,
    layout: &mut Layout,
) -> Vec<FileAction> {
    let ts = timestamp(plan);
    let copied_ts = plan.epoch.map(|_| ts);
    match piece {
        Piece::Accounts(a) => {
            let mut v = plain_file(layout, "/etc/passwd", &a.passwd(), ts);
            v.extend(plain_file(layout, "/etc/group", &a.group(), ts));
            v
        }
        Piece::Homes(homes) => {
            homes.iter().flat_map(|Home { path, owner, .. }| layout.dir(path, Mode::new(0o700), *owner)).collect()
        }
        Piece::Tmp => layout.dir(crate::plan::tmp_path(), Mode::new(0o1777), Owner::ROOT),
        Piece::Nsswitch => plain_file(layout, "/etc/nsswitch.conf", NSSWITCH, ts),
        Piece::CaCertificates(from) => {
            let dest = AbsPath::parse(CA_BUNDLE).expect("constant path");
            copy_in(layout, sources, from, &dest, etc_file_options(copied_ts))
        }
        Piece::DataFile { file, .. } => {
            let path = AbsPath::parse(file.path()).expect("constant path");
            copy_in(layout, sources, &Source::Builder(path.clone()), &path, etc_file_options(copied_ts))
        }
        Piece::Timezones(zones) => timezone_actions(layout, sources, zones, copy_excludes, copied_ts),
        Piece::Dirs(dirs) => dirs.iter().flat_map(|d| layout.dir(&d.path, d.mode, d.owner)).collect(),
        Piece::Files(files) => {
            files.iter().flat_map(|f| exact_file(layout, &f.path, &f.content, f.mode, f.owner, ts)).collect()
        }
    }
}

/// A file of `/etc` copied from the builder: root's, readable by all, its symlinks followed.
fn etc_file_options(timestamp: Option<i64>) -> CopyOptions {
    CopyOptions { mode: Some(0o644), owner: Some((0, 0)), follow_symlinks: true, timestamp, ..CopyOptions::default() }
}

fn timezone_actions(
    layout: &mut Layout,
    sources: &Sources,
    zones: &Zones,
    copy_excludes: bool,
    copied_ts: Option<i64>,
) -> Vec<FileAction> {
    let root = AbsPath::parse(ZONEINFO).expect("constant path");
    match zones {
        Zones::All => {
            let from = Source::Builder(root.clone());
            // `right/` repeats every zone with leap seconds; nothing in Go or glibc's default reads it.
            // Debian's `localtime` is a link to the builder's `/etc/localtime`, which the image has not:
            // it would dangle (the image check says so), and programs read `/etc/localtime` itself.
            let exclude_patterns = if copy_excludes { vec!["right".into(), ZONE_LINK_OUT.into()] } else { Vec::new() };
            let options =
                CopyOptions { exclude_patterns, owner: Some((0, 0)), timestamp: copied_ts, ..CopyOptions::default() };
            copy_in(layout, sources, &from, &root, options)
        }
        // A name may be a directory (`Europe`): the copy keeps the builder's modes, since one mode
        // for the whole tree would be 0644 on its directories too, which no one but root can enter.
        Zones::Only(names) => names
            .iter()
            .filter_map(|z| root.join(z).ok())
            .flat_map(|path| {
                let from = Source::Builder(path.clone());
                let options = CopyOptions {
                    follow_symlinks: true,
                    owner: Some((0, 0)),
                    timestamp: copied_ts,
                    ..CopyOptions::default()
                };
                copy_in(layout, sources, &from, &path, options)
            })
            .collect(),
    }
}

/// Shared libraries (and the loader) copied to the paths the builder had them at, symlinks resolved,
/// so the dynamic loader finds them under the names it looks for.
pub fn libraries(plan: &Plan, sources: &Sources, paths: &[String]) -> Layer {
    let ts = timestamp(plan);
    let planned = plan.planned_dirs();
    let mut layout = Layout::new(&planned, ts);
    let mut actions = Vec::new();
    for p in paths {
        let Ok(path) = AbsPath::parse(p) else {
            continue;
        };
        let options = CopyOptions {
            follow_symlinks: true,
            owner: Some((0, 0)),
            create_dest_path: true,
            timestamp: plan.epoch.map(|_| ts),
            ..CopyOptions::default()
        };
        actions.extend(copy_in(&mut layout, sources, &Source::Builder(path.clone()), &path, options));
    }
    Layer { name: "[rootfs] libraries".into(), actions, spans: key_or_builder_copies(plan, "libraries") }
}

/// The spec lines of a layer that follows from the builder's copies: its own key where the spec writes it,
/// else the copies it serves.
fn key_or_builder_copies(plan: &Plan, key: &str) -> Vec<Span> {
    match plan.rootfs_spans.get(key) {
        Some(spans) => spans.clone(),
        None => plan.copies.iter().filter(|c| matches!(c.from, Source::Builder(_))).map(|c| c.span).collect(),
    }
}

/// `/var/lib/dpkg/status.d/<package>` and `<package>.md5sums` written from what `verify` read in the
/// builder's dpkg database, `/etc/os-release` and each package's copyright file copied from the builder:
/// what syft and trivy read in distroless images.
pub fn package_metadata(plan: &Plan, sources: &Sources, meta: &PackageMetadata) -> Layer {
    let ts = timestamp(plan);
    let planned = plan.planned_dirs();
    let mut layout = Layout::new(&planned, ts);
    let copied = |layout: &mut Layout, from: &str, to: &str| -> Vec<FileAction> {
        let (Ok(from), Ok(to)) = (AbsPath::parse(from), AbsPath::parse(to)) else {
            return Vec::new();
        };
        let options = CopyOptions {
            follow_symlinks: true,
            mode: Some(0o644),
            owner: Some((0, 0)),
            timestamp: plan.epoch.map(|_| ts),
            ..CopyOptions::default()
        };
        copy_in(layout, sources, &Source::Builder(from), &to, options)
    };
    let mut actions = Vec::new();
    for p in &meta.packages {
        // Debian package names are [a-z0-9+.-]: anything else is not written rather than made a path.
        if p.name.is_empty()
            || !p.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c))
        {
            continue;
        }
        actions.extend(plain_file(&mut layout, &format!("{STATUS_D}/{}", p.name), &p.stanza, ts));
        if !p.md5sums.is_empty() {
            actions.extend(plain_file(&mut layout, &format!("{STATUS_D}/{}.md5sums", p.name), &p.md5sums, ts));
        }
        if let Some(copyright) = &p.copyright {
            actions.extend(copied(&mut layout, copyright, &format!("/usr/share/doc/{}/copyright", p.name)));
        }
    }
    if let Some(os_release) = &meta.os_release {
        actions.extend(copied(&mut layout, os_release, "/etc/os-release"));
    }
    Layer { name: "[rootfs] package metadata".into(), actions, spans: key_or_builder_copies(plan, "package metadata") }
}

/// `--target debug`: a static busybox at `/busybox` (`docker run --entrypoint /busybox IMAGE sh`).
pub fn debug_shell(plan: &Plan, busybox_image: State) -> Layer {
    let options = CopyOptions {
        follow_symlinks: true,
        mode: Some(0o755),
        owner: Some((0, 0)),
        timestamp: plan.epoch.map(|_| timestamp(plan)),
        ..CopyOptions::default()
    };
    let actions =
        vec![FileAction::Copy { from: busybox_image, src: "/bin/busybox".into(), dest: "/busybox".into(), options }];
    Layer { name: "[debug] busybox".into(), actions, spans: Vec::new() }
}

/// The files `copy:` lists, in one layer: the only one that changes when the code does.
pub fn application(plan: &Plan, sources: &Sources) -> Layer {
    let ts = timestamp(plan);
    // The rootfs directories the copies go into are made again as the rootfs makes them: otherwise making
    // the copies' parents here would give `/tmp` or a home root's 0755 in the stacked image.
    let planned = plan.planned_dirs();
    let mut layout = Layout::new(&planned, ts);
    let mut actions = Vec::new();
    for Copy { from, dest, contents, mode, owner: o, .. } in &plan.copies {
        let options = CopyOptions {
            mode: mode.map(Mode::bits),
            owner: owner(*o),
            follow_symlinks: true,
            contents_only: *contents,
            create_dest_path: true,
            timestamp: plan.epoch.map(|_| ts),
            ..CopyOptions::default()
        };
        actions.extend(copy_in(&mut layout, sources, from, dest, options));
    }
    let names: Vec<String> = plan.copies.iter().take(NAMED_COPIES).map(|c| c.dest.to_string()).collect();
    let more = plan.copies.len().saturating_sub(NAMED_COPIES);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    Layer {
        name: format!("[app] {}{more}", names.join(" ")),
        actions,
        spans: plan.copies.iter().map(|c| c.span).collect(),
    }
}

/// At most this many destinations name the application layer in the build's progress: BuildKit sends a
/// step's name with each of its status updates (10,000 copies named in full: a 180 KB name on three steps).
const NAMED_COPIES: usize = 8;
