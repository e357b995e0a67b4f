#!/usr/bin/env bash
# What protection costs on the query path (issue 10): the `lowkey demo` apps' protected query
# and definition against the same work without protection, measured in one run against one
# release server. Builds `lowkey` in release mode (or takes LOWKEY_BIN), imports and publishes
# a small app without `auth` (slug protbench: the public query `user_public`, a GET of the
# built-in provider's /auth/v1/user with the token passed as a binding value), starts
# `lowkey demo` on the same data directory (which publishes custom-auth and secure-session and
# creates the demo user), signs in to both through their `sign_in` runs, and drives, round by
# round interleaved, with bench/protected/load.mjs (keep-alive clients, pre-built requests):
#   run_public        (a) POST …/protbench/queries/user_public/run, {"params":{"this.params.token": T}}
#   run_store         (b) POST …/custom-auth/queries/get_user/run, Authorization: Bearer T
#                         (access: signedIn, verified against the built-in provider first)
#   run_session       (c) POST …/secure-session/queries/get_user/run, Cookie: lowkey_app_session
#                         (the session read from SQLite, opened with AES-256-GCM, its access
#                         token verified, then {{session.accessToken}} filled in)
#   def_public        GET /api/v1/apps/protbench (an app without auth)
#   def_store_anon / def_store_user       (d) GET /api/v1/apps/custom-auth without / with Bearer
#   def_session_anon / def_session_user   (d) GET /api/v1/apps/secure-session without / with the cookie
# at each concurrency level of BENCH_CLIENTS. All upstream requests are the same in-process
# GET /auth/v1/user (a datasource URL that is a path is served by the server itself).
# Appends a dated section to docs/benchmarks.md (BENCH_NO_DOC=1: print only).
#
# Knobs (environment variables, all optional):
#   BENCH_CLIENTS      concurrency levels, in order (default "16 1")
#   BENCH_ROUNDS       measured rounds per target and level (default 5)
#   BENCH_SECS         seconds per round of one target (default 3)
#   BENCH_SERVER_CPUS  taskset CPU list for lowkey, e.g. 0          (default: not pinned)
#   BENCH_LOAD_CPUS    taskset CPU list for the load generator, e.g. 1
#   BENCH_LOG          the server's LOWKEY_LOG (default: unset, the server's default `info`,
#                      under which every access decision is one log line, as in production)
#   LOWKEY_BIN         a lowkey binary to measure as it is (default: this checkout's, rebuilt)
#   BENCH_COMMIT       what to print as the commit measured (default: HEAD, and whether crates/
#                      differs; with LOWKEY_BIN, say which build it is)
#   BENCH_NO_DOC=1     print the results but do not append them to docs/benchmarks.md
#   BENCH_KEEP=1       keep the work folder (data directory, server log, raw results)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_TAG=bench:protected
# shellcheck source=lib/common.sh
source bench/lib/common.sh

CLIENT_LEVELS=(${BENCH_CLIENTS:-16 1})
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-3}
SERVER_CPUS=${BENCH_SERVER_CPUS:-}
LOAD_CPUS=${BENCH_LOAD_CPUS:-}
SLUG=protbench

bench_lowkey_bin
[[ -x $LOWKEY ]] || {
    echo "bench: $LOWKEY is not an executable" >&2
    exit 1
}
bench_work_dir lowkey-protected
DATA=$WORK/data
export NO_COLOR=1
if [[ -n ${BENCH_LOG:-} ]]; then export LOWKEY_LOG=$BENCH_LOG; else unset LOWKEY_LOG; fi

# ---- 1. the baseline app: no auth, one public query with the same upstream request --------
APP=$WORK/app
mkdir -p "$APP/pages" "$APP/queries"
cat >"$APP/app.yaml" <<'EOF'
version: 2
name: Protection bench
slug: protbench
homePage: Home
datasources:
  - name: provider
    url: /auth/v1
settings: {}
EOF
cat >"$APP/pages/Home.yaml" <<'EOF'
name: Home
widgets:
  - name: txt_title
    type: Text
    position: { col: 0, row: 0, width: 10, height: 4 }
EOF
# get_user of examples/custom-auth without `access`, the token a binding like any other.
cat >"$APP/queries/user_public.yaml" <<'EOF'
datasource: provider
path: /user
method: GET
headers:
  Authorization: "Bearer {{this.params.token}}"
