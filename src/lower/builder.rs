//! The builder stage: the builder image, the build context copied into `workdir`, then each `run`.

use crate::llb::{CopyOptions, EnvList, Exec, FileAction, Mount, MountKind, Network, State};
use crate::plan::{self, Builder, RunsOn, DEFAULT_PATH};
use crate::platform::Platform;

use super::{located, BuildInputs, PlatformInputs};
use crate::reference::normalize;

pub fn stage(
    b: &Builder,
    build: &BuildInputs,
    per_platform: &PlatformInputs,
    target: &Platform,
    context: &State,
) -> State {
    let runs_on = match b.runs_on {
        RunsOn::BuildPlatform => &build.build_platform,
        RunsOn::TargetPlatform => target,
    };
    let reference = per_platform.builder_ref.clone().unwrap_or_else(|| normalize(&b.image));
    let mut image =
        State::image(&reference, runs_on, build.resolve_mode.as_deref()).named(format!("[builder] FROM {}", b.image));
    if let Some(at) = located(build.source.as_ref(), &[b.image_span]) {
        image = image.located(at);
    }
    // Symlinks are not followed (the default, pinned by the golden snapshots): a context link stays a link.
    let copy = FileAction::Copy {
        from: context.clone(),
        src: "/".into(),
        dest: format!("{}/", b.workdir.as_str().trim_end_matches('/')),
        options: CopyOptions { contents_only: true, create_dest_path: true, ..CopyOptions::default() },
    };
    let mut state = image.file(vec![copy]).named(format!("[builder] COPY context {}", b.workdir));
    let env = environment(b, build, per_platform, target);
    for (i, cmd) in b.run.iter().enumerate() {
        let mut exec = Exec::shell(cmd);
        exec.env = env.clone();
        exec.cwd = b.workdir.to_string();
        exec.platform = Some(runs_on.clone());
        exec.network = match b.network {
            plan::Network::Default => Network::Sandbox,
            plan::Network::None => Network::None,
            plan::Network::Host => Network::Host,
        };
        exec.mounts = mounts(b, target);
        state = state.run(exec).named(format!("[builder] RUN {cmd}"));
        if let Some(at) = located(build.source.as_ref(), b.run_spans.get(i).copied().as_slice()) {
            state = state.located(at);
        }
    }
    state
}

/// The image's env (with a PATH if it has none), the build args the image does not set, the platform
/// variables, then the spec's env on top.
fn environment(b: &Builder, build: &BuildInputs, per_platform: &PlatformInputs, target: &Platform) -> EnvList {
    let mut env = per_platform.builder_env.clone();
    env.set_default("PATH", DEFAULT_PATH);
    // Like `ARG` in a Dockerfile: an `ENV` of the image with the same name wins.
    for (k, v) in &b.args {
        env.set_default(k, v.clone());
    }
    let bp = &build.build_platform;
    env.set("TARGETPLATFORM", target.to_string());
    env.set("TARGETOS", target.os.clone());
    env.set("TARGETARCH", target.architecture.clone());
    env.set("TARGETVARIANT", target.variant.clone().unwrap_or_default());
    env.set("BUILDPLATFORM", bp.to_string());
    env.set("BUILDOS", bp.os.clone());
    env.set("BUILDARCH", bp.architecture.clone());
    if b.ssh {
        env.set("SSH_AUTH_SOCK", SSH_SOCKET);
    }
    for (k, v) in &b.env {
        env.set(k, v.clone());
    }
    env
}

const SSH_SOCKET: &str = "/run/buildkit/ssh_agent.0";

fn mounts(b: &Builder, target: &Platform) -> Vec<Mount> {
    let mut mounts = Vec::new();
    for c in &b.cache {
        let id = format!("scratchkit:{target}:{c}");
        mounts.push(Mount { dest: c.to_string(), kind: MountKind::Cache { id } });
    }
    for s in &b.secrets {
        let kind = MountKind::Secret { id: s.id.clone(), uid: 0, gid: 0, mode: 0o400, optional: false };
        mounts.push(Mount { dest: s.target.to_string(), kind });
    }
    if b.ssh {
        let kind = MountKind::Ssh { id: "default".into(), uid: 0, gid: 0, mode: 0o600, optional: false };
        mounts.push(Mount { dest: SSH_SOCKET.into(), kind });
    }
    mounts
}
