//! YAML → [`Spec`]: walks marked-yaml's node tree, collecting every problem with its position.

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, LoaderOptions, Node};

use super::*;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics, Span};

const TOP_KEYS: &[&str] = &["version", "args", "builder", "copy", "rootfs", "image", "platforms", "debug"];
const DEBUG_KEYS: &[&str] = &["image"];
const BUILDER_KEYS: &[&str] = &["image", "workdir", "env", "run", "cache", "secrets", "ssh", "network", "platform"];
const SECRET_KEYS: &[&str] = &["id", "target"];
const COPY_KEYS: &[&str] = &["from", "to", "mode", "owner"];
const ROOTFS_KEYS: &[&str] = &[
    "ca-certificates",
    "timezones",
    "users",
    "groups",
    "tmp",
    "nsswitch",
    "services",
    "protocols",
    "mime-types",
    "libraries",
    "package-metadata",
    "dirs",
    "files",
];
const CA_KEYS: &[&str] = &["from"];
const USER_KEYS: &[&str] = &["name", "uid", "gid", "home", "shell"];
const GROUP_KEYS: &[&str] = &["name", "gid", "members"];
const DIR_KEYS: &[&str] = &["path", "mode", "owner"];
const FILE_KEYS: &[&str] = &["path", "content", "mode", "owner"];
const IMAGE_KEYS: &[&str] = &["entrypoint", "cmd", "user", "workdir", "env", "expose", "labels", "stop-signal"];

/// Parses the text of a spec file. On failure every problem found is returned, not just the first.
pub fn load(text: &str) -> Result<Spec, Diagnostics> {
    // Before the parser recurses into it: a nesting depth the parser survives, and one document.
    if let Err(problem) = super::scan::scan(text) {
        let d = match problem {
            super::scan::Problem::TooDeep(span) => Diagnostic::error(span, format!("the spec nests deeper than {} levels here", super::scan::MAX_DEPTH))
                .hint("a spec needs about six levels (`rootfs:` → `users:` → `- name:`); flatten this value"),
            super::scan::Problem::SecondDocument(span) => Diagnostic::error(span, "a second YAML document starts here")
                .hint("a spec is one document: remove this line and what follows, or move it to a file of its own"),
        };
        return Err(Diagnostics::one(d));
    }
    // prevent_coercion: a quoted scalar is a string (`FOO: ""` is empty, not null; `"true"` is not a boolean).
    let options = LoaderOptions::default().error_on_duplicate_keys(true).toplevel_mapping().prevent_coercion(true);
    let root = match marked_yaml::parse_yaml_with_options(0, text, options) {
        Ok(root) => root,
        Err(e) => {
            let mut ds = Diagnostics::default();
            ds.push(load_error(e, text));
            return Err(ds);
        }
    };
    let mut r = Reader { diags: Diagnostics::default() };
    let spec = r.spec(&root);
    if r.diags.has_errors() {
        Err(r.diags.sorted())
    } else {
        Ok(spec)
    }
}

fn load_error(e: LoadError, text: &str) -> Diagnostic {
    let at = |m: &marked_yaml::Marker| Some(Span::new(m.line(), m.column(), 1));
    match e {
        LoadError::TopLevelMustBeMapping(m) => {
            Diagnostic::error(at(&m), "the spec must be a mapping of sections").hint("start with `builder:` and `copy:`; see the smallest spec in the README")
        }
        LoadError::UnexpectedAnchor(m) => Diagnostic::error(at(&m), "YAML anchors and aliases are not supported").hint("write the value out in full"),
        LoadError::MappingKeyMustBeScalar(m) => Diagnostic::error(at(&m), "a mapping key must be a plain string").hint("quote the key"),
        LoadError::UnexpectedTag(m) => Diagnostic::error(at(&m), "YAML tags (`!name`) are not supported").hint("remove the tag"),
        LoadError::ScanError(m, scan) => {
            // The scanner reports a 0-based column on some errors; clamp to the line's length.
            let line_len = text.lines().nth(m.line().saturating_sub(1)).map_or(1, |l| l.chars().count() + 1);
            let column = m.column().clamp(1, line_len.max(1));
            let line = text.lines().nth(m.line().saturating_sub(1)).unwrap_or_default();
            let hint = if line.contains("${") && (line.contains('[') || line.contains('{')) {
                "inside `[...]` or `{...}`, quote values that use `${...}`, e.g. \"/out/app-${VERSION}\""
            } else {
                "check the indentation and quoting on this line"
            };
            Diagnostic::error(Some(Span::new(m.line().max(1), column, 1)), format!("invalid YAML: {}", scan.info())).hint(hint)
        }
        LoadError::DuplicateKey(d) => {
            Diagnostic::error(scalar_span(&d.key), format!("duplicate key `{}`", d.key.as_str())).hint(match d.prev_key.span().start() {
                Some(m) => format!("it is already set on line {}; keep one of them", m.line()),
                None => "keep one of them".to_string(),
            })
        }
        LoadError::TopLevelMustBeSequence(m) => Diagnostic::error(at(&m), "unexpected top-level sequence"),
    }
}

