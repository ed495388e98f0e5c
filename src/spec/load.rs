//! YAML → [`Spec`]: walks marked-yaml's node tree, collecting every problem with its position.

use crate::rules::codes::*;
use marked_yaml::types::MarkedScalarNode;
use marked_yaml::{LoadError, LoaderOptions, Node};

use super::keys::{self, Field, Read, Section};
use super::*;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics, Span};

/// Parses the text of a spec file. On failure every problem found is returned, not just the first.
pub fn load(text: &str) -> Result<Spec, Diagnostics> {
    match load_partial(text) {
        (Some(spec), diags) if !diags.has_errors() => Ok(spec),
        (_, diags) => Err(diags),
    }
}

/// [`load`], and the spec as far as it was read even with problems (`None` when the text is not YAML), so
/// a caller can look further.
pub fn load_partial(text: &str) -> (Option<Spec>, Diagnostics) {
    // Before the parser recurses into it: a nesting depth the parser survives, and one document.
    if let Err(problem) = super::scan::scan(text) {
        let d = match problem {
            super::scan::Problem::TooDeep(span) => Diagnostic::error(
                SK101,
                span,
                format!("the spec nests deeper than {} levels here", super::scan::MAX_DEPTH),
            )
            .hint("a spec needs about six levels (`rootfs:` → `users:` → `- name:`); flatten this value"),
            super::scan::Problem::SecondDocument(span) => {
                Diagnostic::error(SK102, span, "a second YAML document starts here")
                    .hint("a spec is one document: remove this line and what follows, or move it to a file of its own")
            }
        };
        return (None, Diagnostics::one(d));
    }
    // prevent_coercion: a quoted scalar is a string (`FOO: ""` is empty, not null; `"true"` is not a boolean).
    let options = LoaderOptions::default().error_on_duplicate_keys(true).toplevel_mapping().prevent_coercion(true);
    let root = match marked_yaml::parse_yaml_with_options(0, text, options) {
        Ok(root) => root,
        Err(e) => {
            let mut ds = Diagnostics::default();
            ds.push(load_error(e, text));
            return (None, ds);
        }
    };
    let mut r = Reader { diags: Diagnostics::default(), key: Span::new(1, 1, 1) };
    let spec = r.section(&root, &keys::SPEC);
    (Some(spec), r.diags.sorted())
}

fn load_error(e: LoadError, text: &str) -> Diagnostic {
    let at = |m: &marked_yaml::Marker| Some(Span::new(m.line(), m.column(), 1));
    match e {
        LoadError::TopLevelMustBeMapping(m) => {
            Diagnostic::error(SK103, at(&m), "the spec must be a mapping of sections")
                .hint("start with `builder:` and `copy:`; see the smallest spec in the README")
        }
        LoadError::UnexpectedAnchor(m) => {
            Diagnostic::error(SK104, at(&m), "YAML anchors and aliases are not supported")
                .hint("write the value out in full")
        }
        LoadError::MappingKeyMustBeScalar(m) => {
            Diagnostic::error(SK105, at(&m), "a mapping key must be a plain string").hint("quote the key")
        }
        LoadError::UnexpectedTag(m) => {
            Diagnostic::error(SK106, at(&m), "YAML tags (`!name`) are not supported").hint("remove the tag")
        }
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
            Diagnostic::error(
                SK107,
                Some(Span::new(m.line().max(1), column, 1)),
                format!("invalid YAML: {}", scan.info()),
            )
            .hint(hint)
        }
        LoadError::DuplicateKey(d) => {
            Diagnostic::error(SK108, scalar_span(&d.key), format!("duplicate key `{}`", d.key.as_str())).hint(
                match d.prev_key.span().start() {
                    Some(m) => format!("it is already set on line {}; keep one of them", m.line()),
                    None => "keep one of them".to_string(),
                },
            )
        }
        LoadError::TopLevelMustBeSequence(m) => Diagnostic::error(SK109, at(&m), "unexpected top-level sequence"),
    }
}

