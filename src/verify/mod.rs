//! Build-time checks of what the builder produced, before the final image is assembled: failures other
//! tools leave to `docker run` become errors that point into the spec.
//!
//! The checks read the builder's output through [`Filesystem`], a trait of this module's own: the
//! frontend adapts a solved gateway ref to it, tests adapt a host directory or an in-memory tree.

mod closure;
pub mod context;
mod debs;
pub mod dlopen;
pub mod elf;
mod extras;
mod gconv;
pub mod image;
pub mod libraries;
pub mod links;
pub mod local_fs;
mod named;
mod notes;
pub mod packages;
pub mod trees;

use crate::rules::codes::*;
use elf::ElfInfo;
use libraries::Root;

use futures_util::future::{join, join_all};

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::plan::{AbsPath, BuilderRead, Copy, DataFile, Libraries, Piece, Plan, Source, Zones, CA_BUNDLE, ZONEINFO};
use crate::platform::Platform;

/// What the checks need to know of a path (symlinks already followed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStat {
    pub is_dir: bool,
    /// The permission bits (`0o777`).
    pub mode: u32,
    pub size: u64,
}

/// What a directory entry is, symlinks not followed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A symbolic link and its target as written, not followed.
    Symlink(String),
    /// A device, pipe or socket; or, from a listing that follows symlinks, a link that leads nowhere.
    #[default]
    Other,
}

/// One entry of a directory listing ([`Filesystem::list`], [`image::ImageFs::list`]), as `lstat` sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    /// The owner; 0 from a listing that does not tell (the default [`Filesystem::list`]).
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
}

/// Read access to one filesystem. Paths are absolute inside it.
#[allow(async_fn_in_trait)]
pub trait Filesystem {
    async fn stat(&self, path: &str) -> Result<FileStat, String>;
    /// Up to `length` bytes at `offset`.
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String>;
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String>;
    /// A directory's entries with what each is. The default stats each name, which follows symlinks (a
    /// link shows as what it leads to); a filesystem that can tell links says so.
    async fn list(&self, path: &str) -> Result<Vec<(String, Entry)>, String> {
        let names = self.read_dir(path).await?;
        let paths: Vec<String> = names.iter().map(|n| format!("{}/{n}", path.trim_end_matches('/'))).collect();
        let stats = join_all(paths.iter().map(|p| self.stat(p))).await;
        Ok(names
            .into_iter()
            .zip(stats)
            .map(|(name, stat)| match stat {
                Ok(s) => (
                    name,
                    Entry {
                        kind: if s.is_dir { Kind::Dir } else { Kind::File },
                        mode: s.mode,
                        size: s.size,
                        ..Entry::default()
                    },
                ),
                Err(_) => (name, Entry::default()),
            })
            .collect())
    }
}

/// The builder's output could not be read: the check itself failed (not a problem with the spec).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

/// What the checks found: problems, and the shared libraries the image needs from the builder.
#[derive(Debug, Default)]
pub struct Verified {
    pub diagnostics: Diagnostics,
    pub libraries: Vec<String>,
    /// Data files the spec did not ask for explicitly and the builder lacks: the image goes without them.
    pub absent: Vec<String>,
    /// The packages owning what the image takes from the builder (`rootfs.package-metadata`).
    pub packages: crate::plan::PackageMetadata,
}

impl Verified {
    /// What lowering takes from the checks, as [`crate::plan::Found`] with the reads they made through the
    /// probe and the paths they found there as themselves; and the checks' diagnostics.
    pub fn into_found(
        self,
        probe: Vec<BuilderRead>,
        probe_held: std::collections::BTreeSet<String>,
    ) -> (crate::plan::Found, Diagnostics) {
        let found = crate::plan::Found {
            probe,
            probe_held,
            libraries: self.libraries,
            absent: self.absent,
            packages: self.packages,
        };
        (found, self.diagnostics)
    }
}