fn span_of(span: &marked_yaml::Span, fallback_len: usize) -> Span {
    match span.start() {
        Some(start) => {
            let len = match span.end() {
                Some(end) if end.line() == start.line() && end.column() > start.column() => end.column() - start.column(),
                _ => fallback_len,
            };
            Span::new(start.line(), start.column(), len.max(1))
        }
        None => Span::new(1, 1, 1),
    }
}

fn scalar_span(s: &MarkedScalarNode) -> Span {
    span_of(s.span(), s.as_str().chars().count())
}

fn node_span(n: &Node) -> Span {
    match n {
        Node::Scalar(s) => scalar_span(s),
        _ => span_of(n.span(), 1),
    }
}

fn is_null(s: &MarkedScalarNode) -> bool {
    s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

fn kind(n: &Node) -> &'static str {
    match n {
        Node::Scalar(s) if is_null(s) => "nothing",
        Node::Scalar(_) => "a single value",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

struct Reader {
    diags: Diagnostics,
}

impl Reader {
    fn error(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, message).hint(hint));
    }

    /// The entries of a mapping; unknown keys are reported (keys starting `x-` are extensions, ignored).
    fn mapping<'n>(&mut self, node: &'n Node, what: &str, keys: &[&str]) -> Vec<(&'n MarkedScalarNode, &'n Node)> {
        let Some(map) = node.as_mapping() else {
            self.error(
                node_span(node),
                format!("`{what}` must be a mapping, found {}", kind(node)),
                format!("write `{what}` as `key: value` lines; its keys are: {}", keys.join(", ")),
            );
            return Vec::new();
        };
        self.entries(map, what, keys)
    }

    fn entries<'n>(&mut self, map: &'n MarkedMappingNode, what: &str, keys: &[&str]) -> Vec<(&'n MarkedScalarNode, &'n Node)> {
        let mut out = Vec::new();
        for (k, v) in map.iter() {
            let name = k.as_str();
            if keys.contains(&name) {
                out.push((k, v));
            } else if !name.starts_with("x-") {
                let hint = match did_you_mean(name, keys.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the keys of `{what}` are: {}", keys.join(", ")),
                };
                let message = if what == "the spec" { format!("unknown top-level key `{name}`") } else { format!("unknown key `{name}` in `{what}`") };
                self.error(scalar_span(k), message, hint);
            }
        }
        out
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Str> {
        match node {
            Node::Scalar(s) if !is_null(s) => Some(Spanned::new(s.as_str().to_string(), scalar_span(s))),
            _ => {
                self.error(node_span(node), format!("`{what}` must be a single value, found {}", kind(node)), format!("write `{what}: <value>`"));
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        if let Node::Scalar(s) = node {
            if let Some(b) = s.as_bool() {
                return Some(Spanned::new(b, scalar_span(s)));
            }
        }
        self.error(node_span(node), format!("`{what}` must be true or false"), format!("write `{what}: true` or `{what}: false`"));
        None
    }

    /// A list of single values; a single value is accepted as a list of one when `allow_single`.
    fn strings(&mut self, node: &Node, what: &str, allow_single: bool) -> Option<Spanned<Vec<Str>>> {
        match node {
            Node::Sequence(seq) => {
                let items = seq.iter().filter_map(|n| self.string(n, what)).collect();
                Some(Spanned::new(items, node_span(node)))
            }
            Node::Scalar(s) if allow_single && !is_null(s) => {
                let one = Spanned::new(s.as_str().to_string(), scalar_span(s));
                Some(Spanned::new(vec![one], scalar_span(s)))
            }
            _ => {
                self.error(
                    node_span(node),
                    format!("`{what}` must be a list, found {}", kind(node)),
                    format!("write `{what}: [a, b]` or one `- item` per line"),
                );
                None
            }
        }
    }

    /// A mapping of names to single values, in file order.
    fn string_map(&mut self, node: &Node, what: &str) -> Vec<(Str, Str)> {
        let Some(map) = node.as_mapping() else {
            self.error(node_span(node), format!("`{what}` must be a mapping, found {}", kind(node)), format!("write `{what}: {{NAME: value}}`"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map.iter() {
            let key = Spanned::new(k.as_str().to_string(), scalar_span(k));
            if let Some(value) = self.string(v, &format!("{what}.{}", k.as_str())) {
                out.push((key, value));
            }
        }
        out
    }

    /// A list whose items are mappings, each read by `item`.
    fn list_of<T>(&mut self, node: &Node, what: &str, mut item: impl FnMut(&mut Self, &Node) -> Option<T>) -> Vec<T> {
        match node.as_sequence() {
            Some(seq) => seq.iter().filter_map(|n| item(self, n)).collect(),
            None => {
                self.error(
                    node_span(node),
                    format!("`{what}` must be a list, found {}", kind(node)),
                    format!("write one `- ...` item per line under `{what}:`"),
                );
                Vec::new()
            }
        }
    }

    fn spec(&mut self, root: &Node) -> Spec {
        let mut spec = Spec { copy_span: Span::new(1, 1, 1), ..Spec::default() };
        let mut saw_copy = false;
        for (k, v) in self.mapping(root, "the spec", TOP_KEYS) {
            match k.as_str() {
                "version" => spec.version = self.string(v, "version"),
                "args" => spec.args = self.string_map(v, "args"),
                "builder" => spec.builder = self.builder(v),
                "copy" => {
                    saw_copy = true;
                    spec.copy_span = scalar_span(k);
                    spec.copy = self.list_of(v, "copy", Self::copy_entry);
                }
                "rootfs" => spec.rootfs = self.rootfs(v),
                "image" => spec.image = self.image(v),
                "platforms" => spec.platforms = self.strings(v, "platforms", true).map(|s| s.value).unwrap_or_default(),
                "debug" => {
                    let mut d = Debug { span: node_span(v), image: None };
                    for (k, v) in self.mapping(v, "debug", DEBUG_KEYS) {
                        if k.as_str() == "image" {
                            d.image = self.string(v, "debug.image");
                        }
                    }
                    spec.debug = Some(d);
                }
                _ => unreachable!("filtered by mapping()"),
            }
        }
        if !saw_copy && root.as_mapping().is_some() {
            self.error(Span::new(1, 1, 1), "the spec has no `copy:` section", "list the files the image needs, e.g. `copy: [/out/app]`");
        }
        spec
    }

    fn builder(&mut self, node: &Node) -> Option<Builder> {
        let mut b = Builder { span: node_span(node), ..Builder::default() };
        for (k, v) in self.mapping(node, "builder", BUILDER_KEYS) {
            match k.as_str() {
                "image" => b.image = self.string(v, "builder.image"),
                "workdir" => b.workdir = self.string(v, "builder.workdir"),
                "env" => b.env = self.string_map(v, "builder.env"),
                "run" => b.run = self.strings(v, "builder.run", true).map(|s| s.value).unwrap_or_default(),
                "cache" => b.cache = self.strings(v, "builder.cache", true).map(|s| s.value).unwrap_or_default(),
                "secrets" => b.secrets = self.list_of(v, "builder.secrets", Self::secret),
                "ssh" => b.ssh = self.boolean(v, "builder.ssh"),
                "network" => b.network = self.string(v, "builder.network"),
                "platform" => b.platform = self.string(v, "builder.platform"),
                _ => unreachable!("filtered by mapping()"),
            }
        }
        if b.image.is_none() && node.as_mapping().is_some() {
            self.error(b.span, "`builder` has no `image`", "name the image that compiles the app, e.g. `image: golang:1.23`");
        }
        Some(b)
    }

    fn secret(&mut self, node: &Node) -> Option<Secret> {
        let mut s = Secret { span: node_span(node), id: None, target: None };
        for (k, v) in self.mapping(node, "builder.secrets[]", SECRET_KEYS) {
            match k.as_str() {
                "id" => s.id = self.string(v, "id"),
                "target" => s.target = self.string(v, "target"),
                _ => unreachable!("filtered by mapping()"),
            }
        }
        Some(s)
    }

    fn copy_entry(&mut self, node: &Node) -> Option<CopyEntry> {
        let span = node_span(node);
        if let Node::Scalar(_) = node {
            return self.string(node, "copy[]").map(|from| CopyEntry { span, from: Some(from), to: None, mode: None, owner: None });
        }
        let mut c = CopyEntry { span, from: None, to: None, mode: None, owner: None };
        for (k, v) in self.mapping(node, "copy[]", COPY_KEYS) {
            match k.as_str() {
                "from" => c.from = self.string(v, "from"),
                "to" => c.to = self.string(v, "to"),
                "mode" => c.mode = self.string(v, "mode"),
                "owner" => c.owner = self.string(v, "owner"),
                _ => unreachable!("filtered by mapping()"),
            }
        }
        if c.from.is_none() && node.as_mapping().is_some() {
            self.error(span, "a `copy` entry has no `from`", "add `from: /path/in/builder`");
        }
        Some(c)
    }

    fn rootfs(&mut self, node: &Node) -> Rootfs {
        let mut r = Rootfs::default();
        for (k, v) in self.mapping(node, "rootfs", ROOTFS_KEYS) {
            match k.as_str() {
                "ca-certificates" => r.ca_certificates = self.ca_certificates(v),
                "timezones" => r.timezones = self.timezones(v),
                "users" => {
                    let span = node_span(v);
                    r.users = Some(Spanned::new(self.list_of(v, "rootfs.users", Self::user), span));
                }
                "groups" => r.groups = self.list_of(v, "rootfs.groups", Self::group),
                "tmp" => r.tmp = self.boolean(v, "rootfs.tmp"),
                "nsswitch" => r.nsswitch = self.boolean(v, "rootfs.nsswitch"),
                "services" => r.services = self.boolean(v, "rootfs.services"),
                "protocols" => r.protocols = self.boolean(v, "rootfs.protocols"),
                "mime-types" => r.mime_types = self.boolean(v, "rootfs.mime-types"),
                "libraries" => r.libraries = self.string(v, "rootfs.libraries"),
                "package-metadata" => r.package_metadata = self.boolean(v, "rootfs.package-metadata"),
                "dirs" => r.dirs = self.list_of(v, "rootfs.dirs", Self::dir),
                "files" => r.files = self.list_of(v, "rootfs.files", Self::file),
                _ => unreachable!("filtered by mapping()"),
            }
        }
        r
    }

    fn ca_certificates(&mut self, node: &Node) -> Option<Toggle<Str>> {
        match node {
            Node::Mapping(_) => {
                let mut from = None;
                for (k, v) in self.mapping(node, "rootfs.ca-certificates", CA_KEYS) {
                    if k.as_str() == "from" {
                        from = self.string(v, "rootfs.ca-certificates.from");
                    }
                }
                match from {
                    Some(f) => Some(Toggle::With(f)),
                    None => {
                        self.error(node_span(node), "`ca-certificates` needs `from`", "write `{from: context:certs/ca.pem}` or `true`");
                        None
                    }
                }
            }
            _ => self.boolean(node, "rootfs.ca-certificates").map(|b| if b.value { Toggle::On(b.span) } else { Toggle::Off(b.span) }),
        }
    }

    fn timezones(&mut self, node: &Node) -> Option<Timezones> {
        match node {
            Node::Sequence(_) => {
                let list = self.strings(node, "rootfs.timezones", false)?;
                Some(Timezones::List(list.span, list.value))
            }
            Node::Scalar(s) => match s.as_bool() {
                Some(true) => Some(Timezones::Word(Spanned::new("all".into(), scalar_span(s)))),
                Some(false) => Some(Timezones::Word(Spanned::new("none".into(), scalar_span(s)))),
                None => self.string(node, "rootfs.timezones").map(Timezones::Word),
            },
            Node::Mapping(_) => {
                self.error(node_span(node), "`timezones` must be `all`, `none` or a list of zones", "e.g. `timezones: [Europe/Amsterdam, UTC]`");
                None
            }
        }
    }

    fn user(&mut self, node: &Node) -> Option<User> {
        let mut u = User { span: node_span(node), name: None, uid: None, gid: None, home: None, shell: None };
        for (k, v) in self.mapping(node, "rootfs.users[]", USER_KEYS) {
            let field = match k.as_str() {
                "name" => &mut u.name,
                "uid" => &mut u.uid,
                "gid" => &mut u.gid,
                "home" => &mut u.home,
                "shell" => &mut u.shell,
                _ => unreachable!("filtered by mapping()"),
            };
            *field = self.string(v, k.as_str());
        }
        Some(u)
    }

    fn group(&mut self, node: &Node) -> Option<Group> {
        let mut g = Group { span: node_span(node), name: None, gid: None, members: Vec::new() };
        for (k, v) in self.mapping(node, "rootfs.groups[]", GROUP_KEYS) {
            match k.as_str() {
                "name" => g.name = self.string(v, "name"),
                "gid" => g.gid = self.string(v, "gid"),
                "members" => g.members = self.strings(v, "members", true).map(|s| s.value).unwrap_or_default(),
                _ => unreachable!("filtered by mapping()"),
            }
        }
        Some(g)
    }

    fn dir(&mut self, node: &Node) -> Option<Dir> {
        let mut d = Dir { span: node_span(node), path: None, mode: None, owner: None };
        if let Node::Scalar(_) = node {
            d.path = self.string(node, "rootfs.dirs[]");
            return Some(d);
        }
        for (k, v) in self.mapping(node, "rootfs.dirs[]", DIR_KEYS) {
            let field = match k.as_str() {
                "path" => &mut d.path,
                "mode" => &mut d.mode,
                "owner" => &mut d.owner,
                _ => unreachable!("filtered by mapping()"),
            };
            *field = self.string(v, k.as_str());
        }
        Some(d)
    }

    fn file(&mut self, node: &Node) -> Option<File> {
        let mut f = File { span: node_span(node), path: None, content: None, mode: None, owner: None };
        for (k, v) in self.mapping(node, "rootfs.files[]", FILE_KEYS) {
            let field = match k.as_str() {
                "path" => &mut f.path,
                "content" => &mut f.content,
                "mode" => &mut f.mode,
                "owner" => &mut f.owner,
                _ => unreachable!("filtered by mapping()"),
            };
            // An empty file is legitimate: `content: ""`.
            *field = match (k.as_str(), v) {
                ("content", Node::Scalar(s)) => Some(Spanned::new(s.as_str().to_string(), scalar_span(s))),
                _ => self.string(v, k.as_str()),
            };
        }
        Some(f)
    }

    fn image(&mut self, node: &Node) -> Image {
        let mut i = Image::default();
        for (k, v) in self.mapping(node, "image", IMAGE_KEYS) {
            match k.as_str() {
                "entrypoint" => i.entrypoint = self.strings(v, "image.entrypoint", true),
                "cmd" => i.cmd = self.strings(v, "image.cmd", true),
                "user" => i.user = self.string(v, "image.user"),
                "workdir" => i.workdir = self.string(v, "image.workdir"),
                "env" => i.env = self.string_map(v, "image.env"),
                "expose" => i.expose = self.strings(v, "image.expose", true).map(|s| s.value).unwrap_or_default(),
                "labels" => i.labels = self.string_map(v, "image.labels"),
                "stop-signal" => i.stop_signal = self.string(v, "image.stop-signal"),
                _ => unreachable!("filtered by mapping()"),
            }
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_smallest_spec() {
        let spec = load("# syntax=x\nbuilder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy:\n  - /out/app\n").unwrap();
        let b = spec.builder.unwrap();
        assert_eq!(b.image.unwrap().value, "golang:1.23");
        assert_eq!(b.run[0].value, "go build -o /out/app .");
        assert_eq!(spec.copy[0].from.as_ref().unwrap().value, "/out/app");
        assert_eq!(spec.copy[0].from.as_ref().unwrap().span, Span::new(6, 5, 8));
    }

    #[test]
    fn reports_every_unknown_key_with_a_suggestion() {
        let err = load("bulder:\n  image: x\ncopy: [/a]\nrootfs:\n  tmpp: true\n").unwrap_err();
        let msgs: Vec<_> = err.items.iter().map(|d| (d.message.clone(), d.hint.clone().unwrap_or_default())).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].0.contains("`bulder`") && msgs[0].1.contains("`builder`"));
        assert!(msgs[1].0.contains("`tmpp`") && msgs[1].1.contains("`tmp`"));
    }

    #[test]
    fn extension_keys_are_ignored() {
        assert!(load("x-note: hi\ncopy: [/a]\n").is_ok());
    }
}
