//! Every key of `scratch.yaml`, declared once.
//!
//! Each section is a table of [`Field`]s: the key, what it accepts, and its documentation. The loader
//! reads a mapping by looking its keys up in the table (no key is spelled twice, nothing is unreachable);
//! the JSON schema (`scratchkit schema`, `docs/scratch.schema.json`) and the key overview in
//! `docs/spec.md` are generated from the same tables, and tests keep the checked-in files equal to them.

use marked_yaml::Node;

use super::load::Reader;
use super::*;

/// A mapping whose keys scratchkit knows: the top level, `builder`, each `copy[]` entry, …
pub struct Section<T: 'static> {
    /// How messages name it: `builder`, `copy[]`, `rootfs.users[]`; empty for the top level.
    pub path: &'static str,
    /// The empty value, placed at the mapping's span.
    pub new: fn(Span) -> T,
    /// A plain string in place of the mapping is this key's value (`copy: [/out/app]`).
    pub shorthand: Option<&'static str>,
    pub fields: &'static [Field<T>],
}

pub struct Field<T: 'static> {
    pub key: &'static str,
    pub read: Read<T>,
    /// When the key is missing from its mapping: the hint of the error. `None`: the key is optional.
    pub required: Option<&'static str>,
    /// An entry of a list without it is refused by `plan`, with a message of its own once the rest of
    /// the entry is read (``a user has no `name` ``): the loader reads it as optional, the schema marks
    /// it required.
    pub needed: bool,
    pub doc: Doc,
}

/// What the docs say of a key.
pub struct Doc {
    /// The type, as the overview table in `docs/spec.md` shows it.
    pub ty: &'static str,
    pub default: &'static str,
    /// One sentence: what the key does.
    pub about: &'static str,
    /// The section of `docs/spec.md` that describes the key.
    pub anchor: &'static str,
}

/// How a key's value is read, and where it goes.
pub enum Read<T: 'static> {
    /// A single value (any scalar, read as the text written).
    Text(fn(&mut T, Str)),
    /// One of a few words; `plan` checks the word (with did-you-mean), so it is read as text here.
    Word(&'static [&'static str], fn(&mut T, Str)),
    /// `true` or `false`.
    Flag(fn(&mut T, Spanned<bool>)),
    /// A list of single values; with `single`, one value is a list of one.
    List { single: bool, set: fn(&mut T, Spanned<Vec<Str>>) },
    /// A mapping of names (not keys of ours) to single values, in file order.
    Names(fn(&mut T, Vec<(Str, Str)>)),
    /// Anything else: read by a function of its own, described by the shape.
    Nested(Shape, fn(&mut Reader, &Node, &mut T)),
}

/// What a key accepts, without the reading: enough for a JSON schema.
#[derive(Clone, Copy)]
pub enum Shape {
    Text,
    /// A single value, or nothing (an unquoted empty value is the empty string).
    TextOrNothing,
    Word(&'static [&'static str]),
    Flag,
    List {
        single: bool,
    },
    Names,
    Mapping(&'static dyn Keys),
    ListOf(&'static dyn Keys),
    AnyOf(&'static [Shape]),
}

impl<T> Read<T> {
    pub fn shape(&self) -> Shape {
        match self {
            Read::Text(_) => Shape::Text,
            Read::Word(words, _) => Shape::Word(words),
            Read::Flag(_) => Shape::Flag,
            Read::List { single, .. } => Shape::List { single: *single },
            Read::Names(_) => Shape::Names,
            Read::Nested(shape, _) => *shape,
        }
    }
}

/// A section seen without its value type: what the schema and docs generators walk.
pub trait Keys: Sync {
    fn path(&self) -> &'static str;
    fn shorthand(&self) -> Option<&'static str>;
    /// Each key with its documentation, shape and whether it is required.
    fn keys(&self) -> Vec<KeyInfo>;
}

pub struct KeyInfo {
    pub key: &'static str,
    pub doc: &'static Doc,
    pub shape: Shape,
    pub required: bool,
}

impl<T> Keys for Section<T> {
    fn path(&self) -> &'static str {
        self.path
    }
    fn shorthand(&self) -> Option<&'static str> {
        self.shorthand
    }
    fn keys(&self) -> Vec<KeyInfo> {
        self.fields
            .iter()
            .map(|f| KeyInfo {
                key: f.key,
                doc: &f.doc,
                shape: f.read.shape(),
                required: f.required.is_some() || f.needed,
            })
            .collect()
    }
}

