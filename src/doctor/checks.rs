//! What is wrong with an image no spec describes: the final-image check's own reading of the program,
//! its libraries and the symlinks ([`crate::verify::image`]), fed from the image config instead of a
//! plan, and the pitfalls a spec's `rootfs` keys prevent (certificates, `/tmp`, users, zones, …), each
//! with what it breaks at run time and the `scratch.yaml` key that fixes it.

use serde::Serialize;
use serde_json::Value;

use super::layers::MemFs;
use crate::plan::{CA_BUNDLE, ZONEINFO};
use crate::platform::Platform;
use crate::verify::image::{self, described, Expectations, ImageFs, Inspected, Kind, ProgramFault, Tree, User};
use crate::verify::ReadError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Some programs or some uses break (TLS, time zones, user lookups), or a tool sees less.
    Warning,
    /// The image does not start as configured.
    Error,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable name for CI filters (`ca-certificates`, `tmp`, `library`, …).
    pub code: &'static str,
    pub problem: String,
    /// What fails at run time because of it.
    pub breaks: String,
    /// The `scratch.yaml` key that fixes it.
    pub fix: &'static str,
}

fn found(
    out: &mut Vec<Finding>,
    severity: Severity,
    code: &'static str,
    problem: String,
    breaks: &str,
    fix: &'static str,
) {
    out.push(Finding { severity, code, problem, breaks: breaks.to_string(), fix });
}

/// Docker's `PATH` when the config sets none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Text files (`/etc/passwd`…) larger than this are not read: the image cannot be checked.
const MAX_TEXT: u64 = 1 << 20;
/// Where distributions keep the CA bundle (Debian, Fedora, Alpine, SUSE); Go and OpenSSL try these.
const CA_FILES: &[&str] = &[
    CA_BUNDLE,
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/ca-bundle.pem",
];
/// Package databases scanners read: dpkg (distroless's `status.d`), apk, rpm.
const PACKAGE_DBS: &[&str] = &[
    "/var/lib/dpkg/status.d",
    "/var/lib/dpkg/status",
    "/lib/apk/db/installed",
    "/var/lib/rpm",
    "/usr/lib/sysimage/rpm",
];

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The file at `path` (symlinks followed), as text; `None` when it is not a regular file in the image.
pub(super) async fn text(tree: &Tree, fs: &MemFs, path: &str) -> Result<Option<String>, ReadError> {
    let Ok((real, e)) = tree.follow(path) else { return Ok(None) };
    if e.kind != Kind::File {
        return Ok(None);
    }
    if e.size > MAX_TEXT {
        return Err(ReadError(format!("`{path}` is larger than {} MiB: doctor reads at most that", MAX_TEXT >> 20)));
    }
    let bytes = fs.read_at(&real, 0, MAX_TEXT).await.map_err(|e| ReadError(format!("reading `{path}`: {e}")))?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `name:x:uid:gid:gecos:home:shell` lines, or `name:x:gid:members` for groups: the fields by line.
pub(super) fn colon_lines(text: &str) -> Vec<Vec<&str>> {
    text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(|l| l.split(':').collect()).collect()
}

/// The image's user from the config's `User`, as `docker run` resolves it; `None` (after a finding) when it
/// cannot, and the container does not start.
fn resolve_user(spec: &str, passwd: Option<&str>, group: Option<&str>, out: &mut Vec<Finding>) -> Option<User> {
    let users = passwd.map(colon_lines).unwrap_or_default();
    let groups = group.map(colon_lines).unwrap_or_default();
    let (u, g) = spec.split_once(':').map_or((spec, None), |(u, g)| (u, Some(g)));
    let by_uid = |uid: u32| users.iter().find(|f| f.len() > 3 && f[2].parse() == Ok(uid));
    let unknown = |out: &mut Vec<Finding>, what: &str| {
        found(
            out,
            Severity::Error,
            "user",
            format!(
                "`User` {what} is not in the image's /etc/{}",
                if what.starts_with("group") { "group" } else { "passwd" }
            ),
            "the container does not start: `unable to find user … no matching entries in passwd file`",
            "image.user",
        )
    };
    let (uid, mut name, mut gid) = if u.is_empty() {
        (0, Some("root".to_string()), 0)
    } else if let Ok(uid) = u.parse::<u32>() {
        let entry = by_uid(uid);
        (uid, entry.map(|f| f[0].to_string()), entry.and_then(|f| f[3].parse().ok()).unwrap_or(0))
    } else {
        match users.iter().find(|f| f.len() > 3 && f[0] == u) {
            Some(f) => (f[2].parse().unwrap_or(0), Some(u.to_string()), f[3].parse().unwrap_or(0)),
            None => {
                unknown(out, &format!("`{u}`"));
                return None;
            }
        }
    };
    if let Some(g) = g {
        if let Ok(n) = g.parse::<u32>() {
            gid = n;
        } else if let Some(f) = groups.iter().find(|f| f.len() > 2 && f[0] == g) {
            gid = f[2].parse().unwrap_or(0);
        } else {
            unknown(out, &format!("group `{g}`"));
            return None;
        }
    }
    if uid == 0 && name.is_none() {
        name = Some("root".into());
    }
    let mut gids = vec![gid];
    if let Some(name) = &name {
        gids.extend(
            groups
                .iter()
                .filter(|f| f.len() > 3 && f[3].split(',').any(|m| m == name))
                .filter_map(|f| f[2].parse::<u32>().ok()),
        );
    }
    Some(User { uid, gids })
}

/// The program the config starts, with `PATH` applied to a bare name, and how messages name it.
pub(super) fn program(config: &Value, tree: &Tree) -> (Vec<String>, Option<String>) {
    let entrypoint = strings(config.get("Entrypoint"));
    let cmd = strings(config.get("Cmd"));
    let argv = if entrypoint.is_empty() { cmd } else { entrypoint.into_iter().chain(cmd).collect() };
    let Some(first) = argv.first() else { return (argv, None) };
    if first.starts_with('/') {
        return (argv.clone(), Some(first.clone()));
    }
    if first.contains('/') {
        // `./app` is found from the working directory, as `docker run` starts it.
        let workdir = config.get("WorkingDir").and_then(Value::as_str).filter(|w| w.starts_with('/')).unwrap_or("/");
        return (argv.clone(), Some(format!("{}/{first}", workdir.trim_end_matches('/'))));
    }
    let env = strings(config.get("Env"));
    let path = env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or(DEFAULT_PATH).to_string();
    let hit = path
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| format!("{}/{first}", d.trim_end_matches('/')))
        .find(|p| tree.follow(p).is_ok());
    (argv, hit)
}

