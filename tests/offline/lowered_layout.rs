//! The directories the rootfs makes, as the stacked image has them: each layer's file actions run
//! through a small model of BuildKit's semantics (a directory copied onto an existing one lands inside
//! it as `<dir>/empty`; `mkdir -p` leaves an existing directory alone; the upper layer of a merge wins),
//! for the specs issue 20 found broken: a home under `/tmp` or inside a listed dir, `rootfs.dirs`
//! and `rootfs.files` below `/tmp` or a home in a layer of their own, a dir listed child first or twice.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    dir: bool,
    mode: String,
    owner: String,
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// One staged layer, as BuildKit's file backend would leave it.
fn stage(actions: &[Value]) -> BTreeMap<String, Node> {
    let mut fs: BTreeMap<String, Node> = BTreeMap::new();
    fs.insert("/".into(), Node { dir: true, mode: "0755".into(), owner: "0:0".into() });
    let text = |a: &Value, k: &str| a[k].as_str().unwrap_or_default().to_string();
    for a in actions {
        let node = |dir: bool, default: &str| Node {
            dir,
            mode: a["mode"].as_str().unwrap_or(default).to_string(),
            owner: a["owner"].as_str().unwrap_or("0:0").to_string(),
        };
        if let Some(path) = a["mkdir"].as_str() {
            if a["parents"] == Value::Bool(true) {
                let mut at = String::new();
                for c in path.split('/').filter(|c| !c.is_empty()) {
                    at = format!("{at}/{c}");
                    match fs.get(&at) {
                        Some(n) => assert!(n.dir, "mkdir -p through the file {at}"),
                        None => drop(fs.insert(at.clone(), node(true, "0755"))),
                    }
                }
            } else if !fs.contains_key(path) {
                assert!(fs.contains_key(parent(path)), "mkdir {path} without its parent");
                fs.insert(path.into(), node(true, "0755"));
            }
        } else if let Some(path) = a["mkfile"].as_str() {
            assert!(fs.get(parent(path)).is_some_and(|n| n.dir), "mkfile {path} without its parent");
            fs.insert(path.into(), node(false, "0644"));
        } else if let Some(src) = a["copy"].as_str() {
            let dest = text(a, "dest");
            let is_dir = src == "/empty";
            let name = src.rsplit('/').next().unwrap_or_default();
            // fsutil's copy: onto an existing directory, the source goes inside it.
            let target = if fs.get(&dest).is_some_and(|n| n.dir) && !a["contents_only"].as_bool().unwrap_or(false) {
                format!("{dest}/{name}")
            } else {
                dest
            };
            if a["create_dest_path"] != Value::Bool(true) {
                assert!(fs.get(parent(&target)).is_some_and(|n| n.dir), "copy to {target} without its parent");
            }
            fs.insert(target, node(is_dir, if is_dir { "0755" } else { "0644" }));
        }
    }
    fs
}

/// The image: each layer staged, then stacked in the merge's order (the upper one wins).
fn image(spec: &str) -> BTreeMap<String, Node> {
    let view = crate::support::view(spec, "scratch.yaml");
    let ops = view[0]["llb"]["ops"].as_array().expect("ops").clone();
    let by_digest: BTreeMap<&str, &Value> =
        ops.iter().map(|op| (op["digest"].as_str().unwrap_or_default(), op)).collect();
    let merge = ops.iter().find(|op| op.get("merge").is_some()).expect("a merge");
    let mut out = BTreeMap::new();
    for input in merge["inputs"].as_array().expect("inputs") {
        let digest = input.as_str().unwrap_or_default().split('[').next().unwrap_or_default();
        let layer = by_digest[digest]["name"].as_str().unwrap_or_default();
        let staged =
            ops.iter().find(|op| op["name"].as_str() == Some(&format!("[internal] stage {layer}"))).expect("its stage");
        out.extend(stage(staged["file"].as_array().expect("actions")));
    }
    out
}

