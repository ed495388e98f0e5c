//! State graph → `pb.Definition`: post-order walk, one entry per distinct op (by digest), metadata keyed
//! by digest, and the terminal op last. The same graph always gives the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};

use super::exec::{Exec, Mount, MountKind, Network};
use super::file::FileAction;
use super::state::{Op, Output, SourceFile, SourceLocation, State, Vertex};
use crate::platform::Platform;
use crate::proto::pb;

/// Options that apply to every op of a marshalled graph.
#[derive(Clone, Debug, Default)]
pub struct MarshalOptions {
    /// `--no-cache`: BuildKit re-runs every op.
    pub ignore_cache: bool,
}

/// `sha256:<hex>` of the bytes, as BuildKit computes op digests.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl State {
    /// Marshals the graph that ends in this state. Scratch marshals to an empty Definition, which
    /// BuildKit solves to an empty result.
    pub fn marshal(&self, options: &MarshalOptions) -> pb::Definition {
        let Some(head) = &self.output else {
            return pb::Definition::default();
        };
        let mut m = Marshaller {
            options,
            seen: HashMap::new(),
            def: Vec::new(),
            emitted: BTreeMap::new(),
            metadata: BTreeMap::new(),
            files: Vec::new(),
            locations: BTreeMap::new(),
        };
        let head_digest = m.vertex(&head.vertex);
        let terminal =
            pb::Op { inputs: vec![pb::Input { digest: head_digest, index: head.index }], ..Default::default() };
        let bytes = terminal.encode_to_vec();
        let digest = digest_of(&bytes);
        let caps = [("constraints", true), ("platform", true)].map(|(k, v)| (k.to_string(), v)).into();
        m.metadata.insert(digest, pb::OpMetadata { caps, ignore_cache: options.ignore_cache, ..Default::default() });
        m.def.push(bytes);
        let source = (!m.locations.is_empty()).then(|| pb::Source {
            locations: m.locations,
            infos: m
                .files
                .iter()
                .map(|f| pb::SourceInfo {
                    filename: f.filename.clone(),
                    data: f.data.clone(),
                    definition: None,
                    language: f.language.clone(),
                })
                .collect(),
        });
        pb::Definition { def: m.def, metadata: m.metadata, source }
    }
}

/// An op's bytes as Go's deterministic marshalling writes them: the plain fields in tag order, then the
/// `op` oneof (Go writes a oneof after the other fields; prost would write it at its tag, before
/// `platform`). BuildKit v0.18 and newer decode every op a frontend sends and marshal it again to get its
/// digest; with other bytes the digests change, and the source map, keyed by digest, no longer finds the
/// failing step (measured with BuildKit v0.25: a failing `run` was shown at line 1). Two concatenated
/// encodings of one message are one message to any protobuf decoder.
pub fn encode_op(op: &pb::Op) -> Vec<u8> {
    let mut bytes = pb::Op { op: None, ..op.clone() }.encode_to_vec();
    if let Some(oneof) = &op.op {
        bytes.extend(pb::Op { op: Some(oneof.clone()), ..Default::default() }.encode_to_vec());
    }
    bytes
}

struct Marshaller<'a> {
    options: &'a MarshalOptions,
    /// Vertex address → digest, so shared subgraphs are encoded once.
    seen: HashMap<*const Vertex, String>,
    def: Vec<Vec<u8>>,
    /// Digests already in `def` (equal ops built separately are emitted once).
    emitted: BTreeMap<String, ()>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    /// The source files locations point into, in first-use order (`SourceInfo` indices).
    files: Vec<Arc<SourceFile>>,
    /// Op digest → where it comes from.
    locations: BTreeMap<String, pb::Locations>,
}

/// The inputs of one op, deduplicated, in first-use order.
#[derive(Default)]
struct Inputs(Vec<pb::Input>);

impl Inputs {
    fn index_of(&mut self, input: pb::Input) -> i64 {
        let pos = self.0.iter().position(|i| *i == input).unwrap_or_else(|| {
            self.0.push(input);
            self.0.len() - 1
        });
        pos as i64
    }
}