/// Everything doctor finds in one image (one platform).
pub async fn examine(fs: &MemFs, config: &Value, platform: &str) -> Result<Vec<Finding>, ReadError> {
    let mut out = Vec::new();
    let platform =
        Platform::parse(platform).map_err(|e| ReadError(format!("the image's platform `{platform}`: {e}")))?;
    let tree = image::read_tree(fs).await.map_err(ReadError)?;
    let passwd = text(&tree, fs, "/etc/passwd").await?;
    let group = text(&tree, fs, "/etc/group").await?;
    let user_spec = config.get("User").and_then(Value::as_str).unwrap_or_default();
    let resolved = resolve_user(user_spec, passwd.as_deref(), group.as_deref(), &mut out);
    // What follows is checked as root when the user cannot be resolved: its own finding says the rest.
    let user = resolved.clone().unwrap_or(User { uid: 0, gids: vec![0] });
    let (argv, program) = program(config, &tree);
    let what = if strings(config.get("Entrypoint")).is_empty() { "cmd[0]" } else { "entrypoint" };

    // The program: shell form first, as its `/bin/sh` is what is missing.
    let shell_without_sh = shell_form_findings(&mut out, &argv, &tree);
    start_findings(&mut out, &argv, program.as_deref(), what);
    let expected = Expectations { program: program.clone().map(|p| (p, what)), user: user.clone() };
    let Inspected { facts, .. } = image::inspect(fs, &expected, &platform).await?;
    program_findings(&mut out, &tree, &expected, &facts, shell_without_sh);
    library_findings(&mut out, &facts);

    // The user.
    let accounts = Accounts { passwd: passwd.as_deref(), group: group.as_deref(), user_spec, user: &user };
    user_findings(&mut out, &accounts, resolved.is_some());
    home_findings(&mut out, &tree, &accounts);

    // The files a FROM-scratch image lacks.
    let env = strings(config.get("Env"));
    certificate_findings(&mut out, &tree, &env, &user);
    tmp_findings(&mut out, &tree);
    data_file_findings(&mut out, &tree, &user);
    link_findings(&mut out, &tree);
    package_metadata_findings(&mut out, &tree);
    Ok(out)
}

