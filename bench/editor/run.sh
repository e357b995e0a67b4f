#!/usr/bin/env bash
# Editor benchmark: a page of 300 widgets opened in the editor in Chromium; a property edit
# typed into the Properties pane until the canvas is repainted (budget: p95 ≤ 16 ms), a drag
# on the canvas (budget: 60 frames per second), and the editor's loads from navigation start to
# the last widget laid out with the palette ready (budget: 1 s). Two builds of the working
# tree's editor in the same run: the baseline rebuilds the canvas's runtime at every change
# (VITE_LOWKEY_CANVAS_REBUILD=1), the current one updates only what changed. Appends a dated
# section to docs/benchmarks.md. Run from anywhere: `bench/editor/run.sh`.
#
# Knobs (environment variables, all optional):
#   BENCH_ROUNDS        rounds per build (default 3)
#   BENCH_LOADS         editor loads timed to interactive per round (default 5)
#   BENCH_KEYS          keystrokes per round (default 40)
#   BENCH_DRAG_FRAMES   animation frames per drag (default 180)
#   BENCH_WIDGETS       widgets on the page (default 300)
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

log "building the baseline editor (full rebuild at each change)"
(cd web && VITE_LOWKEY_CANVAS_REBUILD=1 npx vite build --logLevel warn --outDir "$WORK/base-dist" --emptyOutDir)
bench_browser editor "$WORK/base-dist" "the current editor"

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC'), editor canvas (bench/editor)

- Machine: $(bench_machine), Node $(node --version)
- Load average (1, 5, 15 min) before / after the run: $LOAD_BEFORE / $LOAD_AFTER
- Editor of $COMMIT, built twice (base and current)
- Edit: from the keydown in the Properties field to the canvas widget's new text, then the next
  frame; drag: one pointer move per animation frame; interactive: from the navigation start of
  /edit/<slug> to the last widget laid out and the palette ready; quantiles by nearest rank

$(cat "$WORK/table.md")
EOF
)
printf '%s\n' "$SECTION"
bench_append "$SECTION"
