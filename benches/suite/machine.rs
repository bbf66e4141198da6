//! The machine the numbers came from: CPU, cores, memory, kernel, toolchain, load generator,
//! date and commit.

use std::process::Command;

use crate::table::Section;

/// The first line a command prints, or `unknown`.
fn first_line_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The value of `key` in a `key : value` file such as /proc/cpuinfo.
fn proc_value(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with(key))
                .and_then(|line| line.split_once(':'))
                .map(|(_, value)| value.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The date and commit of this run, for the note under each table.
pub(crate) fn today() -> String {
    format!(
        "{} at commit {}",
        first_line_of("date", &["-u", "+%Y-%m-%d"]),
        first_line_of("git", &["rev-parse", "--short", "HEAD"])
    )
}

pub(crate) fn describe() -> Section {
    let mut section = Section::new("Machine", &["", ""]);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rows = [
        (
            "date",
            first_line_of("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        ),
        (
            "commit",
            first_line_of("git", &["rev-parse", "--short", "HEAD"]),
        ),
        ("CPU", proc_value("/proc/cpuinfo", "model name")),
        ("cores available", cores.to_string()),
        ("memory", proc_value("/proc/meminfo", "MemTotal")),
        (
            "kernel",
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".into()),
        ),
        ("rustc", first_line_of("rustc", &["--version"])),
        ("oha", first_line_of("oha", &["--version"])),
    ];
    for (key, value) in rows {
        section.row(vec![key.to_string(), value]);
    }
    section.note(
        "A shared virtual machine: other tenants load the same cores, so absolute figures move \
         by tens of percent between runs. Compare ratios measured in the same run (idemfuzz vs \
         oha, 1,000 vs 10,000 cases), not figures across runs.",
    );
    section
}