/// A file the image's user can read (symlinks followed).
fn readable(tree: &Tree, user: &User, path: &str) -> bool {
    tree.follow(path).is_ok_and(|(_, e)| e.kind == Kind::File && user.can(e, 4))
}

/// A shell-form command in an image without `/bin/sh`; true when found (the program is then that shell).
fn shell_form_findings(out: &mut Vec<Finding>, argv: &[String], tree: &Tree) -> bool {
    let shell_form = argv.len() >= 2 && matches!(argv[0].as_str(), "/bin/sh" | "sh") && argv[1] == "-c";
    let has_shell = tree.follow("/bin/sh").is_ok_and(|(_, e)| e.kind == Kind::File);
    if shell_form && !has_shell {
        found(
            out,
            Severity::Error,
            "shell-form",
            format!("the command is shell form (`/bin/sh -c {}`), and the image has no /bin/sh", argv[2..].join(" ")),
            "the container does not start: `exec: \"/bin/sh\": stat /bin/sh: no such file or directory`",
            "image.entrypoint",
        );
    }
    shell_form && !has_shell
}

/// No command at all, or a bare name that no directory of `PATH` holds.
fn start_findings(out: &mut Vec<Finding>, argv: &[String], program: Option<&str>, what: &str) {
    match (&argv.first(), program) {
        (None, _) => found(
            out,
            Severity::Error,
            "program",
            "the image sets neither Entrypoint nor Cmd".into(),
            "`docker run IMAGE` fails: `no command specified`",
            "image.entrypoint",
        ),
        (Some(name), None) => found(
            out,
            Severity::Error,
            "program",
            format!("{what} `{name}` is not in any directory of PATH"),
            "the container does not start: `executable file not found in $PATH`",
            "image.entrypoint",
        ),
        _ => {}
    }
}

/// What the final-image check finds wrong with the program itself (its machine, its mode, its presence).
fn program_findings(
    out: &mut Vec<Finding>,
    tree: &Tree,
    expected: &Expectations,
    facts: &image::Facts,
    shell_without_sh: bool,
) {
    for p in image::program_problems(tree, expected, facts) {
        if shell_without_sh && p.fault == ProgramFault::Missing {
            continue;
        }
        let (code, breaks, fix) = match p.fault {
            ProgramFault::WrongMachine => {
                ("platform", "the container does not start: `exec format error`", "builder.platform")
            }
            ProgramFault::NotExecutable | ProgramFault::Unreachable => {
                ("program", "the container does not start: `permission denied`", "copy[].mode")
            }
            _ => ("program", "the container does not start: `no such file or directory`", "image.entrypoint"),
        };
        found(out, Severity::Error, code, p.message, breaks, fix);
    }
}

/// Each library (or loader) a program needs and the image lacks, once per program.
fn library_findings(out: &mut Vec<Finding>, facts: &image::Facts) {
    let mut seen = std::collections::BTreeSet::new();
    for m in &facts.missing {
        if !seen.insert((m.needed_by.clone(), m.library.clone())) {
            continue;
        }
        let searched = if m.searched.is_empty() {
            " (its loader)".to_string()
        } else {
            format!(" (searched {})", m.searched.join(", "))
        };
        found(
            out,
            Severity::Error,
            "library",
            format!("`{}` needs `{}`, which is not in the image{searched}", m.needed_by, m.library),
            "it does not start: `error while loading shared libraries`, or `no such file or directory` for a missing loader",
            "rootfs.libraries",
        );
    }
}

/// The image's user databases and who the program runs as.
struct Accounts<'a> {
    passwd: Option<&'a str>,
    group: Option<&'a str>,
    /// The config's `User`, as written.
    user_spec: &'a str,
    user: &'a User,
}

