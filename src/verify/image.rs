//! The assembled image, checked as its user will meet it: the program runs, `/tmp`, the homes and the
//! spec's own directories and files are what the plan says, the CA bundle, the data files and the zone
//! database can be read, every symlink resolves inside the image, and every ELF file finds its loader and
//! libraries there. The build-time checks read the builder's output against the plan; this reads the
//! product, so a copy that lands in a directory another copy made, or a layer that re-makes a home
//! root-owned, is a build error too.
//!
//! The image is read through [`ImageFs`] (listings as `lstat` sees them, and ranged reads): the frontend
//! adapts the solved image ref to it, tests an in-memory tree. Everything after the walk is a function
//! of what was read, and nothing here runs anything, so the same check can later run as an `ExecOp` of
//! scratchkit's own static binary with the image mounted read-only (docs: architecture.md, "Checking the
//! product").

use crate::rules::codes::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::elf::{self, ElfInfo};
use super::{libraries, FileStat, Filesystem, ReadError};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::plan::{fold_clamped, AbsPath, Owner, Piece, Plan, Zones, CA_BUNDLE, ZONEINFO};
use crate::platform::Platform;

pub use super::{Entry, Kind};

/// Read access to the assembled image. Paths are absolute inside it.
#[allow(async_fn_in_trait)]
pub trait ImageFs {
    /// The entries of directory `dir`, by name, without following symlinks.
    async fn list(&self, dir: &str) -> Result<Vec<(String, Entry)>, String>;
    /// Up to `length` bytes at `offset` of the regular file `path` (no symlink on the way).
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String>;
}

/// Requests in flight at once: each is a round trip and, in BuildKit, a snapshot mount.
pub const CONCURRENCY: usize = 16;
/// Symlinks followed in one lookup before giving up, as Linux's `ELOOP`.
const MAX_LINKS: usize = 40;
/// Offending paths named in one finding about a whole tree; the rest are counted.
const NAMED: usize = 3;

/// Every entry of the image by absolute path (`/` is the root directory).
#[derive(Clone, Debug, Default)]
pub struct Tree {
    entries: BTreeMap<String, Entry>,
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// `path` is `dir` or below it.
fn at_or_below(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// Why a path cannot be followed to something in the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// This path (after the links so far) is not in the image.
    Missing(String),
    /// This path is a file, yet the lookup goes on below it.
    NotADirectory(String),
    Loop,
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unresolved::Missing(p) => write!(f, "`{p}` is not in the image"),
            Unresolved::NotADirectory(p) => write!(f, "`{p}` is not a directory"),
            Unresolved::Loop => write!(f, "symlinks loop"),
        }
    }
}

impl Tree {
    pub fn new(entries: impl IntoIterator<Item = (String, Entry)>) -> Self {
        let mut entries: BTreeMap<String, Entry> = entries.into_iter().collect();
        entries.entry("/".to_string()).or_insert(Entry { kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0, size: 0 });
        Tree { entries }
    }

    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.len() <= 1
    }

    /// Every entry by path, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter()
    }

    /// The paths at or below `dir`, in order.
    pub fn below<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a String, &'a Entry)> + 'a {
        self.entries.range(dir.to_string()..).take_while(move |(p, _)| at_or_below(p, dir))
    }

    /// The real path `path` leads to, symlinks followed inside the image (an absolute target starts at the
    /// image's root and `..` stops there, as in a container): never outside it. With `follow_last` false
    /// a final symlink is the answer itself.
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<String, Unresolved> {
        let mut todo: VecDeque<String> = path.split('/').filter(|c| !c.is_empty()).map(str::to_string).collect();
        let mut at = "/".to_string();
        let mut links = 0;
        while let Some(name) = todo.pop_front() {
            match name.as_str() {
                "." => continue,
                ".." => {
                    at = parent(&at).to_string();
                    continue;
                }
                _ => {}
            }
            let next = join(&at, &name);
            match self.entries.get(&next).map(|e| &e.kind) {
                None => return Err(Unresolved::Missing(next)),
                Some(Kind::Symlink(target)) if follow_last || !todo.is_empty() => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Unresolved::Loop);
                    }
                    if target.starts_with('/') {
                        at = "/".to_string();
                    }
                    for c in target.split('/').filter(|c| !c.is_empty()).rev() {
                        todo.push_front(c.to_string());
                    }
                }
                Some(Kind::Dir) => at = next,
                Some(_) if todo.is_empty() => at = next,
                Some(_) => return Err(Unresolved::NotADirectory(next)),
            }
        }
        Ok(at)
    }

    /// The entry `path` leads to, with its real path.
    pub fn follow(&self, path: &str) -> Result<(String, &Entry), Unresolved> {
        let real = self.resolve(path, true)?;
        let entry = self.entries.get(&real).ok_or_else(|| Unresolved::Missing(real.clone()))?;
        Ok((real, entry))
    }
}

