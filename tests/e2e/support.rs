//! Shared by the end-to-end test binaries: the Docker lock and a preflight, `docker` and `buildx`
//! commands with deadlines, and reading an image's files.
//!
//! Every end-to-end test is `#[ignore = "needs Docker…"]`, so plain `cargo test` reports it as ignored,
//! never as passed; `scripts/test.sh` prepares Docker and the images and runs them with
//! `--include-ignored`. Once running, a missing daemon or image is a failure, not a skip.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The frontend image the examples' `# syntax=` lines name.
pub const FRONTEND_IMAGE: &str = "scratchkit:dev";
pub const BUILDER_IMAGE: &str = "scratchkit-test/go:bookworm";
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const RUN_TIMEOUT: Duration = Duration::from_secs(2 * 60);
/// The registry on loopback that `scripts/registry.sh` runs (Docker treats loopback registries as insecure,
/// so both engines push and pull over plain HTTP without any setting).
pub const REGISTRY: &str = "127.0.0.1:5000";
/// The second engine `scripts/remote-engine.sh` runs: a remote builder whose image store starts empty.
pub const REMOTE_HOST: &str = "unix:///run/scratchkit-remote/docker.sock";

static DOCKER_LOCK: Mutex<()> = Mutex::new(());

/// Holds the Docker lock for one test.
pub struct E2e {
    _guard: MutexGuard<'static, ()>,
}

/// Takes the Docker lock (builds run one at a time: two cores, and parallel solves only slow each
/// other down) and checks once that the daemon and the images are there.
pub fn e2e() -> E2e {
    // A test that panicked while holding the lock must not fail the others.
    let guard = DOCKER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    preflight();
    E2e { _guard: guard }
}

/// The frontend the builds run: `$SCRATCHKIT_FRONTEND` when set (a registry tag, or the image of a
/// second checkout), else the examples' own `scratchkit:dev`.
pub fn frontend_image() -> String {
    std::env::var("SCRATCHKIT_FRONTEND").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| FRONTEND_IMAGE.to_string())
}

/// `docker …` (the client named by `$DOCKER`), run from the repository root.
pub fn docker_cmd() -> Command {
    let mut cmd = Command::new(docker());
    cmd.current_dir(repo());
    cmd
}

/// The remote engine's address: `$SCRATCHKIT_REMOTE_HOST` when set, else [`REMOTE_HOST`].
pub fn remote_host() -> String {
    std::env::var("SCRATCHKIT_REMOTE_HOST").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| REMOTE_HOST.to_string())
}

/// `docker …` against the engine at `host` (passed as `DOCKER_HOST`, which buildx follows too), run from the
/// repository root.
pub fn docker_on(host: &str) -> Command {
    let mut cmd = docker_cmd();
    cmd.env("DOCKER_HOST", host);
    cmd
}

/// `docker buildx build --progress plain`, with the frontend image passed as `BUILDKIT_SYNTAX` when it
/// is not the one the specs name (the build arg wins over the `# syntax=` line), and `$SCRATCHKIT_CHECKS`
/// passed on when set (scripts/test.sh runs a suite again with the checks through the gateway).
pub fn buildx() -> Command {
    let mut cmd = buildx_dockerfile();
    let frontend = frontend_image();
    if frontend != FRONTEND_IMAGE {
        cmd.arg("--build-arg").arg(format!("BUILDKIT_SYNTAX={frontend}"));
    }
    if let Some(checks) = std::env::var("SCRATCHKIT_CHECKS").ok().filter(|s| !s.is_empty()) {
        cmd.arg("--build-arg").arg(format!("SCRATCHKIT_CHECKS={checks}"));
    }
    cmd
}

/// `docker buildx build --progress plain` for a plain Dockerfile (Docker's built-in frontend): no
/// `BUILDKIT_SYNTAX`, which would hand the Dockerfile to scratchkit.
pub fn buildx_dockerfile() -> Command {
    let mut cmd = docker_cmd();
    cmd.args(["buildx", "build", "--progress", "plain"]);
    cmd
}

/// Checks once that the daemon answers and both local images exist.
pub fn preflight() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let out =
            run_cmd(Command::new(docker()).args(["info", "--format", "{{.ServerVersion}}"]), Duration::from_secs(60));
        assert!(out.ok, "the Docker daemon is unreachable (run scripts/install-docker.sh):\n{}", out.all());
        for (image, script) in
            [(BUILDER_IMAGE.to_string(), "scripts/builder-image.sh"), (frontend_image(), "scripts/frontend-image.sh")]
        {
            let out = run_cmd(
                Command::new(docker()).args(["image", "inspect", "--format", "{{.Id}}", &image]),
                Duration::from_secs(60),
            );
            assert!(out.ok, "image {image} is missing; run {script} (scripts/test.sh does)");
        }
    });
}

