//! `builder`, `builder.secrets[]`: the image the program is built in and how `run` runs.

use super::args::is_name;
use super::build::Planner;
use super::paths::AbsPath;
use super::values::*;
use super::*;
use crate::rules::codes::*;
use crate::spec;

impl Planner {
    pub(super) fn builder(&mut self, b: &spec::Builder) -> Option<Builder> {
        let image = b.image.as_ref().and_then(|i| self.image_ref(i, "builder.image"));
        let workdir = match &b.workdir {
            Some(w) => self.mount_point(w, "builder.workdir").unwrap_or_else(AbsPath::root),
            None => AbsPath::parse("/src").expect("constant path"),
        };
        let (env, run) = self.builder_env_and_run(b);
        let args = self.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let cache = self.caches(b, &workdir);
        let secrets = self.secrets(b);
        let (network, runs_on) = self.network_and_platform(b);
        Some(Builder {
            image: image?,
            image_span: b.image.as_ref().map_or(b.span, |i| i.span),
            workdir,
            env,
            args,
            run,
            run_spans: b.run.iter().map(|r| r.span).collect(),
            cache,
            secrets,
            ssh: b.ssh.as_ref().is_some_and(|s| s.value),
            network,
            runs_on,
        })
    }

    /// `builder.env`, checked, and `builder.run`, which is not substituted.
    fn builder_env_and_run(&mut self, b: &spec::Builder) -> (Vec<(String, String)>, Vec<String>) {
        let mut env = Vec::new();
        for (k, v) in &b.env {
            if !is_name(&k.value) {
                self.error(
                    SK208,
                    k.span,
                    format!("`{}` is not a valid environment variable name", k.value),
                    "use letters, digits and `_`",
                );
            }
            let value = self.text(v);
            self.no_nul(v.span, &format!("`builder.env.{}`", k.value), &value, ENV_NUL);
            env.push((k.value.clone(), value));
        }
        // Commands are not substituted: the args reach them as environment variables and the shell
        // expands `${NAME}`, so a value with quotes, `;` or `$(...)` stays data.
        let run = b.run.iter().map(|r| r.value.clone()).collect();
        for r in &b.run {
            self.no_nul(
                r.span,
                "a `builder.run` command",
                &r.value,
                "`/bin/sh -c` takes the command as a C string; write the byte with `printf '\\0'` in the command",
            );
        }
        (env, run)
    }

    /// `builder.cache`: mount points, none of which may cover the workdir.
    fn caches(&mut self, b: &spec::Builder, workdir: &AbsPath) -> Vec<AbsPath> {
        let mut cache = Vec::new();
        for c in &b.cache {
            let Some(path) = self.mount_point(c, "builder.cache path") else { continue };
            if workdir.starts_with(&path) {
                self.error(SK209,
                    c.span,
                    format!("the cache mount `{path}` covers `builder.workdir` `{workdir}`: `run` would not see the build context there, and what it writes there is not in the builder's output"),
                    "mount the cache below or beside the workdir (`/src/target`, `/root/.cache/go-build`), or choose another `builder.workdir`",
                );
                continue;
            }
            self.caches.push((path.clone(), c.span));
            cache.push(path);
        }
        cache
    }

    fn secrets(&mut self, b: &spec::Builder) -> Vec<SecretMount> {
        let mut secrets = Vec::new();
        for s in &b.secrets {
            let Some(id) = &s.id else {
                self.error(
                    SK210,
                    s.span,
                    "a secret has no `id`",
                    "write `{id: netrc, target: /root/.netrc}` and pass `--secret id=netrc,src=...`",
                );
                continue;
            };
            let id_text = self.text(id);
            // The id names a file under /run/secrets by default and a `--secret id=` on the command line.
            let id_ok = id_text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && id_text.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !id_ok {
                self.error(
                    SK211,
                    id.span,
                    format!("secret id `{}` is not a name", id_text.escape_debug()),
                    "use letters, digits, `.`, `_` and `-`, starting with a letter, digit or `_` (e.g. `netrc`)",
                );
                continue;
            }
            let target = match &s.target {
                Some(t) => self.mount_point(t, "secret target"),
                None => match AbsPath::parse(&format!("/run/secrets/{id_text}")) {
                    Ok(target) => Some(target),
                    Err(e) => {
                        self.path_error(id.span, "secret target", &format!("/run/secrets/{id_text}"), e);
                        None
                    }
                },
            };
            if let Some(target) = target {
                secrets.push(SecretMount { id: id_text, target });
            }
        }
        secrets
    }

    /// `builder.network` and `builder.platform`: one of their words each.
    fn network_and_platform(&mut self, b: &spec::Builder) -> (Network, RunsOn) {
        let network = match b.network.as_ref().map(|n| (n, n.value.as_str())) {
            None | Some((_, "default")) => Network::Default,
            Some((_, "none")) => Network::None,
            Some((_, "host")) => Network::Host,
            Some((n, other)) => {
                self.error(
                    SK212,
                    n.span,
                    format!("`network: {other}` is not a choice"),
                    "write `default`, `none` or `host`",
                );
                Network::Default
            }
        };
        let runs_on = match b.platform.as_ref().map(|n| (n, n.value.as_str())) {
            None | Some((_, "build")) => RunsOn::BuildPlatform,
            Some((_, "target")) => RunsOn::TargetPlatform,
            Some((n, other)) => {
                self.error(
                    SK213,
                    n.span,
                    format!("`platform: {other}` is not a choice"),
                    "write `build` (cross-compile natively) or `target` (run emulated)",
                );
                RunsOn::BuildPlatform
            }
        };
        (network, runs_on)
    }
}
