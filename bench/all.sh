#!/usr/bin/env bash
# Every benchmark, one after the other (they must not share the machine with each other):
#   bench/run.sh          the provider: Argon2id rate, sign-in, refresh, GET /user, timing parity
#   bench/query.sh        a stored query through lowkey vs. the same upstream called directly
#   bench/protected.sh    what protection costs: protected query and definition (store mode,
#                         session mode) vs. the same work without protection
#   bench/postgres.sh     sign-in, refresh, GET /user on PostgreSQL (one instance, two) beside
#                         SQLite (needs PostgreSQL at 127.0.0.1:5432, trust auth)
#   bench/runtime/run.sh  the viewer runtime in Chromium: first render and keystroke vs. bindings
#   bench/editor/run.sh   the editor in Chromium: interactive, property edit to repaint, drag frame rate
# Each one measures its own baseline in the same run and appends a dated section to
# docs/benchmarks.md (set BENCH_NO_DOC=1 to only print). See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
./run.sh
./query.sh
./protected.sh
./postgres.sh
./runtime/run.sh
./editor/run.sh
