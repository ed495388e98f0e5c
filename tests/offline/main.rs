//! The tests that need no Docker (one binary, cargo's way): the CLI, the frontend against an in-memory
//! gateway, the plan and its snapshots, the checks, the docs. `cargo test --test offline NAME` runs some.

mod support;

mod analysis;
mod cli;
mod determinism;
mod doc_links;
mod doctor;
mod elf_host;
mod frontend;
mod function_length;
mod golden;
mod image_check;
mod init_projects;
mod lower;
mod lowered_layout;
mod message_tables;
mod module_layers;
mod never_panics;
mod plan;
mod schema;
mod verify_builder;
mod wire_crosscheck;
