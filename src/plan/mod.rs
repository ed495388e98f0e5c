//! The meaning of a spec: validated, defaults filled in one place, every value in a type that cannot be
//! wrong. Pure: no I/O, no BuildKit.

mod accounts;
mod args;
mod build;
mod builder;
mod claims;
mod copy;
mod debug;
mod extras;
mod files;
mod found;
mod image;
mod image_extras;
mod libraries;
mod paths;
mod platforms;
mod reads;
mod record;
mod rootfs;
mod users;
mod values;

pub use accounts::{is_system_dir, Account, AccountName, Accounts, GroupEntry, Owner, PasswdPath, PasswdPathError};
pub use args::substitute;
pub use args::MAX_EPOCH;
pub use build::{plan, PlanInputs};
pub use extras::{Extras, Gconv, Named};
pub use found::{Found, PackageFiles, PackageMetadata};
pub use image_extras::{parse_duration, Healthcheck};
pub use paths::{context_path, fold_clamped, names_directory, AbsPath, Mode, PathError};
pub use reads::{in_probe, probe_root, BuilderRead, InProbe};

use std::collections::BTreeMap;

use crate::diag::Span;
use crate::platform::Platform;

/// The default non-root user, as distroless has it.
pub const NONROOT_UID: u32 = 65532;
/// `nobody` and its group `nogroup`, which every image has (as in Debian and distroless).
pub const NOBODY_UID: u32 = 65534;
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
pub const ZONEINFO: &str = "/usr/share/zoneinfo";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub builder: Option<Builder>,
    pub copies: Vec<Copy>,
    /// The files and trees the rootfs writes, sorted by path. A copy of a directory's contents can only be
    /// checked against them once the builder has run (`verify` looks for the same names in its source).
    pub rootfs_files: Vec<RootfsFile>,
    /// In the order they are laid down; each becomes its own layer.
    pub rootfs: Vec<Piece>,
    /// Where the spec writes each piece, by [`Piece::name`] (and `package metadata`, `libraries`): the
    /// lines BuildKit shows for its layer. A piece the spec leaves to its default has none.
    pub rootfs_spans: BTreeMap<&'static str, Vec<Span>>,
    pub libraries: Libraries,
    /// `rootfs.package-metadata`: describe the builder packages whose files the image has (on with a builder).
    pub package_metadata: bool,
    /// `rootfs.gconv`, `rootfs.dlopen`, `rootfs.packages`: what the image takes from the builder besides the closure.
    pub extras: Extras,
    pub image: ImageConfig,
    /// Target platforms, at least one.
    pub platforms: Vec<Platform>,
    /// `SOURCE_DATE_EPOCH`: the time of every file we write and of the image's `created`.
    pub epoch: Option<i64>,
    pub target: Target,
    /// Where the debug target takes its shell from.
    pub debug_image: String,
}

impl Plan {
    /// The directories whose mode and owner the plan decides (`/tmp`, the homes, `rootfs.dirs`; the first of
    /// a path wins, as in the plan's claims). Whichever layer makes one, as itself or on the way to
    /// something inside it, makes it so: the layers are stacked, and a directory of an upper layer (root's
    /// 0755 made on the way to a file) would replace the lower one's mode and owner.
    pub fn planned_dirs(&self) -> BTreeMap<String, (Mode, Owner)> {
        let mut dirs = BTreeMap::new();
        for piece in &self.rootfs {
            let listed: Vec<(&AbsPath, Mode, Owner)> = match piece {
                Piece::Tmp => vec![(tmp_path(), Mode::new(0o1777), Owner::ROOT)],
                Piece::Homes(homes) => homes.iter().map(|h| (&h.path, Mode::new(0o700), h.owner)).collect(),
                Piece::Dirs(ds) => ds.iter().map(|d| (&d.path, d.mode, d.owner)).collect(),
                Piece::Accounts(_)
                | Piece::Nsswitch
                | Piece::CaCertificates(_)
                | Piece::DataFile { .. }
                | Piece::Timezones(_)
                | Piece::Files(_) => Vec::new(),
            };
            for (path, mode, owner) in listed {
                dirs.entry(path.to_string()).or_insert((mode, owner));
            }
        }
        dirs
    }
}

/// `/tmp`, the directory `rootfs.tmp` makes.
pub fn tmp_path() -> &'static AbsPath {
    static TMP: std::sync::OnceLock<AbsPath> = std::sync::OnceLock::new();
    TMP.get_or_init(|| AbsPath::parse("/tmp").expect("constant path"))
}

/// A file (or the tree of one) that a rootfs piece writes, with what writes it and how to take it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootfsFile {
    pub path: AbsPath,
    /// As messages name it: "`rootfs.users` and `rootfs.groups`".
    pub by: String,
    pub hint: String,
}

/// What `--target` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The shell-free image.
    Default,
    /// The same image plus a static busybox at `/busybox`.
    Debug,
}

/// Every target, with its description, for `--call targets`.
pub const TARGETS: &[(&str, &str)] = &[
    ("default", "the FROM-scratch image, without a shell"),
    ("debug", "the same image plus a static busybox at /busybox, for a shell while debugging"),
];
pub const DEFAULT_DEBUG_IMAGE: &str = "busybox:musl";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Builder {
    pub image: String,
    /// Where `builder.image` was written, for errors about the image itself.
    pub image_span: Span,
    pub workdir: AbsPath,
    pub env: Vec<(String, String)>,
    /// The declared build args with their values, given to every `run` as environment variables (as the
    /// Dockerfile frontend does with `ARG`); an image or `builder.env` variable of the same name wins.
    pub args: Vec<(String, String)>,
    /// Shell commands exactly as written: `${NAME}` in them is the shell's, reading the args from the
    /// environment, so an arg's value is never parsed as shell syntax.
    pub run: Vec<String>,
    /// Where each `run` command was written, for the source map BuildKit shows a failing step with.
    pub run_spans: Vec<Span>,
    pub cache: Vec<AbsPath>,
    pub secrets: Vec<SecretMount>,
    pub ssh: bool,
    pub network: Network,
    pub runs_on: RunsOn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretMount {
    pub id: String,
    pub target: AbsPath,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    Default,
    None,
    Host,
}

/// Where the builder runs: natively on the build platform (cross-compiling), or on the target platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsOn {
    BuildPlatform,
    TargetPlatform,
}