impl Marshaller<'_> {
    fn input(&mut self, out: &Output) -> pb::Input {
        pb::Input { digest: self.vertex(&out.vertex), index: out.index }
    }

    /// The index of a state among this op's inputs, or -1 for scratch.
    fn input_index(&mut self, inputs: &mut Inputs, state: &State) -> i64 {
        match &state.output {
            None => -1,
            Some(out) => {
                let input = self.input(out);
                inputs.index_of(input)
            }
        }
    }

    fn vertex(&mut self, v: &std::sync::Arc<Vertex>) -> String {
        let key = std::sync::Arc::as_ptr(v);
        if let Some(d) = self.seen.get(&key) {
            return d.clone();
        }
        let mut inputs = Inputs::default();
        let mut caps: Vec<&'static str> = Vec::new();
        let (op, platform) = match &v.op {
            Op::Source(s) => {
                caps.extend(source_caps(&s.identifier, &s.attrs));
                let op = pb::SourceOp { identifier: s.identifier.clone(), attrs: s.attrs.clone() };
                (pb::op::Op::Source(op), s.platform.as_ref())
            }
            Op::Exec(e) => (pb::op::Op::Exec(self.exec_op(&mut inputs, e, &mut caps)), e.platform.as_ref()),
            Op::File { base, actions } => (pb::op::Op::File(self.file_op(&mut inputs, base, actions, &mut caps)), None),
            Op::Merge(states) => {
                caps.push("mergeop");
                let merge_inputs =
                    states.iter().map(|s| pb::MergeInput { input: self.input_index(&mut inputs, s) }).collect();
                (pb::op::Op::Merge(pb::MergeOp { inputs: merge_inputs }), None)
            }
        };
        let op = pb::Op {
            inputs: inputs.0,
            op: Some(op),
            platform: platform.map(to_pb_platform),
            constraints: Some(pb::WorkerConstraints::default()),
        };
        let bytes = encode_op(&op);
        let digest = digest_of(&bytes);
        if self.emitted.insert(digest.clone(), ()).is_none() {
            self.def.push(bytes);
        }
        let mut md = pb::OpMetadata { ignore_cache: self.options.ignore_cache, ..Default::default() };
        if let Some(name) = &v.name {
            md.description.insert("llb.customname".into(), name.clone());
        }
        md.caps = caps.into_iter().map(|c| (c.to_string(), true)).collect();
        self.metadata.insert(digest.clone(), md);
        if !v.locations.is_empty() {
            let locations: Vec<pb::Location> = v.locations.iter().map(|l| self.location(l)).collect();
            // One op may be reached through two equal vertices (a state lowered twice, as the builder is
            // before and after its check): its place in the spec is still one.
            let known = &mut self.locations.entry(digest.clone()).or_default().locations;
            for location in locations {
                if !known.contains(&location) {
                    known.push(location);
                }
            }
        }
        self.seen.insert(key, digest.clone());
        digest
    }

    fn location(&mut self, l: &SourceLocation) -> pb::Location {
        let index = self.files.iter().position(|f| Arc::ptr_eq(f, &l.file) || **f == *l.file).unwrap_or_else(|| {
            self.files.push(l.file.clone());
            self.files.len() - 1
        });
        let at = |line: usize| Some(pb::Position { line: i32::try_from(line).unwrap_or(i32::MAX), character: 0 });
        pb::Location {
            source_index: index as i32,
            ranges: l.lines.iter().map(|&(start, end)| pb::Range { start: at(start), end: at(end) }).collect(),
        }
    }

    /// The root mount first, then the other mounts sorted by destination (so the bytes do not depend on
    /// the order they were added in).
    fn exec_op(&mut self, inputs: &mut Inputs, e: &Exec, caps: &mut Vec<&'static str>) -> pb::ExecOp {
        caps.extend(["exec.meta.base", "exec.mount.bind"]);
        let root_input = self.input_index(inputs, &e.root);
        let mut mounts = vec![pb::Mount { input: root_input, dest: "/".into(), output: 0, ..Default::default() }];
        let mut sorted: Vec<_> = e.mounts.iter().collect();
        sorted.sort_by(|a, b| a.dest.cmp(&b.dest));
        for m in sorted {
            let mut pm = exec_mount(m, caps);
            if let MountKind::ReadOnly { from } | MountKind::ReadOnlyByKey { from } = &m.kind {
                pm.input = self.input_index(inputs, from);
            }
            mounts.push(pm);
        }
        let network = match e.network {
            Network::Sandbox => pb::NetMode::Unset,
            Network::Host => pb::NetMode::Host,
            Network::None => pb::NetMode::None,
        };
        if e.network != Network::Sandbox {
            caps.push("exec.meta.network");
        }
        let meta = pb::Meta {
            args: e.args.clone(),
            env: e.env.to_vec(),
            cwd: e.cwd.clone(),
            remove_mount_stubs_recursive: true,
            ..Default::default()
        };
        pb::ExecOp { meta: Some(meta), mounts, network: network as i32, security: 0 }
    }

    /// The actions chained: each takes the previous one's result (`n + k - 1`, past the op's inputs), the
    /// first takes the base, and only the last one is the op's output.
    fn file_op(
        &mut self,
        inputs: &mut Inputs,
        base: &State,
        actions: &[FileAction],
        caps: &mut Vec<&'static str>,
    ) -> pb::FileOp {
        caps.push("file.base");
        // Inputs first (base, then copy sources), so action indices can point past them.
        let base_index = self.input_index(inputs, base);
        for a in actions {
            if let FileAction::Copy { from, .. } = a {
                self.input_index(inputs, from);
            }
        }
        let n = inputs.0.len() as i64;
        let mut pactions = Vec::new();
        for (k, a) in actions.iter().enumerate() {
            let input = if k == 0 { base_index } else { n + k as i64 - 1 };
            let output = if k + 1 == actions.len() { 0 } else { -1 };
            let (secondary, action) = self.file_action(inputs, a, caps);
            pactions.push(pb::FileAction { input, secondary_input: secondary, output, action: Some(action) });
        }
        pb::FileOp { actions: pactions }
    }

    fn file_action(
        &mut self,
        inputs: &mut Inputs,
        a: &FileAction,
        caps: &mut Vec<&'static str>,
    ) -> (i64, pb::file_action::Action) {
        use pb::file_action::Action;
        match a {
            FileAction::Mkdir { path, mode, make_parents, owner, timestamp } => (
                -1,
                Action::Mkdir(pb::FileActionMkDir {
                    path: path.clone(),
                    mode: *mode as i32,
                    make_parents: *make_parents,
                    owner: owner.map(chown),
                    timestamp: timestamp.unwrap_or(-1),
                }),
            ),
            FileAction::Mkfile { path, mode, data, owner, timestamp } => (
                -1,
                Action::Mkfile(pb::FileActionMkFile {
                    path: path.clone(),
                    mode: *mode as i32,
                    data: data.clone(),
                    owner: owner.map(chown),
                    timestamp: timestamp.unwrap_or(-1),
                }),
            ),
            FileAction::Copy { from, src, dest, options: o } => {
                let secondary = self.input_index(inputs, from);
                if !o.exclude_patterns.is_empty() || !o.include_patterns.is_empty() {
                    caps.push("file.copy.includeexcludepatterns");
                }
                (
                    secondary,
                    Action::Copy(pb::FileActionCopy {
                        src: src.clone(),
                        dest: dest.clone(),
                        owner: o.owner.map(chown),
                        mode: o.mode.map_or(-1, |m| m as i32),
                        follow_symlink: o.follow_symlinks,
                        dir_copy_contents: o.contents_only,
                        create_dest_path: o.create_dest_path,
                        allow_wildcard: o.allow_wildcard,
                        allow_empty_wildcard: o.allow_empty_wildcard,
                        timestamp: o.timestamp.unwrap_or(-1),
                        include_patterns: o.include_patterns.clone(),
                        exclude_patterns: o.exclude_patterns.clone(),
                        ..Default::default()
                    }),
                )
            }
        }
    }
}

