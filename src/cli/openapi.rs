//! The OpenAPI edge: `init --openapi` (write a generated scenario file) and `run --openapi`
//! (load one generated in memory, through the same loader as the files, under the pseudo path
//! `SPEC (generated)`). A document URL is fetched with the run's connection settings (`run`:
//! `--proxy`, `--ca-cert`, `--insecure`…; `init`: the proxy variables of the environment
//! snapshot), without credentials. Both say on stderr what was not imported and which checks
//! will run on each resource (and why the others will not), and fail with exit 2 when none
//! can. The target is never taken from the document: `run --openapi` needs `--base-url`.

use std::io::Write;
use std::path::Path;

use crate::checks;
use crate::checks::table::CHECKS;
use crate::cli::args::{InitArgs, RunArgs};
use crate::cli::commands::fail;
use crate::env::EnvSnapshot;
use crate::http::config::{ProxyConfig, TransportConfig};
use crate::model::exit_code;
use crate::openapi::{self, Generated, OpenApiError, Spec};
use crate::scenario::Scenario;

/// `--out -`: the scenario goes to standard output.
const STDOUT: &str = "-";

/// `init`: reads the document, generates, and writes the scenario file (never over an existing
/// one without `--force`).
pub fn init(args: &InitArgs, env: &EnvSnapshot, stdout: &mut dyn Write) -> u8 {
    let to_stdout = args.out.as_os_str() == STDOUT;
    if !to_stdout && !args.force && args.out.exists() {
        return fail(
            exit_code::USAGE,
            &format!(
                "{} already exists; pass --force to overwrite it, or choose another --out",
                args.out.display()
            ),
        );
    }
    let client = TransportConfig {
        proxy: ProxyConfig::from_env(env),
        ..TransportConfig::default()
    };
    let spec = match read(&args.openapi, &client) {
        Ok(spec) => spec,
        Err(err) => return fail(code(&err), &err),
    };
    let generated = match openapi::import(&spec) {
        Ok(generated) => generated,
        Err(err) => return fail(code(&err), &err),
    };
    let loaded = match checks::load::load_str(&openapi::generated_path(&spec), &generated.toml, env)
    {
        Ok(loaded) => loaded,
        Err(err) => return fail(exit_code::USAGE, &err),
    };
    let written = if to_stdout {
        let result = stdout
            .write_all(generated.toml.as_bytes())
            .and_then(|()| stdout.flush());
        match super::pipe::worth_reporting(result) {
            None => Ok(()),
            Some(err) => Err(format!(
                "cannot write the scenario to standard output: {err}"
            )),
        }
    } else {
        write_file(&args.out, &generated.toml)
    };
    if let Err(err) = written {
        return fail(exit_code::USAGE, &err);
    }
    let place = if to_stdout {
        "standard output".to_string()
    } else {
        args.out.display().to_string()
    };
    eprintln!("{}", summary(&args.openapi, &place, &generated));
    let runnable = report_checks(&generated, &loaded);
    if !runnable {
        return fail(exit_code::USAGE, &nothing_runs(&place));
    }
    if !to_stdout {
        eprintln!(
            "Review it, then: idemfuzz check {0} && idemfuzz run {0} --base-url URL",
            args.out.display()
        );
    }
    exit_code::OK
}

/// The scenarios of `run`: the files given, then the one generated from `--openapi` (a URL is
/// fetched as `client` says). `Err` is the exit code of a failure (already printed).
pub fn run_scenarios(
    args: &RunArgs,
    env: &EnvSnapshot,
    client: &TransportConfig,
) -> Result<Vec<Scenario>, u8> {
    let mut scenarios = if args.paths.is_empty() {
        Vec::new()
    } else {
        crate::cli::input::load_scenarios(&args.paths, env)
            .map_err(|err| fail(exit_code::USAGE, &err))?
    };
    if let Some(location) = &args.openapi {
        let spec = read(location, client).map_err(|err| fail(code(&err), &err))?;
        let generated = openapi::import(&spec).map_err(|err| fail(code(&err), &err))?;
        let path = openapi::generated_path(&spec);
        let loaded = checks::load::load_str(&path, &generated.toml, env)
            .map_err(|err| fail(exit_code::USAGE, &err))?;
        let has_base_url =
            args.base_url.is_some() || env.get("IDEMFUZZ_BASE_URL").is_some_and(|v| !v.is_empty());
        if !has_base_url {
            return Err(fail(exit_code::USAGE, &no_base_url(&path, &generated)));
        }
        eprintln!(
            "{} (to see or edit it: idemfuzz init --openapi {location} --out -)",
            summary(location, "memory", &generated)
        );
        if !report_checks(&generated, &loaded) {
            return Err(fail(exit_code::USAGE, &nothing_runs("memory")));
        }
        scenarios.push(loaded);
    }
    Ok(scenarios)
}

/// Why `run --openapi` needs a base URL, naming the server the document gives (never used).
fn no_base_url(path: &Path, generated: &Generated) -> String {
    let server = match &generated.server {
        Ok(url) => format!("the document names {url}"),
        Err(why) => format!("the document names no usable server: {why}"),
    };
    format!(
        "{}: no base URL: idemfuzz never takes the API to test from the document ({server}); pass --base-url URL (or set IDEMFUZZ_BASE_URL) to say which API the checks create, change and delete resources on",
        path.display()
    )
}

fn nothing_runs(place: &str) -> String {
    format!(
        "no check of the scenario generated into {place} can run (the reasons are listed above); edit it (idemfuzz init --openapi … --out FILE) to declare what the document does not say"
    )
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

/// Exit code of an import failure: 3 when the document's URL could not be reached, else 2.
fn code(err: &OpenApiError) -> u8 {
    if err.is_unreachable() {
        exit_code::CANNOT_TEST
    } else {
        exit_code::USAGE
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
}