/// Where a copied file comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Builder(AbsPath),
    /// A normalized path relative to the build context root (`""` is the root).
    Context(String),
    /// `context:NAME:path`: a path in the named context `NAME` (`--build-context NAME=…`), normalized as
    /// for [`Source::Context`].
    Named {
        name: String,
        path: String,
    },
}

/// The name of a named context in `context:NAME:path`: lower-case letters and digits, then also `.`,
/// `_` and `-` (the names the Dockerfile frontend can look up; no `/` or `:`, so the path is unambiguous).
pub fn is_context_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub from: Source,
    /// The final path in the image; for `contents`, the directory the contents go into.
    pub dest: AbsPath,
    /// The source is a directory whose contents are copied (`from` ended with `/`).
    pub contents: bool,
    /// `None` keeps the source's mode.
    pub mode: Option<Mode>,
    pub owner: Owner,
    pub span: Span,
}

/// One piece of a working root filesystem. Each is lowered to its own named vertex and layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// /etc/passwd and /etc/group.
    Accounts(Accounts),
    /// Home directories, owned by their user, mode 0700.
    Homes(Vec<Home>),
    /// /tmp with mode 1777.
    Tmp,
    /// /etc/nsswitch.conf so Go and glibc consult /etc/hosts before DNS.
    Nsswitch,
    CaCertificates(Source),
    /// A data file copied from the builder to the same path. `requested` is where the spec asked for it
    /// (`services: true`): then a builder without it is an error; otherwise the piece is left out with a
    /// warning.
    DataFile {
        file: DataFile,
        requested: Option<Span>,
    },
    Timezones(Zones),
    Dirs(Vec<DirEntry>),
    Files(Vec<FileEntry>),
}

impl Piece {
    /// The progress name BuildKit shows: `[rootfs] <name>`.
    pub fn name(&self) -> &'static str {
        match self {
            Piece::Accounts(_) => "users",
            Piece::Homes(_) => "home",
            Piece::Tmp => "tmp",
            Piece::Nsswitch => "nsswitch",
            Piece::CaCertificates(_) => "ca-certificates",
            Piece::DataFile { file, .. } => file.key(),
            Piece::Timezones(_) => "timezones",
            Piece::Dirs(_) => "dirs",
            Piece::Files(_) => "files",
        }
    }
}

/// Runtime data files of Debian packages that programs read by name, and whose absence fails silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataFile {
    /// Service names and ports: `getservbyname`, Go's `net.LookupPort`.
    Services,
    /// Protocol names and numbers: `getprotobyname`, Go's `ip:<name>` networks.
    Protocols,
    /// File extensions to MIME types: Go's `mime.TypeByExtension`, Python's `mimetypes`.
    MimeTypes,
}

impl DataFile {
    pub const ALL: [DataFile; 3] = [DataFile::Services, DataFile::Protocols, DataFile::MimeTypes];

    /// The same path in the builder and in the image.
    pub fn path(self) -> &'static str {
        match self {
            DataFile::Services => "/etc/services",
            DataFile::Protocols => "/etc/protocols",
            DataFile::MimeTypes => "/etc/mime.types",
        }
    }

    /// Its key under `rootfs`, and the piece's progress name.
    pub fn key(self) -> &'static str {
        match self {
            DataFile::Services => "services",
            DataFile::Protocols => "protocols",
            DataFile::MimeTypes => "mime-types",
        }
    }

    /// The Debian (and Ubuntu) package that ships it.
    pub fn package(self) -> &'static str {
        match self {
            DataFile::Services | DataFile::Protocols => "netbase",
            DataFile::MimeTypes => "media-types",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    pub path: AbsPath,
    pub owner: Owner,
    /// The `rootfs.users` entry that gives the home; `None` for the default user.
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zones {
    /// The whole zoneinfo tree without its `right/` duplicate.
    All,
    Only(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub path: AbsPath,
    pub mode: Mode,
    pub owner: Owner,
    /// The `rootfs.dirs` entry, for the image check's findings.
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: AbsPath,
    pub content: String,
    pub mode: Mode,
    pub owner: Owner,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libraries {
    Auto,
    None,
}

/// The OCI image config's `config` part, platform-independent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageConfig {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// Where the entrypoint was decided, for errors found later (missing, not executable).
    pub entrypoint_span: Span,
    /// Numeric `uid:gid`, so Kubernetes' runAsNonRoot can check it.
    pub user: Owner,
    pub workdir: AbsPath,
    pub env: Vec<(String, String)>,
    /// `8080/tcp`, sorted.
    pub exposed_ports: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub stop_signal: Option<String>,
    /// `image.accept`: findings of the image check at these paths, or below them, are not errors.
    pub accept: Vec<(AbsPath, Span)>,
    /// `image.healthcheck`, exec form.
    pub healthcheck: Option<Healthcheck>,
    /// `image.volumes`, sorted.
    pub volumes: Vec<AbsPath>,
}

impl ImageConfig {
    /// Whether `image.accept` covers `path` (it names the path or a directory above it).
    pub fn accepts(&self, path: &str) -> bool {
        self.accept.iter().any(|(a, _)| {
            let dir = a.as_str();
            dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
        })
    }
}
