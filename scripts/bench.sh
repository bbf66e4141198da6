#!/usr/bin/env bash
# The benchmark suite (docs/performance.md): throughput against oha, end-to-end time and CPU
# share, detection cost per planted bug, diff cost, memory over many cases, cold start.
# Installs oha (the reference load generator) with `cargo install` when it is missing, builds
# with release settings, prints the tables and writes them into docs/performance.md.
#
#   scripts/bench.sh                      # everything (about 30 minutes on 2 cores)
#   scripts/bench.sh --quick              # shorter runs, noisier numbers
#   scripts/bench.sh --only diff,e2e      # some parts: throughput, e2e, detection, diff, memory, cold-start
#
# Benchmarks talk only to 127.0.0.1. CI never runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v oha >/dev/null 2>&1; then
    echo "bench: oha not found; installing it with cargo install oha --locked" >&2
    cargo install oha --locked
fi

exec cargo bench --bench suite -- --write docs/performance.md "$@"