EOF
"$LOWKEY" app import "$APP" --publish --data-dir "$DATA" >"$WORK/import.log" 2>&1 || {
    cat "$WORK/import.log" >&2
    exit 1
}

# ---- 2. lowkey demo on the same data directory --------------------------------------------
DEMO=("$LOWKEY" demo --addr 127.0.0.1:0 --data-dir "$DATA")
[[ -n $SERVER_CPUS ]] && DEMO=(taskset -c "$SERVER_CPUS" "${DEMO[@]}")
"${DEMO[@]}" >"$WORK/demo.out" 2>"$WORK/server.log" &
SERVER_PID=$!
BENCH_PIDS+=("$SERVER_PID")
demo_field() { sed -n "s/^ *$1: *//p" "$WORK/demo.out" | head -n 1; }
URL=
for _ in $(seq 1 300); do
    URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/app/custom-auth' "$WORK/demo.out" | head -n 1 || true)
    [[ -n $URL && -n $(demo_field Password) ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || {
        cat "$WORK/demo.out" "$WORK/server.log" >&2
        exit 1
    }
    sleep 0.1
done
[[ -n $URL ]] || {
    echo "bench: lowkey demo printed no URL" >&2
    exit 1
}
ORIGIN=${URL%/app/custom-auth}
log "lowkey demo at $ORIGIN (pid $SERVER_PID)"
node bench/protected/setup.mjs --origin "$ORIGIN" --email "$(demo_field Email)" \
    --password "$(demo_field Password)" --bench-slug "$SLUG" --out "$WORK/targets.json"
sleep 1

# ---- 3. load, at each concurrency level ---------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/load.out"
for c in "${CLIENT_LEVELS[@]}"; do
    log "$c client(s): $ROUNDS rounds of ${SECS}s per target, interleaved"
    pin "$LOAD_CPUS" node bench/protected/load.mjs --targets "$WORK/targets.json" --clients "$c" \
        --secs "$SECS" --rounds "$ROUNDS" --prefix "c$c." --pid "lowkey=$SERVER_PID" >>"$WORK/load.out"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
# Still the demo's own session? (An ended or refreshed session would have counted as errors.)
kill -0 "$SERVER_PID" 2>/dev/null || {
    echo "bench: the server ended during the run" >&2
    exit 1
}

# ---- 4. results ---------------------------------------------------------------------------
v() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "?" }' "$WORK/load.out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
minus() { awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { printf "%.*f", d, a - b }'; }
rounds_of() {
    awk -v p="$1." 'index($1, p) == 1 && $1 ~ /\.round[0-9]+\.per_sec$/ { printf "%s%s", sep, $2; sep = ", " }' "$WORK/load.out"
}

NAMES=(run_public run_store run_session def_public def_store_anon def_store_user def_session_anon def_session_user)
LABEL_run_public="(a) public query, token as a binding (protbench)"
LABEL_run_store="(b) store mode: get_user with Bearer (custom-auth)"
LABEL_run_session="(c) session mode: get_user with the cookie (secure-session)"
LABEL_def_public="definition, app without auth (protbench)"
LABEL_def_store_anon="(d) definition, store mode, anonymous"
LABEL_def_store_user="(d) definition, store mode, Bearer"
LABEL_def_session_anon="(d) definition, session mode, anonymous"
LABEL_def_session_user="(d) definition, session mode, cookie"
PAIRS=(run_store:run_public run_session:run_public run_session:run_store
    def_store_user:def_store_anon def_session_user:def_session_anon
    def_session_user:def_store_user)
SHORT_run_public="(a)"
SHORT_run_store="(b)"
SHORT_run_session="(c)"
SHORT_def_public="def. no auth"
SHORT_def_store_anon="def. store anon."
SHORT_def_store_user="def. store Bearer"
SHORT_def_session_anon="def. session anon."
SHORT_def_session_user="def. session cookie"

rows() { # rows CLIENTS
    local c=$1 n label
    for n in "${NAMES[@]}"; do
        label="LABEL_$n"
        printf '| %s | %s | %s – %s | %s / %s | %s | %s | %s | %s | %s |\n' "${!label}" \
            "$(v "c$c.$n.per_sec_median")" "$(v "c$c.$n.per_sec_min")" "$(v "c$c.$n.per_sec_max")" \
            "$(v "c$c.$n.p50_ms")" "$(v "c$c.$n.p99_ms")" \
            "$(v "c$c.$n.cpu_us_per_req.lowkey")" "$(v "c$c.$n.cpu_us_per_req.loadgen")" \
            "$(v "c$c.$n.cores_busy.lowkey")" "$(v "c$c.$n.bytes_per_answer")" "$(v "c$c.$n.errors")"
    done
}
ratio_rows() { # ratio_rows CLIENTS
    local c=$1 pair a b sa sb
    for pair in "${PAIRS[@]}"; do
        a=${pair%%:*} b=${pair##*:} sa="SHORT_$a" sb="SHORT_$b"
        printf '| %s / %s | **%s** (%s) | %s | %s | %s ms | %s µs |\n' "${!sa}" "${!sb}" \
            "$(ratio "$(v "c$c.$a.per_sec_median")" "$(v "c$c.$b.per_sec_median")")" \
            "$(v "c$c.$a/$b.ratio_paired_median")" \
            "$(ratio "$(v "c$c.$a.p50_ms")" "$(v "c$c.$b.p50_ms")")" \
            "$(ratio "$(v "c$c.$a.p99_ms")" "$(v "c$c.$b.p99_ms")")" \
            "$(minus "$(v "c$c.$a.p50_ms")" "$(v "c$c.$b.p50_ms")")" \
            "$(minus "$(v "c$c.$a.cpu_us_per_req.lowkey")" "$(v "c$c.$b.cpu_us_per_req.lowkey")" 1)"
    done
}
tables() {
    local c
    for c in "${CLIENT_LEVELS[@]}"; do
        cat <<EOF

| $c client(s) | Median /s | Rounds min – max | p50 / p99 ms | server CPU µs/req | loadgen CPU µs/req | server cores busy | bytes/answer | Errors |
|---|---|---|---|---|---|---|---|---|
$(rows "$c")

| $c client(s): ratio | throughput (paired rounds) | p50 | p99 | p50 difference | server CPU µs/req difference |
|---|---|---|---|---|---|
$(ratio_rows "$c")

Per-round rates ($c client(s)): $(for n in "${NAMES[@]}"; do printf '%s %s; ' "$n" "$(rounds_of "c$c.$n")"; done)
EOF
    done
}

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n ${LOWKEY_BIN:-} ]]; then
    COMMIT="$COMMIT; server: a given binary (LOWKEY_BIN), not this checkout's build"
elif bench_changed crates Cargo.toml Cargo.lock; then
    COMMIT="$COMMIT (+ uncommitted changes under crates/)"
fi
COMMIT=${BENCH_COMMIT:-$COMMIT}
PINNING="not pinned (lowkey and the load generator share all CPUs)"
if [[ -n $SERVER_CPUS$LOAD_CPUS ]]; then
    PINNING="lowkey on CPUs ${SERVER_CPUS:-all}; load generator on CPUs ${LOAD_CPUS:-all}"
fi

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC'), what protection costs (bench/protected.sh)$([[ -n $SERVER_CPUS$LOAD_CPUS ]] && echo ', pinned')

- Machine: $(bench_machine), Node $(node --version) (the load generator)
- Commit: $COMMIT; \`lowkey demo\`$([[ -z ${LOWKEY_BIN:-} ]] && echo ', release build'), server log level ${BENCH_LOG:-info (the default)}
- Load average (1, 5, 15 min) at the start / end of the load: $LOAD_START / $LOAD_END
- $ROUNDS rounds of ${SECS} s per target and level, targets interleaved; medians of the rounds;
  latency percentiles over all measured requests; server CPU is lowkey's user + system time
  over the requests of that row
- Pinning: $PINNING
$(tables)
EOF
)

printf '%s\n' "$SECTION"
ERRORS=$(awk '$1 ~ /\.errors$/ { n += $2 } END { print n + 0 }' "$WORK/load.out")
if [[ $ERRORS -gt 0 ]]; then
    log "WARNING: $ERRORS bad answer(s); see the Errors column (the numbers are suspect)"
fi
bench_append "$SECTION"
