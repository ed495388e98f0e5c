//! The end-to-end tests: real builds on a real BuildKit (Docker's), the images run as their users. They are
//! `#[ignore]`d so a plain `cargo test` reports them as ignored; `scripts/test.sh` prepares Docker and runs
//! them. Builds take `support`'s Docker lock, one at a time.

mod support;

mod brought;
mod closure;
mod doctor;
mod faults;
mod frontend_release;
mod image;
mod old_engine;
mod pipeline;
mod pitfalls;
mod release;
mod remote;
mod runtimes;
mod sbom;
mod verify;
