//! An exec's environment, as moby's `llb.EnvList`: one value per name, in the order names were first set.

use std::collections::HashMap;

/// `NAME=value` variables; setting a name again replaces its value where it first was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvList {
    vars: Vec<(String, String)>,
    /// Name → position in `vars`: a builder may set thousands of args, each looked up once.
    index: HashMap<String, usize>,
}

impl EnvList {
    /// `NAME=value` entries (an image config's `Env`); an entry without `=` names nothing and is skipped.
    pub fn parse<S: AsRef<str>>(vars: impl IntoIterator<Item = S>) -> Self {
        let mut env = EnvList::default();
        for var in vars {
            if let Some((name, value)) = var.as_ref().split_once('=') {
                env.set(name, value);
            }
        }
        env
    }

    /// Adds the variable, or replaces its value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        match self.index.get(name) {
            Some(&i) => self.vars[i].1 = value.into(),
            None => {
                self.index.insert(name.to_string(), self.vars.len());
                self.vars.push((name.to_string(), value.into()));
            }
        }
    }

    /// Adds the variable unless it is set.
    pub fn set_default(&mut self, name: &str, value: impl Into<String>) {
        if !self.index.contains_key(name) {
            self.set(name, value);
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.vars[i].1.as_str())
    }

    /// `NAME=value` strings, as `pb.Meta.env` and an image config's `Env` have them.
    pub fn to_vec(&self) -> Vec<String> {
        self.vars.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_set_again_keeps_its_place_and_a_default_never_replaces() {
        let mut env = EnvList::parse(["PATH=/bin", "no-equals", "A=1", "PATH=/usr/bin"]);
        env.set_default("A", "2");
        env.set_default("B", "x=y");
        env.set("A", "3");
        assert_eq!(env.to_vec(), ["PATH=/usr/bin", "A=3", "B=x=y"]);
        assert_eq!((env.get("B"), env.get("no-equals")), (Some("x=y"), None));
    }
}
