//! scratchkit: a BuildKit frontend that turns a short `scratch.yaml` into a working FROM-scratch image.
//!
//! The modules are the pipeline: [`spec`] (YAML → what the user wrote) → [`plan`] (validated, defaults
//! filled) → [`lower`] (plan → LLB graph + image config) → [`llb`] (deterministic `pb.Definition`) →
//! [`gateway`] (BuildKit's LLBBridge over stdio).

pub mod compile;
pub mod diag;
pub mod gateway;
pub mod llb;
pub mod lower;
pub mod plan;
pub mod platform;
pub mod proto;
pub mod spec;
pub mod verify;
