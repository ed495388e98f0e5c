//! The same spec gives byte-identical Definitions: run twice, and with its YAML keys reordered.

use crate::support::{definition_bytes, fixtures};

#[test]
fn every_fixture_marshals_to_the_same_bytes_twice() {
    for path in fixtures("ok") {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(definition_bytes(&text), definition_bytes(&text), "{}", path.display());
    }
}

#[test]
fn key_order_does_not_change_the_definition() {
    let a = "\
builder:
  image: golang:1.23
  env: {CGO_ENABLED: \"0\", GOFLAGS: -trimpath}
  run: go build -o /out/app .
  cache: [/root/.cache/go-build]
copy: [/out/app]
rootfs:
  users: [{name: app, uid: 10001}]
  tmp: true
image:
  env: {TZ: UTC, LANG: C.UTF-8}
  labels: {b: '2', a: '1'}
  expose: [9090/udp, 8080]
";
    let b = "\
image:
  expose: [8080, 9090/udp]
  labels: {a: '1', b: '2'}
  env: {TZ: UTC, LANG: C.UTF-8}
rootfs:
  tmp: true
  users: [{uid: 10001, name: app}]
copy: [/out/app]
builder:
  cache: [/root/.cache/go-build]
  run: go build -o /out/app .
  env: {CGO_ENABLED: \"0\", GOFLAGS: -trimpath}
  image: golang:1.23
";
    assert_eq!(definition_bytes(a), definition_bytes(b));
    let config = |t: &str| crate::support::build(t, "x").unwrap()[0].2.to_string();
    assert_eq!(config(a), config(b));
}

#[test]
fn a_change_in_the_spec_changes_the_bytes() {
    let a = "builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy: [/out/app]\n";
    let b = "builder: {image: golang:1.23, run: go build -o /out/app2 .}\ncopy: [/out/app2]\n";
    assert_ne!(definition_bytes(a), definition_bytes(b));
}
