//! The CI examples of `docs/ci.md` are valid YAML with the structure GitHub Actions and GitLab
//! CI expect — shards that end in one merged result — and every idemfuzz option they use exists
//! (in `run`, `merge`, `serve-demo` or `man`).

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
fn the_github_actions_example_is_a_sharded_workflow_with_one_merged_result() {
    let examples: Vec<Value> = blocks("yaml").iter().map(|b| yaml(b)).collect();
    let workflow = examples
        .iter()
        .find(|e| e.get("jobs").is_some())
        .expect("a GitHub Actions workflow");
    let shards = &workflow["jobs"]["shards"];
    assert_eq!(
        shards["strategy"]["matrix"]["shard"],
        serde_json::json!([1, 2, 3])
    );
    let steps = shards["steps"].as_array().expect("steps");
    let run_step = step(steps, "Run idemfuzz")["run"]
        .as_str()
        .expect("a run script");
    for expected in [
        "--shard \"${{ matrix.shard }}/3\"",
        "--baseline",
        "--wait-for-target",
        "json:idemfuzz-${{ matrix.shard }}.json",
        "|| [ $? -eq 1 ]",
    ] {
        assert!(run_step.contains(expected), "no `{expected}` in {run_step}");
    }
    assert_eq!(step(steps, "Upload the shard's report")["if"], "always()");
    assert!(
        step(steps, "Start the API")["run"]
            .as_str()
            .is_some_and(|r| r.contains("serve-demo"))
    );

    let merge = &workflow["jobs"]["idempotence"];
    assert_eq!(merge["needs"], "shards");
    assert_eq!(
        merge["if"], "always()",
        "the result is given also when a shard failed"
    );
    let steps = merge["steps"].as_array().expect("steps");
    assert_eq!(
        step(steps, "Download the shards' reports")["with"]["pattern"],
        "idemfuzz-shard-*"
    );
    let merge_step = step(steps, "Merge the shards")["run"]
        .as_str()
        .expect("a merge script");
    for expected in [
        "idemfuzz merge idemfuzz-1.json idemfuzz-2.json idemfuzz-3.json",
        "junit:idemfuzz.xml",
    ] {
        assert!(
            merge_step.contains(expected),
            "no `{expected}` in {merge_step}"
        );
    }
    for name in ["Upload the merged reports", "Publish the JUnit report"] {
        assert_eq!(
            step(steps, name)["if"],
            "always()",
            "{name} must run on failure too"
        );
    }
    assert_eq!(
        step(steps, "Publish the JUnit report")["with"]["report_paths"],
        "idemfuzz.xml"
    );
}

#[test]
fn the_gitlab_example_is_a_sharded_pipeline_with_one_merged_result() {
    let examples: Vec<Value> = blocks("yaml").iter().map(|b| yaml(b)).collect();
    let pipeline = examples
        .iter()
        .find(|e| e.get("stages").is_some())
        .expect("a GitLab pipeline");
    assert_eq!(pipeline["stages"], serde_json::json!(["test", "result"]));
    let shard = &pipeline["idemfuzz-shard"];
    assert_eq!(shard["parallel"], 3);
    assert_eq!(shard["allow_failure"]["exit_codes"], serde_json::json!([1]));
    assert_eq!(shard["artifacts"]["when"], "always");
    let script = shard["script"].as_array().expect("script lines");
    assert!(script.iter().any(|l| {
        l.as_str()
            .is_some_and(|l| l.contains("--shard \"$CI_NODE_INDEX/$CI_NODE_TOTAL\""))
    }));
    let merge = &pipeline["idemfuzz"];
    assert_eq!(merge["stage"], "result");
    assert_eq!(merge["when"], "always");
    assert_eq!(merge["artifacts"]["reports"]["junit"], "idemfuzz.xml");
    let script = merge["script"].as_array().expect("script lines");
    assert!(script.iter().any(|l| {
        l.as_str()
            .is_some_and(|l| l.starts_with("idemfuzz merge idemfuzz-1.json"))
    }));
}

#[test]
fn every_option_the_examples_use_exists() {
    let help: String = ["run", "merge", "serve-demo", "man"]
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
