#!/usr/bin/env bash
# Queries through the server against the same upstream called directly (DESIGN.md §6: a query
# through the server adds ≤ 0.2 ms at p50 on loopback and keeps ≥ 0.6 × the direct
# throughput). Builds `lowkey` and the `querybench` example in release mode, starts the bundled
# upstream (`querybench upstream`: a keep-alive hyper server answering a small JSON document,
# and a 100-row list on /list), imports and publishes a generated app whose queries GET that
# upstream (`lowkey app import --publish`), starts `lowkey serve`, and drives, interleaved
# round by round in the same run:
#   direct       GET /item of the upstream (about 150 bytes of JSON)
#   via          POST /api/v1/apps/querybench/queries/item/run     (a stored GET of /item)
#   keyed        POST …/queries/keyed/run: the same GET through a datasource whose header holds
#                {{secrets.BENCH_KEY}}, so the answer is searched for the secret
#   relay        the same POST to `querybench relay`: hyper's server and reqwest's client
#                relaying a GET of /item and nothing else, the floor of any server in between
#   direct_list  GET /list of the upstream (about 16 KB of JSON)
#   via_list     POST …/queries/list/run
#   before, before_list   with BENCH_BASELINE_LOWKEY=path/to/another/lowkey: `via` and
#                `via_list` through that binary (say, built from the commit before a change)
# first with 16 clients (throughput), then with 1 client (latency, for the p50 overhead).
# Appends a dated section to docs/benchmarks.md (BENCH_NO_DOC=1: print only).
#
# Knobs (environment variables, all optional):
#   BENCH_ROUNDS           measured rounds per target (default 5)
#   BENCH_SECS             seconds per round of one target (default 4)
#   BENCH_CLIENTS          clients of the throughput run (default 16)
#   BENCH_SERVER_CPUS      taskset CPU list for lowkey, e.g. 0          (default: not pinned)
#   BENCH_LOAD_CPUS        taskset CPU list for the upstream and the load generator, e.g. 1
#   BENCH_BASELINE_LOWKEY  a second lowkey binary to measure beside this one in the same run
#   BENCH_NO_DOC=1         print the results but do not append them to docs/benchmarks.md
#   BENCH_KEEP=1           keep the work folder (app, data directories, logs, raw results)
#   BENCH_KEEP_OUTPUT=FILE keep the load generator's raw `key value` output
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_TAG=bench
# shellcheck source=lib/common.sh
source bench/lib/common.sh

ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-4}
CLIENTS=${BENCH_CLIENTS:-16}
SERVER_CPUS=${BENCH_SERVER_CPUS:-}
LOAD_CPUS=${BENCH_LOAD_CPUS:-}
BASELINE=${BENCH_BASELINE_LOWKEY:-}

log "building (release): lowkey and the querybench example"
bench_build querybench
LOWKEY=$TARGET_DIR/release/lowkey
QB=$TARGET_DIR/release/examples/querybench
[[ -x $LOWKEY && -x $QB ]] || {
    echo "bench: built binaries not found under $TARGET_DIR/release" >&2
    exit 1
}
[[ -z $BASELINE || -x $BASELINE ]] || {
    echo "bench: BENCH_BASELINE_LOWKEY=$BASELINE is not an executable" >&2
    exit 1
}

bench_work_dir lowkey-querybench

# helper_addr OUT: the address a querybench helper (upstream, relay) prints as `listening ADDR`
# in OUT, waiting up to 5 s.
helper_addr() {
    local addr=
    for _ in $(seq 1 100); do
        addr=$(awk '$1 == "listening" { print $2 }' "$1")
        [[ -n $addr ]] && break
        sleep 0.05
    done
    [[ -n $addr ]] || {
        cat "$1" >&2
        return 1
    }
    printf '%s\n' "$addr"
}

# ---- 1. the bundled upstream --------------------------------------------------------------
UP_CMD=("$QB" upstream --addr 127.0.0.1:0)
[[ -n $LOAD_CPUS ]] && UP_CMD=(taskset -c "$LOAD_CPUS" "${UP_CMD[@]}")
"${UP_CMD[@]}" >"$WORK/upstream.out" 2>&1 &
UP_PID=$!
BENCH_PIDS+=("$UP_PID")
UP_ADDR=$(helper_addr "$WORK/upstream.out")
log "upstream at $UP_ADDR (pid $UP_PID)"

# ---- 2. the app: a stored GET of the upstream, with and without a secret header -----------
APP=$WORK/app
mkdir -p "$APP/pages" "$APP/queries"
cat >"$APP/app.yaml" <<EOF
version: 1
name: Query bench
slug: querybench
homePage: Home
datasources:
  - name: api
    url: http://$UP_ADDR
    headers:
      x-api-key: "{{secrets.BENCH_KEY}}"
EOF
cat >"$APP/pages/Home.yaml" <<'EOF'
name: Home
widgets:
  - name: txt_title
    type: Text
    position: { col: 0, row: 0, width: 10, height: 4 }
