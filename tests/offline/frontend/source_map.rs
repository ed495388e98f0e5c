//! Source maps: each op points back at the spec lines it comes from.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use scratchkit::llb::digest_of;
use scratchkit::proto::pb;

/// The spec lines the source map gives the op named `name`.
fn source_lines(def: &pb::Definition, name: &str) -> Vec<(i32, i32)> {
    let source = def.source.as_ref().expect("a source map");
    let digest = def
        .def
        .iter()
        .map(|b| digest_of(b))
        .find(|d| name_of(def, d) == name)
        .unwrap_or_else(|| panic!("no op named {name}"));
    source.locations.get(&digest).map_or_else(Vec::new, |l| {
        l.locations
            .iter()
            .flat_map(|loc| {
                loc.ranges.iter().map(|r| (r.start.unwrap_or_default().line, r.end.unwrap_or_default().line))
            })
            .collect()
    })
}

#[test]
fn ops_point_back_at_their_spec_lines() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let builder = fake.only(Kind::Builder);
    let source = builder.source.as_ref().expect("the builder Definition has a source map");
    assert_eq!(source.infos.len(), 1);
    assert_eq!((source.infos[0].filename.as_str(), source.infos[0].language.as_str()), ("scratch.yaml", "yaml"));
    assert_eq!(source.infos[0].data, fixture("ok/smallest.yaml").into_bytes());
    // smallest.yaml: line 3 `image: golang:1.23`, line 4 `run: …`, line 6 `- /out/app`.
    assert_eq!(source_lines(builder, "[builder] FROM golang:1.23"), [(3, 3)]);
    assert_eq!(source_lines(builder, "[builder] RUN CGO_ENABLED=0 go build -o /out/app ."), [(4, 4)]);
    assert_eq!(source_lines(fake.only(Kind::Image), "[app] /out/app"), [(6, 6)]);
}

#[test]
fn rootfs_layers_point_back_at_their_keys() {
    let spec = fixture("ok/smallest.yaml")
        + "rootfs:\n  users: [{name: app, uid: 10001}]\n  groups: [{name: data, gid: 2000}]\n  tmp: true\n  ca-certificates: true\n  \
           dirs:\n    - {path: /data, owner: app}\n  files:\n    - {path: /etc/motd, content: hi}\n";
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&spec));
    run_frontend(&mut fake, &[]);
    fake.images();
    let image = fake.only(Kind::Image);
    // users (8) and groups (9) make the accounts, users the home, then tmp (10); nsswitch is a default.
    // Lines next to each other are one range (a copy list of thousands of lines is one, not thousands).
    let accounts = "[rootfs] users, home, tmp, nsswitch";
    assert_eq!(source_lines(image, accounts), [(8, 10)]);
    assert_eq!(
        source_lines(image, &format!("[internal] stage {accounts}")),
        source_lines(image, accounts),
        "the staging op too"
    );
    // ca-certificates (11); services, protocols and mime types are defaults the spec does not write.
    assert_eq!(source_lines(image, "[rootfs] ca-certificates, services, protocols, mime-types"), [(11, 11)]);
    assert_eq!(source_lines(image, "[rootfs] dirs, files"), [(13, 13), (15, 15)]);
    // Neither key is written: the libraries and the package metadata are shown at the copy they serve.
    assert_eq!(source_lines(image, "[rootfs] libraries"), [(6, 6)]);
    assert_eq!(source_lines(image, "[rootfs] timezones"), []);
}
