#!/usr/bin/env bash
# Provider benchmarks: raw Argon2id rate, then password sign-in, refresh-token rotation,
# GET /auth/v1/user and the timing of failed sign-ins (unknown e-mail vs. wrong password)
# against a release `lowkey serve` on loopback. Appends a dated section to
# docs/benchmarks.md. Run from anywhere: `bench/run.sh` (see docs/benchmarks.md).
#
# Knobs (environment variables, all optional):
#   BENCH_ROUNDS        measured rounds per measurement (default 5)
#   BENCH_MAX_SECS      longest one round may last, seconds (default 10)
#   BENCH_ENUM_PAIRS    failed sign-ins of each kind for the enumeration timing (default 60)
#   BENCH_SERVER_CPUS   taskset CPU list for the server, e.g. 0   (default: not pinned)
#   BENCH_LOADGEN_CPUS  taskset CPU list for the load generator, e.g. 1 (default: not pinned)
#   BENCH_NO_DOC=1      print the results but do not append them to docs/benchmarks.md
#   BENCH_KEEP=1        keep the work folder (data directory, server log, raw results)
#   BENCH_LOWKEY        a prebuilt `lowkey` to measure instead of this checkout's (a baseline:
#                       the binary of the commit before a change, built into its own target
#                       directory), driven by this checkout's load generator
#   BENCH_COMMIT        what to print as the commit (default: `git rev-parse --short HEAD`)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_TAG=bench
# shellcheck source=lib/common.sh
source bench/lib/common.sh

ROUNDS=${BENCH_ROUNDS:-5}
MAX_SECS=${BENCH_MAX_SECS:-10}
ENUM_PAIRS=${BENCH_ENUM_PAIRS:-60}
SERVER_CPUS=${BENCH_SERVER_CPUS:-}
LOADGEN_CPUS=${BENCH_LOADGEN_CPUS:-}

log "building (release): lowkey and the loadgen example"
bench_build loadgen
LOWKEY=${BENCH_LOWKEY:-$TARGET_DIR/release/lowkey}
LOADGEN=$TARGET_DIR/release/examples/loadgen
[[ -x $LOWKEY && -x $LOADGEN ]] || {
    echo "bench: binaries not found: $LOWKEY, $LOADGEN" >&2
    exit 1
}

bench_work_dir lowkey-bench

rss_kib() { # VmRSS or VmHWM of a process, in KiB
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# ---- 1. raw Argon2id rate (before the server exists, so nothing competes) ----------------
log "measuring the raw Argon2id hash rate ($ROUNDS rounds)"
# On the server's CPUs: the thread count is then the server's concurrent-hash limit.
pin "$SERVER_CPUS" "$LOADGEN" hash --rounds "$ROUNDS" >"$WORK/hash.out"

# ---- 2. a fresh server: temp data dir, one user, a config that lifts the /token limiters ---
DATA=$WORK/data
CONFIG=$WORK/lowkey.yaml
# Only the per-IP /token bucket and the per-account delay after failed passwords change (the
# enumeration timing fails dozens of times per e-mail; after the default 4 free failures it
# would get 429s); the Argon2 parameters stay at their defaults.
cat >"$CONFIG" <<'YAML'
provider:
  rate_limit_token_burst: 1000000
  rate_limit_token_refill: 1000000000
  throttle_free_failures: 1000000000
YAML
EMAIL=bench@example.com
# No account has this one (the enumeration timing signs in as both).
UNKNOWN_EMAIL=bench-nobody@example.com
PASSWORD="bench-$RANDOM$RANDOM-$RANDOM$RANDOM-pass"
# Plain log lines (the address is read from them); LOWKEY_LOG, when set, passes through.
export NO_COLOR=1
printf '%s\n' "$PASSWORD" | "$LOWKEY" user add "$EMAIL" --data-dir "$DATA" --config "$CONFIG" \
    >/dev/null 2>"$WORK/user-add.log" || {
    cat "$WORK/user-add.log" >&2
    exit 1
}

log "starting lowkey serve on 127.0.0.1 (random port)"
SERVE=("$LOWKEY" serve --addr 127.0.0.1:0 --data-dir "$DATA" --config "$CONFIG")
# A simple command (no function, no subshell) so that $! is the server itself (taskset execs).
if [[ -n $SERVER_CPUS ]]; then
    SERVE=(taskset -c "$SERVER_CPUS" "${SERVE[@]}")
fi
"${SERVE[@]}" 2>"$WORK/server.log" &
SERVER_PID=$!
BENCH_PIDS+=("$SERVER_PID")
ADDR=$(bench_listen_addr "$WORK/server.log" "$SERVER_PID" "the server")
sleep 1
RSS_IDLE=$(rss_kib "$SERVER_PID" VmRSS)
log "server at $ADDR (pid $SERVER_PID), idle RSS ${RSS_IDLE} KiB"

# ---- 3. HTTP load ------------------------------------------------------------------------
log "sign-in, refresh and GET /user ($ROUNDS rounds each, at most ${MAX_SECS}s per round)"
LOADGEN_PASSWORD=$PASSWORD pin "$LOADGEN_CPUS" "$LOADGEN" http \
    --url "http://$ADDR" --email "$EMAIL" --server-pid "$SERVER_PID" \
    --clk-tck "$(getconf CLK_TCK)" --rounds "$ROUNDS" --max-secs "$MAX_SECS" >"$WORK/http.out"
RSS_AFTER=$(rss_kib "$SERVER_PID" VmRSS)
RSS_PEAK=$(rss_kib "$SERVER_PID" VmHWM)

# Last, so the failure rows it leaves behind cannot touch the sign-ins measured above.
log "failed sign-ins, 1 client: unknown e-mail vs. wrong password ($ENUM_PAIRS of each, interleaved)"
pin "$LOADGEN_CPUS" "$LOADGEN" enum-timing --url "http://$ADDR" --email "$EMAIL" \
    --unknown-email "$UNKNOWN_EMAIL" --pairs "$ENUM_PAIRS" >"$WORK/enum.out"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true

# ---- 4. results --------------------------------------------------------------------------
cat "$WORK/hash.out" "$WORK/http.out" "$WORK/enum.out" >"$WORK/all.out"
v() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "?" }' "$WORK/all.out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
rounds_of() { # the per-round rates, for the record
    awk -v p="$1." 'index($1, p) == 1 && $1 ~ /\.round[0-9]+\.per_sec$/ { printf "%s%s", sep, $2; sep = ", " }' "$WORK/all.out"
}