/// Checks the builder's filesystem (already built) against the plan.
pub async fn builder_output<F: Filesystem>(fs: &F, plan: &Plan, platform: &Platform) -> Result<Verified, ReadError> {
    builder_output_with(fs, plan, platform, context::FromContext::default()).await
}

/// [`builder_output`], with what the files copied from the build context need ([`context::context_files`]):
/// the builder provides their libraries too.
pub async fn builder_output_with<F: Filesystem>(
    fs: &F,
    plan: &Plan,
    platform: &Platform,
    from_context: context::FromContext,
) -> Result<Verified, ReadError> {
    let mut out = Verified::default();
    if plan.builder.is_none() {
        return Ok(out);
    }

    // Every file the checks need is read at once (each read is a round trip and a snapshot mount in
    // BuildKit); the findings are then reported in spec order.
    let copies: Vec<(&Copy, &AbsPath)> =
        plan.copies.iter().filter_map(|c| if let Source::Builder(p) = &c.from { Some((c, p)) } else { None }).collect();
    let ((inspected, rootfs_problems), hidden) = join(
        join(join_all(copies.iter().map(|(copy, path)| inspect_copy(fs, copy, path))), check_rootfs(fs, plan)),
        contents_over_rootfs(fs, plan),
    )
    .await;

    let ds = &mut out.diagnostics;
    ds.extend(hidden);
    let mut roots = Vec::new();
    let mut trees = Vec::new();
    for ((copy, path), found) in copies.iter().zip(inspected) {
        if found.stat.is_some_and(|s| s.is_dir) && plan.libraries == Libraries::Auto {
            trees.push((*copy, *path));
        }
        if let Some(info) = check_copy(ds, plan, platform, copy, path, found) {
            roots.push(Root {
                image: copy.dest.to_string(),
                builder: path.to_string(),
                info,
                dlopened: Vec::new(),
                context: false,
            });
        }
    }
    ds.extend(from_context.diagnostics);
    let shipped = closure::Copies { all: &copies, trees: &trees };
    out.libraries =
        closure::of_image(fs, plan, platform, shipped, roots, (from_context.roots, from_context.iconv), ds).await;
    let (rootfs_problems, absent) = rootfs_problems;
    out.diagnostics.extend(rootfs_problems);
    out.absent = absent;
    if plan.package_metadata && !out.diagnostics.has_errors() {
        out.packages = packages::find(fs, &copied(plan, &out.libraries, &out.absent)).await;
    }
    Ok(out)
}

