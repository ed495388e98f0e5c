//! A small, general LLB library: immutable states, sources, exec, chained file actions, merge, and a
//! deterministic marshaller. It knows nothing of scratch specs.
//!
//! Like moby's `client/llb`, a [`State`] is a handle on one output of a vertex; every method returns a
//! new state and shares the graph below it through `Arc`. Output indices, input lists and digests are
//! worked out only when [`State::marshal`] walks the graph.

mod env;
mod exec;
mod file;
mod local;
mod marshal;
mod render;
mod state;

pub use env::EnvList;
pub use exec::{Exec, Mount, MountKind, Network};
pub use file::{CopyOptions, FileAction};
pub use local::LocalOptions;
pub use marshal::{digest_of, encode_op, to_pb_platform, MarshalOptions};
pub use render::render;
pub use state::{Source, SourceFile, SourceLocation, State};
