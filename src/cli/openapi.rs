//! The OpenAPI edge: `init --openapi` (write a generated scenario file) and `run --openapi`
//! (load one generated in memory, through the same loader as the files, under the pseudo path
//! `SPEC (generated)`). A document URL is fetched with the run's connection settings (`run`:
//! `--proxy`, `--ca-cert`, `--insecure`…; `init`: the proxy variables of the environment
//! snapshot), without credentials. Both say on stderr what was not imported and which checks
//! will run on each resource (and why the others will not), and fail with exit 2 when none
//! can. The target is never taken from the document: `run --openapi` needs `--base-url`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checks;
use crate::checks::table::CHECKS;
use crate::cli::args::{InitArgs, RunArgs};
use crate::cli::error::CliError;
use crate::env::EnvSnapshot;
use crate::http::config::{ProxyConfig, TransportConfig};
use crate::model::exit_code;
use crate::openapi::{self, BaseUrl, Generated, OpenApiError, Spec};
use crate::scenario::Scenario;

/// `--out -`: the scenario goes to standard output.
const STDOUT: &str = "-";

/// `init`: reads the document, generates, and writes the scenario file (never over an existing
/// one without `--force`).
pub(crate) fn init(
    args: &InitArgs,
    env: &EnvSnapshot,
    stdout: &mut dyn Write,
) -> Result<u8, CliError> {
    let to_stdout = args.out.as_os_str() == STDOUT;
    if !to_stdout && !args.force && args.out.exists() {
        return Err(CliError::OutExists {
            path: args.out.clone(),
        });
    }
    let client = TransportConfig {
        proxy: ProxyConfig::from_env(env),
        ..TransportConfig::default()
    };
    let spec = read(&args.openapi, &client)?;
    let generated = openapi::import(&spec)?;
    let loaded = checks::load::load_str(&openapi::generated_path(&spec), &generated.toml, env)?;
    if to_stdout {
        let result = stdout
            .write_all(generated.toml.as_bytes())
            .and_then(|()| stdout.flush());
        if let Some(source) = super::pipe::worth_reporting(result) {
            return Err(CliError::Write {
                what: "cannot write the scenario to standard output".into(),
                source,
            });
        }
    } else {
        write_file(&args.out, &generated.toml)?;
    }
    let place = if to_stdout {
        "standard output".to_string()
    } else {
        args.out.display().to_string()
    };
    eprintln!("{}", summary(&args.openapi, &place, &generated));
    let runnable = report_checks(&generated, &loaded);
    if !runnable {
        return Err(CliError::NothingRuns { place });
    }
    if !to_stdout {
        eprintln!(
            "Review it, then: idemfuzz check {0} && idemfuzz run {0} --base-url URL",
            args.out.display()
        );
    }
    Ok(exit_code::OK)
}

/// The scenarios of `run`: the files given, then the one generated from `--openapi` (a URL is
/// fetched as `client` says).
pub(crate) fn run_scenarios(
    args: &RunArgs,
    env: &EnvSnapshot,
    client: &TransportConfig,
) -> Result<Vec<Scenario>, CliError> {
    let mut scenarios = if args.paths.is_empty() {
        Vec::new()
    } else {
        crate::cli::input::load_scenarios(&args.paths, env)?
    };
    if let Some(location) = &args.openapi {
        let spec = read(location, client)?;
        let generated = openapi::import(&spec)?;
        let path = openapi::generated_path(&spec);
        let loaded = checks::load::load_str(&path, &generated.toml, env)?;
        let has_base_url =
            args.base_url.is_some() || env.get("IDEMFUZZ_BASE_URL").is_some_and(|v| !v.is_empty());
        if !has_base_url {
            return Err(no_base_url(path, &generated));
        }
        eprintln!(
            "{} (to see or edit it: idemfuzz init --openapi {location} --out -)",
            summary(location, "memory", &generated)
        );
        if !report_checks(&generated, &loaded) {
            return Err(CliError::NothingRuns {
                place: "memory".into(),
            });
        }
        scenarios.push(loaded);
    }
    Ok(scenarios)
}

/// Why `run --openapi` needs a base URL, naming the server the document gives (never used).
fn no_base_url(path: PathBuf, generated: &Generated) -> CliError {
    let server = match &generated.server {
        BaseUrl::Known { url, .. } => format!("the document names {url}"),
        BaseUrl::Unknown(why) => format!("the document names no usable server: {why}"),
    };
    CliError::OpenApiNoBaseUrl { path, server }
}

/// Prints, per resource, the checks that will run and why the others will not (the import's
/// reason for a check it turned off, else the check's own); true when any check runs.
fn report_checks(generated: &Generated, loaded: &Scenario) -> bool {
    let mut any = false;
    for skipped in &generated.skipped {
        eprintln!("  not imported: {}: {}", skipped.path, skipped.reason);
    }
    for resource in &loaded.resources {
        let mut run = Vec::new();
        let mut not_run = Vec::new();
        for check in CHECKS.iter().filter(|c| !c.id().is_opt_in()) {
            let id = check.id();
            let imported_reason = generated
                .disabled
                .iter()
                .find(|(name, c, _)| *name == resource.name && *c == id)
                .map(|(_, _, why)| why.clone());
            match imported_reason.or_else(|| check.skip_reason(resource, false)) {
                Some(why) => not_run.push((id.name(), why)),
                None => run.push(id.name()),
            }
        }
        any |= !run.is_empty();
        eprintln!(
            "  {}: {} check(s) will run: {}",
            resource.name,
            run.len(),
            if run.is_empty() {
                "none".to_string()
            } else {
                run.join(", ")
            }
        );
        for (check, why) in not_run {
            eprintln!("    not {check}: {why}");
        }
    }
    any
}

/// One line: what was generated from where.
fn summary(location: &str, place: &str, generated: &Generated) -> String {
    let skipped = match generated.skipped.len() {
        0 => String::new(),
        n => format!(
            "; {n} path(s) or operation(s) not imported (listed below and in the file's header)"
        ),
    };
    format!(
        "openapi: generated a scenario from {location} ({}) into {place}: {} resource(s): {}{skipped}",
        generated.version,
        generated.resources.len(),
        generated.resources.join(", ")
    )
}

/// Reads the document from a file or URL (a URL on a small runtime of its own).
fn read(location: &str, client: &TransportConfig) -> Result<Spec, OpenApiError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| OpenApiError::Read {
            origin: location.to_string(),
            reason: format!("cannot start the async runtime: {err}"),
        })?;
    runtime.block_on(openapi::read_spec(location, client))
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| CliError::Write {
            what: format!("cannot create {}", parent.display()),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| CliError::Write {
        what: format!("cannot write {}", path.display()),
        source,
    })
}
