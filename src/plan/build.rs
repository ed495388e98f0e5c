//! Spec → Plan: every check and every default, collected into one pass that reports all problems.

use std::collections::{BTreeMap, BTreeSet};

use super::accounts::{self, primary_groups, Account, Accounts, GroupEntry, Owner};
use super::args::{is_name, substitute};
use super::paths::{context_path, AbsPath, Mode, PathError};
use super::*;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics, Span};
use crate::platform::Platform;
use crate::spec::{self, Spanned, Str, Toggle};

/// What the plan needs from outside the spec: build args and platforms given on the command line.
#[derive(Clone, Debug, Default)]
pub struct PlanInputs {
    /// `--build-arg NAME=VALUE`.
    pub build_args: BTreeMap<String, String>,
    /// `--platform`; empty means the spec's `platforms:` or else `default_platform`.
    pub platforms: Vec<Platform>,
    /// What BuildKit builds for when nothing else says (its first worker platform).
    pub default_platform: Option<Platform>,
    /// `--target`; empty or `default` is the normal image.
    pub target: Option<String>,
}

/// Validates a spec and fills its defaults. Warnings come back with the plan; errors instead of it.
pub fn plan(spec: &spec::Spec, inputs: &PlanInputs) -> Result<(Plan, Diagnostics), Diagnostics> {
    let mut p = Planner { diags: Diagnostics::default(), args: BTreeMap::new() };
    let plan = p.plan(spec, inputs);
    if p.diags.has_errors() {
        Err(p.diags.sorted())
    } else {
        Ok((plan, p.diags.sorted()))
    }
}

struct Planner {
    diags: Diagnostics,
    args: BTreeMap<String, String>,
}

