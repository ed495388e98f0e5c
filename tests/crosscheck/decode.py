"""Decodes a marshalled pb.Definition with Python's protobuf runtime (an implementation independent of
prost), using the descriptor set compiled from our proto/ files, and prints what it found as JSON.

usage: decode.py DESCRIPTOR_SET DEFINITION
"""
import hashlib
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def message_class(pool, name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def go_order(op, op_class):
    """Op's bytes as Go's protobuf writes them: the fields in number order, the `op` oneof last
    (BuildKit v0.18+ re-marshals ops this way, so our digests must match it)."""
    kind = op.WhichOneof("op")
    rest = op_class()
    rest.CopyFrom(op)
    if kind is None:
        return rest.SerializeToString(deterministic=True)
    rest.ClearField(kind)
    only = op_class()
    getattr(only, kind).CopyFrom(getattr(op, kind))
    return rest.SerializeToString(deterministic=True) + only.SerializeToString(deterministic=True)


def main():
    fds = descriptor_pb2.FileDescriptorSet()
    with open(sys.argv[1], "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    definition = message_class(pool, "pb.Definition")()
    op_class = message_class(pool, "pb.Op")
    with open(sys.argv[2], "rb") as f:
        definition.ParseFromString(f.read())

    ops = []
    for raw in getattr(definition, "def"):  # `def` is a Python keyword
        op = op_class()
        op.ParseFromString(raw)
        entry = {
            "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
            "kind": op.WhichOneof("op"),
            "inputs": [[i.digest, i.index] for i in op.inputs],
            # Re-encoding in Go's order must give back the same bytes: no unknown or duplicated fields.
            "reencodes_identically": go_order(op, op_class) == raw,
        }
        if op.HasField("platform"):
            entry["platform"] = f"{op.platform.OS}/{op.platform.Architecture}"
        if entry["kind"] == "source":
            entry["identifier"] = op.source.identifier
        elif entry["kind"] == "exec":
            entry["args"] = list(op.exec.meta.args)
            entry["mounts"] = [[m.dest, m.input, m.output, m.mountType] for m in op.exec.mounts]
        elif entry["kind"] == "file":
            entry["actions"] = [
                {"input": a.input, "secondary": a.secondaryInput, "output": a.output, "action": a.WhichOneof("action")}
                for a in op.file.actions
            ]
        elif entry["kind"] == "merge":
            entry["merge"] = [m.input for m in op.merge.inputs]
        ops.append(entry)

    metadata = {
        digest: {"name": md.description.get("llb.customname"), "caps": sorted(md.caps.keys())}
        for digest, md in definition.metadata.items()
    }
    json.dump({"ops": ops, "metadata": metadata}, sys.stdout)


if __name__ == "__main__":
    main()