/// Reads the whole image: one listing per directory, [`CONCURRENCY`] at a time.
pub async fn read_tree<F: ImageFs>(fs: &F) -> Result<Tree, String> {
    let mut entries = Vec::new();
    let mut pending = vec!["/".to_string()];
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < CONCURRENCY {
            let Some(dir) = pending.pop() else { break };
            running.push(async move {
                let listed = fs.list(&dir).await;
                (dir, listed)
            });
        }
        let Some((dir, listed)) = running.next().await else { break };
        for (name, entry) in listed.map_err(|e| format!("cannot list `{dir}` in the image: {e}"))? {
            if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                continue;
            }
            let path = join(&dir, &name);
            if entry.kind == Kind::Dir {
                pending.push(path.clone());
            }
            entries.push((path, entry));
        }
    }
    Ok(Tree::new(entries))
}

/// The image's user: who the kernel checks permissions for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    /// The primary group and every group that lists the user.
    pub gids: Vec<u32>,
}

impl User {
    pub fn of(plan: &Plan) -> Self {
        let Owner { uid, gid } = plan.image.user;
        let mut gids = vec![gid];
        for piece in &plan.rootfs {
            if let Piece::Accounts(accounts) = piece {
                if let Some(name) = accounts.users().iter().find(|u| u.uid == uid).map(|u| u.name.as_str()) {
                    gids.extend(
                        accounts
                            .groups()
                            .iter()
                            .filter(|g| g.members.iter().any(|m| m.as_str() == name))
                            .map(|g| g.gid),
                    );
                }
            }
        }
        User { uid, gids }
    }

    /// The `rwx` bits (4, 2, 1) that apply to this user for `entry`, as the kernel picks them.
    fn bits(&self, entry: &Entry) -> u32 {
        if self.uid == 0 {
            // Root reads and writes anything; it executes a file only if some `x` bit is set.
            let x = if entry.kind == Kind::Dir || entry.mode & 0o111 != 0 { 1 } else { 0 };
            return 6 | x;
        }
        if entry.uid == self.uid {
            (entry.mode >> 6) & 7
        } else if self.gids.contains(&entry.gid) {
            (entry.mode >> 3) & 7
        } else {
            entry.mode & 7
        }
    }

    /// `want` is the `rwx` bits (4, 2, 1) needed.
    pub fn can(&self, entry: &Entry, want: u32) -> bool {
        self.bits(entry) & want == want
    }
}

impl std::fmt::Display for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "uid {}", self.uid)
    }
}

/// `uid:gid 0755`, as findings describe an entry.
pub fn described(e: &Entry) -> String {
    let kind = match &e.kind {
        Kind::File => "a file",
        Kind::Dir => "a directory",
        Kind::Symlink(_) => "a symlink",
        Kind::Other => "a special file",
    };
    format!("{kind}, {}:{} {:04o}", e.uid, e.gid, e.mode)
}

/// One problem, at the image path it is about (for `image.accept`).
#[derive(Clone, Debug)]
struct Finding {
    path: String,
    diagnostic: Diagnostic,
}

/// What the check needs beyond the plan: the target platform and what the ELF files say.
pub struct Facts<'a> {
    pub platform: &'a Platform,
    /// The ELF facts of the program and of each ELF file with an `x` bit or a `.so` name, by real path.
    pub elves: BTreeMap<String, ElfInfo>,
    /// Libraries (and interpreters) that no search directory of the image has, with who needs them.
    pub missing: Vec<libraries::Missing>,
    /// The `#!` line of the program, if it is a script.
    pub shebang: Option<String>,
}

/// What the check found, and how much of the image it read (for the frontend's log).
#[derive(Debug, Default)]
pub struct Checked {
    pub diagnostics: Diagnostics,
    /// Entries of the image (directories listed: those that are directories).
    pub entries: usize,
    /// ELF files whose headers were read.
    pub elves: usize,
}

/// What the image is meant to run, and as whom: the part of the check that a plan gives and that an
/// image config gives as well (`scratchkit doctor` reads images no spec describes).
#[derive(Clone, Debug)]
pub struct Expectations {
    /// The program the image starts (its first `entrypoint`, else `cmd[0]`) and how messages name it.
    pub program: Option<(String, &'static str)>,
    pub user: User,
}

impl Expectations {
    pub fn of(plan: &Plan) -> Self {
        Expectations { program: program(plan).map(|(p, what)| (p.to_string(), what)), user: User::of(plan) }
    }
}

/// The image as read: its tree and what its ELF files say.
pub struct Inspected<'a> {
    pub tree: Tree,
    pub facts: Facts<'a>,
}

/// Reads the image and checks it: the walk, the ELF headers, the loader's search; then [`findings`].
pub async fn check<F: ImageFs>(fs: &F, plan: &Plan, platform: &Platform) -> Result<Checked, ReadError> {
    let Inspected { tree, facts } = inspect(fs, &Expectations::of(plan), platform).await?;
    let (entries, count) = (tree.len(), facts.elves.len());
    Ok(Checked { diagnostics: findings(&tree, plan, &facts), entries, elves: count })
}