impl<T> Section<T> {
    pub fn field(&self, key: &str) -> Option<&Field<T>> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// A nested mapping: `nested!(SECTION, |target, value| ...)` reads it with its table and hands the value on.
macro_rules! mapping {
    ($section:expr, |$t:ident, $v:ident| $set:expr) => {
        Read::Nested(Shape::Mapping(&$section), |r, node, $t| {
            let $v = r.section(node, &$section);
            $set
        })
    };
}

/// A list of mappings (or of shorthand strings): `list!(SECTION, |target, items| ...)`.
macro_rules! list {
    ($section:expr, |$t:ident, $v:ident| $set:expr) => {
        Read::Nested(Shape::ListOf(&$section), |r, node, $t| {
            let $v = r.items(node, &$section);
            $set
        })
    };
}

const fn doc(ty: &'static str, default: &'static str, about: &'static str, anchor: &'static str) -> Doc {
    Doc { ty, default, about, anchor }
}

const fn optional<T>(key: &'static str, read: Read<T>, doc: Doc) -> Field<T> {
    Field { key, read, required: None, needed: false, doc }
}

const fn required<T>(key: &'static str, read: Read<T>, hint: &'static str, doc: Doc) -> Field<T> {
    Field { key, read, required: Some(hint), needed: false, doc }
}

/// A key a list entry needs, which `plan` checks (see [`Field::needed`]).
const fn needed<T>(key: &'static str, read: Read<T>, doc: Doc) -> Field<T> {
    Field { key, read, required: None, needed: true, doc }
}

pub static SPEC: Section<Spec> = Section {
    path: "",
    new: |_| Spec { copy_span: Span::new(1, 1, 1), ..Spec::default() },
    shorthand: None,
    fields: &[
        optional("version", Read::Text(|s, v| s.version = Some(v)), doc("`1`", "`1`", "The spec format version; only 1 exists.", "version")),
        optional(
            "args",
            Read::Names(|s, v| s.args = v),
            doc(
                "mapping NAME → value",
                "none",
                "Build args with defaults; `--build-arg NAME=VALUE` overrides. `${NAME}` in values is replaced; `run` gets them as environment variables.",
                "args",
            ),
        ),
        optional(
            "builder",
            mapping!(BUILDER, |s, b| s.builder = Some(b)),
            doc("mapping", "none: copies come from the build context", "The stage that compiles the application.", "builder"),
        ),
        required(
            "copy",
            Read::Nested(Shape::ListOf(&COPY), |r, node, s| {
                s.copy_span = r.key_span();
                s.copy = r.items(node, &COPY);
            }),
            "list the files the image needs, e.g. `copy: [/out/app]`",
            doc(
                "list of paths or `{from, to, mode, owner}`",
                "required, at least one entry",
                "The files and directories of the application, from the builder (or `context:<path>`).",
                "copy",
            ),
        ),
        optional(
            "rootfs",
            mapping!(ROOTFS, |s, r| s.rootfs = r),
            doc("mapping", "every piece on", "The pieces of a working root filesystem; each is on by default.", "rootfs"),
        ),
        optional("image", mapping!(IMAGE, |s, i| s.image = i), doc("mapping", "see its keys", "The OCI image config.", "image")),
        optional(
            "platforms",
            Read::List { single: true, set: |s, v| s.platforms = v.value },
            doc(
                "platform or list of platforms",
                "what BuildKit asks for",
                "Default target platforms (`linux/amd64`, `linux/arm64/v8`); `--platform` overrides.",
                "platforms",
            ),
        ),
        optional(
            "debug",
            mapping!(DEBUG, |s, d| s.debug = Some(d)),
            doc("mapping", "none", "The `debug` target (`--target debug`): the same image plus a static busybox.", "debug"),
        ),
    ],
};

pub static DEBUG: Section<Debug> = Section {
    path: "debug",
    new: |span| Debug { span, image: None },
    shorthand: None,
    fields: &[optional(
        "image",
        Read::Text(|d, v| d.image = Some(v)),
        doc("image reference", "`busybox:musl`", "The image to take `/bin/busybox` from.", "debug"),
    )],
};

pub static BUILDER: Section<Builder> = Section {
    path: "builder",
    new: |span| Builder { span, ..Builder::default() },
    shorthand: None,
    fields: &[
        required(
            "image",
            Read::Text(|b, v| b.image = Some(v)),
            "name the image that compiles the app, e.g. `image: golang:1.23`",
            doc(
                "image reference",
                "required when `builder` is present",
                "The builder image, e.g. `golang:1.23`.",
                "builder",
            ),
        ),
        optional(
            "workdir",
            Read::Text(|b, v| b.workdir = Some(v)),
            doc("absolute path", "`/src`", "Where the build context is placed and the commands run.", "builder"),
        ),
        optional(
            "env",
            Read::Names(|b, v| b.env = v),
            doc(
                "mapping NAME → value",
                "none (plus the platform variables)",
                "Environment variables of the commands.",
                "builder",
            ),
        ),
        optional(
            "run",
            Read::List { single: true, set: |b, v| b.run = v.value },
            doc(
                "string or list of strings",
                "none (a warning)",
                "Shell commands, each run with `/bin/sh -c` in `workdir`.",
                "builder",
            ),
        ),
        optional(
            "cache",
            Read::List { single: true, set: |b, v| b.cache = v.value },
            doc(
                "absolute path or list of them",
                "none",
                "Persistent cache mounts (Go's build cache, cargo's registry), kept between builds.",
                "builder",
            ),
        ),
        optional(
            "secrets",
            list!(SECRET, |b, v| b.secrets = v),
            doc(
                "list of `{id, target}`",
                "none",
                "Build secrets (`--secret id=…`) mounted while the commands run; never in the image.",
                "buildersecrets",
            ),
        ),
        optional(
            "ssh",
            Read::Flag(|b, v| b.ssh = Some(v)),
            doc("boolean", "`false`", "Forward the default SSH agent (`--ssh default`) to the commands.", "builder"),
        ),
        optional(
            "network",
            Read::Word(&["default", "none", "host"], |b, v| b.network = Some(v)),
            doc("`default` \\| `none` \\| `host`", "`default`", "The commands' network.", "builder"),
        ),
        optional(
            "platform",
            Read::Word(&["build", "target"], |b, v| b.platform = Some(v)),
            doc(
                "`build` \\| `target`",
                "`build`",
                "Run the builder on the build platform (cross-compile) or on the target (emulated).",
                "builder",
            ),
        ),
    ],
};

pub static SECRET: Section<Secret> = Section {
    path: "builder.secrets[]",
    new: |span| Secret { span, id: None, target: None },
    shorthand: None,
    fields: &[
        needed(
            "id",
            Read::Text(|s, v| s.id = Some(v)),
            doc("name", "required", "The id given with `--secret id=…`.", "buildersecrets"),
        ),
        optional(
            "target",
            Read::Text(|s, v| s.target = Some(v)),
            doc("absolute path", "`/run/secrets/<id>`", "Where the secret is mounted.", "buildersecrets"),
        ),
    ],
};

pub static COPY: Section<CopyEntry> = Section {
    path: "copy[]",
    new: |span| CopyEntry { span, from: None, to: None, mode: None, owner: None },
    shorthand: Some("from"),
    fields: &[
        required(
            "from",
            Read::Text(|c, v| c.from = Some(v)),
            "add `from: /path/in/builder`",
            doc(
                "absolute path, `context:<path>` or `context:<name>:<path>`",
                "required",
                "A path in the builder, `context:<path>` in the build context, or `context:<name>:<path>` in the named context `<name>`.",
                "copy",
            ),
        ),
        optional(
            "to",
            Read::Text(|c, v| c.to = Some(v)),
            doc("absolute path", "the `from` path (for `context:x`, `/x`)", "Where it goes in the image; a trailing `/` means into this directory.", "copy"),
        ),
        optional(
            "mode",
            Read::Text(|c, v| c.mode = Some(v)),
            doc("mode", "the source's mode", "Mode of everything the entry copies, octal (`\"0755\"`).", "copy"),
        ),
        optional(
            "owner",
            Read::Text(|c, v| c.owner = Some(v)),
            doc("owner", "`root` (0:0)", "Owner of everything the entry copies: `name[:group]` or `uid[:gid]`.", "copy"),
        ),
    ],
};

pub static ROOTFS: Section<Rootfs> = Section {
    path: "rootfs",
    new: |_| Rootfs::default(),
    shorthand: None,
    fields: &[
        optional(
            "ca-certificates",
            Read::Nested(Shape::AnyOf(&[Shape::Flag, Shape::Mapping(&CA_CERTIFICATES)]), |r, node, t| {
                t.ca_certificates = r.ca_certificates(node)
            }),
            doc(
                "boolean or `{from}`",
                "`true` (with a builder)",
                "The CA bundle: the builder's, or a file of yours.",
                "rootfsca-certificates",
            ),
        ),
        optional(
            "timezones",
            Read::Nested(
                Shape::AnyOf(&[Shape::Flag, Shape::Word(&["all", "none"]), Shape::List { single: false }]),
                |r, node, t| t.timezones = r.timezones(node),
            ),
            doc(
                "`all` \\| `none` \\| boolean \\| list of zones",
                "`all` (with a builder)",
                "The builder's time-zone database, or only the zones listed.",
                "rootfstimezones",
            ),
        ),
        optional(
            "users",
            Read::Nested(Shape::ListOf(&USER), |r, node, t| {
                let key = r.key_span();
                t.users = Some(Spanned::new(r.items(node, &USER), key));
            }),
            doc(
                "list of `{name, uid, gid, home, shell}`",
                "`[{name: nonroot, uid: 65532}]`",
                "Users besides root and nobody; the first is the image's user.",
                "rootfsusers",
            ),
        ),
        optional(
            "groups",
            list!(GROUP, |t, v| t.groups = v),
            doc(
                "list of `{name, gid, members}`",
                "none",
                "Groups besides each user's own and nogroup.",
                "rootfsgroups",
            ),
        ),
        optional(
            "tmp",
            Read::Flag(|t, v| t.tmp = Some(v)),
            doc("boolean", "`true`", "`/tmp` with mode 1777.", "rootfstmp-rootfsnsswitch"),
        ),
        optional(
            "nsswitch",
            Read::Flag(|t, v| t.nsswitch = Some(v)),
            doc("boolean", "`true`", "`/etc/nsswitch.conf` with `hosts: files dns`.", "rootfstmp-rootfsnsswitch"),
        ),
        optional(
            "services",
            Read::Flag(|t, v| t.services = Some(v)),
            doc(
                "boolean",
                "taken if the builder has it (with a builder)",
                "The builder's `/etc/services` (Debian's netbase).",
                "rootfsservices-rootfsprotocols-rootfsmime-types",
            ),
        ),
        optional(
            "protocols",
            Read::Flag(|t, v| t.protocols = Some(v)),
            doc(
                "boolean",
                "taken if the builder has it (with a builder)",
                "The builder's `/etc/protocols` (Debian's netbase).",
                "rootfsservices-rootfsprotocols-rootfsmime-types",
            ),
        ),
        optional(
            "mime-types",
            Read::Flag(|t, v| t.mime_types = Some(v)),
            doc(
                "boolean",
                "taken if the builder has it (with a builder)",
                "The builder's `/etc/mime.types` (Debian's media-types).",
                "rootfsservices-rootfsprotocols-rootfsmime-types",
            ),
        ),
        optional(
            "libraries",
            Read::Word(&["auto", "none"], |t, v| t.libraries = Some(v)),
            doc(
                "`auto` \\| `none`",
                "`auto`",
                "The shared libraries dynamically linked binaries need, found in the builder.",
                "rootfslibraries",
            ),
        ),
        optional(
            "package-metadata",
            Read::Flag(|t, v| t.package_metadata = Some(v)),
            doc(
                "boolean",
                "`true` (with a builder)",
                "dpkg metadata, os-release and copyright files of the packages whose files are copied, for scanners.",
                "rootfspackage-metadata",
            ),
        ),
        optional(
            "gconv",
            Read::Nested(
                Shape::AnyOf(&[Shape::Flag, Shape::Word(&["all", "none"]), Shape::List { single: false }]),
                |r, node, t| t.gconv = r.gconv(node),
            ),
            doc(
                "`all` \\| `none` \\| boolean \\| list of charsets",
                "`all`, when a program calls `iconv_open`",
                "glibc's gconv modules (iconv's charsets), from the builder.",
                "rootfsgconv",
            ),
        ),
        optional(
            "dlopen",
            Read::List { single: false, set: |t, v| t.dlopen = Some(v) },
            doc(
                "list of sonames or absolute paths",
                "none",
                "Libraries and plugins programs open by name, brought with their libraries.",
                "rootfsdlopen",
            ),
        ),
        optional(
            "packages",
            Read::List { single: false, set: |t, v| t.packages = Some(v) },
            doc(
                "list of Debian package names",
                "none",
                "Whole packages of the builder: their files, libraries and metadata.",
                "rootfspackages",
            ),
        ),
        optional(
            "dirs",
            list!(DIR, |t, v| t.dirs = v),
            doc("list of paths or `{path, mode, owner}`", "none", "Empty directories to create.", "rootfsdirs"),
        ),
        optional(
            "files",
            list!(FILE, |t, v| t.files = v),
            doc("list of `{path, content, mode, owner}`", "none", "Small files written from the spec.", "rootfsfiles"),
        ),
    ],
};

/// `rootfs.ca-certificates` as a mapping: where the bundle comes from.
pub static CA_CERTIFICATES: Section<Option<Str>> = Section {
    path: "rootfs.ca-certificates",
    new: |_| None,
    shorthand: None,
    fields: &[required(
        "from",
        Read::Text(|t, v| *t = Some(v)),
        "write `{from: context:certs/ca.pem}` or `true`",
        doc(
            "path or `context:<path>`",
            "required",
            "One PEM file, in the builder or the build context.",
            "rootfsca-certificates",
        ),
    )],
};

pub static USER: Section<User> = Section {
    path: "rootfs.users[]",
    new: |span| User { span, name: None, uid: None, gid: None, home: None, shell: None },
    shorthand: None,
    fields: &[
        needed(
            "name",
            Read::Text(|u, v| u.name = Some(v)),
            doc("name", "required", "The user name (useradd's rule, at most 32 characters).", "rootfsusers"),
        ),
        needed(
            "uid",
            Read::Text(|u, v| u.uid = Some(v)),
            doc("number", "required", "The numeric user id.", "rootfsusers"),
        ),
        optional(
            "gid",
            Read::Text(|u, v| u.gid = Some(v)),
            doc("number", "the uid", "The primary group id; a group named like the user is made.", "rootfsusers"),
        ),
        optional(
            "home",
            Read::Text(|u, v| u.home = Some(v)),
            doc("absolute path", "`/home/<name>`", "The home directory, created with mode 0700.", "rootfsusers"),
        ),
        optional(
            "shell",
            Read::Text(|u, v| u.shell = Some(v)),
            doc("absolute path", "`/sbin/nologin`", "The login shell written to `/etc/passwd`.", "rootfsusers"),
        ),
    ],
};

pub static GROUP: Section<Group> = Section {
    path: "rootfs.groups[]",
    new: |span| Group { span, name: None, gid: None, members: Vec::new() },
    shorthand: None,
    fields: &[
        needed("name", Read::Text(|g, v| g.name = Some(v)), doc("name", "required", "The group name.", "rootfsgroups")),
        needed(
            "gid",
            Read::Text(|g, v| g.gid = Some(v)),
            doc("number", "required", "The numeric group id.", "rootfsgroups"),
        ),
        optional(
            "members",
            Read::List { single: true, set: |g, v| g.members = v.value },
            doc("name or list of names", "none", "Users listed as members in `/etc/group`.", "rootfsgroups"),
        ),
    ],
};

pub static DIR: Section<Dir> = Section {
    path: "rootfs.dirs[]",
    new: |span| Dir { span, path: None, mode: None, owner: None },
    shorthand: Some("path"),
    fields: &[
        needed(
            "path",
            Read::Text(|d, v| d.path = Some(v)),
            doc("absolute path", "required", "The directory.", "rootfsdirs"),
        ),
        optional("mode", Read::Text(|d, v| d.mode = Some(v)), doc("mode", "`0755`", "Its mode, octal.", "rootfsdirs")),
        optional("owner", Read::Text(|d, v| d.owner = Some(v)), doc("owner", "`root`", "Its owner.", "rootfsdirs")),
    ],
};

pub static FILE: Section<File> = Section {
    path: "rootfs.files[]",
    new: |span| File { span, path: None, content: None, mode: None, owner: None },
    shorthand: None,
    fields: &[
        needed(
            "path",
            Read::Text(|f, v| f.path = Some(v)),
            doc("absolute path", "required", "The file.", "rootfsfiles"),
        ),
        needed(
            "content",
            // An empty file is legitimate: `content: ""`, and also an unquoted empty value.
            Read::Nested(Shape::TextOrNothing, |r, node, f| f.content = r.any_scalar(node, "rootfs.files[].content")),
            doc("text", "required", "Its content, written as is.", "rootfsfiles"),
        ),
        optional("mode", Read::Text(|f, v| f.mode = Some(v)), doc("mode", "`0644`", "Its mode, octal.", "rootfsfiles")),
        optional("owner", Read::Text(|f, v| f.owner = Some(v)), doc("owner", "`root`", "Its owner.", "rootfsfiles")),
    ],
};

pub static IMAGE: Section<Image> = Section {
    path: "image",
    new: |_| Image::default(),
    shorthand: None,
    fields: &[
        optional(
            "entrypoint",
            Read::List { single: true, set: |i, v| i.entrypoint = Some(v) },
            doc(
                "string or list of strings",
                "the only copied file",
                "The command the image runs; checked to be in the image and executable at build time.",
                "imageentrypoint-imagecmd",
            ),
        ),
        optional(
            "cmd",
            Read::List { single: true, set: |i, v| i.cmd = Some(v) },
            doc(
                "string or list of strings",
                "none",
                "Default arguments to the entrypoint.",
                "imageentrypoint-imagecmd",
            ),
        ),
        optional(
            "user",
            Read::Text(|i, v| i.user = Some(v)),
            doc(
                "owner",
                "the first user of `rootfs.users`",
                "The user the image runs as, written as numbers in the config.",
                "imageuser",
            ),
        ),
        optional(
            "workdir",
            Read::Text(|i, v| i.workdir = Some(v)),
            doc("absolute path", "`/`", "The working directory.", "imageworkdir-env-expose-labels-stop-signal"),
        ),
        optional(
            "env",
            Read::Names(|i, v| i.env = v),
            doc(
                "mapping NAME → value",
                "`PATH`, and `SSL_CERT_FILE` when there are CA certificates",
                "Environment variables of the image.",
                "imageworkdir-env-expose-labels-stop-signal",
            ),
        ),
        optional(
            "expose",
            Read::List { single: true, set: |i, v| i.expose = v.value },
            doc(
                "port or list of ports",
                "none",
                "Ports the image listens on: `8080`, `8080/tcp`, `53/udp`.",
                "imageworkdir-env-expose-labels-stop-signal",
            ),
        ),
        optional(
            "labels",
            Read::Names(|i, v| i.labels = v),
            doc(
                "mapping",
                "none",
                "Image labels; `--label` flags win over them.",
                "imageworkdir-env-expose-labels-stop-signal",
            ),
        ),
        optional(
            "stop-signal",
            Read::Text(|i, v| i.stop_signal = Some(v)),
            doc(
                "string",
                "none",
                "The signal that stops the container, e.g. `SIGTERM`.",
                "imageworkdir-env-expose-labels-stop-signal",
            ),
        ),
        optional(
            "accept",
            Read::List { single: true, set: |i, v| i.accept = v.value },
            doc(
                "absolute path or list of them",
                "none",
                "Paths (and what is below them) whose findings of the image check are accepted, not errors.",
                "the-image-check",
            ),
        ),
        optional(
            "healthcheck",
            mapping!(HEALTHCHECK, |i, h| i.healthcheck = Some(h)),
            doc(
                "mapping",
                "none",
                "A command the engine runs to check the container is healthy (`Healthcheck`).",
                "imagehealthcheck",
            ),
        ),
        optional(
            "volumes",
            Read::List { single: true, set: |i, v| i.volumes = v.value },
            doc(
                "absolute path or list of them",
                "none",
                "Mount points the engine gives a volume (`Volumes`), as `VOLUME`.",
                "imagevolumes",
            ),
        ),
    ],
};

/// `image.healthcheck`: the exec form of the Dockerfile's `HEALTHCHECK` (the image has no shell).
pub static HEALTHCHECK: Section<Healthcheck> = Section {
    path: "image.healthcheck",
    new: |span| Healthcheck {
        span,
        test: None,
        interval: None,
        timeout: None,
        start_period: None,
        start_interval: None,
        retries: None,
    },
    shorthand: None,
    fields: &[
        required(
            "test",
            Read::Nested(Shape::List { single: false }, |r, node, h| {
                h.test = r.exec_form(node, "image.healthcheck.test")
            }),
            "write the program and its arguments as a list, e.g. `test: [/app, -health]`",
            doc(
                "list of strings",
                "required",
                "The program and its arguments; exit status 0 is healthy.",
                "imagehealthcheck",
            ),
        ),
        optional(
            "interval",
            Read::Text(|h, v| h.interval = Some(v)),
            doc("duration", "`30s`", "Time between checks.", "imagehealthcheck"),
        ),
        optional(
            "timeout",
            Read::Text(|h, v| h.timeout = Some(v)),
            doc("duration", "`30s`", "How long one check may run.", "imagehealthcheck"),
        ),
        optional(
            "start-period",
            Read::Text(|h, v| h.start_period = Some(v)),
            doc("duration", "`0s`", "Time to start, during which failures do not count.", "imagehealthcheck"),
        ),
        optional(
            "start-interval",
            Read::Text(|h, v| h.start_interval = Some(v)),
            doc("duration", "`5s`", "Time between checks during the start period.", "imagehealthcheck"),
        ),
        optional(
            "retries",
            Read::Text(|h, v| h.retries = Some(v)),
            doc("number", "`3`", "Failures in a row that make the container unhealthy.", "imagehealthcheck"),
        ),
    ],
};
