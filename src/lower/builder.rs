//! The builder stage: the builder image, the build context copied into `workdir`, then each `run`.

use std::collections::HashMap;

use crate::llb::{CopyOptions, Exec, FileAction, Mount, MountKind, Network, State};
use crate::plan::{self, Builder, RunsOn, DEFAULT_PATH};
use crate::platform::Platform;

use super::{located, BuildInputs, PlatformInputs};
use crate::reference::normalize;

pub fn stage(b: &Builder, build: &BuildInputs, per_platform: &PlatformInputs, target: &Platform, context: &State) -> State {
    let runs_on = match b.runs_on {
        RunsOn::BuildPlatform => &build.build_platform,
        RunsOn::TargetPlatform => target,
    };
    let reference = per_platform.builder_ref.clone().unwrap_or_else(|| normalize(&b.image));
    let mut image = State::image(&reference, runs_on, build.resolve_mode.as_deref()).named(format!("[builder] FROM {}", b.image));
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
fn environment(b: &Builder, build: &BuildInputs, per_platform: &PlatformInputs, target: &Platform) -> Vec<String> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut set = |k: &str, v: String, overwrite: bool| match index.get(k) {
        Some(&i) if overwrite => env[i].1 = v,
        Some(_) => {}
        None => {
            index.insert(k.to_string(), env.len());
            env.push((k.to_string(), v));
        }
    };
    for (k, v) in per_platform.builder_env.iter().filter_map(|kv| kv.split_once('=')) {
        set(k, v.to_string(), true);
    }
    set("PATH", DEFAULT_PATH.to_string(), false);
    // Like `ARG` in a Dockerfile: an `ENV` of the image with the same name wins.
    for (k, v) in &b.args {
        set(k, v.clone(), false);
    }
    let bp = &build.build_platform;
    set("TARGETPLATFORM", target.to_string(), true);
    set("TARGETOS", target.os.clone(), true);
    set("TARGETARCH", target.architecture.clone(), true);
    set("TARGETVARIANT", target.variant.clone().unwrap_or_default(), true);
    set("BUILDPLATFORM", bp.to_string(), true);
    set("BUILDOS", bp.os.clone(), true);
    set("BUILDARCH", bp.architecture.clone(), true);
    if b.ssh {
        set("SSH_AUTH_SOCK", SSH_SOCKET.to_string(), true);
    }
    for (k, v) in &b.env {
        set(k, v.clone(), true);
    }
    env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
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