fn span_of(span: &marked_yaml::Span, fallback_len: usize) -> Span {
    match span.start() {
        Some(start) => {
            let len = match span.end() {
                Some(end) if end.line() == start.line() && end.column() > start.column() => {
                    end.column() - start.column()
                }
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

pub(super) fn node_span(n: &Node) -> Span {
    match n {
        Node::Scalar(s) => scalar_span(s),
        _ => span_of(n.span(), 1),
    }
}

/// A boolean, quoted or not (`"true"` too, as the docs and the schema say); `yes`, `on`, `1` are not.
/// marked-yaml coerces only unquoted scalars, which `prevent_coercion` keeps strings elsewhere.
fn flag(s: &MarkedScalarNode) -> Option<bool> {
    match s.as_str() {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
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

/// Reads nodes into spec values, collecting every problem instead of stopping at the first.
pub struct Reader {
    diags: Diagnostics,
    /// The key whose value is being read: a nested reader that keeps where its key was written (the
    /// `copy` list, for messages about the list as a whole) takes it from here.
    key: Span,
}

impl Reader {
    fn error(
        &mut self,
        rule: &'static crate::rules::Rule,
        span: Span,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::error(rule, span, message).hint(hint));
    }

    /// A mapping read with its section's table: every known key is read, unknown keys are reported
    /// (keys starting `x-` are extensions, ignored), and so are missing required keys. A plain string in
    /// place of the mapping is the section's shorthand key, when it has one.
    pub(super) fn section<T>(&mut self, node: &Node, section: &Section<T>) -> T {
        let span = node_span(node);
        let mut value = (section.new)(span);
        let what = if section.path.is_empty() { "the spec" } else { section.path };
        if let (Node::Scalar(_), Some(key)) = (node, section.shorthand) {
            if let Some(field) = section.field(key) {
                self.field(field, what, node, &mut value);
            }
            return value;
        }
        let Some(map) = node.as_mapping() else {
            let keys: Vec<&str> = section.fields.iter().map(|f| f.key).collect();
            self.error(
                SK110,
                span,
                format!("`{what}` must be a mapping, found {}", kind(node)),
                format!("write `{what}` as `key: value` lines; its keys are: {}", keys.join(", ")),
            );
            return value;
        };
        for (k, v) in map.iter() {
            let name = k.as_str();
            match section.field(name) {
                Some(field) => {
                    self.key = scalar_span(k);
                    self.field(field, &key_path(section.path, name), v, &mut value)
                }
                None if name.starts_with("x-") => {}
                None => self.unknown_key(section, scalar_span(k), name),
            }
        }
        for field in section.fields {
            if let Some(hint) = field.required.filter(|_| map.get_node(field.key).is_none()) {
                let (message, at) = match section.path {
                    "" => (format!("the spec has no `{}:` section", field.key), Span::new(1, 1, 1)),
                    p if p.ends_with("[]") => {
                        (format!("a `{}` entry has no `{}`", p.trim_end_matches("[]"), field.key), span)
                    }
                    p => (format!("`{p}` has no `{}`", field.key), span),
                };
                self.error(SK111, at, message, hint);
            }
        }
        value
    }

    /// Where the key of the value being read was written.
    pub(super) fn key_span(&self) -> Span {
        self.key
    }

    /// A list whose items are read with the section's table.
    pub(super) fn items<T>(&mut self, node: &Node, section: &Section<T>) -> Vec<T> {
        let what = section.path.trim_end_matches("[]");
        match node.as_sequence() {
            Some(seq) => seq.iter().map(|n| self.section(n, section)).collect(),
            None => {
                self.error(
                    SK112,
                    node_span(node),
                    format!("`{what}` must be a list, found {}", kind(node)),
                    format!("write one `- ...` item per line under `{what}:`"),
                );
                Vec::new()
            }
        }
    }

    fn field<T>(&mut self, field: &Field<T>, what: &str, v: &Node, target: &mut T) {
        match &field.read {
            Read::Text(set) | Read::Word(_, set) => {
                if let Some(s) = self.string(v, what) {
                    set(target, s);
                }
            }
            Read::Flag(set) => {
                if let Some(b) = self.boolean(v, what) {
                    set(target, b);
                }
            }
            Read::List { single, set } => {
                if let Some(list) = self.strings(v, what, *single) {
                    set(target, list);
                }
            }
            Read::Names(set) => {
                let pairs = self.string_map(v, what);
                set(target, pairs);
            }
            Read::Nested(_, read) => read(self, v, target),
        }
    }

    fn unknown_key<T>(&mut self, section: &Section<T>, span: Span, name: &str) {
        let keys = section.fields.iter().map(|f| f.key);
        let hint = match did_you_mean(name, keys.clone()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if section.path.is_empty() => {
                format!("the top-level keys are: {}", keys.collect::<Vec<_>>().join(", "))
            }
            None => format!("the keys of `{}` are: {}", section.path, keys.collect::<Vec<_>>().join(", ")),
        };
        let message = if section.path.is_empty() {
            format!("unknown top-level key `{name}`")
        } else {
            format!("unknown key `{name}` in `{}`", section.path)
        };
        self.error(SK113, span, message, hint);
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Str> {
        match node {
            Node::Scalar(s) if !is_null(s) => Some(Spanned::new(s.as_str().to_string(), scalar_span(s))),
            _ => {
                self.error(
                    SK114,
                    node_span(node),
                    format!("`{what}` must be a single value, found {}", kind(node)),
                    format!("write `{what}: <value>`"),
                );
                None
            }
        }
    }

    /// Any scalar as the text written, an unquoted empty or `null` one included.
    pub(super) fn any_scalar(&mut self, node: &Node, what: &str) -> Option<Str> {
        match node {
            Node::Scalar(s) => Some(Spanned::new(s.as_str().to_string(), scalar_span(s))),
            _ => self.string(node, what),
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        if let Node::Scalar(s) = node {
            if let Some(b) = flag(s) {
                return Some(Spanned::new(b, scalar_span(s)));
            }
        }
        self.error(
            SK115,
            node_span(node),
            format!("`{what}` must be true or false"),
            format!("write `{what}: true` or `{what}: false`"),
        );
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
                    SK116,
                    node_span(node),
                    format!("`{what}` must be a list, found {}", kind(node)),
                    format!("write `{what}: [a, b]` or one `- item` per line"),
                );
                None
            }
        }
    }

    /// The exec form of a command (a list); a single string is the shell form, which needs a shell.
    pub(super) fn exec_form(&mut self, node: &Node, what: &str) -> Option<Spanned<Vec<Str>>> {
        if let Node::Scalar(s) = node {
            self.error(
                SK122,
                scalar_span(s),
                format!("`{what}` is a shell command, and the image has no shell"),
                format!("write the program and its arguments as a list, e.g. `{what}: [/app, -health]`"),
            );
            return None;
        }
        self.strings(node, what, false)
    }

    /// A mapping of names to single values, in file order.
    fn string_map(&mut self, node: &Node, what: &str) -> Vec<(Str, Str)> {
        let Some(map) = node.as_mapping() else {
            self.error(
                SK117,
                node_span(node),
                format!("`{what}` must be a mapping, found {}", kind(node)),
                format!("write `{what}: {{NAME: value}}`"),
            );
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

    /// `true`, `false`, or `{from: ...}`.
    pub(super) fn ca_certificates(&mut self, node: &Node) -> Option<Toggle<Str>> {
        match node {
            Node::Mapping(_) => self.section(node, &keys::CA_CERTIFICATES).map(Toggle::With),
            _ => self.boolean(node, "rootfs.ca-certificates").map(|b| {
                if b.value {
                    Toggle::On(b.span)
                } else {
                    Toggle::Off(b.span)
                }
            }),
        }
    }

    /// `all`, `none`, a boolean (all or none), or a list of zones.
    pub(super) fn timezones(&mut self, node: &Node) -> Option<Timezones> {
        self.all_none_or_list(node, "timezones", "zones", "e.g. `timezones: [Europe/Amsterdam, UTC]`", SK118)
    }

    /// `all`, `none`, a boolean (all or none), or a list of charsets.
    pub(super) fn gconv(&mut self, node: &Node) -> Option<Timezones> {
        self.all_none_or_list(node, "gconv", "charsets", "e.g. `gconv: [CP1252, ISO-8859-15]`", SK123)
    }

    fn all_none_or_list(
        &mut self,
        node: &Node,
        key: &str,
        items: &str,
        example: &str,
        rule: &'static crate::rules::Rule,
    ) -> Option<Timezones> {
        let what = format!("rootfs.{key}");
        match node {
            Node::Sequence(_) => {
                let list = self.strings(node, &what, false)?;
                Some(Timezones::List(list.span, list.value))
            }
            Node::Scalar(s) => match flag(s) {
                Some(true) => Some(Timezones::Word(Spanned::new("all".into(), scalar_span(s)))),
                Some(false) => Some(Timezones::Word(Spanned::new("none".into(), scalar_span(s)))),
                None => self.string(node, &what).map(Timezones::Word),
            },
            Node::Mapping(_) => {
                self.error(
                    rule,
                    node_span(node),
                    format!("`{key}` must be `all`, `none` or a list of {items}"),
                    example,
                );
                None
            }
        }
    }
}

/// How messages name a key: `builder.image`, `rootfs.users[].uid`, `copy` (at the top level).
fn key_path(section: &str, key: &str) -> String {
    if section.is_empty() {
        key.to_string()
    } else {
        format!("{section}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_smallest_spec() {
        let spec =
            load("# syntax=x\nbuilder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy:\n  - /out/app\n")
                .unwrap();
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
    fn booleans_are_read_quoted_or_not() {
        let spec = load("copy: [/a]\nrootfs: {tmp: \"false\", nsswitch: 'False', services: FALSE, timezones: \"false\", ca-certificates: \"true\"}\nbuilder: {image: x, ssh: \"TRUE\"}\n").unwrap();
        let r = &spec.rootfs;
        assert_eq!([&r.tmp, &r.nsswitch, &r.services].map(|t| t.as_ref().map(|t| t.value)), [Some(false); 3]);
        assert!(matches!(&r.timezones, Some(Timezones::Word(w)) if w.value == "none"));
        assert!(matches!(r.ca_certificates, Some(Toggle::On(_))));
        assert_eq!(spec.builder.unwrap().ssh.map(|s| s.value), Some(true));
        for word in ["yes", "\"yes\"", "on", "1", "\"1\"", "tRUE"] {
            let err = load(&format!("copy: [/a]\nrootfs: {{tmp: {word}}}\n")).unwrap_err();
            assert!(err.items[0].is(SK115), "{word}: {err:?}");
        }
    }

    #[test]
    fn extension_keys_are_ignored() {
        assert!(load("x-note: hi\ncopy: [/a]\n").is_ok());
    }
}
