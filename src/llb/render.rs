//! A stable, readable JSON rendering of a marshalled Definition, decoded from the wire bytes themselves
//! (so it shows exactly what BuildKit receives). Used by `scratchkit llb --json` and the golden tests.

use prost::Message;
use serde_json::{json, Map, Value};

use super::marshal::digest_of;
use crate::proto::pb;

pub fn render(def: &pb::Definition) -> Value {
    let mut ops = Vec::new();
    for bytes in &def.def {
        let digest = digest_of(bytes);
        let mut entry = Map::new();
        entry.insert("digest".into(), json!(digest));
        let op = match pb::Op::decode(bytes.as_slice()) {
            Ok(op) => op,
            Err(e) => {
                entry.insert("error".into(), json!(format!("undecodable op: {e}")));
                ops.push(Value::Object(entry));
                continue;
            }
        };
        if let Some(md) = def.metadata.get(&digest) {
            if let Some(name) = md.description.get("llb.customname") {
                entry.insert("name".into(), json!(name));
            }
        }
        let inputs: Vec<Value> = op.inputs.iter().map(|i| json!(format!("{}[{}]", i.digest, i.index))).collect();
        entry.insert("inputs".into(), json!(inputs));
        if let Some(p) = &op.platform {
            let mut s = format!("{}/{}", p.os, p.architecture);
            if !p.variant.is_empty() {
                s.push('/');
                s.push_str(&p.variant);
            }
            entry.insert("platform".into(), json!(s));
        }
        match &op.op {
            None => {
                entry.insert("terminal".into(), json!(true));
            }
            Some(pb::op::Op::Source(s)) => {
                entry.insert("source".into(), json!({ "identifier": s.identifier, "attrs": s.attrs }));
            }
            Some(pb::op::Op::Exec(e)) => {
                entry.insert("exec".into(), exec(e));
            }
            Some(pb::op::Op::File(f)) => {
                entry.insert("file".into(), Value::Array(f.actions.iter().map(file_action).collect()));
            }
            Some(pb::op::Op::Merge(m)) => {
                entry.insert("merge".into(), json!(m.inputs.iter().map(|i| i.input).collect::<Vec<_>>()));
            }
        }
        if let Some(md) = def.metadata.get(&digest) {
            if md.ignore_cache {
                entry.insert("ignore_cache".into(), json!(true));
            }
            entry.insert("caps".into(), json!(md.caps.keys().collect::<Vec<_>>()));
        }
        ops.push(Value::Object(entry));
    }
    json!({ "ops": ops })
}

fn exec(e: &pb::ExecOp) -> Value {
    let meta = e.meta.clone().unwrap_or_default();
    let mounts: Vec<Value> = e
        .mounts
        .iter()
        .map(|m| {
            let kind =
                pb::MountType::try_from(m.mount_type).map_or("unknown".to_string(), |t| t.as_str_name().to_lowercase());
            let mut v = json!({ "dest": m.dest, "type": kind, "input": m.input, "output": m.output });
            if m.readonly {
                v["readonly"] = json!(true);
            }
            if m.content_cache == pb::MountContentCache::Off as i32 {
                v["content_cache"] = json!("off");
            }
            if !m.selector.is_empty() {
                v["selector"] = json!(m.selector);
            }
            if let Some(c) = &m.cache_opt {
                v["cache"] = json!({ "id": c.id, "sharing": c.sharing });
            }
            if let Some(s) = &m.secret_opt {
                v["secret"] = json!({ "id": s.id, "mode": format!("{:04o}", s.mode), "optional": s.optional });
            }
            if let Some(s) = &m.ssh_opt {
                v["ssh"] = json!({ "id": s.id, "mode": format!("{:04o}", s.mode) });
            }
            v
        })
        .collect();
    let network = pb::NetMode::try_from(e.network).map_or("unknown".to_string(), |n| n.as_str_name().to_lowercase());
    json!({
        "args": meta.args, "env": meta.env, "cwd": meta.cwd, "user": meta.user,
        "network": network, "mounts": mounts,
    })
}

fn owner(o: &Option<pb::ChownOpt>) -> Value {
    let id = |u: &Option<pb::UserOpt>| match u.as_ref().and_then(|u| u.user.as_ref()) {
        Some(pb::user_opt::User::ById(n)) => n.to_string(),
        Some(pb::user_opt::User::ByName(n)) => n.name.clone(),
        None => "-".into(),
    };
    match o {
        Some(c) => json!(format!("{}:{}", id(&c.user), id(&c.group))),
        None => Value::Null,
    }
}

fn mode(m: i32) -> Value {
    if m < 0 {
        Value::Null
    } else {
        json!(format!("{m:04o}"))
    }
}

fn file_action(a: &pb::FileAction) -> Value {
    use pb::file_action::Action;
    let mut v = json!({ "input": a.input, "secondary_input": a.secondary_input, "output": a.output });
    let body = match &a.action {
        Some(Action::Mkdir(d)) => {
            json!({ "mkdir": d.path, "mode": mode(d.mode), "parents": d.make_parents, "owner": owner(&d.owner), "timestamp": d.timestamp })
        }
        Some(Action::Mkfile(f)) => {
            let data = match std::str::from_utf8(&f.data) {
                Ok(s) => json!(s),
                Err(_) => json!(format!("<{} bytes>", f.data.len())),
            };
            json!({ "mkfile": f.path, "mode": mode(f.mode), "owner": owner(&f.owner), "timestamp": f.timestamp, "data": data })
        }
        Some(Action::Copy(c)) => json!({
            "copy": c.src, "dest": c.dest, "mode": mode(c.mode), "owner": owner(&c.owner),
            "follow_symlink": c.follow_symlink, "contents_only": c.dir_copy_contents,
            "create_dest_path": c.create_dest_path, "timestamp": c.timestamp,
            "include": c.include_patterns, "exclude": c.exclude_patterns,
        }),
        Some(Action::Rm(r)) => json!({ "rm": r.path, "allow_not_found": r.allow_not_found }),
        Some(Action::Symlink(s)) => json!({ "symlink": s.newpath, "target": s.oldpath, "owner": owner(&s.owner) }),
        None => json!({ "empty": true }),
    };
    if let (Value::Object(v), Value::Object(b)) = (&mut v, body) {
        v.extend(b);
        // Shown only when set, so graphs without wildcards render as before.
        if let Some(Action::Copy(c)) = &a.action {
            if c.allow_wildcard {
                v.insert(
                    "wildcard".into(),
                    json!(if c.allow_empty_wildcard { "may match nothing" } else { "must match" }),
                );
            }
        }
    }
    v
}
