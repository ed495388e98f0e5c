//! Reading what the frontend sent and returned: the ops of a Definition, its names and layers, an image
//! config.

use std::collections::BTreeMap;

use prost::Message;
use scratchkit::gateway::Built;
use scratchkit::llb::{digest_of, render};
use scratchkit::proto::pb;
use serde_json::Value;

pub fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def.iter().map(|bytes| pb::Op::decode(bytes.as_slice()).expect("an Op")).collect()
}

/// The op the terminal (last, empty) op points at: what the Definition evaluates to.
pub fn head(def: &pb::Definition) -> Option<pb::Op> {
    let terminal = pb::Op::decode(def.def.last()?.as_slice()).ok()?;
    assert!(terminal.op.is_none(), "the last op is not the terminal op");
    let wanted = &terminal.inputs.first()?.digest;
    def.def
        .iter()
        .find(|bytes| &digest_of(bytes) == wanted)
        .map(|bytes| pb::Op::decode(bytes.as_slice()).expect("an Op"))
}

pub fn sources(def: &pb::Definition) -> Vec<pb::SourceOp> {
    ops(def).into_iter().filter_map(|o| if let Some(pb::op::Op::Source(s)) = o.op { Some(s) } else { None }).collect()
}

/// Exec ops with the platform they run on.
pub fn execs(def: &pb::Definition) -> Vec<(Option<pb::Platform>, pb::ExecOp)> {
    ops(def)
        .into_iter()
        .filter_map(|o| if let Some(pb::op::Op::Exec(e)) = o.op { Some((o.platform, e)) } else { None })
        .collect()
}

pub fn the_exec(def: &pb::Definition) -> (Option<pb::Platform>, pb::Meta) {
    let mut execs = execs(def);
    assert_eq!(execs.len(), 1, "expected one exec");
    let (platform, exec) = execs.remove(0);
    (platform, exec.meta.expect("exec meta"))
}

/// The rendered ops (`scratchkit llb --json`), terminal op included.
pub fn rendered_ops(def: &pb::Definition) -> Vec<Value> {
    render(def)["ops"].as_array().expect("ops").clone()
}

pub fn has_merge(def: &pb::Definition) -> bool {
    rendered_ops(def).iter().any(|op| op.get("merge").is_some())
}

/// The name of a Definition's head op.
pub fn head_name(def: &pb::Definition) -> String {
    let Some(terminal) = def.def.last().and_then(|b| pb::Op::decode(b.as_slice()).ok()) else {
        return String::new();
    };
    terminal.inputs.first().map(|i| name_of(def, &i.digest)).unwrap_or_default()
}

/// `llb.customname` of an op, by its digest.
pub fn name_of(def: &pb::Definition, digest: &str) -> String {
    def.metadata.get(digest).and_then(|m| m.description.get("llb.customname")).cloned().unwrap_or_default()
}

/// The names of the image's layers, bottom first: the inputs of the merge, or (without MergeOp) the
/// chain of file ops from the head down through each op's first input.
pub fn layer_names(def: &pb::Definition) -> Vec<String> {
    let by_digest: BTreeMap<String, pb::Op> =
        def.def.iter().map(|b| (digest_of(b), pb::Op::decode(b.as_slice()).expect("an Op"))).collect();
    let terminal = pb::Op::decode(def.def.last().expect("ops").as_slice()).expect("an Op");
    let mut digest = terminal.inputs[0].digest.clone();
    if let Some(pb::op::Op::Merge(_)) = by_digest[&digest].op {
        return by_digest[&digest].inputs.iter().map(|i| name_of(def, &i.digest)).collect();
    }
    let mut names = Vec::new();
    loop {
        let op = &by_digest[&digest];
        if !matches!(op.op, Some(pb::op::Op::File(_))) {
            break;
        }
        names.push(name_of(def, &digest));
        match op.inputs.first() {
            // A layer op's first input is the layer below; the staged copy source comes second.
            Some(below) if op.inputs.len() > 1 => digest = below.digest.clone(),
            _ => break,
        }
    }
    names.reverse();
    names
}

pub fn config(built: &Built) -> Value {
    serde_json::from_slice(&built.config).expect("config JSON")
}

pub fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

pub fn platform_name(p: &Option<pb::Platform>) -> String {
    p.as_ref().map(|p| format!("{}/{}", p.os, p.architecture)).unwrap_or_default()
}

/// The names of the ops a Definition holds.
pub fn op_names(def: &pb::Definition) -> Vec<String> {
    def.def.iter().map(|b| name_of(def, &digest_of(b))).collect()
}

/// Every path the image's file ops copy to.
pub fn copy_destinations(def: &pb::Definition) -> Vec<String> {
    rendered_ops(def)
        .iter()
        .filter_map(|op| op["file"].as_array())
        .flatten()
        .filter_map(|a| a["dest"].as_str().map(str::to_string))
        .collect()
}

/// The file actions of the op named `name`.
pub fn actions_of(def: &pb::Definition, name: &str) -> Vec<Value> {
    rendered_ops(def)
        .iter()
        .filter(|op| op["name"].as_str() == Some(name))
        .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
        .collect()
}