/// What the checks will read of the builder, as far as the plan tells: the copies' sources, the rootfs
/// pieces taken from the builder and, for `rootfs.package-metadata`, the dpkg database, os-release and the
/// copyright files. The shared libraries a dynamic binary needs are known only once it is read: those
/// reads go to the builder itself. A path with glob characters, or the whole root, is left to the builder
/// too (the probe looks paths up with a pattern).
pub fn planned_reads(plan: &Plan) -> Vec<BuilderRead> {
    let mut reads = Vec::new();
    if plan.builder.is_none() {
        return reads;
    }
    for copy in &plan.copies {
        if let Source::Builder(path) = &copy.from {
            // Looked for by name in its directory, so that a build that did not write it (a common mistake)
            // is told so by the checks, not by a failed probe step in the progress. A top-level path is
            // copied as it is: looking in `/` would walk the whole builder.
            let read = BuilderRead::at(path.as_str());
            reads.push(if path.parent().is_some_and(|p| p.as_str() != "/") { read.by_name() } else { read });
        }
    }
    for piece in &plan.rootfs {
        match piece {
            Piece::CaCertificates(Source::Builder(path)) => reads.push(BuilderRead::at(path.as_str())),
            Piece::DataFile { file, requested: Some(_) } => reads.push(BuilderRead::at(file.path())),
            Piece::DataFile { file, requested: None } => {
                reads.push(BuilderRead::at(file.path()).optional_below("/etc"))
            }
            // Only whether the database is there is checked: a few files show it (the image's copy of the
            // whole tree reads the builder, which a cached build never unpacks for it).
            Piece::Timezones(Zones::All) => {
                reads.push(BuilderRead::at(ZONEINFO).only(&["zone.tab", "zone1970.tab", "UTC"], false))
            }
            Piece::Timezones(Zones::Only(names)) => {
                reads.extend(names.iter().map(|n| BuilderRead::at(&format!("{ZONEINFO}/{n}"))))
            }
            Piece::Accounts(_)
            | Piece::Homes(_)
            | Piece::Tmp
            | Piece::Nsswitch
            | Piece::CaCertificates(Source::Context(_) | Source::Named { .. })
            | Piece::Dirs(_)
            | Piece::Files(_) => {}
        }
    }
    if plan.package_metadata {
        // The database, from /var/lib: a builder without dpkg (Alpine) is a builder without it, and a
        // symlinked /var/lib/dpkg is followed (the pattern matches the link; the copy follows it).
        reads.push(
            BuilderRead::at(packages::DPKG)
                .optional_below("/var/lib")
                .only(&["status", "info/*.list", "info/*.md5sums"], true)
                .flat(),
        );
        // Debian and Ubuntu have /etc/os-release (a symlink the copy follows); the fallback `/usr/lib/os-release`
        // is left to the builder, as walking /usr/lib for it would cost every cold build.
        reads.push(BuilderRead::at(packages::OS_RELEASE[0]).optional_below("/etc"));
        // A package's doc directory may be a symlink to another's, which the pattern does not follow: a
        // copyright file not found here is looked for in the builder.
        reads.push(BuilderRead::at("/usr/share/doc").optional_below("/usr/share").only(&["*/copyright"], false));
    }
    let plain = |p: &str| p != "/" && !p.contains(['*', '?', '[', '\\']);
    let mut seen = std::collections::BTreeSet::new();
    reads.retain(|r| plain(&r.path) && seen.insert(r.path.clone()));
    reads
}

/// The copies' sources looked for by name ([`BuilderRead::by_name`]) out of directories that more than one
/// is copied from: with the checks in an exec, the probe holds those of them that the builder has as regular
/// files, so that the image's copies out of one directory are one walk of it, not a copy action each out of
/// the builder (BuildKit: 143 s for 3,000 sibling files, against 41 s through the probe). A file copied alone
/// out of its directory is copied from the builder: the probe would walk that directory for it (11.7 s for
/// one file out of 200,000).
pub fn copy_reads(plan: &Plan) -> Vec<BuilderRead> {
    shared_directories_only(planned_reads(plan).into_iter().filter(|r| r.by_name).collect())
}

/// Of reads looked for by name, those whose directory another of them shares.
pub fn shared_directories_only(reads: Vec<BuilderRead>) -> Vec<BuilderRead> {
    let mut per_dir = std::collections::BTreeMap::<String, usize>::new();
    for dir in reads.iter().filter_map(|r| r.optional_below.clone()) {
        *per_dir.entry(dir).or_default() += 1;
    }
    let shared = |r: &BuilderRead| r.optional_below.as_ref().and_then(|d| per_dir.get(d)).is_some_and(|n| *n > 1);
    reads.into_iter().filter(|r| r.by_name && shared(r)).collect()
}