fn dir(mode: &str, owner: &str) -> Node {
    Node { dir: true, mode: mode.into(), owner: owner.into() }
}

fn assert_dirs(spec: &str, want: &[(&str, Node)]) {
    let got = image(spec);
    for (path, node) in want {
        assert_eq!(got.get(*path), Some(node), "{path} in\n{got:#?}");
    }
    let stray: Vec<&String> = got.keys().filter(|p| p.ends_with("/empty")).collect();
    assert!(stray.is_empty(), "directories nested as `empty`: {stray:?}");
}

#[test]
fn a_home_inside_a_listed_dir_keeps_both() {
    // The homes' layer passes through `/srv` first; the dirs entry comes later in the same layer.
    let spec = "copy: [context:app]\nrootfs: {users: [{name: app, uid: 1000, home: /srv/app}], dirs: [{path: /srv, mode: \"0751\"}]}\n";
    assert_dirs(spec, &[("/srv", dir("0751", "0:0")), ("/srv/app", dir("0700", "1000:1000"))]);
}

#[test]
fn a_home_under_tmp_leaves_tmp_sticky() {
    let spec = "copy: [context:app]\nrootfs: {users: [{name: app, uid: 1000, home: /tmp/app}]}\n";
    assert_dirs(spec, &[("/tmp", dir("1777", "0:0")), ("/tmp/app", dir("0700", "1000:1000"))]);
}

#[test]
fn dirs_and_files_below_tmp_or_a_home_in_their_own_layer_keep_them() {
    // With a builder, the CA bundle's layer comes between: `dirs` and `files` are a layer of their own.
    let spec = "\
builder: {image: golang, run: make}
copy: [/out/app]
rootfs:
  users: [{name: app, uid: 1000}]
  dirs: [/tmp/cache, {path: /home/app/data, owner: app}]
  files: [{path: /tmp/motd, content: hi}, {path: /home/app/.profile, content: x, owner: app}]
";
    assert_dirs(
        spec,
        &[
            ("/tmp", dir("1777", "0:0")),
            ("/home/app", dir("0700", "1000:1000")),
            ("/home/app/data", dir("0755", "1000:1000")),
        ],
    );
}

#[test]
fn a_dir_listed_child_first_or_twice_is_made_once_as_listed() {
    let spec = "copy: [context:app]\nrootfs: {users: [{name: app, uid: 1000}], dirs: [/data/a, {path: /data, mode: \"0750\", owner: app}, /data/a]}\n";
    assert_dirs(spec, &[("/data", dir("0750", "1000:1000")), ("/data/a", dir("0755", "0:0"))]);
}

#[test]
fn copies_into_tmp_and_a_home_keep_them() {
    let spec = "copy: [{from: context:app, to: /tmp/x/app}, {from: context:conf, to: /home/nonroot/.config/app}]\nimage: {entrypoint: [/tmp/x/app]}\n";
    assert_dirs(spec, &[("/tmp", dir("1777", "0:0")), ("/home/nonroot", dir("0700", "65532:65532"))]);
}

#[test]
fn zone_subsets_keep_the_builders_modes() {
    // One mode for a copied zone directory (`Europe`) would be its directories' mode too.
    let view = crate::support::view(
        "builder: {image: golang, run: make}\ncopy: [/out/app]\nrootfs: {timezones: [Europe, UTC]}\n",
        "scratch.yaml",
    );
    let ops = view[0]["llb"]["ops"].as_array().expect("ops");
    let zones: Vec<&Value> = ops
        .iter()
        .flat_map(|op| op["file"].as_array().into_iter().flatten())
        .filter(|a| a["dest"].as_str().is_some_and(|d| d.starts_with("/usr/share/zoneinfo/")))
        .collect();
    assert_eq!(zones.len(), 2, "{zones:?}");
    assert!(zones.iter().all(|a| a["mode"].is_null()), "{zones:?}");
}