/// Reads the image: the walk, the ELF headers of the program and of every executable or library, the
/// loader's search for each one's libraries.
pub async fn inspect<'a, F: ImageFs>(
    fs: &F,
    expected: &Expectations,
    platform: &'a Platform,
) -> Result<Inspected<'a>, ReadError> {
    let tree = read_tree(fs).await.map_err(ReadError)?;
    let view = InImage { tree: &tree, fs, ld_so_conf: ld_so_conf_of_cache(&tree, fs).await };
    let program = expected
        .program
        .as_ref()
        .and_then(|(p, _)| tree.follow(p).ok())
        .filter(|(_, e)| e.kind == Kind::File)
        .map(|(real, _)| real);
    let elves = read_elves(&view, elf_candidates(&tree, program.clone())).await;
    let roots = closure_roots(&elves);
    let missing =
        if roots.is_empty() { Vec::new() } else { libraries::closure(&view, &roots).await.map_err(ReadError)?.missing };
    let shebang = match &program {
        Some(p) if !elves.contains_key(p) => read_shebang(fs, p).await,
        _ => None,
    };
    Ok(Inspected { facts: Facts { platform, elves, missing, shebang }, tree })
}

/// glibc's loader reads the cache, never `ld.so.conf` (ldconfig's input, which may have changed since): with
/// a cache in the image, its directories stand in for the conf; without one, the image's conf is read.
async fn ld_so_conf_of_cache<F: ImageFs>(tree: &Tree, fs: &F) -> Option<Vec<u8>> {
    if tree.get(LD_SO_CACHE).is_some_and(|e| e.kind == Kind::File && e.size <= MAX_CACHE) {
        let cache = fs.read_at(LD_SO_CACHE, 0, MAX_CACHE).await.unwrap_or_default();
        let dirs = ld_so_cache_dirs(&cache);
        return (!dirs.is_empty()).then(|| dirs.join("\n").into_bytes());
    }
    None
}

/// The files whose ELF headers are read: every executable or library, and the program.
fn elf_candidates(tree: &Tree, program: Option<String>) -> Vec<String> {
    let mut candidates: Vec<String> = tree
        .entries
        .iter()
        .filter(|(p, e)| e.kind == Kind::File && (e.mode & 0o111 != 0 || is_library_name(p)))
        .map(|(p, _)| p.clone())
        .collect();
    candidates.extend(program);
    candidates.sort();
    candidates.dedup();
    candidates
}

/// The ELF facts of the candidates, read [`CONCURRENCY`] at a time.
async fn read_elves<F: ImageFs>(view: &InImage<'_, F>, candidates: Vec<String>) -> BTreeMap<String, ElfInfo> {
    let mut elves = BTreeMap::new();
    let mut inspected = futures_util::stream::iter(candidates.into_iter().map(|p| async move {
        let info = elf::inspect(view, &p).await;
        (p, info)
    }))
    .buffer_unordered(CONCURRENCY);
    while let Some((path, info)) = inspected.next().await {
        // What cannot be parsed is not ELF the loader would run either; the program's own header is
        // checked below.
        if let Ok(Some(info)) = info {
            elves.insert(path, info);
        }
    }
    elves
}

/// The files whose libraries are searched for. A shared library has no loader of its own: it is loaded by
/// the image's loader for its machine (a Python extension, a plugin), so its `DT_NEEDED` are searched as
/// that loader would. Without one in the image, nothing there can load it.
fn closure_roots(elves: &BTreeMap<String, ElfInfo>) -> Vec<(String, ElfInfo)> {
    let loaders: BTreeMap<u16, String> =
        elves.values().filter_map(|i| Some((i.machine, i.interpreter.clone()?))).collect();
    elves
        .iter()
        .filter_map(|(p, i)| match (&i.interpreter, loaders.get(&i.machine)) {
            (Some(_), _) => Some((p.clone(), i.clone())),
            (None, Some(loader)) if !i.needed.is_empty() => {
                Some((p.clone(), ElfInfo { interpreter: Some(loader.clone()), ..i.clone() }))
            }
            _ => None,
        })
        .collect()
}

/// A script's `#!` line, without the `#!`.
async fn read_shebang<F: ImageFs>(fs: &F, program: &str) -> Option<String> {
    let head = fs.read_at(program, 0, 256).await.unwrap_or_default();
    head.strip_prefix(b"#!")
        .map(|rest| String::from_utf8_lossy(rest.split(|b| *b == b'\n').next().unwrap_or_default()).trim().to_string())
}

fn is_library_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.ends_with(".so") || name.contains(".so.")
}

/// The program the image starts and how messages name it.
fn program(plan: &Plan) -> Option<(&str, &'static str)> {
    match (&plan.image.entrypoint, &plan.image.cmd) {
        (Some(e), _) => e.first().map(|p| (p.as_str(), "entrypoint")),
        (None, Some(c)) => c.first().map(|p| (p.as_str(), "cmd[0]")),
        (None, None) => None,
    }
}

