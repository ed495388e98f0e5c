use super::state::State;
use crate::platform::Platform;

/// A command to run in a container (an `ExecOp`). The root filesystem is given by [`State::run`].
#[derive(Clone, Debug, Default)]
pub struct Exec {
    pub(super) root: State,
    pub args: Vec<String>,
    pub env: super::EnvList,
    /// The working directory (execs run as root: the builder stage needs no other user).
    pub cwd: String,
    pub network: Network,
    pub mounts: Vec<Mount>,
    pub platform: Option<Platform>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Network {
    #[default]
    Sandbox,
    Host,
    None,
}

#[derive(Clone, Debug)]
pub struct Mount {
    pub dest: String,
    pub kind: MountKind,
}

#[derive(Clone, Debug)]
pub enum MountKind {
    /// A persistent cache directory, keyed by `id`, shared by concurrent builds (like a Dockerfile's
    /// `--mount=type=cache` default).
    Cache { id: String },
    /// A secret file from the client; never stored in a layer.
    Secret { id: String, uid: u32, gid: u32, mode: u32, optional: bool },
    /// A forwarded SSH agent socket.
    Ssh { id: String, uid: u32, gid: u32, mode: u32, optional: bool },
    /// Another state's filesystem, read-only (e.g. what an SBOM generator scans).
    ReadOnly { from: State },
    /// Another state's filesystem, read-only, with the exec keyed by that state's own cache key only:
    /// BuildKit would otherwise hash every file of a read-only mount once the exec misses its cache.
    ReadOnlyByKey { from: State },
    /// An empty in-memory filesystem, gone when the command ends.
    Tmpfs,
}

impl Exec {
    /// `/bin/sh -c <script>`, the way a Dockerfile `RUN` in shell form runs.
    pub fn shell(script: &str) -> Self {
        Exec { args: vec!["/bin/sh".into(), "-c".into(), script.into()], cwd: "/".into(), ..Exec::default() }
    }
}
