//! The message tables of `docs/spec.md` are generated from the rules (`src/rules/messages.rs`): the checked-in
//! docs must be what the tables give, each table must stand in the section it is for, and its rows must name
//! the rules that report them. `SCRATCHKIT_UPDATE_DOCS=1 cargo test --test offline message_tables` rewrites
//! the docs.

use std::path::Path;

use scratchkit::rules::messages::{begin, regenerate, TABLES};

fn spec_md() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/spec.md")
}

#[test]
fn the_message_tables_in_the_docs_are_the_generated_ones() {
    let docs = std::fs::read_to_string(spec_md()).expect("docs/spec.md");
    let generated = regenerate(&docs).unwrap_or_else(|e| panic!("docs/spec.md: {e}"));
    if std::env::var_os("SCRATCHKIT_UPDATE_DOCS").is_some() {
        std::fs::write(spec_md(), &generated).expect("docs/spec.md is writable");
        return;
    }
    let differs: Vec<&str> = TABLES
        .iter()
        .filter(|t| section_table(&docs, t.anchor) != section_table(&generated, t.anchor))
        .map(|t| t.anchor)
        .collect();
    assert!(
        differs.is_empty(),
        "the message tables of docs/spec.md in sections {differs:?} differ from src/rules/messages.rs; \
         rewrite them with `SCRATCHKIT_UPDATE_DOCS=1 cargo test --test offline message_tables`"
    );
    assert!(docs == generated, "docs/spec.md differs from its regenerated text");
}

/// The text between a section's markers.
fn section_table<'a>(docs: &'a str, anchor: &str) -> &'a str {
    let start = docs.find(&begin(anchor)).map_or(0, |i| i + begin(anchor).len());
    let end = docs[start..].find("<!-- end of the messages").map_or(docs.len(), |i| start + i);
    &docs[start..end]
}

#[test]
fn each_table_stands_in_its_own_section_once() {
    let docs = std::fs::read_to_string(spec_md()).expect("docs/spec.md");
    for table in TABLES {
        let marker = begin(table.anchor);
        assert_eq!(docs.matches(&marker).count(), 1, "#{}: one table, once", table.anchor);
        // The last heading above the marker is the section's own.
        let above = &docs[..docs.find(&marker).unwrap()];
        let heading = above.lines().rfind(|l| l.starts_with("##")).unwrap_or_default();
        assert_eq!(
            crate::support::github_slug(heading),
            table.anchor,
            "the table of #{} stands under `{heading}`",
            table.anchor
        );
    }
}

#[test]
fn every_row_names_its_rules_and_fills_its_columns() {
    for table in TABLES {
        assert!(!table.rows.is_empty(), "#{} has no rows", table.anchor);
        for row in table.rows {
            assert!(!row.codes.is_empty(), "#{}: a row without a rule: {:?}", table.anchor, row.cells);
            assert_eq!(row.cells.len(), table.columns.len(), "#{}: {:?}", table.anchor, row.cells);
            for cell in row.cells {
                assert!(!cell.contains('\n') && !cell.trim().is_empty(), "#{}: a cell {cell:?}", table.anchor);
            }
        }
    }
}

/// A rule explained in a section that has a table is in a table (its own section's, or the one of the key
/// whose messages it serves, as `builder.cache`'s copy check is in `builder`'s).
#[test]
fn every_rule_of_a_section_with_a_table_has_a_row() {
    use scratchkit::rules::RULES;
    let in_a_table: std::collections::BTreeSet<&str> =
        TABLES.iter().flat_map(|t| t.rows).flat_map(|r| r.codes).map(|r| r.code).collect();
    let missing: Vec<&str> = RULES
        .iter()
        .filter(|r| TABLES.iter().any(|t| t.anchor == r.anchor) && !in_a_table.contains(r.code))
        .map(|r| r.code)
        .collect();
    assert!(missing.is_empty(), "rules without a row in the message tables of docs/spec.md: {missing:?}");
}