/// Every builder path the image takes: rootfs pieces, libraries, and the spec's own copies.
pub fn copied(plan: &Plan, libraries: &[String], absent: &[String]) -> packages::Copied {
    let mut out = packages::Copied::default();
    for piece in &plan.rootfs {
        match piece {
            Piece::CaCertificates(Source::Builder(path)) => out.files.push(path.to_string()),
            Piece::Timezones(Zones::All) => out.trees.push((ZONEINFO.to_string(), vec!["right".to_string()])),
            Piece::Timezones(Zones::Only(names)) => out.files.extend(names.iter().map(|n| format!("{ZONEINFO}/{n}"))),
            Piece::DataFile { file, .. } if !absent.iter().any(|a| a == file.path()) => {
                out.files.push(file.path().to_string())
            }
            Piece::Accounts(_)
            | Piece::Homes(_)
            | Piece::Tmp
            | Piece::Nsswitch
            | Piece::CaCertificates(Source::Context(_) | Source::Named { .. })
            | Piece::DataFile { .. }
            | Piece::Dirs(_)
            | Piece::Files(_) => {}
        }
    }
    out.files.extend(libraries.iter().cloned());
    // A library path may be a directory brought whole (glibc's gconv modules, a symlink's target).
    out.trees.extend(libraries.iter().map(|l| (l.clone(), Vec::new())));
    for copy in &plan.copies {
        if let Source::Builder(path) = &copy.from {
            // A file, or a directory copied whole: both ways, the builder's packages own what is below it.
            out.files.push(path.to_string());
            out.trees.push((path.to_string(), Vec::new()));
        }
    }
    out
}

/// At most this many names are looked up for [`contents_over_rootfs`]; a spec would need thousands of
/// directory copies over thousands of `rootfs.files` to reach it.
const MAX_CONTENTS_LOOKUPS: usize = 10_000;

/// A copy of a directory's contents (`from: /out/etc/`, `to: /etc/`) cannot be checked against what the
/// rootfs writes until the builder has run: if the directory holds `passwd`, the application layer would
/// silently replace the rootfs's `/etc/passwd`. Each file the rootfs writes below the destination is looked
/// up at the same place below the source.
async fn contents_over_rootfs<F: Filesystem>(fs: &F, plan: &Plan) -> Diagnostics {
    let mut lookups = Vec::new();
    for copy in plan.copies.iter().filter(|c| c.contents) {
        let Source::Builder(from) = &copy.from else { continue };
        let prefix = format!("{}/", copy.dest.as_str().trim_end_matches('/'));
        // `rootfs_files` is sorted by path, so the files below the destination are one run of it.
        let first = plan.rootfs_files.partition_point(|f| f.path.as_str() < prefix.as_str());
        for file in plan.rootfs_files[first..].iter().take_while(|f| f.path.as_str().starts_with(&prefix)) {
            if let Ok(source) = from.join(&file.path.as_str()[prefix.len()..]) {
                lookups.push((copy, file, source));
            }
        }
    }
    lookups.truncate(MAX_CONTENTS_LOOKUPS);
    let found = join_all(lookups.iter().map(|(_, _, source)| fs.stat(source.as_str()))).await;
    let mut ds = Diagnostics::default();
    for ((copy, file, source), found) in lookups.into_iter().zip(found) {
        if found.is_ok() {
            ds.push(
                Diagnostic::error(
                    SK326,
                    copy.span,
                    format!("`{source}` would be copied onto `{}`, which {} writes", file.path, file.by),
                )
                .hint(format!(
                    "leave it out of `{}/`; or {}",
                    source.parent().map_or_else(String::new, |p| p.to_string()).trim_end_matches('/'),
                    file.hint
                )),
            );
        }
    }
    ds
}

/// What the builder has at a copy's source: its stat (None if absent) and, for a file, its ELF facts.
struct Found {
    stat: Option<FileStat>,
    elf: Result<Option<ElfInfo>, String>,
}

async fn inspect_copy<F: Filesystem>(fs: &F, copy: &Copy, path: &AbsPath) -> Found {
    let Ok(stat) = fs.stat(path.as_str()).await else {
        return Found { stat: None, elf: Ok(None) };
    };
    let elf = if stat.is_dir || copy.contents { Ok(None) } else { elf::inspect(fs, path.as_str()).await };
    Found { stat: Some(stat), elf }
}