const LD_SO_CONF: &str = "/etc/ld.so.conf";
const LD_SO_CACHE: &str = "/etc/ld.so.cache";
/// A cache of every library of a large distribution is a few hundred KiB.
const MAX_CACHE: u64 = 4 << 20;

/// The directories of the libraries glibc's `/etc/ld.so.cache` names (format `glibc-ld.so.cache1.1`,
/// little-endian; offsets count from its header), sorted. The loader looks a name up in the cache before
/// the default directories: a library `ldconfig` found through `ld.so.conf` (`/usr/local/lib`) is found
/// there, and searching the cache's directories finds it the same way.
pub fn ld_so_cache_dirs(bytes: &[u8]) -> Vec<String> {
    const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    const HEADER: usize = 48;
    const ENTRY: usize = 24;
    let Some(start) = bytes.windows(MAGIC.len()).position(|w| w == MAGIC) else {
        return Vec::new();
    };
    let u32_at = |at: usize| bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let count = u32_at(start + MAGIC.len()).unwrap_or(0) as usize;
    let mut dirs = BTreeSet::new();
    for i in 0..count {
        // An entry: flags, key, value (the library's path), os version, hwcap.
        let Some(value) = u32_at(start + HEADER + i * ENTRY + 8) else { break };
        let Some(text) = bytes.get(start.saturating_add(value as usize)..) else { continue };
        let path = String::from_utf8_lossy(text.split(|b| *b == 0).next().unwrap_or_default()).to_string();
        if path.starts_with('/') {
            dirs.insert(parent(&path).to_string());
        }
    }
    dirs.into_iter().collect()
}

/// The image as [`Filesystem`] for the ELF reader and the loader's search: symlinks followed in the tree,
/// bytes read at the real path; `/etc/ld.so.conf`, when the image has only the cache, lists the cache's
/// directories.
struct InImage<'a, F> {
    tree: &'a Tree,
    fs: &'a F,
    ld_so_conf: Option<Vec<u8>>,
}

impl<F: ImageFs> Filesystem for InImage<'_, F> {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        let (_, e) = self.tree.follow(path).map_err(|e| e.to_string())?;
        Ok(FileStat { is_dir: e.kind == Kind::Dir, mode: e.mode & 0o777, size: e.size })
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        if let Some(conf) = self.ld_so_conf.as_ref().filter(|_| path == LD_SO_CONF) {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(conf.len());
            let end = start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX)).min(conf.len());
            return Ok(conf[start..end].to_vec());
        }
        let (real, e) = self.tree.follow(path).map_err(|e| e.to_string())?;
        if e.kind != Kind::File {
            return Err(format!("`{path}` is not a regular file"));
        }
        self.fs.read_at(&real, offset, length).await
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        let (real, _) = self.tree.follow(path).map_err(|e| e.to_string())?;
        let prefix = join(&real, "");
        Ok(self
            .tree
            .below(&real)
            .filter_map(|(p, _)| {
                p.strip_prefix(&prefix).filter(|rest| !rest.is_empty() && !rest.contains('/')).map(str::to_string)
            })
            .collect())
    }
}

/// Every problem of the image, located at the spec key that put the path there; findings at a path
/// `image.accept` lists (or below one) are left out. Pure: the same tree and facts give the same answer.
pub fn findings(tree: &Tree, plan: &Plan, facts: &Facts) -> Diagnostics {
    let user = User::of(plan);
    let mut out = Vec::new();
    check_program(tree, plan, facts, &user, &mut out);
    check_dirs(tree, plan, &mut out);
    check_readable(tree, plan, &user, &mut out);
    check_links(tree, plan, &mut out);
    check_libraries(plan, facts, &mut out);
    let accepted = |path: &str| plan.image.accepts(path);
    let mut ds = Diagnostics::default();
    for f in out {
        if !accepted(&f.path) {
            ds.push(f.diagnostic);
        }
    }
    ds
}

/// The paths the plan gives setuid, setgid or sticky bits (`/tmp`, such `rootfs.dirs` and `rootfs.files`):
/// a BuildKit without MergeOp drops those bits, as the build warns.
pub fn special_bit_paths(plan: &Plan) -> Vec<AbsPath> {
    let mut out = Vec::new();
    for piece in &plan.rootfs {
        match piece {
            Piece::Tmp => out.extend(AbsPath::parse("/tmp")),
            Piece::Dirs(dirs) => {
                out.extend(dirs.iter().filter(|d| d.mode.bits() & 0o7000 != 0).map(|d| d.path.clone()))
            }
            Piece::Files(files) => {
                out.extend(files.iter().filter(|f| f.mode.bits() & 0o7000 != 0).map(|f| f.path.clone()))
            }
            Piece::Accounts(_)
            | Piece::Homes(_)
            | Piece::Nsswitch
            | Piece::CaCertificates(_)
            | Piece::DataFile { .. }
            | Piece::Timezones(_) => {}
        }
    }
    out
}