EOF
printf 'url: http://%s/item\nmethod: GET\n' "$UP_ADDR" >"$APP/queries/item.yaml"
printf 'datasource: api\npath: /item\nmethod: GET\n' >"$APP/queries/keyed.yaml"
printf 'url: http://%s/list\nmethod: GET\n' "$UP_ADDR" >"$APP/queries/list.yaml"

export NO_COLOR=1
export LOWKEY_SECRET_BENCH_KEY="bench-key-$RANDOM$RANDOM$RANDOM"

start_server() { # start_server NAME BINARY: imports, publishes, serves; sets ADDR_<NAME>, PID_<NAME>
    local name=$1 bin=$2 data=$WORK/data-$1
    "$bin" app import "$APP" --publish --data-dir "$data" >"$WORK/import-$name.log" 2>&1 || {
        cat "$WORK/import-$name.log" >&2
        exit 1
    }
    local cmd=("$bin" serve --addr 127.0.0.1:0 --data-dir "$data")
    [[ -n $SERVER_CPUS ]] && cmd=(taskset -c "$SERVER_CPUS" "${cmd[@]}")
    "${cmd[@]}" 2>"$WORK/server-$name.log" &
    local pid=$!
    BENCH_PIDS+=("$pid")
    local addr
    addr=$(bench_listen_addr "$WORK/server-$name.log" "$pid" "$name") || exit 1
    printf -v "ADDR_$name" '%s' "$addr"
    printf -v "PID_$name" '%s' "$pid"
    log "$name: lowkey at $addr (pid $pid)"
}

# ---- the bare relay (lowkey's HTTP stack and nothing else), on lowkey's CPUs ---------------
RELAY_CMD=("$QB" relay --addr 127.0.0.1:0 --to "http://$UP_ADDR/item")
[[ -n $SERVER_CPUS ]] && RELAY_CMD=(taskset -c "$SERVER_CPUS" "${RELAY_CMD[@]}")
"${RELAY_CMD[@]}" >"$WORK/relay.out" 2>&1 &
RELAY_PID=$!
BENCH_PIDS+=("$RELAY_PID")
RELAY_ADDR=$(helper_addr "$WORK/relay.out")

start_server after "$LOWKEY"
RUN=api/v1/apps/querybench/queries
TARGETS=(--direct "direct=http://$UP_ADDR/item"
    --via "via=http://$ADDR_after/$RUN/item/run"
    --via "keyed=http://$ADDR_after/$RUN/keyed/run"
    --direct "direct_list=http://$UP_ADDR/list"
    --via "via_list=http://$ADDR_after/$RUN/list/run" --base via_list=direct_list)
PID_ARGS=(--pid "upstream=$UP_PID" --pid "lowkey=$PID_after" --pid "relay=$RELAY_PID")
NAMES=(direct via keyed)
if [[ -n $BASELINE ]]; then
    start_server before "$BASELINE"
    TARGETS+=(--via "before=http://$ADDR_before/$RUN/item/run"
        --via "before_list=http://$ADDR_before/$RUN/list/run" --base before_list=direct_list)
    PID_ARGS+=(--pid "lowkey_before=$PID_before")
    NAMES+=(before)
fi
TARGETS+=(--via "relay=http://$RELAY_ADDR/relay")
NAMES+=(relay direct_list via_list)
[[ -n $BASELINE ]] && NAMES+=(before_list)
sleep 1

# ---- 3. load: throughput (16 clients), then latency (1 client) ----------------------------
UPTIME_START=$(uptime | sed 's/.*load average/load average/')
log "throughput: $CLIENTS clients, $ROUNDS rounds of ${SECS}s per target, interleaved"
pin "$LOAD_CPUS" "$QB" load --clients "$CLIENTS" --secs "$SECS" --rounds "$ROUNDS" \
    --prefix "t." "${TARGETS[@]}" "${PID_ARGS[@]}" >"$WORK/load.out"
log "latency: 1 client, $ROUNDS rounds of ${SECS}s per target, interleaved"
pin "$LOAD_CPUS" "$QB" load --clients 1 --secs "$SECS" --rounds "$ROUNDS" \
    --prefix "l." "${TARGETS[@]}" "${PID_ARGS[@]}" >>"$WORK/load.out"
UPTIME_END=$(uptime | sed 's/.*load average/load average/')

# ---- 4. results ---------------------------------------------------------------------------
v() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "?" }' "$WORK/load.out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
rounds_of() {
    awk -v p="$1." 'index($1, p) == 1 && $1 ~ /\.round[0-9]+\.per_sec$/ { printf "%s%s", sep, $2; sep = ", " }' "$WORK/load.out"
}
server_of() { # the lowkey process a target runs through
    case $1 in
    before*) echo lowkey_before ;;
    relay) echo relay ;;
    direct*) echo "" ;;
    *) echo lowkey ;;
    esac
}

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if bench_changed crates Cargo.toml Cargo.lock; then
    COMMIT="$COMMIT (+ uncommitted changes under crates/)"
