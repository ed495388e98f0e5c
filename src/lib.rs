//! scratchkit: a BuildKit frontend that turns a short `scratch.yaml` into a working FROM-scratch image.
//!
//! The modules are the pipeline: [`spec`] (YAML → what the user wrote) → [`plan`] (validated, defaults
//! filled) → [`lower`] (plan → LLB graph + image config) → [`llb`] (deterministic `pb.Definition`).
//! On top, [`frontend`] drives a whole build through [`gateway`] (BuildKit's LLBBridge over stdio,
//! transport only) and [`verify`] (checks of the builder's output through its own filesystem trait).
//! Dependencies point one way: nothing below `frontend` imports it, and `spec`/`plan` know no BuildKit.

pub mod analysis;
pub mod compile;
pub mod diag;
pub mod doctor;
pub mod frontend;
pub mod gateway;
pub mod init;
pub mod llb;
pub mod lower;
pub mod plan;
pub mod platform;
pub mod proto;
pub mod reference;
pub mod rules;
pub mod spec;
pub mod verify;