/// The spec key that put `path` in the image: the last copy at or above it, a `rootfs.files` or
/// `rootfs.dirs` entry, a user's home, the piece that writes it; else the builder image (libraries).
fn origin(plan: &Plan, path: &str) -> Option<Span> {
    if let Some(c) = plan.copies.iter().rev().find(|c| at_or_below(path, c.dest.as_str())) {
        return Some(c.span);
    }
    let key = |k: &str| plan.rootfs_spans.get(k).and_then(|s| s.first().copied());
    for piece in &plan.rootfs {
        let found = match piece {
            Piece::Files(files) => files.iter().find(|f| f.path.as_str() == path).map(|f| Some(f.span)),
            Piece::Dirs(dirs) => dirs.iter().find(|d| d.path.as_str() == path).map(|d| d.span),
            Piece::Homes(homes) => homes.iter().find(|h| h.path.as_str() == path).map(|h| h.span),
            Piece::Timezones(_) if at_or_below(path, ZONEINFO) => Some(key("timezones")),
            Piece::CaCertificates(_) if path == CA_BUNDLE => Some(key("ca-certificates")),
            Piece::DataFile { file, requested } if path == file.path() => Some(*requested),
            Piece::Accounts(_)
            | Piece::Tmp
            | Piece::Nsswitch
            | Piece::Timezones(_)
            | Piece::CaCertificates(_)
            | Piece::DataFile { .. } => None,
        };
        if let Some(span) = found {
            return span.or_else(|| plan.builder.as_ref().map(|b| b.image_span));
        }
    }
    key("libraries").or_else(|| plan.builder.as_ref().map(|b| b.image_span))
}

/// The first thing the spec puts below `dir` (a home, a `rootfs.dirs` or `rootfs.files` entry, a copy):
/// where a directory that lost its mode was most likely re-made.
fn first_below(plan: &Plan, dir: &str) -> Option<Span> {
    let below = |p: &AbsPath| p.as_str() != dir && at_or_below(p.as_str(), dir);
    for piece in &plan.rootfs {
        let found = match piece {
            Piece::Homes(homes) => homes.iter().find(|h| below(&h.path)).map(|h| h.span),
            Piece::Dirs(dirs) => dirs.iter().find(|d| below(&d.path)).map(|d| d.span),
            Piece::Files(files) => files.iter().find(|f| below(&f.path)).map(|f| Some(f.span)),
            Piece::Accounts(_)
            | Piece::Tmp
            | Piece::Nsswitch
            | Piece::CaCertificates(_)
            | Piece::DataFile { .. }
            | Piece::Timezones(_) => None,
        };
        if let Some(Some(span)) = found {
            return Some(span);
        }
    }
    plan.copies.iter().find(|c| below(&c.dest)).map(|c| c.span)
}

/// The directories on the way to `real` (itself excluded) that `user` cannot pass through.
fn blocked_on_the_way(tree: &Tree, real: &str, user: &User) -> Option<(String, Entry)> {
    let mut dir = parent(real);
    let mut blocked = None;
    loop {
        if let Some(e) = tree.get(dir) {
            if !user.can(e, 1) {
                blocked = Some((dir.to_string(), e.clone()));
            }
        }
        if dir == "/" {
            return blocked;
        }
        dir = parent(dir);
    }
}

/// How the program cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramFault {
    /// It (or a directory on the way) is not in the image.
    Missing,
    /// It leads to something other than a regular file (at this real path).
    NotAFile(String),
    NotExecutable,
    /// A directory on the way that the user cannot pass through.
    Unreachable,
    /// Its ELF machine is not the image's platform.
    WrongMachine,
    /// A script whose interpreter the image cannot run.
    NoInterpreter,
}

/// One reason the program cannot run: the image path it is about and the message.
#[derive(Clone, Debug)]
pub struct ProgramProblem {
    pub fault: ProgramFault,
    pub path: String,
    pub message: String,
    pub hint: &'static str,
}