/// Whether debug information is worth a note: only when stripping would at least halve the file and save
/// a mebibyte. A default Go build is about a third DWARF and symbols (measured: 1.7 of 5.5 MB for a
/// hello-world), which teams ship knowingly; a finding on every such build would teach users to ignore
/// findings. A file that is mostly debug information (a C or C++ program built with `-g`) is likely a
/// mistake, but not a fault: a note (SK331), never a warning.
pub fn worth_stripping(strippable: u64, size: u64) -> bool {
    strippable >= 1 << 20 && strippable.saturating_mul(2) >= size
}

/// `n` bytes in MiB with one decimal (`1.6 MiB`).
fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / f64::from(1 << 20))
}

/// The problems with one copied file; returns its ELF facts when it needs the library closure.
fn check_copy(
    ds: &mut Diagnostics,
    plan: &Plan,
    platform: &Platform,
    copy: &Copy,
    path: &AbsPath,
    found: Found,
) -> Option<ElfInfo> {
    let Some(stat) = found.stat else {
        ds.push(
            Diagnostic::error(SK327, copy.span, format!("`{path}` does not exist in the builder after `run`"))
                .hint("check the path the build writes to (for Go: `go build -o /out/app .`)"),
        );
        return None;
    };
    check_entrypoint(ds, plan, copy, &stat);
    if !stat.is_dir && !copy.contents {
        check_nothing_inside(ds, plan, copy, path);
    }
    let info = match found.elf {
        Ok(Some(info)) => info,
        Ok(None) => return None,
        Err(e) => {
            // Not a warning: what it needs is unknown, so the image could not be checked to run.
            ds.push(
                Diagnostic::error(SK329, copy.span, format!("cannot read `{path}` as ELF: {e}"))
                    .hint("the binary may be corrupt"),
            );
            return None;
        }
    };
    check_elf(ds, plan, platform, (copy, path), &stat, info)
}

/// A copied file that another copy puts files inside: it would need to be a directory (the plan cannot
/// know: it is a file only now).
fn check_nothing_inside(ds: &mut Diagnostics, plan: &Plan, copy: &Copy, path: &AbsPath) {
    let inside = format!("{}/", copy.dest);
    if let Some(other) = plan.copies.iter().find(|c| c.dest.as_str().starts_with(&inside)) {
        ds.push(
            Diagnostic::error(
                SK328,
                copy.span,
                format!(
                    "`{path}` is a file, but the copy to `{}` (line {}) puts files inside `{}`",
                    other.dest, other.span.line, copy.dest
                ),
            )
            .hint(format!(
                "give one of them another `to:` (e.g. `{}/{}`)",
                copy.dest,
                path.file_name().unwrap_or("app")
            )),
        );
    }
}

/// A copied ELF file: its machine, its debug information, and whether it is dynamic and may be; returns
/// it when it needs the library closure.
fn check_elf(
    ds: &mut Diagnostics,
    plan: &Plan,
    platform: &Platform,
    (copy, path): (&Copy, &AbsPath),
    stat: &FileStat,
    info: ElfInfo,
) -> Option<ElfInfo> {
    if let Some(want) = platform.elf_machine() {
        if info.machine != want {
            ds.push(
                Diagnostic::error(SK330, copy.span, format!("`{path}` is built for {}, but the image is for {platform}", info.machine_name()))
                    .hint("cross-compile for the target: the builder has TARGETOS and TARGETARCH (for Go: `GOOS=$TARGETOS GOARCH=$TARGETARCH go build ...`)"),
            );
            return None;
        }
    }
    if worth_stripping(info.strippable, stat.size) {
        let share = info.strippable * 100 / stat.size.max(1);
        ds.push(
            Diagnostic::note(
                SK331,
                copy.span,
                format!(
                    "stripping `{path}` would save {} bytes ({} of its {}): it is {share}% debug information and symbols",
                    info.strippable,
                    mib(info.strippable),
                    mib(stat.size)
                ),
            )
            .hint("strip it (Go: `-ldflags=\"-s -w\"`; C: `strip` or `-s`; Rust: `strip = true` in the release profile)"),
        );
    }
    if !info.is_dynamic() {
        return None;
    }
    if plan.libraries == Libraries::None {
        let needs = if info.needed.is_empty() { String::new() } else { format!(" and {}", info.needed.join(", ")) };
        ds.push(
            Diagnostic::error(
                SK332,
                copy.span,
                format!(
                    "`{path}` is dynamically linked: it needs {}{needs}",
                    info.interpreter.clone().unwrap_or_default()
                ),
            )
            .hint("set `rootfs.libraries: auto` to copy them, or link statically (for Go: `CGO_ENABLED=0`)"),
        );
        return None;
    }
    Some(info)
}

