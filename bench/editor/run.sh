#!/usr/bin/env bash
# Editor benchmark: a page of 300 widgets opened in the editor in Chromium; a property edit
# typed into the Properties pane until the canvas is repainted (budget: p95 ≤ 16 ms), `{{inp_`
# typed into the same binding field with the completion list opening (each key to the next
# frame), a drag on the canvas (budget: 60 frames per second), the editor's loads from
# navigation start to the last widget laid out with the palette ready (budget: 1 s), and a
# check that CodeMirror's chunk loads only when a code field opens. Two builds of the working
# tree's editor in the same run: the baseline rebuilds the canvas's runtime at every change
# (VITE_LOWKEY_CANVAS_REBUILD=1), the current one updates only what changed. Appends a dated
# section to docs/benchmarks.md. Run from anywhere: `bench/editor/run.sh`.
#
# Knobs (environment variables, all optional):
#   BENCH_ROUNDS        rounds per build (default 3)
#   BENCH_LOADS         editor loads timed to interactive per round (default 5)
#   BENCH_KEYS          keystrokes per round (default 40)
#   BENCH_BINDINGS      `{{inp_` bindings typed per round, six keys each (default 5)
#   BENCH_DRAG_FRAMES   animation frames per drag (default 180)
#   BENCH_WIDGETS       widgets on the page (default 300)
#   BENCH_BASE_DIST     an editor build (a vite outDir) to measure as the baseline instead of
#                       the full-rebuild one, e.g. the parent commit's to measure a change;
#                       BENCH_BASE_NOTE then says in the table what it is
#   LOWKEY_BIN          a lowkey binary to use as it is (default: this checkout's release
#                       build, rebuilt first so that it is never older than the checkout)
#   CHROMIUM_BIN        default /usr/bin/chromium
#   BENCH_KEEP=1        keep the work folder (app, data, builds)
#   BENCH_NO_DOC=1      print the results but do not append them to docs/benchmarks.md
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH_TAG=bench:editor
# shellcheck source=../lib/common.sh
source bench/lib/common.sh

bench_work_dir lowkey-bench-editor

[[ -d web/node_modules ]] || (cd web && npm ci)

# The editor is served by a small front server per build (bench.mjs), so the binary's own
# embedded editor does not matter here, but its API does (the draft API the editor calls).
bench_lowkey_bin

if [[ -n ${BENCH_BASE_DIST:-} ]]; then
    BASE_DIST=$BENCH_BASE_DIST
    export BENCH_BASE_NOTE=${BENCH_BASE_NOTE:-"base: the editor build in BENCH_BASE_DIST; current: the working tree's."}
else
    log "building the baseline editor (full rebuild at each change)"
    (cd web && VITE_LOWKEY_CANVAS_REBUILD=1 npx vite build --logLevel warn --outDir "$WORK/base-dist" --emptyOutDir)
    BASE_DIST=$WORK/base-dist
fi
bench_browser editor "$BASE_DIST" "the current editor"

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC'), editor canvas (bench/editor)

- Machine: $(bench_machine), Node $(node --version)
- Load average (1, 5, 15 min) before / after the run: $LOAD_BEFORE / $LOAD_AFTER
- Editor of $COMMIT, built twice (base and current)
- Edit: from the keydown in the Properties field to the canvas widget's new text, then the next
  frame; binding key: from the keydown to the next frame; drag: one pointer move per animation
  frame; interactive: from the navigation start of /edit/<slug> to the last widget laid out and
  the palette ready; quantiles by nearest rank

$(cat "$WORK/table.md")
EOF
)
printf '%s\n' "$SECTION"
bench_append "$SECTION"