/// Why the expected program cannot be started by the expected user, as read from the image.
pub fn program_problems(tree: &Tree, expected: &Expectations, facts: &Facts) -> Vec<ProgramProblem> {
    let Some((program, what)) = &expected.program else { return Vec::new() };
    let (program, user) = (program.as_str(), &expected.user);
    if !program.starts_with('/') {
        return Vec::new(); // the plan's error; an image config's program is looked up in `PATH`
    }
    let (real, entry) = match tree.follow(program) {
        Ok(f) => f,
        Err(e) => {
            let message = format!("{what} `{program}` cannot be started: {e}");
            return vec![problem(ProgramFault::Missing, program, message, "copy the program there, or fix the path")];
        }
    };
    if entry.kind != Kind::File {
        let message = format!("{what} `{program}` is not a regular file in the image: it is {}", described(entry));
        return vec![problem(
            ProgramFault::NotAFile(real),
            program,
            message,
            "point the entrypoint at the program inside it",
        )];
    }
    let mut out = Vec::new();
    if !user.can(entry, 1) {
        out.push(problem(
            ProgramFault::NotExecutable,
            program,
            format!("{what} `{program}` cannot be executed by the image's user ({user}): it is {}", described(entry)),
            "give its copy entry `mode: \"0755\"`, or an `owner:` that may run it",
        ));
    }
    if let Some((dir, e)) = blocked_on_the_way(tree, &real, user) {
        out.push(problem(
            ProgramFault::Unreachable,
            &dir,
            format!("{what} `{program}` cannot be reached by the image's user ({user}): `{dir}` is {}", described(&e)),
            "give that directory an `x` bit for the user",
        ));
    }
    out.extend(machine_problem(program, what, &real, facts));
    out.extend(interpreter_problem(tree, program, what, user, facts));
    out
}

fn problem(fault: ProgramFault, path: &str, message: String, hint: &'static str) -> ProgramProblem {
    ProgramProblem { fault, path: path.to_string(), message, hint }
}

/// A program built for another machine than the image's platform.
fn machine_problem(program: &str, what: &str, real: &str, facts: &Facts) -> Option<ProgramProblem> {
    let (info, want) = (facts.elves.get(real)?, facts.platform.elf_machine()?);
    (info.machine != want).then(|| {
        problem(
            ProgramFault::WrongMachine,
            program,
            format!("{what} `{program}` is built for {}, but the image is for {}", info.machine_name(), facts.platform),
            "cross-compile for the target: the builder has TARGETOS and TARGETARCH",
        )
    })
}

/// A script whose `#!` interpreter the image's user cannot run.
fn interpreter_problem(tree: &Tree, program: &str, what: &str, user: &User, facts: &Facts) -> Option<ProgramProblem> {
    let line = facts.shebang.as_ref()?;
    let interpreter = line.split_whitespace().next().unwrap_or_default();
    let runs = interpreter.starts_with('/')
        && tree.follow(interpreter).is_ok_and(|(_, e)| e.kind == Kind::File && user.can(e, 1));
    (!runs).then(|| {
        problem(
            ProgramFault::NoInterpreter,
            program,
            format!("{what} `{program}` is a script for `{interpreter}`, which the image cannot run"),
            "copy the interpreter into the image, or ship a compiled program",
        )
    })
}

fn check_program(tree: &Tree, plan: &Plan, facts: &Facts, user: &User, out: &mut Vec<Finding>) {
    let expected = Expectations { program: program(plan).map(|(p, what)| (p.to_string(), what)), user: user.clone() };
    let span = plan.image.entrypoint_span;
    for p in program_problems(tree, &expected, facts) {
        let hint = match &p.fault {
            // A copy that made the program's path a directory is the likely cause: name it.
            ProgramFault::NotAFile(real) => {
                match plan.copies.iter().find(|c| c.dest.as_str() != real && at_or_below(c.dest.as_str(), real)) {
                    Some(c) => format!(
                    "the copy to `{}` (line {}) made it a directory: copy the program elsewhere, e.g. `to: {real}/{}`",
                    c.dest,
                    c.span.line,
                    name_of(real)
                ),
                    None => p.hint.to_string(),
                }
            }
            _ => p.hint.to_string(),
        };
        out.push(Finding { path: p.path, diagnostic: Diagnostic::error(SK319, span, p.message).hint(hint) });
    }
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
}

/// What a rootfs piece makes: the entry the image must have at `path`, and how findings name it.
struct Planned<'a> {
    path: &'a str,
    kind: Kind,
    mode: u32,
    owner: Owner,
    what: &'a str,
    span: Option<Span>,
}

/// The hint of a planned entry the image has otherwise.
const REMADE: &str =
    "a later layer or copy made it again: report this as a scratchkit bug, or list the path under `image.accept`";

/// `/tmp`, the homes and the spec's dirs and files: each has its planned type, mode and owner.
fn check_dirs(tree: &Tree, plan: &Plan, out: &mut Vec<Finding>) {
    let mut blocked = Vec::new();
    for piece in &plan.rootfs {
        for planned in planned_entries(plan, piece) {
            check_planned(tree, planned, out);
        }
        if let Piece::Homes(homes) = piece {
            blocked.extend(homes.iter().filter_map(|h| home_blocked(tree, h, home_span(plan, h))));
        }
    }
    out.extend(blocked);
}