/// The rootfs pieces taken from the builder must be there: the CA bundle, the zone files, and the data
/// files the spec asked for. Data files it did not ask for may be absent: those are returned, with a
/// warning naming the package that has them.
async fn check_rootfs<F: Filesystem>(fs: &F, plan: &Plan) -> (Diagnostics, Vec<String>) {
    let mut ds = Diagnostics::default();
    let Some(builder) = &plan.builder else {
        return (ds, Vec::new());
    };
    // Each path the image takes from the builder, and what to say if it is not there.
    let needed: Vec<(String, Diagnostic)> =
        plan.rootfs.iter().flat_map(|piece| needed_from_builder(piece, builder.image_span)).collect();
    let optional: Vec<DataFile> = plan
        .rootfs
        .iter()
        .filter_map(|piece| match piece {
            Piece::DataFile { file, requested: None } => Some(*file),
            _ => None,
        })
        .collect();
    let (present, optional_present) = join(
        join_all(needed.iter().map(|(path, _)| fs.stat(path))),
        join_all(optional.iter().map(|f| fs.stat(f.path()))),
    )
    .await;
    for ((path, problem), stat) in needed.into_iter().zip(present) {
        match stat {
            Err(_) => ds.push(problem),
            // A directory would be copied onto the bundle's path, and the image's bundle be a directory.
            Ok(s) if s.is_dir && is_ca_bundle(plan, &path) => {
                let span = plan
                    .rootfs_spans
                    .get("ca-certificates")
                    .and_then(|s| s.first().copied())
                    .unwrap_or(builder.image_span);
                ds.push(
                    Diagnostic::error(SK337, span, format!("the CA bundle `{path}` is a directory in the builder"))
                        .hint("name the PEM bundle itself, e.g. `{from: /etc/ssl/certs/ca-certificates.crt}`"),
                );
            }
            Ok(_) => {}
        }
    }
    let absent: Vec<DataFile> =
        optional.into_iter().zip(optional_present).filter(|(_, stat)| stat.is_err()).map(|(f, _)| f).collect();
    warn_absent(&mut ds, builder.image_span, &absent);
    (ds, absent.iter().map(|f| f.path().to_string()).collect())
}

/// Whether `path` is the builder's CA bundle a piece copies.
fn is_ca_bundle(plan: &Plan, path: &str) -> bool {
    plan.rootfs.iter().any(|p| matches!(p, Piece::CaCertificates(Source::Builder(b)) if b.as_str() == path))
}

