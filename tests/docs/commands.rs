//! The commands of the docs' `sh` blocks: split into words as a shell would (continuations
//! joined, comments and `VAR=value` prefixes taken apart), and a working directory to run them
//! in: a copy of `scenarios/` plus the files the docs write (`<!-- file: NAME -->` blocks).

use std::path::Path;

use crate::support::{self, Out};

/// One command line of an `sh` block.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    /// The line as written (continuations joined).
    pub line: String,
    /// `VAR=value` assignments before the command.
    pub env: Vec<(String, String)>,
    /// The program and its arguments.
    pub words: Vec<String>,
    /// The trailing `# comment`, if any.
    pub comment: String,
}

impl Command {
    /// The exit code the comment promises (`… exit 1`), if it names one.
    pub(crate) fn promised_exit(&self) -> Option<i32> {
        let (_, after) = self.comment.split_once("exit")?;
        after
            .trim_start_matches([' ', 's'])
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }
}

/// The commands of an `sh` block (comment-only and empty lines left out).
pub(crate) fn commands(body: &str) -> Vec<Command> {
    let joined = body.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|line| {
            let (code, comment) = split_comment(line);
            let mut code = code.trim().to_string();
            if code.is_empty() {
                return None;
            }
            // A command started in the background (`&`) is checked like any other.
            if code.ends_with('&') {
                code.pop();
            }
            let words = shell_words::split(&code)
                .unwrap_or_else(|err| panic!("cannot split `{line}`: {err}"));
            let assignments = words.iter().take_while(|w| is_assignment(w)).count();
            let env = words[..assignments]
                .iter()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Some(Command {
                line: line.trim().to_string(),
                env,
                words: words[assignments..].to_vec(),
                comment: comment.to_string(),
            })
        })
        .collect()
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The code and the comment of a line: a `#` outside quotes, at the start or after a space.
fn split_comment(line: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => {
                return (&line[..i], line[i + 1..].trim());
            }
            None => {}
        }
        previous = c;
    }
    (line, "")
}

/// A temporary directory with a copy of the bundled scenarios, where doc commands run.
pub(crate) struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub(crate) fn new() -> Workdir {
        let dir = tempfile::tempdir().expect("tempdir");
        let scenarios = dir.path().join("scenarios");
        std::fs::create_dir(&scenarios).expect("mkdir scenarios");
        for entry in std::fs::read_dir(support::root().join("scenarios")).expect("scenarios/") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), scenarios.join(entry.file_name())).expect("copy");
        }
        Workdir { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).expect("write a doc file");
    }

    /// Runs the real binary here with `args` and `env` (as the test suite's environment; the
    /// docs' secret variable only when `env` sets it).
    pub(crate) fn run(&self, args: &[String], env: &[(String, String)]) -> Out {
        let mut cmd = support::idemfuzz();
        cmd.current_dir(self.dir.path()).env_remove("API_TOKEN");
        for (name, value) in env {
            cmd.env(name, value);
        }
        support::run_cmd(cmd, args)
    }
}