/// The entries a piece makes with a type, mode and owner of its own.
fn planned_entries<'a>(plan: &Plan, piece: &'a Piece) -> Vec<Planned<'a>> {
    match piece {
        Piece::Tmp => {
            let span =
                first_below(plan, "/tmp").or_else(|| plan.rootfs_spans.get("tmp").and_then(|s| s.first().copied()));
            vec![Planned {
                path: "/tmp",
                kind: Kind::Dir,
                mode: 0o1777,
                owner: Owner::ROOT,
                what: "`rootfs.tmp`:",
                span,
            }]
        }
        Piece::Homes(homes) => homes
            .iter()
            .map(|h| Planned {
                path: h.path.as_str(),
                kind: Kind::Dir,
                mode: 0o700,
                owner: h.owner,
                what: "the home",
                span: home_span(plan, h),
            })
            .collect(),
        Piece::Dirs(dirs) => dirs
            .iter()
            .map(|d| Planned {
                path: d.path.as_str(),
                kind: Kind::Dir,
                mode: d.mode.bits(),
                owner: d.owner,
                what: "`rootfs.dirs`:",
                span: d.span,
            })
            .collect(),
        Piece::Files(files) => files
            .iter()
            .map(|f| Planned {
                path: f.path.as_str(),
                kind: Kind::File,
                mode: f.mode.bits(),
                owner: f.owner,
                what: "`rootfs.files`:",
                span: Some(f.span),
            })
            .collect(),
        Piece::Accounts(_)
        | Piece::Nsswitch
        | Piece::CaCertificates(_)
        | Piece::DataFile { .. }
        | Piece::Timezones(_) => Vec::new(),
    }
}

/// Where a home is set: its `rootfs.users` entry, else (the default user's) the first copy below it.
fn home_span(plan: &Plan, h: &crate::plan::Home) -> Option<Span> {
    h.span.or_else(|| first_below(plan, h.path.as_str()))
}

/// A finding when the image's entry at the planned path is not of the planned type, mode and owner.
fn check_planned(tree: &Tree, planned: Planned, out: &mut Vec<Finding>) {
    let Planned { path, kind, mode, owner, what, span } = planned;
    let ok =
        tree.get(path).is_some_and(|e| e.kind == kind && e.mode == mode && e.uid == owner.uid && e.gid == owner.gid);
    if ok {
        return;
    }
    let is = tree.get(path).map_or_else(|| "not there".to_string(), described);
    let kind = if kind == Kind::Dir { "a directory" } else { "a file" };
    let message = format!(
        "{what} `{path}` should be {kind}, {}:{} {mode:04o}, but in the image it is {is}",
        owner.uid, owner.gid
    );
    out.push(Finding { path: path.to_string(), diagnostic: Diagnostic::error(SK320, span, message).hint(REMADE) });
}

/// A home its own user cannot reach, for a directory on the way.
fn home_blocked(tree: &Tree, h: &crate::plan::Home, span: Option<Span>) -> Option<Finding> {
    let user = User { uid: h.owner.uid, gids: vec![h.owner.gid] };
    let (dir, e) = blocked_on_the_way(tree, h.path.as_str(), &user)?;
    let message = format!("the home `{}` cannot be reached by its user ({user}): `{dir}` is {}", h.path, described(&e));
    Some(Finding {
        path: h.path.to_string(),
        diagnostic: Diagnostic::error(SK321, span, message).hint("give the user a home outside that directory"),
    })
}

/// The CA bundle, the data files and the zone database: regular files the user can read, in directories
/// it can pass through.
fn check_readable(tree: &Tree, plan: &Plan, user: &User, out: &mut Vec<Finding>) {
    for piece in &plan.rootfs {
        match piece {
            Piece::CaCertificates(_) => check_readable_file(tree, plan, user, (CA_BUNDLE, "the CA bundle", false), out),
            // One the builder turned out not to have (and the spec did not ask for) is left out.
            Piece::DataFile { file: f, requested } => {
                check_readable_file(tree, plan, user, (f.path(), "the data file", requested.is_none()), out)
            }
            Piece::Accounts(_)
            | Piece::Homes(_)
            | Piece::Tmp
            | Piece::Nsswitch
            | Piece::Timezones(_)
            | Piece::Dirs(_)
            | Piece::Files(_) => {}
        }
    }
    check_zones_readable(tree, plan, user, out);
}

/// One file a piece copies: `(path, how findings name it, whether it may be absent)`.
fn check_readable_file(
    tree: &Tree,
    plan: &Plan,
    user: &User,
    (path, what, optional): (&str, &str, bool),
    out: &mut Vec<Finding>,
) {
    let span = origin(plan, path);
    let problem = match tree.follow(path) {
        Err(_) if optional => return,
        Err(e) => format!("cannot be opened: {e}"),
        Ok((_, e)) if e.kind != Kind::File => format!("is not a regular file: it is {}", described(e)),
        Ok((_, e)) if !user.can(e, 4) => format!("cannot be read by the image's user ({user}): it is {}", described(e)),
        Ok((real, _)) => match blocked_on_the_way(tree, &real, user) {
            Some((dir, e)) => format!("cannot be reached by the image's user ({user}): `{dir}` is {}", described(&e)),
            None => return,
        },
    };
    let hint = "the image has it as the builder had it: check the builder's file";
    out.push(Finding {
        path: path.to_string(),
        diagnostic: Diagnostic::error(SK322, span, format!("{what} `{path}` {problem}")).hint(hint),
    });
}

