# What the benchmark scripts share (sourced, not run): logging, CPU pinning, the work folder
# and its clean-up, the release build of `lowkey`, the address a server reports, and the parts
# of the section each appends to docs/benchmarks.md (the machine, the commit measured).
#
# The sourcing script sets BENCH_TAG (its log prefix: `bench`, `bench:runtime`…) and has
# changed to the repository root, which becomes ROOT.
# shellcheck shell=bash

ROOT=$(pwd)

log() { printf '[%s] %s\n' "$BENCH_TAG" "$*" >&2; }

pin() { # pin CPU_LIST CMD...: run CMD under taskset when a CPU list is given
    local cpus=$1
    shift
    if [[ -n $cpus ]]; then
        taskset -c "$cpus" "$@"
    else
        "$@"
    fi
}

# Processes to stop at exit (servers, upstreams), besides the work folder to remove.
BENCH_PIDS=()

# bench_work_dir NAME: a fresh work folder in WORK, removed at exit (kept with BENCH_KEEP=1),
# after every process in BENCH_PIDS that still runs is stopped.
bench_work_dir() {
    WORK=$(mktemp -d -t "$1.XXXXXX")
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ ${BENCH_KEEP:-} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

# bench_build [EXAMPLE...]: builds `lowkey` (and these examples of lowkey-server) in release
# mode, every time: cargo does nothing when nothing changed, and a binary older than the
# checkout is never measured. Sets TARGET_DIR.
bench_build() {
    local examples=() name
    for name in "$@"; do examples+=(--example "$name"); done
    cargo build --release --quiet -p lowkey-server --bin lowkey "${examples[@]}"
    TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
}

# bench_lowkey_bin: LOWKEY_BIN when given (measured as it is), else this checkout's release
# `lowkey`, built first.
bench_lowkey_bin() {
    if [[ -n ${LOWKEY_BIN:-} ]]; then
        LOWKEY=$LOWKEY_BIN
    else
        log "building lowkey (release)"
        bench_build
        LOWKEY=$TARGET_DIR/release/lowkey
    fi
}

# bench_listen_addr LOG PID WHO: the loopback address `lowkey serve` logged in LOG that it
# listens on, waiting up to 30 s; fails with LOG when the process PID ends first.
bench_listen_addr() {
    local log=$1 pid=$2 addr=
    for _ in $(seq 1 300); do
        addr=$(sed 's/\x1b\[[0-9;]*m//g' "$log" |
            grep -o 'lowkey listening.*addr=127\.0\.0\.1:[0-9]*' | grep -o '127\.0\.0\.1:[0-9]*' || true)
        if [[ -n $addr ]]; then
            printf '%s\n' "$addr"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || {
            cat "$log" >&2
            return 1
        }
        sleep 0.1
    done
    echo "bench: $3 did not report its address" >&2
    return 1
}

# bench_machine: "2 CPUs (model), 7.8 GiB memory, Linux 6.1.0", for the section's Machine line.
bench_machine() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    printf '%s CPUs (%s), %s memory, Linux %s' "$(nproc)" "$cpu" "$mem" "$(uname -r | cut -d- -f1)"
}

# bench_changed PATH...: true when the working tree differs from HEAD under these paths
# (changed or new files).
bench_changed() {
    ! git diff --quiet HEAD -- "$@" 2>/dev/null ||
        [[ -n $(git ls-files --others --exclude-standard -- "$@" 2>/dev/null) ]]
}

# bench_browser NAME BASE_DIST WHAT: for the browser benchmarks, builds the working tree's web/
# (logged as "building WHAT") into $WORK/current-dist and runs bench/NAME/bench.mjs on the
# baseline build BASE_DIST and that one, its table in $WORK/table.md. Sets LOAD_BEFORE and
# LOAD_AFTER (the load averages around the run) and COMMIT (HEAD, and whether web/ differs).
bench_browser() {
    log "building $3"
    (cd web && npx vite build --logLevel warn --outDir "$WORK/current-dist" --emptyOutDir)
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    node "bench/$1/bench.mjs" --lowkey "$LOWKEY" --work "$WORK" \
        --base "$2" --current "$WORK/current-dist" --markdown "$WORK/table.md"
    LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
    COMMIT=$(git rev-parse --short HEAD)
    if bench_changed web; then
        COMMIT="$COMMIT + uncommitted changes under web/"
    fi
}

# bench_append SECTION: appends the section to docs/benchmarks.md, unless BENCH_NO_DOC=1.
bench_append() {
    if [[ ${BENCH_NO_DOC:-0} != 1 ]]; then
        printf '%s\n' "$1" >>"$ROOT/docs/benchmarks.md"
        log "appended to docs/benchmarks.md"
    fi
}
