//! `image`: the image config (entrypoint, cmd, user, workdir, env, ports, labels, stop signal, accept;
//! healthcheck and volumes in `image_extras`).

use crate::rules::codes::*;
use std::collections::HashMap;

use super::accounts::{Accounts, Owner};
use super::args::is_name;
use super::build::Planner;
use super::paths::{AbsPath, PathError};
use super::values::*;
use super::*;
use crate::diag::Span;
use crate::spec::{self, Spanned, Str};

impl Planner {
    pub(super) fn image(
        &mut self,
        spec: &spec::Spec,
        copies: &[Copy],
        accounts: &Accounts,
        rootfs: &[Piece],
        zones_off: bool,
    ) -> ImageConfig {
        let i = &spec.image;
        let (entrypoint, cmd, entrypoint_span) = self.entrypoint_and_cmd(spec, copies, rootfs);
        let user = self.image_user(spec, accounts);
        let workdir = match &i.workdir {
            Some(w) => self.abs_path(w, "image.workdir").unwrap_or_else(AbsPath::root),
            None => AbsPath::root(),
        };
        let env = self.image_env(i, rootfs, zones_off);
        let exposed_ports = self.exposed_ports(i);
        let labels = self.labels(i);
        let stop_signal = i.stop_signal.as_ref().map(|s| {
            let text = self.text(s);
            self.no_nul(s.span, "`image.stop-signal`", &text, "write a signal name such as `SIGTERM`, or its number");
            text
        });
        let accept = i.accept.iter().filter_map(|a| Some((self.abs_path(a, "accepted path")?, a.span))).collect();
        let healthcheck = i.healthcheck.as_ref().and_then(|h| {
            self.healthcheck(h, |p, program, span| {
                p.check_program(program, "healthcheck", span, copies, spec.copy.len(), rootfs)
            })
        });
        let volumes = self.volumes(&i.volumes, copies, rootfs, user);
        ImageConfig {
            entrypoint,
            cmd,
            entrypoint_span,
            user,
            workdir,
            env,
            exposed_ports,
            labels,
            stop_signal,
            accept,
            healthcheck,
            volumes,
        }
    }

    /// A list of arguments (`entrypoint`, `cmd`), substituted; a NUL byte in one is an error.
    fn arguments(&mut self, l: &Spanned<Vec<Str>>, what: &str) -> Vec<String> {
        l.value
            .iter()
            .map(|s| {
                let text = self.text(s);
                self.no_nul(s.span, what, &text, "a program's arguments are C strings: remove it");
                text
            })
            .collect()
    }

    /// `entrypoint` (or the one copied file), `cmd`, and where the program they start is written; the
    /// program is checked to be in the image.
    fn entrypoint_and_cmd(
        &mut self,
        spec: &spec::Spec,
        copies: &[Copy],
        rootfs: &[Piece],
    ) -> (Option<Vec<String>>, Option<Vec<String>>, Span) {
        let i = &spec.image;
        let cmd = i.cmd.as_ref().map(|c| self.arguments(c, "`image.cmd`"));
        let cmd_span = i.cmd.as_ref().map(|c| c.value.first().map_or(c.span, |s| s.span));
        let (entrypoint, entrypoint_span) = match &i.entrypoint {
            Some(e) => (Some(self.arguments(e, "`image.entrypoint`")).filter(|e| !e.is_empty()), e.span),
            None => self.default_entrypoint(spec, copies, cmd.is_some(), cmd_span),
        };
        // Without an entrypoint, `cmd[0]` is the program: its errors name `cmd` and point at it.
        let program = match (&entrypoint, &cmd, cmd_span) {
            (Some(e), _, _) => e.first().map(|p| (p, "entrypoint", entrypoint_span)),
            (None, Some(c), Some(span)) => c.first().map(|p| (p, "cmd[0]", span)),
            _ => None,
        };
        if let Some((program, what, span)) = program {
            self.check_program(program, what, span, copies, spec.copy.len(), rootfs);
        }
        (entrypoint, cmd, entrypoint_span)
    }

    /// Without `image.entrypoint`: the one copied file, or none when `cmd` names the program.
    fn default_entrypoint(
        &mut self,
        spec: &spec::Spec,
        copies: &[Copy],
        has_cmd: bool,
        cmd_span: Option<Span>,
    ) -> (Option<Vec<String>>, Span) {
        let files: Vec<&Copy> = copies.iter().filter(|c| !c.contents).collect();
        match (files.as_slice(), has_cmd) {
            ([only], _) => (Some(vec![only.dest.to_string()]), only.span),
            // `cmd[0]` is the program: later checks of it point there.
            (_, true) => (None, cmd_span.unwrap_or(spec.copy_span)),
            (_, false) => {
                if !copies.is_empty() {
                    self.error(
                        SK227,
                        spec.copy_span,
                        format!("no entrypoint: `copy` lists {} files, so none is the obvious one", files.len()),
                        "set `image.entrypoint: [/path/to/binary]`",
                    );
                }
                (None, spec.copy_span)
            }
        }
    }