/// The zone database (or the zones listed): one finding naming the first entries the user cannot read.
fn check_zones_readable(tree: &Tree, plan: &Plan, user: &User, out: &mut Vec<Finding>) {
    let mut unreadable: Vec<String> = Vec::new();
    for root in &zone_roots(plan) {
        let Ok((real, _)) = tree.follow(root) else { continue };
        if let Some((dir, _)) = blocked_on_the_way(tree, &real, user) {
            unreadable.push(dir);
        }
        for (path, e) in tree.below(&real) {
            let ok = match e.kind {
                Kind::Dir => user.can(e, 5),
                Kind::File => user.can(e, 4),
                _ => true,
            };
            if !ok && !plan.image.accepts(path) {
                unreadable.push(format!("`{path}` ({})", described(e)));
            }
        }
    }
    unreadable.dedup();
    if let Some(first) = unreadable.first() {
        let named: Vec<&str> = unreadable.iter().take(NAMED).map(String::as_str).collect();
        let more =
            if unreadable.len() > NAMED { format!(" and {} more", unreadable.len() - NAMED) } else { String::new() };
        let span = plan
            .rootfs_spans
            .get("timezones")
            .and_then(|s| s.first().copied())
            .or_else(|| plan.builder.as_ref().map(|b| b.image_span));
        let message =
            format!("the time zone database cannot be read by the image's user ({user}): {}{more}", named.join(", "));
        let path = first.trim_start_matches('`').split('`').next().unwrap_or(ZONEINFO).to_string();
        out.push(Finding {
            path,
            diagnostic: Diagnostic::error(SK323, span, message)
                .hint("a directory needs `r` and `x`, a zone file `r`, for the user"),
        });
    }
}

/// The zone database, or the zones the spec lists, as image paths.
fn zone_roots(plan: &Plan) -> Vec<String> {
    plan.rootfs
        .iter()
        .flat_map(|p| match p {
            Piece::Timezones(Zones::All) => vec![ZONEINFO.to_string()],
            Piece::Timezones(Zones::Only(names)) => names.iter().map(|n| format!("{ZONEINFO}/{n}")).collect(),
            Piece::Accounts(_)
            | Piece::Homes(_)
            | Piece::Tmp
            | Piece::Nsswitch
            | Piece::CaCertificates(_)
            | Piece::DataFile { .. }
            | Piece::Dirs(_)
            | Piece::Files(_) => Vec::new(),
        })
        .collect()
}

/// The symlinks that do not lead to anything in the image: path, target and why.
pub fn dangling_links(tree: &Tree) -> Vec<(String, String, Unresolved)> {
    let mut out = Vec::new();
    for (path, e) in &tree.entries {
        let Kind::Symlink(target) = &e.kind else { continue };
        if let Err(why) = tree.resolve(path, true) {
            out.push((path.clone(), target.clone(), why));
        }
    }
    out
}

/// Every symlink leads to something in the image.
fn check_links(tree: &Tree, plan: &Plan, out: &mut Vec<Finding>) {
    for (path, target, why) in dangling_links(tree) {
        let path = &path;
        let message = format!("`{path}` is a symlink to `{target}`, which does not resolve in the image: {why}");
        // A zone region (`Europe`) may link to a zone of another (`../Asia/Nicosia`): name it.
        let pointed = if target.starts_with('/') { target.clone() } else { format!("{}/{target}", parent(path)) };
        let zone = fold_clamped(&pointed)
            .strip_prefix(&format!("{ZONEINFO}/"))
            .map(str::to_string)
            .filter(|_| at_or_below(path, ZONEINFO));
        let hint = match zone {
            Some(zone) => format!("add `{zone}` to `rootfs.timezones`, or list `{path}` under `image.accept`"),
            None => format!("copy what it points to as well, or list `{path}` under `image.accept` if it is meant to dangle (a volume mounted there)"),
        };
        out.push(Finding {
            path: path.clone(),
            diagnostic: Diagnostic::error(SK324, origin(plan, path), message).hint(hint),
        });
    }
}

/// Every dynamic ELF file finds its loader and libraries in the image.
fn check_libraries(plan: &Plan, facts: &Facts, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for m in &facts.missing {
        if !seen.insert((m.needed_by.clone(), m.library.clone())) {
            continue;
        }
        let searched =
            if m.searched.is_empty() { String::new() } else { format!(" (searched {})", m.searched.join(", ")) };
        let message = format!("`{}` needs `{}`, which is not in the image{searched}", m.needed_by, m.library);
        let hint = "copy it from the builder with the program (`rootfs.libraries: auto` does so for the files `copy` lists), or link statically";
        out.push(Finding {
            path: m.needed_by.clone(),
            diagnostic: Diagnostic::error(SK325, origin(plan, &m.needed_by), message).hint(hint),
        });
    }
}
