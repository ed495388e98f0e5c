//! What the user wrote in `scratch.yaml`, with the place of every value.
//!
//! The types mirror the keys of `docs/spec.md` one to one and decide nothing: defaults, validation and meaning
//! live in [`crate::plan`]. Every key is declared once, in [`keys`]: the loader reads with those tables,
//! and the JSON schema and the docs' key overview are generated from them ([`schema`]). Loading walks
//! marked-yaml's node tree rather than going through serde derive, because serde stops at the first error
//! and loses spans inside untagged enums, and we want every problem reported at once with its place.

pub mod keys;
mod load;
pub mod scan;
pub mod schema;

pub use load::{load, load_partial};

use crate::diag::Span;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

pub type Str = Spanned<String>;

/// The whole spec file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// `version: 1`; only 1 exists.
    pub version: Option<Str>,
    /// Build args with defaults, in file order; `--build-arg NAME=VALUE` overrides.
    pub args: Vec<(Str, Str)>,
    /// The stage that compiles the application. Without it, copies come from the build context.
    pub builder: Option<Builder>,
    /// Files and directories that make up the application, at least one.
    pub copy: Vec<CopyEntry>,
    /// Where the `copy` key was written (or the top of the file when it is missing).
    pub copy_span: Span,
    /// The pieces of a working root filesystem; each is on by default.
    pub rootfs: Rootfs,
    /// The OCI image config.
    pub image: Image,
    /// Default target platforms; `--platform` overrides.
    pub platforms: Vec<Str>,
    /// The `debug` target (`--target debug`): the same image plus a static busybox.
    pub debug: Option<Debug>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Debug {
    pub span: Span,
    /// The image to take `/bin/busybox` from; default `busybox:musl`.
    pub image: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Builder {
    pub span: Span,
    /// The builder image reference, e.g. `golang:1.23`. Required.
    pub image: Option<Str>,
    /// Where the build context is placed and commands run; default `/src`.
    pub workdir: Option<Str>,
    pub env: Vec<(Str, Str)>,
    /// Shell commands, each run with `/bin/sh -c` in `workdir`.
    pub run: Vec<Str>,
    /// Persistent cache mount targets.
    pub cache: Vec<Str>,
    pub secrets: Vec<Secret>,
    /// Forward the default SSH agent.
    pub ssh: Option<Spanned<bool>>,
    /// `default` | `none` | `host`.
    pub network: Option<Str>,
    /// `build` | `target`.
    pub platform: Option<Str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub span: Span,
    pub id: Option<Str>,
    pub target: Option<Str>,
}

/// One `copy:` entry; the shorthand `- /out/app` sets only `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyEntry {
    pub span: Span,
    /// A builder path, or `context:<path>` for the build context.
    pub from: Option<Str>,
    pub to: Option<Str>,
    pub mode: Option<Str>,
    pub owner: Option<Str>,
}

/// `true`, `false`, or a value that also means "on".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Toggle<T> {
    Off(Span),
    On(Span),
    With(T),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rootfs {
    /// On, off, or `{from: context:certs/ca.pem}`.
    pub ca_certificates: Option<Toggle<Str>>,
    /// `all`, `none`, or a list of zone names.
    pub timezones: Option<Timezones>,
    /// Users besides root, and where the `users` key was written; default `[{name: nonroot, uid: 65532}]`.
    pub users: Option<Spanned<Vec<User>>>,
    pub groups: Vec<Group>,
    pub tmp: Option<Spanned<bool>>,
    pub nsswitch: Option<Spanned<bool>>,
    /// The builder's `/etc/services` (Debian's netbase).
    pub services: Option<Spanned<bool>>,
    /// The builder's `/etc/protocols` (Debian's netbase).
    pub protocols: Option<Spanned<bool>>,
    /// The builder's `/etc/mime.types` (Debian's media-types).
    pub mime_types: Option<Spanned<bool>>,
    /// `auto` | `none`.
    pub libraries: Option<Str>,
    /// dpkg metadata, os-release and copyright files of the packages whose files are copied.
    pub package_metadata: Option<Spanned<bool>>,
    /// glibc's gconv modules: `all`, `none`, or a list of charsets.
    pub gconv: Option<Timezones>,
    /// Libraries and plugins programs open by name, brought with their closure.
    pub dlopen: Option<Spanned<Vec<Str>>>,
    /// Whole Debian packages of the builder.
    pub packages: Option<Spanned<Vec<Str>>>,
    pub dirs: Vec<Dir>,
    pub files: Vec<File>,
}

/// `all`, `none` (or a boolean), or a list of names: `rootfs.timezones` and `rootfs.gconv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timezones {
    Word(Str),
    List(Span, Vec<Str>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub span: Span,
    pub name: Option<Str>,
    pub uid: Option<Str>,
    pub gid: Option<Str>,
    pub home: Option<Str>,
    pub shell: Option<Str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub span: Span,
    pub name: Option<Str>,
    pub gid: Option<Str>,
    pub members: Vec<Str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dir {
    pub span: Span,
    pub path: Option<Str>,
    pub mode: Option<Str>,
    pub owner: Option<Str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub span: Span,
    pub path: Option<Str>,
    pub content: Option<Str>,
    pub mode: Option<Str>,
    pub owner: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    pub entrypoint: Option<Spanned<Vec<Str>>>,
    pub cmd: Option<Spanned<Vec<Str>>>,
    pub user: Option<Str>,
    pub workdir: Option<Str>,
    pub env: Vec<(Str, Str)>,
    pub expose: Vec<Str>,
    pub labels: Vec<(Str, Str)>,
    pub stop_signal: Option<Str>,
    /// Paths whose findings of the image check the user accepts (a link meant to dangle until a volume is mounted).
    pub accept: Vec<Str>,
    pub healthcheck: Option<Healthcheck>,
    pub volumes: Vec<Str>,
}

/// `image.healthcheck`: the Dockerfile's `HEALTHCHECK` in its exec form, durations as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Healthcheck {
    pub span: Span,
    pub test: Option<Spanned<Vec<Str>>>,
    pub interval: Option<Str>,
    pub timeout: Option<Str>,
    pub start_period: Option<Str>,
    pub start_interval: Option<Str>,
    pub retries: Option<Str>,
}
