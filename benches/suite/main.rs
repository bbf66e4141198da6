//! The benchmark suite: throughput against oha, end-to-end time and CPU share, detection cost
//! per planted bug, diff cost, memory over many cases, cold start, the delayed-ACK stall on a
//! split-write server, latency-bound runs against their bound, Schemathesis side by side. Run
//! it with
//! `scripts/bench.sh` (or `cargo bench --bench suite -- --write docs/performance.md`); it
//! prints Markdown tables and, with `--write`, puts them between the markers of that file.
//! Nothing here is a test: CI never runs or times it.

mod child;
mod cold_start;
mod demo;
mod detection;
mod diff_cost;
mod e2e;
mod latency;
mod machine;
mod memory;
mod oha;
mod peer;
mod split_write;
mod standin;
mod stats;
mod table;
mod throughput;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use table::Section;

/// A part of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    Throughput,
    E2e,
    Detection,
    Diff,
    Memory,
    ColdStart,
    SplitWrite,
    Latency,
    Schemathesis,
}

/// The suite's options (after `cargo bench --bench suite --`).
#[derive(Debug, Parser)]
#[command(about = "idemfuzz benchmark suite (docs/performance.md)")]
struct Args {
    /// Passed by `cargo bench` to every bench target; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// Shorter runs for trying the suite: one round, 1 s per load run, 3 seeds, 1,000 cases.
    #[arg(long)]
    quick: bool,
    /// Run only these parts (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
    /// Also write the tables between the `<!-- bench:begin -->` and `<!-- bench:end -->`
    /// markers of this Markdown file.
    #[arg(long)]
    write: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some(child::SPAWNER_FLAG) {
        return child::serve_spawner();
    }
    if std::env::args().nth(1).as_deref() == Some(standin::SERVE_FLAG) {
        return standin::serve(&std::env::args().nth(2).unwrap_or_default());
    }
    child::start_spawner()?;
    let args = Args::parse();
    let wanted = |part: Part| args.only.is_empty() || args.only.contains(&part);
    let mut sections = vec![machine::describe()];
    let mut run = |part: Part, f: &dyn Fn(bool) -> anyhow::Result<Section>| -> anyhow::Result<()> {
        if wanted(part) {
            eprintln!("bench: {part:?}…");
            let mut section = f(args.quick)?;
            section.note(format!(
                "Measured {}{}.",
                machine::today(),
                if args.quick { " with `--quick`" } else { "" }
            ));
            println!("{}", section.markdown());
            sections.push(section);
        }
        Ok(())
    };
    run(Part::ColdStart, &cold_start::run)?;
    run(Part::Diff, &diff_cost::run)?;
    run(Part::E2e, &e2e::run)?;
    run(Part::Throughput, &throughput::run)?;
    run(Part::Memory, &memory::run)?;
    run(Part::Detection, &detection::run)?;
    run(Part::SplitWrite, &split_write::run)?;
    run(Part::Latency, &latency::run)?;
    run(Part::Schemathesis, &peer::run)?;
    if let Some(path) = &args.write {
        table::write_between_markers(path, &sections)?;
        eprintln!("bench: tables written to {}", path.display());
    }
    Ok(())
}