fi
PINNING="not pinned (lowkey, upstream and load generator share all CPUs)"
if [[ -n $SERVER_CPUS$LOAD_CPUS ]]; then
    PINNING="lowkey on CPUs ${SERVER_CPUS:-all}; upstream and load generator on CPUs ${LOAD_CPUS:-all}"
fi

LABEL_direct="upstream directly (GET, 150 B)"
LABEL_via="through lowkey (stored GET, 150 B)"
LABEL_keyed="through lowkey, datasource with a secret header (150 B)"
LABEL_before="through the baseline lowkey (stored GET, 150 B)"
LABEL_relay="through a bare relay (hyper + reqwest only, 150 B)"
LABEL_direct_list="upstream directly (GET, 16 KB list)"
LABEL_via_list="through lowkey (stored GET, 16 KB list)"
LABEL_before_list="through the baseline lowkey (stored GET, 16 KB list)"

throughput_rows() {
    for n in "${NAMES[@]}"; do
        local label="LABEL_$n" s
        s=$(server_of "$n")
        printf '| %s | %s | %s – %s | %s / %s | %s | %s | %s | %s | %s |\n' "${!label}" \
            "$(v "t.$n.per_sec_median")" "$(v "t.$n.per_sec_min")" "$(v "t.$n.per_sec_max")" \
            "$(v "t.$n.p50_ms")" "$(v "t.$n.p99_ms")" \
            "$([[ -n $s ]] && v "t.$n.cpu_us_per_req.$s" || echo –)" \
            "$(v "t.$n.cpu_us_per_req.upstream")" "$(v "t.$n.cpu_us_per_req.loadgen")" \
            "$([[ -n $s ]] && v "t.$n.cores_busy.$s" || echo –)" "$(v "t.$n.errors")"
    done
}
latency_rows() {
    for n in "${NAMES[@]}"; do
        local label="LABEL_$n"
        printf '| %s | %s | %s | %s / %s | %s |\n' "${!label}" \
            "$(v "l.$n.p50_ms")" "$(v "l.$n.round_p50_median_ms")" "$(v "l.$n.p90_ms")" \
            "$(v "l.$n.p99_ms")" "$(v "l.$n.per_sec_median")"
    done
}
budget_rows() {
    for n in "${NAMES[@]}"; do
        [[ $n == direct* ]] && continue
        local label="LABEL_$n" base
        base=$(v "t.$n.base")
        printf '| %s: throughput / direct, %s clients (medians; paired rounds) | **%s** (%s) | ≥ 0.6 |\n' \
            "${!label}" "$CLIENTS" "$(ratio "$(v "t.$n.per_sec_median")" "$(v "t.$base.per_sec_median")")" \
            "$(v "t.$n.ratio_paired_median")"
        printf '| %s: p50 overhead, 1 client (pooled p50s; paired rounds) | **%s ms** (%s ms) | ≤ 0.2 ms |\n' \
            "${!label}" "$(minus "$(v "l.$n.p50_ms")" "$(v "l.$base.p50_ms")")" \
            "$(v "l.$n.p50_overhead_paired_median_ms")"
    done
}

SECTION=$(
    cat <<EOF

## Queries through the server, $(date -u '+%Y-%m-%d %H:%M UTC')$([[ -n $SERVER_CPUS$LOAD_CPUS ]] && echo ', pinned')

- Machine: $(bench_machine)
- Commit: $COMMIT$([[ -n $BASELINE ]] && echo "; baseline binary: $BASELINE")
- $ROUNDS rounds of ${SECS} s per target, targets interleaved; medians of the rounds; latency
  percentiles over all measured requests. Load: $UPTIME_START (start), $UPTIME_END (end)
- Pinning: $PINNING
- "server" is what the row goes through (lowkey, the baseline lowkey, or the bare relay); CPU
  per request is each process's user + system time over the requests of that row

| $CLIENTS clients | Median /s | Rounds min – max | p50 / p99 ms | server CPU µs/req | upstream CPU µs/req | loadgen CPU µs/req | server cores busy | Errors |
|---|---|---|---|---|---|---|---|---|
$(throughput_rows)

| 1 client | p50 ms | median of round p50s | p90 / p99 ms | req/s |
|---|---|---|---|---|
$(latency_rows)

| Budget (DESIGN.md §6) | Value | Target |
|---|---|---|
$(budget_rows)

Per-round rates ($CLIENTS clients): $(for n in "${NAMES[@]}"; do printf '%s %s; ' "$n" "$(rounds_of "t.$n")"; done)
EOF
)

printf '%s\n' "$SECTION"
ERRORS=$(awk '$1 ~ /\.errors$/ { n += $2 } END { print n + 0 }' "$WORK/load.out")
if [[ $ERRORS -gt 0 ]]; then
    log "WARNING: $ERRORS bad answer(s); see the Errors column (the numbers are suspect)"
fi
if [[ -n ${BENCH_KEEP_OUTPUT:-} ]]; then
    cp "$WORK/load.out" "$BENCH_KEEP_OUTPUT"
fi
bench_append "$SECTION"