impl Planner {
    fn error(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, message).hint(hint));
    }

    fn warn(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::warning(span, message).hint(hint));
    }

    /// A string field after `${ARG}` substitution; undeclared args are an error outside `run`.
    fn text(&mut self, s: &Str) -> String {
        let out = substitute(&s.value, &self.args);
        for (name, _) in &out.undeclared {
            self.error(
                s.span,
                format!("`${{{name}}}` names no build arg"),
                format!("declare it under `args:` (e.g. `args: {{{name}: default}}`) or remove it"),
            );
        }
        out.text
    }

    fn abs_path(&mut self, s: &Str, what: &str) -> Option<AbsPath> {
        let text = self.text(s);
        match AbsPath::parse(&text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.path_error(s.span, what, &text, e);
                None
            }
        }
    }

    fn path_error(&mut self, span: Span, what: &str, text: &str, e: PathError) {
        match e {
            PathError::Relative => {
                self.error(span, format!("{what} `{text}` is not an absolute path"), format!("start it with `/`, e.g. `/{}`", text.trim_start_matches("./")))
            }
            PathError::Escapes => self.error(span, format!("{what} `{text}` escapes the root with `..`"), "write the path without `..` components"),
            PathError::Empty => self.error(span, format!("{what} is empty"), "write a path such as `/out/app`"),
        }
    }

    fn mode(&mut self, s: &Str) -> Option<Mode> {
        let text = self.text(s);
        let m = Mode::parse(&text);
        if m.is_none() {
            self.error(
                s.span,
                format!("mode `{text}` is not an octal number"),
                "write the mode as a quoted octal string of up to four digits 0-7, such as \"0755\"",
            );
        }
        m
    }

    fn plan(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Plan {
        if let Some(v) = &spec.version {
            if v.value != "1" {
                self.error(v.span, format!("unknown spec version `{}`", v.value), "only `version: 1` exists; remove the line or write 1");
            }
        }
        self.args(spec, inputs);
        let builder = spec.builder.as_ref().and_then(|b| self.builder(b));
        let accounts = self.accounts(&spec.rootfs);
        let copies = self.copies(spec, builder.is_some(), &accounts);
        let (rootfs, zones_off) = self.rootfs(&spec.rootfs, &accounts, builder.is_some());
        let libraries = match &spec.rootfs.libraries {
            None => Libraries::Auto,
            Some(s) => match s.value.as_str() {
                "auto" => Libraries::Auto,
                "none" => Libraries::None,
                other => {
                    self.error(s.span, format!("`libraries: {other}` is not a choice"), "write `auto` (copy what dynamic binaries need) or `none`");
                    Libraries::Auto
                }
            },
        };
        let package_metadata = builder.is_some() && spec.rootfs.package_metadata.as_ref().is_none_or(|t| t.value);
        let image = self.image(spec, &copies, &accounts, &rootfs, zones_off);
        let platforms = self.platforms(spec, inputs);
        let epoch = self.epoch();
        let target = match inputs.target.as_deref() {
            None | Some("" | "default") => Target::Default,
            Some("debug") => Target::Debug,
            Some(other) => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                self.error(Span::new(1, 1, 1), format!("unknown target `{other}`"), format!("the targets are: {}", names.join(", ")));
                Target::Default
            }
        };
        let debug_image = spec.debug.as_ref().and_then(|d| d.image.as_ref()).map_or(DEFAULT_DEBUG_IMAGE.to_string(), |i| self.text(i));
        Plan { builder, copies, rootfs, libraries, package_metadata, image, platforms, epoch, target, debug_image }
    }

    fn args(&mut self, spec: &spec::Spec, inputs: &PlanInputs) {
        for (name, default) in &spec.args {
            if !is_name(&name.value) {
                self.error(name.span, format!("`{}` is not a valid arg name", name.value), "use letters, digits and `_`, starting with a letter");
                continue;
            }
            let value = inputs.build_args.get(&name.value).cloned().unwrap_or_else(|| default.value.clone());
            self.args.insert(name.value.clone(), value);
        }
    }

    fn epoch(&mut self) -> Option<i64> {
        // SOURCE_DATE_EPOCH is honoured whether or not the spec declares it, as BuildKit does.
        self.args.get("SOURCE_DATE_EPOCH").and_then(|v| v.parse().ok())
    }

    fn builder(&mut self, b: &spec::Builder) -> Option<Builder> {
        let image = b.image.as_ref().map(|i| self.text(i)).filter(|i| !i.is_empty());
        let workdir = match &b.workdir {
            Some(w) => self.abs_path(w, "builder.workdir").unwrap_or_else(AbsPath::root),
            None => AbsPath::parse("/src").expect("constant path"),
        };
        let mut env = Vec::new();
        for (k, v) in &b.env {
            if !is_name(&k.value) {
                self.error(k.span, format!("`{}` is not a valid environment variable name", k.value), "use letters, digits and `_`");
            }
            env.push((k.value.clone(), self.text(v)));
        }
        // In commands an unknown `${NAME}` is the shell's business (e.g. `${TARGETARCH}`).
        let run = b.run.iter().map(|r| substitute(&r.value, &self.args).text).collect();
        let cache = b.cache.iter().filter_map(|c| self.abs_path(c, "builder.cache path")).collect();
        let mut secrets = Vec::new();
        for s in &b.secrets {
            let Some(id) = &s.id else {
                self.error(s.span, "a secret has no `id`", "write `{id: netrc, target: /root/.netrc}` and pass `--secret id=netrc,src=...`");
                continue;
            };
            let id_text = self.text(id);
            let target = match &s.target {
                Some(t) => self.abs_path(t, "secret target"),
                None => AbsPath::parse(&format!("/run/secrets/{id_text}")).ok(),
            };
            if let Some(target) = target {
                secrets.push(SecretMount { id: id_text, target });
            }
        }
        let network = match b.network.as_ref().map(|n| (n, n.value.as_str())) {
            None | Some((_, "default")) => Network::Default,
            Some((_, "none")) => Network::None,
            Some((_, "host")) => Network::Host,
            Some((n, other)) => {
                self.error(n.span, format!("`network: {other}` is not a choice"), "write `default`, `none` or `host`");
                Network::Default
            }
        };
        let runs_on = match b.platform.as_ref().map(|n| (n, n.value.as_str())) {
            None | Some((_, "build")) => RunsOn::BuildPlatform,
            Some((_, "target")) => RunsOn::TargetPlatform,
            Some((n, other)) => {
                self.error(n.span, format!("`platform: {other}` is not a choice"), "write `build` (cross-compile natively) or `target` (run emulated)");
                RunsOn::BuildPlatform
            }
        };
        if b.run.is_empty() {
            self.warn(b.span, "the builder has no `run` commands", "add `run: <build command>`, or drop `builder` to copy from the build context");
        }
        Some(Builder {
            image: image?,
            image_span: b.image.as_ref().map_or(b.span, |i| i.span),
            workdir,
            env,
            run,
            cache,
            secrets,
            ssh: b.ssh.as_ref().is_some_and(|s| s.value),
            network,
            runs_on,
        })
    }

    fn accounts(&mut self, rootfs: &spec::Rootfs) -> Accounts {
        let mut users = vec![accounts::root(), accounts::nobody()];
        let listed = match &rootfs.users {
            None => vec![Account { name: "nonroot".into(), uid: NONROOT_UID, gid: NONROOT_UID, home: "/home/nonroot".into(), shell: "/sbin/nologin".into() }],
            Some(list) => list.value.iter().filter_map(|u| self.user(u)).collect(),
        };
        let mut uids: BTreeMap<u32, String> = BTreeMap::from([(0, "root".to_string()), (NOBODY_UID, "nobody".to_string())]);
        let spans: Vec<Span> = rootfs.users.as_ref().map(|l| l.value.iter().map(|u| u.span).collect()).unwrap_or_default();
        for (i, u) in listed.into_iter().enumerate() {
            let span = spans.get(i).copied().unwrap_or_default();
            if u.name == "root" && u.uid == 0 {
                continue; // root is always present; listing it is harmless
            }
            if u.name == "nobody" || u.uid == NOBODY_UID {
                self.error(
                    span,
                    format!("user `{}` (uid {}) collides with `nobody` (uid {NOBODY_UID}), which every image has", u.name, u.uid),
                    "remove this entry (to run as nobody, set `image.user: nobody`), or give the user another name and uid",
                );
                continue;
            }
            if let Some(other) = uids.get(&u.uid) {
                self.error(span, format!("users `{other}` and `{}` share uid {}", u.name, u.uid), "give each user its own uid");
                continue;
            }
            if users.iter().any(|x| x.name == u.name) {
                self.error(span, format!("user `{}` is listed twice", u.name), "keep one entry per user name");
                continue;
            }
            uids.insert(u.uid, u.name.clone());
            users.push(u);
        }
        let mut extra = vec![accounts::nogroup()];
        let mut group_names: BTreeSet<String> = primary_groups(&users, &extra).into_iter().map(|g| g.name).collect();
        let mut gids: BTreeSet<u32> = users.iter().map(|u| u.gid).collect();
        for g in &rootfs.groups {
            let (Some(name), Some(gid)) = (&g.name, &g.gid) else {
                self.error(g.span, "a group needs `name` and `gid`", "write `{name: app, gid: 2000}`");
                continue;
            };
            let Some(gid_num) = self.id(gid, "gid") else { continue };
            if !gids.insert(gid_num) {
                self.error(gid.span, format!("gid {gid_num} is already used"), "give each group its own gid");
                continue;
            }
            let name_text = self.text(name);
            if !group_names.insert(name_text.clone()) {
                self.error(
                    name.span,
                    format!("group `{name_text}` already exists"),
                    "give the group another name: each user has a group of its own name, and `nogroup` (65534) is always there",
                );
                continue;
            }
            let members = g.members.iter().map(|m| m.value.clone()).collect::<Vec<_>>();
            for (m, s) in members.iter().zip(&g.members) {
                if !users.iter().any(|u| &u.name == m) {
                    self.error(s.span, format!("group member `{m}` is not a user"), "add it to `rootfs.users` or remove it");
                }
            }
            extra.push(GroupEntry { name: name_text, gid: gid_num, members });
        }
        let groups = primary_groups(&users, &extra);
        Accounts { users, groups }
    }

    fn id(&mut self, s: &Str, what: &str) -> Option<u32> {
        match self.text(s).parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(s.span, format!("{what} `{}` is not a number", s.value), format!("write the {what} as a whole number, e.g. 10001"));
                None
            }
        }
    }

    fn user(&mut self, u: &spec::User) -> Option<Account> {
        let Some(name) = &u.name else {
            self.error(u.span, "a user has no `name`", "write `{name: app, uid: 10001}`");
            return None;
        };
        let name_text = self.text(name);
        let valid = name_text.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name_text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid || name_text.len() > 32 {
            self.error(name.span, format!("`{name_text}` is not a valid user name"), "use lower-case letters, digits, `_` and `-`, starting with a letter");
            return None;
        }
        let Some(uid_s) = &u.uid else {
            self.error(u.span, format!("user `{name_text}` has no `uid`"), "add `uid: 10001` (any unused number above 999)");
            return None;
        };
        let uid = self.id(uid_s, "uid")?;
        let gid = match &u.gid {
            Some(g) => self.id(g, "gid")?,
            None => uid,
        };
        let home = match &u.home {
            Some(h) => self.abs_path(h, "home")?.to_string(),
            None if uid == 0 => "/root".into(),
            None => format!("/home/{name_text}"),
        };
        let shell = match &u.shell {
            Some(s) => self.abs_path(s, "shell")?.to_string(),
            None => "/sbin/nologin".into(),
        };
        Some(Account { name: name_text, uid, gid, home, shell })
    }

    fn owner(&mut self, s: &Str, accounts: &Accounts) -> Owner {
        let text = self.text(s);
        match accounts.resolve(&text) {
            Ok(o) => o,
            Err(why) => {
                let user = text.split(':').next().unwrap_or_default();
                let hint = match did_you_mean(user, accounts.names()) {
                    Some(n) if n != user => format!("did you mean `{n}`? users are: {}", accounts.names().join(", ")),
                    _ => format!("define it under `rootfs.users`, or write a number; users are: {}", accounts.names().join(", ")),
                };
                self.error(s.span, format!("owner `{text}`: {why}"), hint);
                Owner::ROOT
            }
        }
    }

    /// `context:<path>` → the context; otherwise the builder (or, without a builder, the context).
    fn source(&mut self, s: &Str, has_builder: bool) -> Option<(Source, bool)> {
        let text = self.text(s);
        let is_dir = text.ends_with('/');
        if let Some(rel) = text.strip_prefix("context:") {
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

    fn copies(&mut self, spec: &spec::Spec, has_builder: bool, accounts: &Accounts) -> Vec<Copy> {
        if spec.copy.is_empty() {
            self.error(spec.copy_span, "`copy` lists nothing", "list at least one file, e.g. `copy: [/out/app]`");
        }
        let mut out: Vec<Copy> = Vec::new();
        for c in &spec.copy {
            let Some(from) = &c.from else { continue };
            let Some((source, is_dir)) = self.source(from, has_builder) else { continue };
            let dest = match &c.to {
                Some(to) => {
                    let to_dir = to.value.ends_with('/');
                    let Some(base) = self.abs_path(to, "copy destination") else { continue };
                    let name = match &source {
                        Source::Builder(p) => p.file_name().map(str::to_string),
                        Source::Context(p) => p.rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_string),
                    };
                    match (to_dir && !is_dir, name) {
                        (true, Some(name)) => base.join(&name).unwrap_or(base),
                        _ => base,
                    }
                }
                None => match &source {
                    Source::Builder(p) => p.clone(),
                    Source::Context(p) => match AbsPath::parse(&format!("/{p}")) {
                        Ok(d) => d,
                        Err(_) => continue,
                    },
                },
            };
            if dest.as_str() == "/" && !is_dir {
                self.error(from.span, "a file cannot be copied onto `/`", "give it a destination with `to:`");
                continue;
            }
            let mode = c.mode.as_ref().and_then(|m| self.mode(m));
            let owner = c.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
            if let Some(prev) = out.iter().find(|p| p.dest == dest) {
                self.error(
                    c.span,
                    format!("`{dest}` is copied twice"),
                    format!("the first copy is on line {}; give one of them another `to:`", prev.span.line),
                );
                continue;
            }
            out.push(Copy { from: source, dest, contents: is_dir, mode, owner, span: c.span });
        }
        out
    }

    fn rootfs(&mut self, r: &spec::Rootfs, accounts: &Accounts, has_builder: bool) -> (Vec<Piece>, bool) {
        let mut pieces = vec![Piece::Accounts(accounts.clone())];
        let homes: Vec<Home> =
            accounts.homes().into_iter().filter_map(|a| Some(Home { path: AbsPath::parse(&a.home).ok()?, owner: Owner { uid: a.uid, gid: a.gid } })).collect();
        if !homes.is_empty() {
            pieces.push(Piece::Homes(homes));
        }
        if r.tmp.as_ref().is_none_or(|t| t.value) {
            pieces.push(Piece::Tmp);
        }
        if r.nsswitch.as_ref().is_none_or(|t| t.value) {
            pieces.push(Piece::Nsswitch);
        }
        match &r.ca_certificates {
            None | Some(Toggle::On(_)) => {
                if has_builder {
                    pieces.push(Piece::CaCertificates(Source::Builder(AbsPath::parse(CA_BUNDLE).expect("constant path"))));
                } else if let Some(Toggle::On(span)) = &r.ca_certificates {
                    self.error(
                        *span,
                        "there is no builder to take CA certificates from",
                        "write `ca-certificates: {from: context:path/to/ca.pem}`, or add a `builder`",
                    );
                }
            }
            Some(Toggle::Off(_)) => {}
            Some(Toggle::With(from)) => {
                if let Some((source, _)) = self.source(from, has_builder) {
                    pieces.push(Piece::CaCertificates(source));
                }
            }
        }
        for (file, toggle) in [(DataFile::Services, &r.services), (DataFile::Protocols, &r.protocols), (DataFile::MimeTypes, &r.mime_types)] {
            match toggle {
                Some(t) if !t.value => {}
                _ if has_builder => pieces.push(Piece::DataFile { file, requested: toggle.as_ref().map(|t| t.span) }),
                None => {}
                Some(t) => self.error(
                    t.span,
                    format!("there is no builder to take `{}` from", file.path()),
                    format!("add a `builder` that has it (Debian: `{}`), or set `rootfs.{}: false`", file.package(), file.key()),
                ),
            }
        }
        let mut zones_off = false;
        match &r.timezones {
            None => {
                if has_builder {
                    pieces.push(Piece::Timezones(Zones::All));
                }
            }
            Some(spec::Timezones::Word(w)) => match w.value.as_str() {
                "all" if has_builder => pieces.push(Piece::Timezones(Zones::All)),
                "all" => self.error(w.span, "there is no builder to take time zones from", "add a `builder`, or write `timezones: none`"),
                "none" => zones_off = true,
                other => {
                    self.error(w.span, format!("`timezones: {other}` is not a choice"), "write `all`, `none`, or a list such as `[Europe/Amsterdam, UTC]`")
                }
            },
            Some(spec::Timezones::List(span, zones)) => {
                let mut names = Vec::new();
                for z in zones {
                    let valid = !z.value.is_empty()
                        && !z.value.starts_with('/')
                        && z.value.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
                        && z.value.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
                    if valid {
                        names.push(z.value.clone());
                    } else {
                        self.error(
                            z.span,
                            format!("`{}` is not a time zone name", z.value),
                            "write names as in the tz database, e.g. `Europe/Amsterdam` or `UTC`",
                        );
                    }
                }
                names.sort();
                names.dedup();
                if !has_builder {
                    self.error(*span, "there is no builder to take time zones from", "add a `builder`, or write `timezones: none`");
                } else if names.is_empty() {
                    zones_off = true;
                } else {
                    pieces.push(Piece::Timezones(Zones::Only(names)));
                }
            }
        }
        let dirs: Vec<DirEntry> = r
            .dirs
            .iter()
            .filter_map(|d| {
                let path = self.abs_path(d.path.as_ref()?, "dir path")?;
                let mode = d.mode.as_ref().map_or(Some(Mode::new(0o755)), |m| self.mode(m))?;
                let owner = d.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
                Some(DirEntry { path, mode, owner })
            })
            .collect();
        for d in r.dirs.iter().filter(|d| d.path.is_none()) {
            self.error(d.span, "a dir has no `path`", "write `{path: /data, mode: \"0750\"}`");
        }
        if !dirs.is_empty() {
            pieces.push(Piece::Dirs(dirs));
        }
        let mut files = Vec::new();
        for f in &r.files {
            let (Some(path), Some(content)) = (&f.path, &f.content) else {
                self.error(f.span, "a file needs `path` and `content`", "write `{path: /etc/app/motd, content: \"hello\\n\"}`");
                continue;
            };
            let Some(path) = self.abs_path(path, "file path") else { continue };
            let content = self.text(content);
            let Some(mode) = f.mode.as_ref().map_or(Some(Mode::new(0o644)), |m| self.mode(m)) else { continue };
            let owner = f.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
            files.push(FileEntry { path, content, mode, owner });
        }
        if !files.is_empty() {
            pieces.push(Piece::Files(files));
        }
        (pieces, zones_off)
    }

    fn image(&mut self, spec: &spec::Spec, copies: &[Copy], accounts: &Accounts, rootfs: &[Piece], zones_off: bool) -> ImageConfig {
        let i = &spec.image;
        let list = |p: &mut Self, l: &Spanned<Vec<Str>>| l.value.iter().map(|s| p.text(s)).collect::<Vec<_>>();
        let cmd = i.cmd.as_ref().map(|c| list(self, c));
        let (entrypoint, entrypoint_span) = match &i.entrypoint {
            Some(e) => (Some(list(self, e)).filter(|e| !e.is_empty()), e.span),
            None => {
                let files: Vec<&Copy> = copies.iter().filter(|c| !c.contents).collect();
                match (files.as_slice(), &cmd) {
                    ([only], _) => (Some(vec![only.dest.to_string()]), only.span),
                    (_, Some(_)) => (None, spec.copy_span),
                    (_, None) => {
                        if !copies.is_empty() {
                            self.error(
                                spec.copy_span,
                                format!("no entrypoint: `copy` lists {} files, so none is the obvious one", files.len()),
                                "set `image.entrypoint: [/path/to/binary]`",
                            );
                        }
                        (None, spec.copy_span)
                    }
                }
            }
        };
        let program = entrypoint.as_ref().or(cmd.as_ref()).and_then(|v| v.first());
        if let Some(program) = program {
            self.check_program(program, entrypoint_span, copies, rootfs);
        }
        let errors_before = self.diags.errors().count();
        let user = match &i.user {
            Some(u) => self.owner(u, accounts),
            // The first listed user: root and nobody are always there, listed or not.
            None => accounts.users.iter().find(|a| a.uid != 0 && a.uid != NOBODY_UID).map_or(Owner::ROOT, |a| Owner { uid: a.uid, gid: a.gid }),
        };
        if user.uid == 0 && self.diags.errors().count() == errors_before {
            let span = i.user.as_ref().map_or(spec.copy_span, |u| u.span);
            self.warn(span, "the image runs as root", "leave `image.user` unset to run as `nonroot` (65532), or name a user from `rootfs.users`");
        }
        let workdir = match &i.workdir {
            Some(w) => self.abs_path(w, "image.workdir").unwrap_or_else(AbsPath::root),
            None => AbsPath::root(),
        };
        let has_ca = rootfs.iter().any(|p| matches!(p, Piece::CaCertificates(_)));
        let mut env: Vec<(String, String)> = vec![("PATH".into(), DEFAULT_PATH.into())];
        if has_ca {
            env.push(("SSL_CERT_FILE".into(), CA_BUNDLE.into()));
        }
        for (k, v) in &i.env {
            if !is_name(&k.value) {
                self.error(k.span, format!("`{}` is not a valid environment variable name", k.value), "use letters, digits and `_`");
                continue;
            }
            let value = self.text(v);
            if k.value == "TZ" && zones_off {
                self.warn(k.span, "`TZ` is set but `rootfs.timezones` is `none`", "the zone will not load; list it under `rootfs.timezones`");
            }
            match env.iter_mut().find(|(name, _)| name == &k.value) {
                Some(slot) => slot.1 = value,
                None => env.push((k.value.clone(), value)),
            }
        }
        let mut exposed_ports = Vec::new();
        for e in &i.expose {
            let text = self.text(e);
            let (port, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
            match (port.parse::<u16>(), proto) {
                (Ok(p), "tcp" | "udp" | "sctp") if p > 0 => exposed_ports.push(format!("{p}/{proto}")),
                _ => self.error(e.span, format!("`{text}` is not a port"), "write a port number with an optional protocol, e.g. 8080 or 9090/udp"),
            }
        }
        exposed_ports.sort();
        exposed_ports.dedup();
        let mut labels: Vec<(String, String)> = i.labels.iter().map(|(k, v)| (k.value.clone(), self.text(v))).collect();
        labels.sort();
        let stop_signal = i.stop_signal.as_ref().map(|s| self.text(s));
        ImageConfig { entrypoint, cmd, entrypoint_span, user, workdir, env, exposed_ports, labels, stop_signal }
    }

    /// An absolute entrypoint must be something the image will contain: a copied file or a file
    /// below a copied directory. (Whether it is executable is checked once the builder has run.)
    fn check_program(&mut self, program: &str, span: Span, copies: &[Copy], rootfs: &[Piece]) {
        let Ok(path) = AbsPath::parse(program) else {
            if !program.starts_with('/') {
                self.error(
                    span,
                    format!("entrypoint `{program}` is not an absolute path"),
                    "a scratch image has no shell to search PATH reliably; write the full path, e.g. `/usr/local/bin/app`",
                );
            }
            return;
        };
        let copied = copies.iter().any(|c| if c.contents { path.starts_with(&c.dest) } else { c.dest == path });
        let written = rootfs.iter().any(|p| matches!(p, Piece::Files(fs) if fs.iter().any(|f| f.path == path)));
        if !copied && !written {
            let dests: Vec<String> = copies.iter().map(|c| c.dest.to_string()).collect();
            self.error(
                span,
                format!("entrypoint `{path}` is not in the image"),
                format!("the image contains only what `copy` lists ({}); copy it there or fix the path", dests.join(", ")),
            );
        }
    }

    fn platforms(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Vec<Platform> {
        if !inputs.platforms.is_empty() {
            return inputs.platforms.clone();
        }
        let mut out = Vec::new();
        for p in &spec.platforms {
            match Platform::parse(&p.value) {
                Ok(pl) if !out.contains(&pl) => out.push(pl),
                Ok(_) => {}
                Err(why) => self.error(p.span, why, "e.g. `platforms: [linux/amd64, linux/arm64]`"),
            }
        }
        if out.is_empty() {
            out.push(inputs.default_platform.clone().unwrap_or_else(Platform::linux_amd64));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILDER: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

    fn planned(text: &str) -> Result<(Plan, Diagnostics), Diagnostics> {
        plan(&spec::load(text).expect("the spec loads"), &PlanInputs::default())
    }

    fn ok(text: &str) -> Plan {
        planned(text).unwrap_or_else(|e| panic!("{text}: {e:?}")).0
    }

    fn errors(text: &str) -> Vec<String> {
        planned(text).err().unwrap_or_else(|| panic!("{text} planned")).errors().map(|d| d.message.clone()).collect()
    }

    /// The data-file pieces in plan order: (key, line the spec asked for it on).
    fn data_files(plan: &Plan) -> Vec<(&'static str, Option<usize>)> {
        plan.rootfs
            .iter()
            .filter_map(|p| if let Piece::DataFile { file, requested } = p { Some((file.key(), requested.map(|s| s.line))) } else { None })
            .collect()
    }

    #[test]
    fn data_files_are_on_by_default_right_after_the_ca_bundle() {
        let plan = ok(BUILDER);
        assert_eq!(data_files(&plan), [("services", None), ("protocols", None), ("mime-types", None)]);
        let names: Vec<&str> = plan.rootfs.iter().map(Piece::name).collect();
        assert_eq!(names, ["users", "home", "tmp", "nsswitch", "ca-certificates", "services", "protocols", "mime-types", "timezones"]);
        let paths: Vec<&str> = DataFile::ALL.iter().map(|f| f.path()).collect();
        assert_eq!(paths, ["/etc/services", "/etc/protocols", "/etc/mime.types"]);
        let packages: Vec<&str> = DataFile::ALL.iter().map(|f| f.package()).collect();
        assert_eq!(packages, ["netbase", "netbase", "media-types"]);
    }

    #[test]
    fn each_data_file_can_be_switched_off_or_asked_for() {
        let plan = ok(&format!("{BUILDER}rootfs:\n  services: false\n  protocols: true\n"));
        assert_eq!(data_files(&plan), [("protocols", Some(7)), ("mime-types", None)]);
        let plan = ok(&format!("{BUILDER}rootfs:\n  mime-types: false\n"));
        assert_eq!(data_files(&plan), [("services", None), ("protocols", None)]);
        let plan = ok(&format!("{BUILDER}rootfs:\n  services: false\n  protocols: false\n  mime-types: false\n"));
        assert!(data_files(&plan).is_empty());
    }

    #[test]
    fn without_a_builder_data_files_are_off_and_asking_for_one_is_an_error() {
        let context_only = "copy: [{from: dist/app, to: /app}]\nrootfs:\n  ca-certificates: false\n  timezones: none\n";
        assert!(data_files(&ok(context_only)).is_empty());
        let errs = errors(&format!("{context_only}  mime-types: true\n"));
        assert_eq!(errs, ["there is no builder to take `/etc/mime.types` from"]);
    }

    #[test]
    fn nobody_and_root_home_are_always_there() {
        let plan = ok(BUILDER);
        let Some(Piece::Accounts(accounts)) = plan.rootfs.first() else { panic!("no accounts piece") };
        assert_eq!(
            accounts.passwd(),
            "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(accounts.group(), "root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n");
        let Some(Piece::Homes(homes)) = plan.rootfs.get(1) else { panic!("no homes piece") };
        let homes: Vec<(&str, Owner)> = homes.iter().map(|h| (h.path.as_str(), h.owner)).collect();
        assert_eq!(homes, [("/root", Owner::ROOT), ("/home/nonroot", Owner { uid: NONROOT_UID, gid: NONROOT_UID })]);
        // nobody is not the default user: the first listed one is.
        assert_eq!(plan.image.user, Owner { uid: NONROOT_UID, gid: NONROOT_UID });
    }

    #[test]
    fn the_image_can_run_as_nobody_and_without_listed_users_runs_as_root() {
        let plan = ok(&format!("{BUILDER}image:\n  user: nobody\n"));
        assert_eq!(plan.image.user, Owner { uid: NOBODY_UID, gid: NOBODY_UID });
        let plan = ok(&format!("{BUILDER}image:\n  user: nobody:nogroup\n"));
        assert_eq!(plan.image.user, Owner { uid: NOBODY_UID, gid: NOBODY_UID });
        let (plan, warnings) = planned(&format!("{BUILDER}rootfs:\n  users: []\n")).unwrap();
        assert_eq!(plan.image.user, Owner::ROOT);
        assert!(warnings.warnings().any(|w| w.message == "the image runs as root"), "{warnings:?}");
    }

    #[test]
    fn listed_users_and_groups_cannot_take_nobody_or_nogroup() {
        let errs = errors(&format!(
            "{BUILDER}rootfs:\n  users:\n    - {{name: nobody, uid: 1000}}\n    - {{name: daemon, uid: 65534}}\n    - {{name: app, uid: 10001}}\n  groups:\n    - {{name: nogroup, gid: 3000}}\n    - {{name: app, gid: 3001}}\n    - {{name: extra, gid: 65534}}\n"
        ));
        assert_eq!(
            errs,
            [
                "user `nobody` (uid 1000) collides with `nobody` (uid 65534), which every image has",
                "user `daemon` (uid 65534) collides with `nobody` (uid 65534), which every image has",
                "group `nogroup` already exists",
                "group `app` already exists",
                "gid 65534 is already used",
            ]
        );
    }
}
