//! `scratchkit doctor --spec IMAGE --builder REF`: a `scratch.yaml` that rebuilds what the image holds with
//! its pitfalls fixed. The image's files become `copy` entries from the builder the user names (the image
//! they were copied from), what the `rootfs` keys write is left to them (all on), and the config becomes
//! `image:`. Every value is written by the YAML emitter `scratchkit init` uses, never spliced.

use std::fmt::Write as _;

use serde_json::Value;

use super::archive::{Image, Input};
use super::checks::{colon_lines, program, strings, text};
use super::layers::Limits;
use crate::init::emit::yaml_scalar;
use crate::plan::{CA_BUNDLE, ZONEINFO};
use crate::verify::image::{self, Entry, Kind, Tree};

/// Files the `rootfs` keys write (users, groups, data files, the loader cache, package metadata).
const ROOTFS_FILES: &[&str] = &[
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/mime.types",
    "/etc/ld.so.cache",
    "/etc/os-release",
    CA_BUNDLE,
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];
/// Directories whose whole contents the `rootfs` keys write.
const ROOTFS_TREES: &[&str] = &[ZONEINFO, "/var/lib/dpkg/status.d"];
/// Directories the `rootfs` keys make (what is in them is copied).
const ROOTFS_DIRS: &[&str] = &["/tmp", "/root"];

/// A value of a key `${NAME}` substitution applies to: `$` doubled (`$$` is a literal `$`), then a YAML scalar.
fn value(text: &str) -> String {
    yaml_scalar(&text.replace('$', "$$"))
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|i| value(i)).collect::<Vec<_>>().join(", "))
}

