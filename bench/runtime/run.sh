#!/usr/bin/env bash
# Viewer runtime benchmark: pages with many bindings (1 Input + 100 / 1,000 / 5,000 bound
# Texts, a chain of 200, a fan-in of 1,000) opened in Chromium, first render and keystroke
# latency, for the baseline viewer (BENCH_BASE_REF, default HEAD) and the working tree's viewer
# in the same run. Appends a dated section to docs/benchmarks.md. Run from anywhere:
# `bench/runtime/run.sh` (see docs/benchmarks.md, "Viewer runtime").
#
# Knobs (environment variables, all optional):
#   BENCH_BASE_REF     git revision of the baseline viewer (default HEAD)
#   BENCH_BASE_DIST    an already built viewer folder to use as the baseline instead (A/B trials)
#   BENCH_ROUNDS       measured page loads per page and build (default 5)
#   BENCH_WARMUP       unmeasured page loads first (default 1)
#   BENCH_KEYS         keystrokes per page load (default 20)
#   BENCH_SCENARIOS    comma-separated page ids: text-100,text-1000,text-5000,chain-200,fanin-1000
#   BENCH_PROFILE      a page id: also record one CPU profile per build (.cpuprofile files,
#                      with BENCH_KEEP=1), of the load, the keystrokes or both
#                      (BENCH_PROFILE_PHASE=load|keys|all)
#   BENCH_SLOW_MS      a build slower than this to render a page loads it once only (20000)
#   LOWKEY_BIN         a lowkey binary to use as it is (default: this checkout's release
#                      build, rebuilt first so that it is never older than the checkout)
#   CHROMIUM_BIN       default /usr/bin/chromium
#   BENCH_KEEP=1       keep the work folder (apps, data, builds, profiles)
#   BENCH_NO_DOC=1     print the results but do not append them to docs/benchmarks.md
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH_TAG=bench:runtime
# shellcheck source=../lib/common.sh
source bench/lib/common.sh
BASE_REF=${BENCH_BASE_REF:-HEAD}

bench_work_dir lowkey-bench-runtime

[[ -d web/node_modules ]] || (cd web && npm ci)

# The viewer is served by a small front server per build (front.mjs), so the binary's own
# embedded viewer does not matter here, but its API does (the app format it accepts).
bench_lowkey_bin

# Both viewers are built into the work folder; web/dist (what cargo embeds) is left alone.
if [[ -n ${BENCH_BASE_DIST:-} ]]; then
    BASE_DIST=$BENCH_BASE_DIST
    BASE_COMMIT="the build in $BASE_DIST"
else
    log "building the baseline viewer ($BASE_REF)"
    mkdir -p "$WORK/base-src"
    # web/ imports ../schema (the widget catalogue, the shared test vectors); a ref from before
    # schema/ existed has web/ alone.
    ARCHIVED=(web)
    if git cat-file -e "$BASE_REF:schema" 2>/dev/null; then ARCHIVED+=(schema); fi
    git archive "$BASE_REF" "${ARCHIVED[@]}" | tar -x -C "$WORK/base-src"
    ln -s "$ROOT/web/node_modules" "$WORK/base-src/web/node_modules"
    (cd "$WORK/base-src/web" && npx vite build --logLevel warn --outDir "$WORK/base-dist" --emptyOutDir)
    BASE_DIST=$WORK/base-dist
    BASE_COMMIT=$(git rev-parse --short "$BASE_REF")
fi
bench_browser runtime "$BASE_DIST" "the working tree's viewer"

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC'), viewer runtime (bench/runtime)

- Machine: $(bench_machine), Node $(node --version)
- Load average (1, 5, 15 min) before / after the run: $LOAD_BEFORE / $LOAD_AFTER (before: other
  work sharing the CPUs; after: includes the benchmark's own)
- Baseline (base): viewer of $BASE_COMMIT; current: viewer of $COMMIT
- Times in ms from navigation start (first render) or from the keydown (keystroke) to the last
  widget's text in the DOM and laid out; medians, and p95 by nearest rank (of a handful of page
  loads, that is the slowest)

$(cat "$WORK/table.md")
EOF
)
printf '%s\n' "$SECTION"
bench_append "$SECTION"
