use std::collections::BTreeMap;
use std::sync::Arc;

use super::exec::Exec;
use super::file::FileAction;
use crate::platform::Platform;

/// One output of a vertex in the graph, or the empty filesystem (`scratch`).
#[derive(Clone, Debug, Default)]
pub struct State {
    pub(super) output: Option<Output>,
}

#[derive(Clone, Debug)]
pub(super) struct Output {
    pub(super) vertex: Arc<Vertex>,
    pub(super) index: i64,
}

#[derive(Clone, Debug)]
pub(super) struct Vertex {
    pub(super) op: Op,
    /// The progress name (`llb.customname`).
    pub(super) name: Option<String>,
    /// Where in a source file this op comes from: BuildKit shows those lines when the op fails.
    pub(super) locations: Vec<SourceLocation>,
}

/// A source file ops can point into (`pb.SourceInfo`), e.g. the spec the graph was made from.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub filename: String,
    pub data: Vec<u8>,
    /// `yaml`, `dockerfile`, …: how a client may highlight it (BuildKit ≥0.12 keeps it).
    pub language: String,
}

/// Lines of a source file, 1-based and inclusive, that an op comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: Arc<SourceFile>,
    pub lines: Vec<(usize, usize)>,
}

#[derive(Clone, Debug)]
pub(super) enum Op {
    Source(Source),
    Exec(Exec),
    File { base: State, actions: Vec<FileAction> },
    Merge(Vec<State>),
}

/// A `SourceOp`: an image, a local directory of the client, or any other identifier BuildKit knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub identifier: String,
    pub attrs: BTreeMap<String, String>,
    /// Set for image sources (the platform to pull); unset for local ones.
    pub platform: Option<Platform>,
}

impl State {
    /// The empty filesystem.
    pub fn scratch() -> Self {
        State { output: None }
    }

    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    fn vertex(op: Op, name: Option<String>) -> Self {
        State { output: Some(Output { vertex: Arc::new(Vertex { op, name, locations: Vec::new() }), index: 0 }) }
    }

    fn with_vertex(self, change: impl FnOnce(&mut Vertex)) -> Self {
        match self.output {
            None => self,
            Some(out) => {
                let mut vertex = Arc::unwrap_or_clone(out.vertex);
                change(&mut vertex);
                State { output: Some(Output { vertex: Arc::new(vertex), index: out.index }) }
            }
        }
    }

    pub fn source(source: Source) -> Self {
        State::vertex(Op::Source(source), None)
    }

    /// `docker-image://<reference>`; `reference` should be normalized (`docker.io/library/x:tag`).
    pub fn image(reference: &str, platform: &Platform, resolve_mode: Option<&str>) -> Self {
        let mut attrs = BTreeMap::new();
        if let Some(mode) = resolve_mode {
            attrs.insert("image.resolvemode".to_string(), mode.to_string());
        }
        State::source(Source {
            identifier: format!("docker-image://{reference}"),
            attrs,
            platform: Some(platform.clone()),
        })
    }

    /// `local://<name>`: a directory the client sends (`context`, `dockerfile`).
    pub fn local(name: &str, options: &super::LocalOptions) -> Self {
        State::source(Source { identifier: format!("local://{name}"), attrs: options.attrs(), platform: None })
    }

    /// Runs a command with this state as its root filesystem; the result is the changed root.
    pub fn run(&self, mut exec: Exec) -> Self {
        exec.root = self.clone();
        State::vertex(Op::Exec(exec), None)
    }

    /// Applies file actions in order, as one FileOp.
    pub fn file(&self, actions: Vec<FileAction>) -> Self {
        if actions.is_empty() {
            return self.clone();
        }
        State::vertex(Op::File { base: self.clone(), actions }, None)
    }

    /// Layers the states on top of each other (later ones win). Scratch inputs are dropped, and a merge
    /// of one state is that state.
    pub fn merge(states: Vec<State>) -> Self {
        let mut states: Vec<State> = states.into_iter().filter(|s| !s.is_scratch()).collect();
        match states.len() {
            0 => State::scratch(),
            1 => states.remove(0),
            _ => State::vertex(Op::Merge(states), None),
        }
    }

    /// Gives the vertex behind this state the name BuildKit's progress output shows.
    pub fn named(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.with_vertex(|v| v.name = Some(name))
    }

    /// Records where in a source file the vertex behind this state comes from (a source map entry).
    pub fn located(self, location: SourceLocation) -> Self {
        self.with_vertex(|v| v.locations.push(location))
    }
}