/// A user the spec declares: one the image runs as or a person added (uid 1000–65533).
struct SpecUser {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

/// The spec for the first image of `input` (every platform of an index listed under `platforms`).
pub fn spec(input: &Input, builder: &str, limits: Limits) -> Result<String, String> {
    crate::reference::check(builder).map_err(|e| format!("--builder `{builder}` is not an image reference: {e}"))?;
    let image = input.images.first().ok_or("the input holds no image")?;
    let fs = input.rootfs(image, limits)?;
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    let (tree, passwd) = runtime.block_on(async {
        let tree = image::read_tree(&fs).await?;
        let passwd = text(&tree, &fs, "/etc/passwd").await.map_err(|e| e.0)?;
        Ok::<_, String>((tree, passwd))
    })?;
    let user_spec = image.config.get("User").and_then(Value::as_str).unwrap_or_default();
    let (users, user) = users(passwd.as_deref(), user_spec);
    let mut platforms: Vec<String> = input.images.iter().map(|i| i.platform.clone()).collect();
    platforms.dedup();
    let mut out = String::new();
    let _ = writeln!(out, "# syntax=scratchkit:dev");
    let _ = writeln!(
        out,
        "# Written by `scratchkit doctor --spec` from {} ({}).",
        yaml_scalar(&image.name),
        yaml_scalar(&image.platform)
    );
    let _ = writeln!(out, "# The files come from the builder image; check that it holds them at these paths.");
    let _ = writeln!(out, "builder:\n  image: {}", value(builder));
    // The files are the builder's own, not built: its variant for each platform of the image is the one to copy from.
    let _ = writeln!(out, "  platform: target");
    copies(&mut out, &tree, &users)?;
    rootfs(&mut out, &tree, &users);
    image_config(&mut out, image, &tree, user.as_deref());
    let _ = writeln!(out, "platforms: {}", list(&platforms));
    Ok(out)
}

/// Whether a `rootfs` key writes `path` (or a user's home, which `rootfs.users` creates).
fn from_rootfs(path: &str, users: &[SpecUser]) -> bool {
    let under = |dir: &str| path == dir || path.starts_with(&format!("{dir}/"));
    ROOTFS_FILES.contains(&path)
        || ROOTFS_DIRS.contains(&path)
        || ROOTFS_TREES.iter().any(|d| under(d))
        || users.iter().any(|u| path == u.home)
        || (path.starts_with("/usr/share/doc/") && path.ends_with("/copyright"))
}

/// The users from the image's `/etc/passwd` and its `User`, and the name `image.user` gives; root and an
/// unset `User` become the spec's default non-root user (no `image.user`).
fn users(passwd: Option<&str>, user_spec: &str) -> (Vec<SpecUser>, Option<String>) {
    let lines = colon_lines(passwd.unwrap_or_default());
    let entry = |f: &Vec<&str>| SpecUser {
        name: f[0].to_string(),
        uid: f[2].parse().unwrap_or(0),
        gid: f[3].parse().unwrap_or(0),
        home: f.get(5).copied().unwrap_or_default().to_string(),
    };
    let wanted = user_spec.split(':').next().unwrap_or_default();
    let found = lines.iter().filter(|f| f.len() > 3).find(|f| f[0] == wanted || f[2] == wanted);
    let mut users: Vec<SpecUser> = lines
        .iter()
        .filter(|f| f.len() > 3 && (f[2].parse().is_ok_and(|u: u32| (1000..65534).contains(&u)) || found == Some(*f)))
        .map(entry)
        .collect();
    users.retain(|u| u.uid != 0);
    let user = match (found, wanted.parse::<u32>()) {
        _ if wanted.is_empty() || wanted == "root" || wanted == "0" => None,
        (Some(f), _) if f[2] != "0" => Some(f[0].to_string()),
        (Some(_), _) => None,
        // A uid no line names: a user of that uid is declared for it.
        (None, Ok(uid)) => {
            users.push(SpecUser { name: "app".into(), uid, gid: uid, home: "/home/app".into() });
            Some("app".into())
        }
        (None, Err(_)) => Some(wanted.to_string()),
    };
    (users, user)
}

/// `copy:`: every file and symlink of the image that no `rootfs` key writes, with its owner when not root.
/// A copy follows links, so a symlink becomes a copy of its target; one that does not resolve is left out.
fn copies(out: &mut String, tree: &Tree, users: &[SpecUser]) -> Result<(), String> {
    let mut n = 0;
    let (mut skipped, mut dangling) = (Vec::new(), Vec::new());
    let _ = writeln!(out, "copy:");
    for (path, e) in tree.iter().filter(|(p, _)| !from_rootfs(p, users)) {
        match e.kind {
            Kind::File => {}
            Kind::Symlink(_) if tree.follow(path).is_ok() => {}
            Kind::Symlink(_) => {
                dangling.push(path.clone());
                continue;
            }
            Kind::Other => {
                skipped.push(path.clone());
                continue;
            }
            Kind::Dir => continue,
        }
        n += 1;
        if e.uid == 0 && e.gid == 0 {
            let _ = writeln!(out, "  - {}", value(path));
        } else {
            let _ = writeln!(out, "  - from: {}\n    owner: {}", value(path), value(&format!("{}:{}", e.uid, e.gid)));
        }
    }
    if n == 0 {
        return Err("the image holds no file beyond what `rootfs` writes: there is nothing to copy".into());
    }
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "  # Not copied (device nodes or fifos, which a copy cannot make): {}",
            yaml_scalar(&skipped.join(" "))
        );
    }
    if !dangling.is_empty() {
        let _ = writeln!(
            out,
            "  # Not copied (symlinks that do not resolve in the image): {}",
            yaml_scalar(&dangling.join(" "))
        );
    }
    Ok(())
}

/// Directories the copies do not make as they are: empty ones, and ones with another mode or owner.
fn dirs(tree: &Tree, users: &[SpecUser]) -> Vec<(String, Entry)> {
    let plain = |e: &Entry| e.mode == 0o755 && e.uid == 0 && e.gid == 0;
    tree.iter()
        .filter(|(p, e)| e.kind == Kind::Dir && p.as_str() != "/" && !from_rootfs(p, users))
        .filter(|(p, e)| !plain(e) || tree.below(p).nth(1).is_none())
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect()
}

