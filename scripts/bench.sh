#!/usr/bin/env bash
# The benchmark suite (docs/performance.md): throughput against oha, end-to-end time and CPU
# share, detection cost per planted bug, diff cost, memory over many cases, cold start, the
# delayed-ACK stall on a split-write server, latency-bound runs against their bound, and
# Schemathesis side by side.
# Installs oha (the reference load generator) with `cargo install` when it is missing, and
# Schemathesis into a virtual environment (target/bench-venv) when the schemathesis part runs
# and it is missing; builds with release settings, prints the tables and writes them into
# docs/performance.md.
#
#   scripts/bench.sh                      # everything (about 70 minutes on 2 cores)
#   scripts/bench.sh --quick              # shorter runs, noisier numbers
#   scripts/bench.sh --only diff,e2e      # some parts: throughput, e2e, detection, diff, memory,
#                                         # cold-start, split-write, latency, schemathesis
#
# Benchmarks talk only to 127.0.0.1. CI never runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v oha >/dev/null 2>&1; then
    echo "bench: oha not found; installing it with cargo install oha --locked" >&2
    cargo install oha --locked
fi

# The parts this invocation runs: all of them unless --only names some.
only=""
previous=""
for arg in "$@"; do
    case "$arg" in
        --only=*) only="${arg#--only=}" ;;
        *) [ "$previous" = "--only" ] && only="$arg" ;;
    esac
    previous="$arg"
done
venv=target/bench-venv
if { [ -z "$only" ] || [[ ",$only," == *",schemathesis,"* ]]; } && [ ! -x "$venv/bin/schemathesis" ]; then
    echo "bench: installing Schemathesis into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet schemathesis
fi

exec cargo bench --bench suite -- --write docs/performance.md "$@"