/// A mount other than the root: it has no output of its own, and no input unless it is a read-only bind
/// (whose input the caller sets).
fn exec_mount(m: &Mount, caps: &mut Vec<&'static str>) -> pb::Mount {
    let mut pm = pb::Mount { dest: m.dest.clone(), input: -1, output: -1, ..Default::default() };
    match &m.kind {
        MountKind::Cache { id } => {
            pm.mount_type = pb::MountType::Cache as i32;
            pm.cache_opt = Some(pb::CacheOpt { id: id.clone(), sharing: pb::CacheSharingOpt::Shared as i32 });
            caps.extend(["exec.mount.cache", "exec.mount.cache.sharing"]);
        }
        MountKind::Secret { id, uid, gid, mode, optional } => {
            pm.mount_type = pb::MountType::Secret as i32;
            pm.secret_opt =
                Some(pb::SecretOpt { id: id.clone(), uid: *uid, gid: *gid, mode: *mode, optional: *optional });
            caps.push("exec.mount.secret");
        }
        MountKind::Ssh { id, uid, gid, mode, optional } => {
            pm.mount_type = pb::MountType::Ssh as i32;
            pm.ssh_opt = Some(pb::SshOpt { id: id.clone(), uid: *uid, gid: *gid, mode: *mode, optional: *optional });
            caps.push("exec.mount.ssh");
        }
        MountKind::ReadOnly { .. } => {
            pm.mount_type = pb::MountType::Bind as i32;
            pm.readonly = true;
        }
        MountKind::ReadOnlyByKey { .. } => {
            pm.mount_type = pb::MountType::Bind as i32;
            pm.readonly = true;
            // No cap: an optimisation a BuildKit before v0.13 ignores (it hashes the mount, as before).
            pm.content_cache = pb::MountContentCache::Off as i32;
        }
        MountKind::Tmpfs => {
            pm.mount_type = pb::MountType::Tmpfs as i32;
            caps.push("exec.mount.tmpfs");
        }
    }
    pm
}