pub fn docker() -> String {
    std::env::var("DOCKER").unwrap_or_else(|_| "docker".to_string())
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub struct Out {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn all(&self) -> String {
        format!("exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// `docker run` of `image` with `args`: started detached, waited for, its output read back with `docker
/// logs`, and run again when the engine lost its output (see `run_container_with`). (`args` must not hold
/// `--rm`: the logs go with it.) Every e2e test runs its containers through this (or [`run_container_on`]).
pub fn run_container(args: &[&str], image: &str) -> Out {
    run_container_with(docker_cmd, args, image, &[])
}

/// [`run_container`] with a command after the image (`docker run … IMAGE dpkg-query -W`).
pub fn run_in_container(args: &[&str], image: &str, command: &[&str]) -> Out {
    run_container_with(docker_cmd, args, image, command)
}

/// [`run_container`] on the engine at `host` (`DOCKER_HOST`).
pub fn run_container_on(host: &str, args: &[&str], image: &str) -> Out {
    run_container_with(|| docker_on(host), args, image, &[])
}

/// [`run_container`] then its output (stdout and stderr), or a panic with it.
pub fn run_output(args: &[&str], image: &str) -> String {
    let out = run_container(args, image);
    assert!(out.ok, "{image} failed:\n{}", out.all());
    format!("{}{}", out.stdout, out.stderr)
}

fn run_container_with(docker: impl Fn() -> Command, args: &[&str], image: &str, command: &[&str]) -> Out {
    // Measured on this engine (docker.io 26.1.5, containerd 1.6) with three or four loops at once running a
    // scratch image that prints one line: 7 of 280 runs exited 0 with no output at all (none of 60 in a
    // single loop), and reading `docker logs` again for 3 s never brought it back. The line is lost before the log driver; a run that
    // exits 0 and says nothing is therefore run again (the tests' programs only read the image, so a second
    // run is the same check). A program that really prints nothing still fails its assertion, three runs later.
    let mut out = run_container_once(&docker, args, image, command);
    for _ in 0..2 {
        if !(out.ok && out.stdout.is_empty() && out.stderr.is_empty()) {
            break;
        }
        eprintln!("e2e: {image} exited 0 with no output; running it again (output lost by the engine)");
        out = run_container_once(&docker, args, image, command);
    }
    out
}

fn run_container_once(docker: &impl Fn() -> Command, args: &[&str], image: &str, command: &[&str]) -> Out {
    assert!(!args.contains(&"--rm"), "run_container removes the container itself");
    let started = run_cmd(docker().args(["run", "-d"]).args(args).arg(image).args(command), RUN_TIMEOUT);
    if !started.ok {
        return started;
    }
    let id = started.stdout.trim().to_string();
    let waited = run_cmd(docker().args(["wait", &id]), RUN_TIMEOUT);
    let logs = run_cmd(docker().args(["logs", &id]), RUN_TIMEOUT);
    let _ = run_cmd(docker().args(["rm", "-f", &id]), RUN_TIMEOUT);
    let code = waited.stdout.trim().parse::<i32>().ok();
    Out {
        ok: waited.ok && logs.ok && code == Some(0),
        code,
        stdout: logs.stdout,
        stderr: format!("{}{}", logs.stderr, waited.stderr),
    }
}

/// Runs a command to completion with a deadline, capturing both streams.
pub fn run_cmd(cmd: &mut Command, timeout: Duration) -> Out {
    let shown = format!("{cmd:?}");
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(repo());
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_t = drain(Box::new(child.stdout.take().expect("stdout piped")));
    let err_t = drain(Box::new(child.stderr.take().expect("stderr piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Out {
        ok: status.success(),
        code: status.code(),
        stdout: out_t.join().expect("stdout reader"),
        stderr: err_t.join().expect("stderr reader"),
    }
}

/// The paths in an image's filesystem (`docker create`, `docker export`, `tar -t`), directories
/// without their trailing `/`.
pub fn image_files(image: &str) -> Vec<String> {
    Exported::new(image).paths()
}

/// An image's filesystem as a tar (`docker create`, `docker export`), removed on drop. Docker adds its
/// own mount points (`.dockerenv`, `etc/hosts`, `etc/resolv.conf`, `etc/hostname`, `dev/`, `proc/`, `sys/`).
pub struct Exported {
    image: String,
    tar: PathBuf,
}

/// One entry of an exported image, as `tar -tv --numeric-owner` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Relative, without a trailing `/` (`etc/passwd`, `tmp`).
    pub path: String,
    /// `-` file, `d` directory, `l` symlink, `h` hard link, ...
    pub kind: char,
    /// Permission bits with setuid, setgid and sticky (`0o1777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
}

impl Exported {
    pub fn new(image: &str) -> Self {
        let out = run_cmd(Command::new(docker()).args(["create", image]), Duration::from_secs(60));
        assert!(out.ok, "docker create {image} failed\n{}", out.all());
        let id = out.stdout.trim().to_string();
        let tar = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-export-{id}.tar"));
        let exported = run_cmd(Command::new(docker()).args(["export", "-o"]).arg(&tar).arg(&id), RUN_TIMEOUT);
        let _ = run_cmd(Command::new(docker()).args(["rm", &id]), Duration::from_secs(60));
        assert!(exported.ok, "docker export {image} failed\n{}", exported.all());
        Exported { image: image.to_string(), tar }
    }

    fn tar(&self, args: &[&str]) -> String {
        let out = run_cmd(Command::new("tar").args(args).arg(&self.tar), RUN_TIMEOUT);
        assert!(out.ok, "tar {args:?} of {} failed\n{}", self.image, out.all());
        out.stdout
    }

    pub fn paths(&self) -> Vec<String> {
        let files: Vec<String> = self.tar(&["-tf"]).lines().map(|l| l.trim_end_matches('/').to_string()).collect();
        assert!(!files.is_empty(), "docker export {} listed nothing", self.image);
        files
    }

    /// Every entry with its type, mode, numeric owner and size.
    pub fn entries(&self) -> Vec<Entry> {
        self.tar(&["--numeric-owner", "-tvf"])
            .lines()
            .map(|l| parse_entry(l).unwrap_or_else(|| panic!("cannot read tar line {l:?}")))
            .collect()
    }

    /// The text of one file, `None` when the image has no such file.
    pub fn read(&self, path: &str) -> Option<String> {
        let out = run_cmd(Command::new("tar").arg("-xOf").arg(&self.tar).arg(path), RUN_TIMEOUT);
        out.ok.then_some(out.stdout)
    }
}

impl Drop for Exported {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tar);
    }
}

/// `drwxrwxrwt 0/0  0 2024-01-01 00:00 tmp/` (GNU tar `-tv --numeric-owner`).
pub fn parse_entry(line: &str) -> Option<Entry> {
    let mut fields = line.split_whitespace();
    let perms: Vec<char> = fields.next()?.chars().collect();
    let (uid, gid) = fields.next()?.split_once('/')?;
    let size = fields.next()?.parse().unwrap_or(0); // devices list `major,minor`
                                                    // The name follows the date and time; skip past those five fields in the line itself (names keep their spaces).
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        rest = &rest[rest.find(' ')?..];
    }
    let name = rest.trim_start();
    let name = name.split(" -> ").next()?.split(" link to ").next()?;
    if perms.len() != 10 {
        return None;
    }
    let mut mode = 0;
    for (i, bit) in [(1, 0o400), (2, 0o200), (4, 0o40), (5, 0o20), (7, 0o4), (8, 0o2)] {
        if perms[i] != '-' {
            mode |= bit;
        }
    }
    // The execute columns also carry setuid (s/S), setgid (s/S) and sticky (t/T).
    for (i, exec, special) in [(3, 0o100, 0o4000), (6, 0o10, 0o2000), (9, 0o1, 0o1000)] {
        match perms[i] {
            'x' => mode |= exec,
            's' | 't' => mode |= exec | special,
            'S' | 'T' => mode |= special,
            _ => {}
        }
    }
    Some(Entry {
        path: name.trim_end_matches('/').to_string(),
        kind: perms[0],
        mode,
        uid: uid.parse().ok()?,
        gid: gid.parse().ok()?,
        size,
    })
}

/// Every expected line must appear as a whole line of `stdout`; a trailing `*` matches a prefix.
pub fn assert_lines(stdout: &str, expected: &[&str]) {
    for want in expected {
        let found = stdout.lines().any(|line| match want.strip_suffix('*') {
            Some(prefix) => line.starts_with(prefix),
            None => line == *want,
        });
        assert!(found, "missing line {want:?} in output:\n{stdout}");
    }
}

/// The plain-progress block of the builder's RUN step: from its first `[builder] RUN` line to the next blank line.
pub fn run_step(log: &str) -> &str {
    let start = log.find("[builder] RUN").unwrap_or_else(|| panic!("no [builder] RUN step in:\n{log}"));
    let rest = &log[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}
