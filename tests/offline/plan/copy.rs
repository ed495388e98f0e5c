//! `copy`: where each entry lands.

use super::*;

#[test]
fn a_context_file_copied_into_a_directory_keeps_its_name() {
    let p = plan("copy:\n  - {from: \"context:conf/app.toml\", to: /etc/app/}\n  - {from: \"context:conf/other.toml\", to: /etc/other.toml}\nimage: {entrypoint: [/etc/app/app.toml]}\n", &[]);
    let dests: Vec<&str> = p.copies.iter().map(|c| c.dest.as_str()).collect();
    assert_eq!(dests, ["/etc/app/app.toml", "/etc/other.toml"]);
}
