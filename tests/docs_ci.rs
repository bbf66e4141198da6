//! The CI examples of `docs/ci.md` are valid YAML with the structure GitHub Actions and GitLab
//! CI expect, and every idemfuzz option they use exists (in `run`, `serve-demo` or `man`).

mod support;

use serde_json::Value;
use support::{root, run};

/// The fenced blocks of `lang` in `docs/ci.md`.
fn blocks(lang: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("docs/ci.md")).expect("read docs/ci.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{lang}") => current = Some(String::new()),
            Some(block) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|err| panic!("invalid YAML: {err}\n{text}"))
}

/// The step of a GitHub job whose `name` is `name`.
fn step<'a>(steps: &'a [Value], name: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
        .unwrap_or_else(|| panic!("no step `{name}`"))
}

#[test]
fn the_github_actions_example_is_a_workflow() {
    let examples: Vec<Value> = blocks("yaml").iter().map(|b| yaml(b)).collect();
    let workflow = examples
        .iter()
        .find(|e| e.get("jobs").is_some())
        .expect("a GitHub Actions workflow");
    let job = &workflow["jobs"]["idempotence"];
    assert_eq!(
        job["strategy"]["matrix"]["shard"],
        serde_json::json!([1, 2, 3])
    );
    let steps = job["steps"].as_array().expect("steps");
    let run_step = step(steps, "Run idemfuzz")["run"]
        .as_str()
        .expect("a run script");
    for expected in ["--shard \"${{ matrix.shard }}/3\"", "--baseline", "junit:"] {
        assert!(run_step.contains(expected), "no `{expected}` in {run_step}");
    }
    for name in ["Upload the reports", "Publish the JUnit report"] {
        assert_eq!(
            step(steps, name)["if"],
            "always()",
            "{name} must run on failure too"
        );
    }
    assert!(
        step(steps, "Start the API")["run"]
            .as_str()
            .is_some_and(|r| r.contains("serve-demo"))
    );
}

#[test]
fn the_gitlab_example_is_a_pipeline() {
    let examples: Vec<Value> = blocks("yaml").iter().map(|b| yaml(b)).collect();
    let pipeline = examples
        .iter()
        .find(|e| e.get("stages").is_some())
        .expect("a GitLab pipeline");
    let job = &pipeline["idemfuzz"];
    assert_eq!(job["parallel"], 3);
    assert_eq!(job["artifacts"]["reports"]["junit"], "idemfuzz-*.xml");
    assert_eq!(job["artifacts"]["when"], "always");
    let script = job["script"].as_array().expect("script lines");
    assert!(script.iter().any(|l| {
        l.as_str()
            .is_some_and(|l| l.contains("--shard \"$CI_NODE_INDEX/$CI_NODE_TOTAL\""))
    }));
}

#[test]
fn every_option_the_examples_use_exists() {
    let help: String = ["run", "serve-demo", "man"]
        .into_iter()
        .map(|command| {
            let out = run([command, "--help"]);
            out.assert_code(0, "--help");
            out.stdout
        })
        .collect();
    // Options of `cargo install` in the examples.
    let foreign = ["--locked", "--path"];
    let text: String = blocks("yaml").concat() + &blocks("sh").concat();
    let options: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.split('=').next().unwrap_or(w))
        .filter(|w| !foreign.contains(w))
        .collect();
    assert!(options.contains(&"--baseline") && options.contains(&"--write-baseline"));
    for option in options {
        assert!(
            help.contains(option),
            "`{option}` is not an idemfuzz option"
        );
    }
}