/// Missing user databases, a program running as root, or a uid without a line in `/etc/passwd`.
fn user_findings(out: &mut Vec<Finding>, accounts: &Accounts, resolved: bool) {
    let Accounts { passwd, group, user_spec, user } = *accounts;
    if passwd.is_none() {
        found(
            out,
            Severity::Warning,
            "passwd",
            "/etc/passwd is missing".into(),
            "looking up the user fails (Go's os/user.Current, getpwuid, ssh, git): `user: unknown userid`",
            "rootfs.users",
        );
    }
    if group.is_none() {
        found(
            out,
            Severity::Warning,
            "group",
            "/etc/group is missing".into(),
            "looking up groups fails (getgrgid, os/user.LookupGroupId)",
            "rootfs.groups",
        );
    }
    if !resolved {
        // Already said: the container does not start.
    } else if user.uid == 0 {
        let how = if user_spec.is_empty() {
            "the config sets no `User`".to_string()
        } else {
            format!("`User` is `{user_spec}`")
        };
        found(
            out,
            Severity::Warning,
            "root",
            format!("the program runs as root: {how}"),
            "nothing fails, but a compromised program has root in the container",
            "image.user",
        );
    } else if passwd.is_some()
        && !colon_lines(passwd.unwrap_or_default()).iter().any(|f| f.len() > 2 && f[2].parse() == Ok(user.uid))
    {
        found(
            out,
            Severity::Warning,
            "user",
            format!("the image's user (uid {}) has no line in /etc/passwd", user.uid),
            "looking up the user fails (os/user.Current, getpwuid); $HOME is unset",
            "rootfs.users",
        );
    }
}

/// Homes that are not directories, for the image's user and the users a person added.
fn home_findings(out: &mut Vec<Finding>, tree: &Tree, accounts: &Accounts) {
    for f in colon_lines(accounts.passwd.unwrap_or_default()) {
        let (Some(name), Some(home)) = (f.first(), f.get(5)) else { continue };
        if home.is_empty() || *home == "/" || *home == "/nonexistent" {
            continue;
        }
        // The image's user and the users a person added (Debian's system users keep homes like
        // `/var/spool/lpd` that no program of the image uses).
        let uid = f.get(2).and_then(|u| u.parse::<u32>().ok());
        if uid != Some(accounts.user.uid) && !uid.is_some_and(|u| (1000..65534).contains(&u)) {
            continue;
        }
        if !tree.follow(home).is_ok_and(|(_, e)| e.kind == Kind::Dir) {
            found(
                out,
                Severity::Warning,
                "home",
                format!("the home `{home}` of user `{name}` is not a directory in the image"),
                "programs writing to $HOME (caches, config) fail: `no such file or directory`",
                "rootfs.users",
            );
        }
    }
}

/// An `SSL_CERT_FILE` the user cannot read, or no CA bundle at all.
fn certificate_findings(out: &mut Vec<Finding>, tree: &Tree, env: &[String], user: &User) {
    let ssl_cert_file = env.iter().find_map(|e| e.strip_prefix("SSL_CERT_FILE=")).filter(|v| !v.is_empty());
    match ssl_cert_file {
        Some(file) if !readable(tree, user, file) => {
            let is = tree.follow(file).map_or_else(|e| e.to_string(), |(_, e)| format!("it is {}", described(e)));
            found(
                out,
                Severity::Error,
                "ca-certificates",
                format!("SSL_CERT_FILE is `{file}`, which the image's user cannot read: {is}"),
                "every TLS connection fails: `x509: certificate signed by unknown authority`",
                "rootfs.ca-certificates",
            );
        }
        Some(_) => {}
        None if !CA_FILES.iter().any(|f| readable(tree, user, f)) => found(
            out,
            Severity::Warning,
            "ca-certificates",
            format!("no CA certificates: neither SSL_CERT_FILE nor {CA_BUNDLE}"),
            "TLS connections fail: `x509: certificate signed by unknown authority`",
            "rootfs.ca-certificates",
        ),
        None => {}
    }
}