    /// `image.user`, or the first listed user; running as root is a warning.
    fn image_user(&mut self, spec: &spec::Spec, accounts: &Accounts) -> Owner {
        let i = &spec.image;
        let user = match &i.user {
            Some(u) => self.owner(u, accounts),
            // The first listed user: root and nobody are always there, listed or not.
            None => accounts
                .users()
                .iter()
                .find(|a| a.uid != 0 && a.uid != NOBODY_UID)
                .map_or(Owner::ROOT, |a| Owner { uid: a.uid, gid: a.gid }),
        };
        // With other errors (users that failed to parse, say) the default user may be root by accident.
        if user.uid == 0 && !self.diags.has_errors() {
            // Where it is written, or the users list that leaves no one else.
            let span = match (&i.user, &spec.rootfs.users) {
                (Some(u), _) => u.span,
                (None, Some(users)) => users.span,
                (None, None) => spec.copy_span,
            };
            self.warn(
                SK228,
                span,
                "the image runs as root",
                "leave `image.user` unset to run as `nonroot` (65532), or name a user from `rootfs.users`",
            );
        }
        user
    }

    /// `PATH`, `SSL_CERT_FILE` with a CA bundle, then `image.env` (which may replace them), in order.
    fn image_env(&mut self, i: &spec::Image, rootfs: &[Piece], zones_off: bool) -> Vec<(String, String)> {
        let has_ca = rootfs.iter().any(|p| matches!(p, Piece::CaCertificates(_)));
        let mut env: Vec<(String, String)> = vec![("PATH".into(), DEFAULT_PATH.into())];
        if has_ca {
            env.push(("SSL_CERT_FILE".into(), CA_BUNDLE.into()));
        }
        let mut index: HashMap<String, usize> = env.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
        for (k, v) in &i.env {
            if !is_name(&k.value) {
                self.error(
                    SK229,
                    k.span,
                    format!("`{}` is not a valid environment variable name", k.value.escape_debug()),
                    "use letters, digits and `_`",
                );
                continue;
            }
            let value = self.text(v);
            self.no_nul(v.span, &format!("`image.env.{}`", k.value), &value, ENV_NUL);
            if k.value == "TZ" && zones_off {
                self.warn(
                    SK230,
                    k.span,
                    "`TZ` is set but `rootfs.timezones` is `none`",
                    "the zone will not load; list it under `rootfs.timezones`",
                );
            }
            match index.get(&k.value) {
                Some(&slot) => env[slot].1 = value,
                None => {
                    index.insert(k.value.clone(), env.len());
                    env.push((k.value.clone(), value));
                }
            }
        }
        env
    }

    fn exposed_ports(&mut self, i: &spec::Image) -> Vec<String> {
        let mut exposed_ports = Vec::new();
        for e in &i.expose {
            let text = self.text(e);
            let (port, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
            match (port.parse::<u16>(), proto) {
                (Ok(p), "tcp" | "udp" | "sctp") if p > 0 => exposed_ports.push(format!("{p}/{proto}")),
                _ => self.error(
                    SK231,
                    e.span,
                    format!("`{text}` is not a port"),
                    "write a port number with an optional protocol, e.g. 8080 or 9090/udp",
                ),
            }
        }
        exposed_ports.sort();
        exposed_ports.dedup();
        exposed_ports
    }

    fn labels(&mut self, i: &spec::Image) -> Vec<(String, String)> {
        let mut labels: Vec<(String, String)> = Vec::new();
        for (k, v) in &i.labels {
            if k.value.is_empty() {
                self.error(
                    SK232,
                    k.span,
                    "a label has an empty name",
                    "name it, e.g. `org.opencontainers.image.source`",
                );
                continue;
            }
            let key_ok = self.no_nul(k.span, &format!("the name of label `{}`", k.value), &k.value, LABEL_NUL);
            let value = self.text(v);
            if key_ok && self.no_nul(v.span, &format!("label `{}`", k.value), &value, LABEL_NUL) {
                labels.push((k.value.clone(), value));
            }
        }
        labels.sort();
        labels
    }

    /// An absolute entrypoint must be something the image will contain: a copied file, or a file below
    /// a copied directory (`from: /out/` or `from: /out/bin`, which may be a directory too). Whether it
    /// is there and executable is checked once the builder has run.
    pub(super) fn check_program(
        &mut self,
        program: &str,
        what: &str,
        span: Span,
        copies: &[Copy],
        spec_copies: usize,
        rootfs: &[Piece],
    ) {
        if program.contains('\0') {
            return; // refused where the list was read
        }
        let path = match AbsPath::parse(program) {
            Ok(path) => path,
            Err(PathError::Relative | PathError::Empty) => {
                self.error(
                    SK233,
                    span,
                    format!("{what} `{}` is not an absolute path", program.escape_debug()),
                    "a scratch image has no shell to search PATH reliably; write the full path, e.g. `/usr/local/bin/app`",
                );
                return;
            }
            Err(e) => {
                self.path_error(span, what, program, e);
                return;
            }
        };
        let copied = copies.iter().any(|c| path.starts_with(&c.dest));
        let written = rootfs.iter().any(|p| matches!(p, Piece::Files(fs) if fs.iter().any(|f| f.path == path)));
        // A copy entry with an error of its own may be the one meant to hold it: that error is enough.
        let refused = copies.len() < spec_copies;
        if !copied && !written && !refused {
            self.error(
                SK234,
                span,
                format!("{what} `{path}` is not in the image"),
                format!(
                    "the image contains only what `copy` lists ({}); copy it there or fix the path",
                    list_some(copies.iter().map(|c| c.dest.as_str()), copies.len())
                ),
            );
        }
    }
}