/// The builder paths a rootfs piece needs, each with the error if the builder lacks it.
fn needed_from_builder(piece: &Piece, image_span: Span) -> Vec<(String, Diagnostic)> {
    match piece {
        Piece::CaCertificates(Source::Builder(path)) => {
            let hint = if path.as_str() == CA_BUNDLE {
                "install the CA bundle in the builder (Debian/Ubuntu: `apt-get install ca-certificates`, Alpine: `apk add ca-certificates`), or set `rootfs.ca-certificates: false`"
            } else {
                "check the path, or set `rootfs.ca-certificates: false`"
            };
            let message = format!("the builder image has no CA bundle at `{path}`");
            vec![(path.to_string(), Diagnostic::error(SK333, image_span, message).hint(hint))]
        }
        Piece::Timezones(Zones::All) => vec![(
            ZONEINFO.to_string(),
            Diagnostic::error(
                SK334,
                image_span,
                format!("the builder image has no time zone database at `{ZONEINFO}`"),
            )
            .hint("install `tzdata` in the builder, or set `rootfs.timezones: none`"),
        )],
        Piece::Timezones(Zones::Only(names)) => names
            .iter()
            .map(|name| {
                (
                    format!("{ZONEINFO}/{name}"),
                    Diagnostic::error(
                        SK335,
                        image_span,
                        format!("time zone `{name}` is not in the builder's `{ZONEINFO}`"),
                    )
                    .hint("check the spelling (e.g. `Europe/Amsterdam`), or install `tzdata` in the builder"),
                )
            })
            .collect(),
        Piece::DataFile { file, requested: Some(span) } => vec![(
            file.path().to_string(),
            Diagnostic::error(
                SK336,
                *span,
                format!("`rootfs.{}: true`, but the builder image has no `{}`", file.key(), file.path()),
            )
            .hint(format!(
                "install `{0}` in the builder (Debian/Ubuntu: `apt-get install {0}`), or set `rootfs.{1}: false`",
                file.package(),
                file.key()
            )),
        )],
        Piece::DataFile { requested: None, .. }
        | Piece::Accounts(_)
        | Piece::Homes(_)
        | Piece::Tmp
        | Piece::Nsswitch
        | Piece::CaCertificates(Source::Context(_) | Source::Named { .. })
        | Piece::Dirs(_)
        | Piece::Files(_) => Vec::new(),
    }
}

/// One warning per package, naming the optional data files that go missing with it.
fn warn_absent(ds: &mut Diagnostics, image_span: Span, absent: &[DataFile]) {
    let mut packages: Vec<&str> = absent.iter().map(|f| f.package()).collect();
    packages.dedup();
    for package in packages {
        let files: Vec<DataFile> = absent.iter().copied().filter(|f| f.package() == package).collect();
        let paths: Vec<String> = files.iter().map(|f| format!("`{}`", f.path())).collect();
        let keys: Vec<String> = files.iter().map(|f| format!("`rootfs.{}: false`", f.key())).collect();
        let it = if files.len() == 1 { "it" } else { "them" };
        ds.push(
            Diagnostic::warning(SK338, image_span, format!("the builder image has no {}, so the image is built without {it}", paths.join(" or ")))
                .hint(format!(
                    "install `{package}` in the builder (Debian/Ubuntu: `apt-get install {package}`), or set {} to go without {it}",
                    keys.join(" and ")
                )),
        );
    }
}

/// The program the image starts must be a file with an execute bit (after the copy's `mode:`).
fn check_entrypoint(ds: &mut Diagnostics, plan: &Plan, copy: &Copy, stat: &FileStat) {
    // Without an entrypoint, `cmd[0]` is the program, and the messages name it so (as the plan's do).
    let (program, what) = match (&plan.image.entrypoint, &plan.image.cmd) {
        (Some(e), _) => (e.first(), "entrypoint"),
        (None, Some(c)) => (c.first(), "cmd[0]"),
        (None, None) => (None, "entrypoint"),
    };
    if program.map(String::as_str) != Some(copy.dest.as_str()) {
        return;
    }
    let mode = copy.mode.map_or(stat.mode & 0o7777, |m| m.bits());
    if stat.is_dir {
        ds.push(
            Diagnostic::error(
                SK339,
                plan.image.entrypoint_span,
                format!("{what} `{}` is a directory in the builder", copy.dest),
            )
            .hint(format!("point the {what} at the binary inside it")),
        );
    } else if mode & 0o111 == 0 {
        ds.push(
            Diagnostic::error(
                SK340,
                plan.image.entrypoint_span,
                format!("{what} `{}` is not executable (mode {:04o})", copy.dest, mode),
            )
            .hint("give its copy entry `mode: \"0755\"`"),
        );
    }
}