HASH=$(v hash.per_sec_median)
SIGNIN=$(v signin.per_sec_median)
RATIO=$(ratio "$SIGNIN" "$HASH")
ERRORS=$(awk '$1 ~ /\.errors$/ { n += $2 } END { print n + 0 }' "$WORK/all.out")

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if bench_changed crates Cargo.toml Cargo.lock; then
    COMMIT="$COMMIT (+ uncommitted changes under crates/)"
fi
COMMIT=${BENCH_COMMIT:-$COMMIT}
if [[ -n ${BENCH_LOWKEY:-} ]]; then
    COMMIT="$COMMIT; server binary: $BENCH_LOWKEY"
fi
PINNING="not pinned (server and load generator share all CPUs)"
if [[ -n $SERVER_CPUS$LOADGEN_CPUS ]]; then
    PINNING="server on CPUs ${SERVER_CPUS:-all}, load generator on CPUs ${LOADGEN_CPUS:-all}"
fi

row() { # row NAME KEY-PREFIX TARGET
    local p=$2
    printf '| %s | %s | %s – %s | %s / %s | %s | %s | %s | %s |\n' "$1" \
        "$(v "$p.per_sec_median")" "$(v "$p.per_sec_min")" "$(v "$p.per_sec_max")" \
        "$(v "$p.p50_ms")" "$(v "$p.p99_ms")" "$(v "$p.server_cpu_ms_per_req")" \
        "$(v "$p.server_cores_busy")" "$(v "$p.loadgen_cores_busy")" "$(v "$p.errors")"
}

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC')$([[ -n $SERVER_CPUS$LOADGEN_CPUS ]] && echo ', pinned')

- Machine: $(bench_machine)
- Commit: $COMMIT
- Argon2id $(v hash.params) on $(v hash.threads) thread(s) (the server's concurrent-hash limit);
  $ROUNDS measured rounds per line, medians; latency percentiles over all measured requests
- Pinning: $PINNING

| Measure | Median /s | Rounds min – max | p50 / p99 ms | Server CPU ms/req | Server cores busy | Loadgen cores busy | Errors |
|---|---|---|---|---|---|---|---|
| Raw Argon2id hashes | $HASH | $(v hash.per_sec_min) – $(v hash.per_sec_max) | $(v hash.ms_per_hash_per_thread) per hash | – | – | – | – |
$(row "Password sign-in ($(v signin.clients) clients)" signin)
$(row "Refresh, own rotation chains ($(v refresh.clients) clients)" refresh)
$(row "GET /user ($(v user.clients) clients)" user)

| Ratio or budget | Value | Target |
|---|---|---|
| Sign-in / raw hash rate (step 1's hash median) | **$RATIO** | ≥ 0.9 |
| Sign-in / raw hash rate, paired rounds (median of per-round ratios; hash $(v signin_hash.per_sec_median)/s) | **$(v signin.ratio_paired_median)** | ≥ 0.9 |
| Refresh per second, $(v refresh.clients) clients (p99) | **$(v refresh.per_sec_median)** ($(v refresh.p99_ms) ms) | ≥ 5,000 (p99 ≤ 10 ms) |
| GET /user per second | **$(v user.per_sec_median)** | ≥ 15,000 |
| Server RSS idle after start | $(mib "$RSS_IDLE") MiB | tens of MB |
| Server RSS after the sign-ins | $(mib "$(v signin.server_rss_kib_after)") MiB | tens of MB |
| Server RSS after all the load (peak) | $(mib "$RSS_AFTER") MiB ($(mib "$RSS_PEAK") MiB) | tens of MB |
| Unknown e-mail / wrong password, median latency ratio (1 client, $(v enum.unknown.requests) + $(v enum.known.requests) interleaved; median $(v enum.unknown.median_ms) / $(v enum.known.median_ms) ms, p90 $(v enum.unknown.p90_ms) / $(v enum.known.p90_ms) ms; errors $(v enum.unknown.errors) / $(v enum.known.errors)) | **$(v enum.ratio_median)** | ≈ 1.0 |

Per-round rates: hash $(rounds_of hash); paired hash $(rounds_of signin_hash); sign-in $(rounds_of signin); refresh $(rounds_of refresh); GET /user $(rounds_of user).
EOF
)

printf '%s\n' "$SECTION"
if [[ $ERRORS -gt 0 ]]; then
    log "WARNING: $ERRORS request(s) failed; see the Errors column (the numbers are suspect)"
fi
bench_append "$SECTION"
