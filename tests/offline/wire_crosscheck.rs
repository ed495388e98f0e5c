//! Our wire bytes, decoded by an independent protobuf implementation (Python's `protobuf`, driven by a
//! descriptor set compiled from our proto/): the ops, inputs and digests must be what we meant.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

fn decode_with_python(def: &[u8]) -> Value {
    let dir = std::env::temp_dir().join(format!("scratchkit-crosscheck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (desc, defn) = (dir.join("descriptor.bin"), dir.join(format!("def-{}.bin", def.len())));
    std::fs::write(&desc, scratchkit::proto::DESCRIPTOR_SET).unwrap();
    std::fs::write(&defn, def).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crosscheck/decode.py");
    let out = Command::new("python3").arg(script).arg(&desc).arg(&defn).output().expect("python3 runs");
    assert!(
        out.status.success(),
        "decode.py failed (pip install protobuf; scripts/test.sh does):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs python3 with protobuf: scripts/test.sh installs it and runs this"]
fn python_protobuf_decodes_every_fixture_as_we_meant() {
    for path in crate::support::fixtures("ok") {
        let name = crate::support::stem(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        let built = crate::support::build(&text, "scratch.yaml").unwrap();
        let (_, def, _) = &built[0];
        let decoded = decode_with_python(&prost::Message::encode_to_vec(def));
        let ops = decoded["ops"].as_array().unwrap();
        assert_eq!(ops.len(), def.def.len(), "{name}");

        // Digests are sha256 of each op's bytes, as computed by Python, and key the metadata.
        let digests: BTreeSet<&str> = ops.iter().map(|o| o["digest"].as_str().unwrap()).collect();
        assert_eq!(digests.len(), ops.len(), "{name}: an op is emitted twice");
        let md_keys: BTreeSet<&str> = decoded["metadata"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(digests, md_keys, "{name}: metadata keys are not the op digests");

        // Every input names an op that comes earlier in the list.
        let mut seen = BTreeSet::new();
        for op in ops {
            for input in op["inputs"].as_array().unwrap() {
                assert!(seen.contains(input[0].as_str().unwrap()), "{name}: input {input} is not an earlier op");
            }
            assert_eq!(
                op["reencodes_identically"], true,
                "{name}: python, writing in Go's field order, re-encodes {} differently",
                op["digest"]
            );
            seen.insert(op["digest"].as_str().unwrap());
        }

        // The terminal op is last, has no body and points at the merged image.
        let last = ops.last().unwrap();
        assert!(last["kind"].is_null(), "{name}: last op has a body");
        assert_eq!(last["inputs"].as_array().unwrap().len(), 1);
        let head = last["inputs"][0][0].as_str().unwrap();
        let head_op = ops.iter().find(|o| o["digest"] == head).unwrap();
        assert!(matches!(head_op["kind"].as_str(), Some("merge" | "file")), "{name}: head is {}", head_op["kind"]);

        // File actions chain: each reads the previous one's result, only the last has an output.
        for op in ops.iter().filter(|o| o["kind"] == "file") {
            let n_inputs = op["inputs"].as_array().unwrap().len() as i64;
            let actions = op["actions"].as_array().unwrap();
            for (k, a) in actions.iter().enumerate() {
                if k > 0 {
                    assert_eq!(a["input"].as_i64().unwrap(), n_inputs + k as i64 - 1, "{name}: broken chain");
                }
                let want_output = if k + 1 == actions.len() { 0 } else { -1 };
                assert_eq!(a["output"].as_i64().unwrap(), want_output, "{name}");
            }
        }

        // Every layer is a named vertex; the written pieces share the first.
        let names: BTreeSet<String> = decoded["metadata"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|m| m["name"].as_str().map(String::from))
            .collect();
        assert!(names.iter().any(|n| n.starts_with("[rootfs] users")), "{name}: {names:?}");
    }
}

#[test]
#[ignore = "needs python3 with protobuf: scripts/test.sh installs it and runs this"]
fn the_smallest_spec_has_builder_exec_pieces_and_merge() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ok/smallest.yaml")).unwrap();
    let built = crate::support::build(&text, "scratch.yaml").unwrap();
    let decoded = decode_with_python(&prost::Message::encode_to_vec(&built[0].1));
    let ops = decoded["ops"].as_array().unwrap();
    let exec = ops.iter().find(|o| o["kind"] == "exec").expect("a builder exec");
    assert_eq!(exec["args"], serde_json::json!(["/bin/sh", "-c", "CGO_ENABLED=0 go build -o /out/app ."]));
    assert_eq!(exec["platform"], "linux/amd64");
    let source =
        ops.iter().find(|o| o["identifier"] == "docker-image://docker.io/library/golang:1.23").expect("builder image");
    assert_eq!(source["kind"], "source");
    let merge = ops.iter().find(|o| o["kind"] == "merge").expect("a merge");
    // [users, home, tmp, nsswitch], [ca-certificates, services, protocols, mime-types], timezones, app
    assert_eq!(merge["merge"].as_array().unwrap().len(), 4);
}