fn chown((uid, gid): (u32, u32)) -> pb::ChownOpt {
    pb::ChownOpt {
        user: Some(pb::UserOpt { user: Some(pb::user_opt::User::ById(uid)) }),
        group: Some(pb::UserOpt { user: Some(pb::user_opt::User::ById(gid)) }),
    }
}

pub fn to_pb_platform(p: &Platform) -> pb::Platform {
    pb::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        variant: p.variant.clone().unwrap_or_default(),
        ..Default::default()
    }
}

fn source_caps(identifier: &str, attrs: &BTreeMap<String, String>) -> Vec<&'static str> {
    let mut caps = Vec::new();
    if identifier.starts_with("docker-image://") {
        caps.push("source.image");
        if attrs.get("image.resolvemode").map(String::as_str) == Some("pull") {
            caps.push("source.image.resolvemode");
        }
    } else if identifier.starts_with("local://") {
        caps.push("source.local");
        for (attr, cap) in [
            ("local.session", "source.local.sessionid"),
            ("local.includepattern", "source.local.includepatterns"),
            ("local.excludepatterns", "source.local.excludepatterns"),
            ("local.followpaths", "source.local.followpaths"),
            ("local.sharedkeyhint", "source.local.sharedkeyhint"),
            ("local.differ", "source.local.differ"),
        ] {
            if attrs.contains_key(attr) {
                caps.push(cap);
            }
        }
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llb::{CopyOptions, Exec};

    fn decode(def: &pb::Definition) -> Vec<pb::Op> {
        def.def.iter().map(|b| pb::Op::decode(b.as_slice()).unwrap()).collect()
    }

    /// The field numbers at the top level of one encoded message, in the order they are written.
    fn top_level_tags(mut bytes: &[u8]) -> Vec<u64> {
        let mut tags = Vec::new();
        while !bytes.is_empty() {
            let key = prost::encoding::decode_varint(&mut bytes).unwrap();
            tags.push(key >> 3);
            let wire = prost::encoding::WireType::try_from(key & 7).unwrap();
            prost::encoding::skip_field(wire, (key >> 3) as u32, &mut bytes, prost::encoding::DecodeContext::default())
                .unwrap();
        }
        tags
    }

    #[test]
    fn ops_are_written_in_gos_field_order_with_the_oneof_last() {
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None);
        let def = img.run(Exec::shell("true")).marshal(&MarshalOptions::default());
        // The image source: platform (10), constraints (11), then the oneof `source` (3).
        assert_eq!(top_level_tags(&def.def[0]), vec![10, 11, 3]);
        // The exec (no platform of its own here): its input (1), constraints, then `exec` (2).
        assert_eq!(top_level_tags(&def.def[1]), vec![1, 11, 2]);
        // Still one message to a decoder, equal to what was meant.
        let exec = pb::Op::decode(def.def[1].as_slice()).unwrap();
        assert!(matches!(exec.op, Some(pb::op::Op::Exec(_))) && exec.constraints.is_some());
        assert_eq!(encode_op(&exec), def.def[1]);
    }

    #[test]
    fn scratch_marshals_to_an_empty_definition() {
        assert!(State::scratch().marshal(&MarshalOptions::default()).def.is_empty());
    }

    #[test]
    fn terminal_op_points_at_the_head_and_digests_match_bytes() {
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None);
        let def = img.run(Exec::shell("true")).marshal(&MarshalOptions::default());
        let ops = decode(&def);
        assert_eq!(ops.len(), 3);
        let last = ops.last().unwrap();
        assert!(last.op.is_none());
        assert_eq!(last.inputs[0].digest, digest_of(&def.def[1]));
        assert_eq!(ops[1].inputs[0].digest, digest_of(&def.def[0]));
        for bytes in &def.def {
            assert!(def.metadata.contains_key(&digest_of(bytes)));
        }
    }

    #[test]
    fn shared_and_equal_inputs_are_emitted_once() {
        let a = State::local("context", &crate::llb::LocalOptions::default());
        let b = State::local("context", &crate::llb::LocalOptions::default()); // equal op, built separately
        let copy = |from: &State| FileAction::Copy {
            from: from.clone(),
            src: "/x".into(),
            dest: "/x".into(),
            options: CopyOptions::default(),
        };
        let out = State::scratch().file(vec![copy(&a), copy(&b), copy(&a)]);
        let def = out.marshal(&MarshalOptions::default());
        let ops = decode(&def);
        assert_eq!(ops.len(), 3, "local once, file op, terminal");
        let Some(pb::op::Op::File(f)) = &ops[1].op else { panic!("file op expected") };
        assert_eq!(ops[1].inputs.len(), 1);
        let chain: Vec<(i64, i64, i64)> = f.actions.iter().map(|a| (a.input, a.secondary_input, a.output)).collect();
        assert_eq!(chain, vec![(-1, 0, -1), (1, 0, -1), (2, 0, 0)]);
    }

    #[test]
    fn located_ops_get_a_source_map_with_each_file_once() {
        let spec = Arc::new(SourceFile {
            filename: "scratch.yaml".into(),
            data: b"a\nb\nc\n".to_vec(),
            language: "yaml".into(),
        });
        let at = |lines: Vec<(usize, usize)>| SourceLocation { file: spec.clone(), lines };
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None).located(at(vec![(1, 1)]));
        let run = img.run(Exec::shell("true")).located(at(vec![(2, 3)]));
        let def = run.marshal(&MarshalOptions::default());
        let source = def.source.expect("a source map");
        assert_eq!(source.infos.len(), 1, "the file is sent once");
        assert_eq!((source.infos[0].filename.as_str(), source.infos[0].language.as_str()), ("scratch.yaml", "yaml"));
        assert_eq!(source.infos[0].data, b"a\nb\nc\n");
        let lines = |bytes: &Vec<u8>| -> Vec<(i32, i32)> {
            source.locations[&digest_of(bytes)].locations[0]
                .ranges
                .iter()
                .map(|r| (r.start.unwrap().line, r.end.unwrap().line))
                .collect()
        };
        assert_eq!(lines(&def.def[0]), [(1, 1)]);
        assert_eq!(lines(&def.def[1]), [(2, 3)]);
        assert!(!source.locations.contains_key(&digest_of(def.def.last().unwrap())), "the terminal op has no location");
    }

    #[test]
    fn an_op_reached_through_two_equal_vertices_keeps_its_location_once() {
        let spec =
            Arc::new(SourceFile { filename: "scratch.yaml".into(), data: b"a\nb\n".to_vec(), language: "yaml".into() });
        let at = |line| SourceLocation { file: spec.clone(), lines: vec![(line, line)] };
        let lowered = || {
            State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None)
                .run(Exec::shell("true"))
                .located(at(2))
        };
        // Two lowerings of one step (the builder before and after its check), both in one graph.
        let (first, second) = (lowered(), lowered());
        let merged = State::merge(vec![first.run(Exec::shell("a")), second.run(Exec::shell("b"))]);
        let source = merged.marshal(&MarshalOptions::default()).source.expect("a source map");
        let lines: Vec<i32> = source
            .locations
            .values()
            .flat_map(|l| &l.locations)
            .flat_map(|l| l.ranges.iter().map(|r| r.start.unwrap().line))
            .collect();
        assert_eq!(lines, [2], "{source:?}");
    }

    #[test]
    fn each_location_points_at_its_own_file_and_equal_files_are_one() {
        let file = |name: &str| {
            Arc::new(SourceFile { filename: name.into(), data: b"x\ny\nz\n".to_vec(), language: "yaml".into() })
        };
        let (spec, other, spec_again) = (file("scratch.yaml"), file("other.yaml"), file("scratch.yaml"));
        let at = |f: &Arc<SourceFile>, line| SourceLocation { file: f.clone(), lines: vec![(line, line)] };
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None).located(at(&spec, 1));
        let first = img.run(Exec::shell("true")).located(at(&other, 2));
        let second = first.run(Exec::shell("false")).located(at(&spec_again, 3));
        let def = second.marshal(&MarshalOptions::default());
        let source = def.source.expect("a source map");
        let names: Vec<&str> = source.infos.iter().map(|i| i.filename.as_str()).collect();
        assert_eq!(names, ["scratch.yaml", "other.yaml"], "an equal file (another Arc) is sent once");
        let index = |bytes: &Vec<u8>| source.locations[&digest_of(bytes)].locations[0].source_index;
        assert_eq!([index(&def.def[0]), index(&def.def[1]), index(&def.def[2])], [0, 1, 0]);
    }

    #[test]
    fn ignore_cache_marks_every_op_and_the_terminal() {
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None);
        let def = img.run(Exec::shell("true")).marshal(&MarshalOptions { ignore_cache: true });
        assert_eq!(def.metadata.len(), 3);
        assert!(def.metadata.values().all(|m| m.ignore_cache));
        let def = img.run(Exec::shell("true")).marshal(&MarshalOptions::default());
        assert!(def.metadata.values().all(|m| !m.ignore_cache));
    }

    #[test]
    fn a_shell_exec_runs_in_the_root_directory() {
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None);
        let ops = decode(&img.run(Exec::shell("true")).marshal(&MarshalOptions::default()));
        let Some(pb::op::Op::Exec(exec)) = &ops[1].op else { panic!("exec expected") };
        let meta = exec.meta.as_ref().unwrap();
        assert_eq!(
            (meta.args.as_slice(), meta.cwd.as_str()),
            (&["/bin/sh".to_string(), "-c".into(), "true".into()][..], "/")
        );
    }

    #[test]
    fn read_only_mounts_take_their_state_as_an_input_and_have_no_output() {
        use crate::llb::{Mount, MountKind};
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None);
        let scanned = State::local("context", &crate::llb::LocalOptions::default());
        let mut exec = Exec::shell("true");
        exec.mounts = vec![
            Mount { dest: "/run/src/b".into(), kind: MountKind::ReadOnly { from: scanned.clone() } },
            Mount { dest: "/run/src/a".into(), kind: MountKind::ReadOnly { from: img.clone() } },
            Mount { dest: "/run/src/c".into(), kind: MountKind::ReadOnly { from: scanned } },
            Mount { dest: "/tmp".into(), kind: MountKind::Tmpfs },
        ];
        let ops = decode(&img.run(exec).marshal(&MarshalOptions::default()));
        let run = ops.iter().find(|o| matches!(o.op, Some(pb::op::Op::Exec(_)))).unwrap();
        let Some(pb::op::Op::Exec(e)) = &run.op else { unreachable!() };
        assert_eq!(run.inputs.len(), 2, "the image (root and /run/src/a) and the local, each once");
        let mounts: Vec<(&str, i64, i64, bool, i32)> =
            e.mounts.iter().map(|m| (m.dest.as_str(), m.input, m.output, m.readonly, m.mount_type)).collect();
        let tmpfs = pb::MountType::Tmpfs as i32;
        assert_eq!(
            mounts,
            [
                ("/", 0, 0, false, 0),
                ("/run/src/a", 0, -1, true, 0),
                ("/run/src/b", 1, -1, true, 0),
                ("/run/src/c", 1, -1, true, 0),
                ("/tmp", -1, -1, false, tmpfs)
            ]
        );
    }

    #[test]
    fn unset_times_are_minus_one_and_copy_options_are_kept() {
        use pb::file_action::Action;
        let src = State::local("context", &crate::llb::LocalOptions::default());
        let options = CopyOptions {
            allow_wildcard: true,
            follow_symlinks: true,
            contents_only: true,
            create_dest_path: true,
            ..CopyOptions::default()
        };
        let actions = vec![
            FileAction::Mkdir { path: "/d".into(), mode: 0o755, make_parents: true, owner: None, timestamp: None },
            FileAction::Mkfile {
                path: "/d/f".into(),
                mode: 0o644,
                data: b"x".to_vec(),
                owner: Some((1, 2)),
                timestamp: None,
            },
            FileAction::Copy { from: src, src: "/*.go".into(), dest: "/d/".into(), options },
        ];
        let ops = decode(&State::scratch().file(actions).marshal(&MarshalOptions::default()));
        let Some(pb::op::Op::File(f)) = &ops[1].op else { panic!("file op expected") };
        let Some(Action::Mkdir(d)) = &f.actions[0].action else { panic!("mkdir") };
        assert_eq!((d.timestamp, d.mode, d.make_parents), (-1, 0o755, true));
        let Some(Action::Mkfile(m)) = &f.actions[1].action else { panic!("mkfile") };
        assert_eq!((m.timestamp, m.mode), (-1, 0o644));
        let Some(Action::Copy(c)) = &f.actions[2].action else { panic!("copy") };
        assert_eq!((c.timestamp, c.mode), (-1, -1));
        assert!(c.allow_wildcard && c.follow_symlink && c.dir_copy_contents && c.create_dest_path);
    }

    #[test]
    fn platforms_keep_their_variant() {
        let arm = to_pb_platform(&Platform::parse("linux/arm/v7").unwrap());
        assert_eq!((arm.os.as_str(), arm.architecture.as_str(), arm.variant.as_str()), ("linux", "arm", "v7"));
    }

    #[test]
    fn a_merge_of_only_scratch_is_scratch() {
        assert!(State::merge(vec![State::scratch(), State::scratch()]).is_scratch());
        assert!(State::merge(Vec::new()).marshal(&MarshalOptions::default()).def.is_empty());
    }

    #[test]
    fn the_rendering_shows_mode_zero_and_leaves_unset_modes_null() {
        let actions = vec![
            FileAction::Mkfile { path: "/locked".into(), mode: 0, data: Vec::new(), owner: None, timestamp: None },
            FileAction::Copy {
                from: State::local("context", &crate::llb::LocalOptions::default()),
                src: "/a".into(),
                dest: "/a".into(),
                options: CopyOptions::default(),
            },
        ];
        let rendered = crate::llb::render(&State::scratch().file(actions).marshal(&MarshalOptions::default()));
        let file = rendered["ops"].as_array().unwrap().iter().find_map(|op| op.get("file")).unwrap().clone();
        assert_eq!(file[0]["mode"], "0000");
        assert!(file[1]["mode"].is_null());
    }

    #[test]
    fn unlocated_graphs_have_no_source_map() {
        let img = State::image("docker.io/library/alpine:3", &Platform::linux_amd64(), None);
        assert!(img.run(Exec::shell("true")).marshal(&MarshalOptions::default()).source.is_none());
    }

    #[test]
    fn merge_of_one_state_is_that_state() {
        let a = State::local("context", &crate::llb::LocalOptions::default());
        let m = State::merge(vec![State::scratch(), a.clone()]);
        assert_eq!(m.marshal(&MarshalOptions::default()), a.marshal(&MarshalOptions::default()));
    }
}
