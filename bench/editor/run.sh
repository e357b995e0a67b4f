#!/usr/bin/env bash
# Editor benchmark: a page of 300 widgets opened in the editor in Chromium; a property edit
# typed into the Properties pane until the canvas is repainted (budget: p95 ≤ 16 ms) and a drag
# on the canvas (budget: 60 frames per second). Two builds of the working tree's editor in the
# same run: the baseline rebuilds the canvas's runtime at every change
# (VITE_LOWKEY_CANVAS_REBUILD=1), the current one updates only what changed. Appends a dated
# section to docs/benchmarks.md. Run from anywhere: `bench/editor/run.sh`.
#
# Knobs (environment variables, all optional):
#   BENCH_ROUNDS        editor loads per build (default 3)
#   BENCH_KEYS          keystrokes per load (default 40)
#   BENCH_DRAG_FRAMES   animation frames per drag (default 180)
#   BENCH_WIDGETS       widgets on the page (default 300)
#   LOWKEY_BIN          the lowkey binary (default target/release/lowkey, built when missing)
#   CHROMIUM_BIN        default /usr/bin/chromium
#   BENCH_KEEP=1        keep the work folder (app, data, builds)
#   BENCH_NO_DOC=1      print the results but do not append them to docs/benchmarks.md
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
log() { printf '[bench:editor] %s\n' "$*" >&2; }

WORK=$(mktemp -d -t lowkey-bench-editor.XXXXXX)
cleanup() {
    if [[ ${BENCH_KEEP:-} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[[ -d web/node_modules ]] || (cd web && npm ci)

# The editor is served by a small front server per build (bench.mjs), so the binary's own
# embedded editor does not matter here: any release build serves the API.
LOWKEY=${LOWKEY_BIN:-$ROOT/target/release/lowkey}
if [[ ! -x $LOWKEY ]]; then
    log "building lowkey (release)"
    cargo build --release --quiet -p lowkey-server --bin lowkey
fi

log "building the baseline editor (full rebuild at each change)"
(cd web && VITE_LOWKEY_CANVAS_REBUILD=1 npx vite build --logLevel warn --outDir "$WORK/base-dist" --emptyOutDir)
log "building the current editor"
(cd web && npx vite build --logLevel warn --outDir "$WORK/current-dist" --emptyOutDir)

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
node bench/editor/bench.mjs --lowkey "$LOWKEY" --work "$WORK" \
    --base "$WORK/base-dist" --current "$WORK/current-dist" --markdown "$WORK/table.md"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

COMMIT=$(git rev-parse --short HEAD)
if ! git diff --quiet HEAD -- web 2>/dev/null || [[ -n $(git ls-files --others --exclude-standard web) ]]; then
    COMMIT="$COMMIT + uncommitted changes under web/"
fi
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC'), editor canvas (bench/editor)

- Machine: $(nproc) CPUs ($CPU_MODEL), $MEM_TOTAL memory, Linux $(uname -r | cut -d- -f1), Node $(node --version)
- Load average (1, 5, 15 min) before / after the run: $LOAD_BEFORE / $LOAD_AFTER
- Editor of $COMMIT, built twice (base and current)
- Edit: from the keydown in the Properties field to the canvas widget's new text, then the next
  frame; drag: one pointer move per animation frame; quantiles by nearest rank

$(cat "$WORK/table.md")
EOF
)
printf '%s\n' "$SECTION"
if [[ ${BENCH_NO_DOC:-} != 1 ]]; then
    printf '%s\n' "$SECTION" >>docs/benchmarks.md
    log "appended to docs/benchmarks.md"
fi