/// `rootfs:` with every piece on, saying which ones the image lacked.
fn rootfs(out: &mut String, tree: &Tree, users: &[SpecUser]) {
    let has = |p: &str| tree.get(p).is_some();
    let lacked = |p: &str| if has(p) { "" } else { "  # the image had none" };
    let _ = writeln!(out, "rootfs:");
    let _ = writeln!(out, "  ca-certificates: true{}", lacked(CA_BUNDLE));
    let _ = writeln!(out, "  timezones: all{}", lacked(ZONEINFO));
    let _ = writeln!(
        out,
        "  tmp: true{}",
        if tree.get("/tmp").is_some_and(|e| e.kind == Kind::Dir && e.mode == 0o1777) {
            ""
        } else {
            "  # the image had no /tmp 1777"
        }
    );
    for (key, path) in [
        ("nsswitch", "/etc/nsswitch.conf"),
        ("services", "/etc/services"),
        ("protocols", "/etc/protocols"),
        ("mime-types", "/etc/mime.types"),
    ] {
        let _ = writeln!(out, "  {key}: true{}", lacked(path));
    }
    let _ = writeln!(out, "  libraries: auto");
    let _ = writeln!(out, "  package-metadata: true");
    if users.is_empty() {
        let _ = writeln!(out, "  # users: the default, nonroot (uid 65532){}", lacked("/etc/passwd"));
    } else {
        let _ = writeln!(out, "  users:");
        for u in users {
            let _ = writeln!(
                out,
                "    - {{name: {}, uid: {}, gid: {}, home: {}}}",
                value(&u.name),
                u.uid,
                u.gid,
                value(&u.home)
            );
        }
    }
    let dirs = dirs(tree, users);
    if !dirs.is_empty() {
        let _ = writeln!(out, "  dirs:");
        for (path, e) in dirs {
            let owner = format!("{}:{}", e.uid, e.gid);
            let _ = writeln!(
                out,
                "    - {{path: {}, mode: {}, owner: {}}}",
                value(&path),
                value(&format!("{:04o}", e.mode)),
                value(&owner)
            );
        }
    }
}

/// A shell-form command (`/bin/sh -c TEXT`) as the words it runs, when TEXT is plain words the shell
/// would only split (a scratch image has no shell to run it).
fn exec_form(argv: &[String]) -> Option<Vec<String>> {
    let [sh, c, text] = argv else { return None };
    let plain = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:,@+".contains(c));
    let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    (matches!(sh.as_str(), "/bin/sh" | "sh") && c == "-c" && !words.is_empty() && words.iter().all(|w| plain(w)))
        .then_some(words)
}

/// `image:` from the config: the program by its absolute path (as `docker run` finds it), the rest as is.
fn image_config(out: &mut String, image: &Image, tree: &Tree, user: Option<&str>) {
    let config = &image.config;
    let (entrypoint, cmd) = (strings(config.get("Entrypoint")), strings(config.get("Cmd")));
    let _ = writeln!(out, "image:");
    let resolved = |mut argv: Vec<String>| {
        let argv_config =
            serde_json::json!({ "Cmd": argv, "Env": config.get("Env"), "WorkingDir": config.get("WorkingDir") });
        if let (_, Some(path)) = program(&argv_config, tree) {
            argv[0] = path;
        }
        argv
    };
    if !entrypoint.is_empty() {
        let _ = writeln!(out, "  entrypoint: {}", list(&resolved(exec_form(&entrypoint).unwrap_or(entrypoint))));
        if !cmd.is_empty() {
            let _ = writeln!(out, "  cmd: {}", list(&cmd));
        }
    } else if !cmd.is_empty() {
        let _ = writeln!(out, "  entrypoint: []\n  cmd: {}", list(&resolved(exec_form(&cmd).unwrap_or(cmd))));
    }
    if let Some(user) = user {
        let _ = writeln!(out, "  user: {}", value(user));
    }
    if let Some(dir) = config.get("WorkingDir").and_then(Value::as_str).filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "  workdir: {}", value(dir));
    }
    let env: Vec<(String, String)> = strings(config.get("Env"))
        .iter()
        .filter_map(|e| e.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .filter(|(k, _)| k != "SSL_CERT_FILE")
        .collect();
    mapping(out, "env", env);
    let mut ports: Vec<String> =
        config.get("ExposedPorts").and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default();
    ports.sort();
    if !ports.is_empty() {
        let _ = writeln!(out, "  expose: {}", list(&ports));
    }
    let labels = config
        .get("Labels")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect());
    mapping(out, "labels", labels.unwrap_or_default());
    if let Some(signal) = config.get("StopSignal").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        let _ = writeln!(out, "  stop-signal: {}", value(signal));
    }
}

/// `  key:` and its entries; keys are not substituted, so only the values have `$` doubled.
fn mapping(out: &mut String, key: &str, entries: Vec<(String, String)>) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {key}:");
    for (k, v) in entries {
        let _ = writeln!(out, "    {}: {}", yaml_scalar(&k), value(&v));
    }
}