/// `/tmp` missing, or not a directory with mode 1777.
fn tmp_findings(out: &mut Vec<Finding>, tree: &Tree) {
    match tree.get("/tmp") {
        Some(e) if e.kind == Kind::Dir && e.mode == 0o1777 => {}
        other => {
            let is = other.map_or_else(|| "missing".to_string(), |e| format!("{}, not a directory 1777", described(e)));
            found(
                out,
                Severity::Warning,
                "tmp",
                format!("/tmp is {is}"),
                "temporary files fail (os.CreateTemp, mkstemp, multipart uploads): `no such file or directory` or `permission denied`",
                "rootfs.tmp",
            );
        }
    }
}

/// The zone database and the small data files of `/etc` that libraries read.
fn data_file_findings(out: &mut Vec<Finding>, tree: &Tree, user: &User) {
    if !tree.follow(ZONEINFO).is_ok_and(|(_, e)| e.kind == Kind::Dir) {
        found(
            out,
            Severity::Warning,
            "zoneinfo",
            format!("no time zone database ({ZONEINFO})"),
            "time zones other than UTC fail: `unknown time zone Europe/Paris` (unless the program embeds one)",
            "rootfs.timezones",
        );
    }
    let data_files: [(&str, &'static str, &'static str, &str); 4] = [
        (
            "/etc/nsswitch.conf",
            "nsswitch",
            "rootfs.nsswitch",
            "host lookups ignore /etc/hosts or ask DNS first (glibc, older Go)",
        ),
        ("/etc/services", "services", "rootfs.services", "named ports fail: `unknown port tcp/postgresql`"),
        ("/etc/protocols", "protocols", "rootfs.protocols", "protocol names fail: getprotobyname, Go's `ip:icmp`"),
        (
            "/etc/mime.types",
            "mime-types",
            "rootfs.mime-types",
            "file types by extension are guessed from a short built-in list (Go's mime, Python's mimetypes)",
        ),
    ];
    for (path, code, fix, breaks) in data_files {
        if !readable(tree, user, path) {
            found(out, Severity::Warning, code, format!("{path} is missing"), breaks, fix);
        }
    }
}

/// Symlinks that resolve nowhere, except into what the runtime mounts.
fn link_findings(out: &mut Vec<Finding>, tree: &Tree) {
    for (path, target, why) in image::dangling_links(tree) {
        // The runtime mounts `/proc`, `/dev` and `/sys`: `/dev/stdout` → `/proc/self/fd/1` resolves there.
        let mounted = |p: &str| ["/proc", "/dev", "/sys"].iter().any(|m| p == *m || p.starts_with(&format!("{m}/")));
        if mounted(&path) || matches!(&why, image::Unresolved::Missing(p) if mounted(p)) {
            continue;
        }
        found(
            out,
            Severity::Warning,
            "symlink",
            format!("`{path}` is a symlink to `{target}`, which does not resolve: {why}"),
            "whatever opens it fails: `no such file or directory`",
            // Debian's `zoneinfo/localtime` → `/etc/localtime` is one: `rootfs.timezones` leaves it out.
            if path.starts_with(&format!("{ZONEINFO}/")) { "rootfs.timezones" } else { "copy" },
        );
    }
}

/// Files that come from a distribution's packages, in an image without a package database.
fn package_metadata_findings(out: &mut Vec<Finding>, tree: &Tree) {
    let libraries = tree
        .iter()
        .filter(|(p, e)| {
            e.kind == Kind::File && p.rsplit('/').next().is_some_and(|n| n.ends_with(".so") || n.contains(".so."))
        })
        .count();
    let mut packaged = Vec::new();
    if libraries > 0 {
        packaged.push(format!("{libraries} shared librar{}", if libraries == 1 { "y" } else { "ies" }));
    }
    if CA_FILES.iter().any(|f| tree.get(f).is_some_and(|e| e.kind == Kind::File)) {
        packaged.push("the CA bundle".to_string());
    }
    if tree.get(ZONEINFO).is_some() {
        packaged.push("the zone database".to_string());
    }
    if !packaged.is_empty() && !PACKAGE_DBS.iter().any(|p| tree.get(p).is_some()) {
        found(
            out,
            Severity::Warning,
            "package-metadata",
            format!("no package database, yet {} come from a distribution", listed(&packaged)),
            "scanners see only the binaries: CVEs of those packages are not reported",
            "rootfs.package-metadata",
        );
    }
}
