#!/usr/bin/env bash
# The provider's hot paths on PostgreSQL (issue 11): password sign-in, refresh-token rotation
# and GET /auth/v1/user against one `lowkey serve` on SQLite, one instance on PostgreSQL and two
# instances on the same PostgreSQL database (the load spread over both, request by request: no
# load balancer, the load generator targets both addresses), all measured in one run with the
# configurations interleaved round by round (bench/postgres/load.mjs). With BENCH_FORWARDED=1
# (the default) sign-in and refresh are also measured on PostgreSQL with an address per virtual
# client (X-Forwarded-For, trusted), because the per-address /token bucket is one row in
# PostgreSQL that every request from one address locks. Creates a fresh database on the
# PostgreSQL server (trust auth) and drops it at the end. Appends a dated section to
# docs/benchmarks.md (BENCH_NO_DOC=1: print only).
#
# Knobs (environment variables, all optional):
#   BENCH_PG_URL       the PostgreSQL server, without a database (default postgres://postgres@127.0.0.1:5432)
#   BENCH_ROUNDS       measured rounds per configuration and scenario (default 5)
#   BENCH_SECS         seconds per round of refresh and GET /user (default 4)
#   BENCH_SIGNIN_SECS  seconds per round of sign-in (default 6)
#   BENCH_CLIENTS      virtual clients for refresh and GET /user (default 16)
#   BENCH_SIGNIN_CLIENTS  virtual clients for sign-in (default 8)
#   BENCH_POOL_SIZE    database_pool_size of each PostgreSQL instance (default: the server's, 10)
#   BENCH_FORWARDED    1: also the X-Forwarded-For configurations (default 1)
#   LOWKEY_BIN         a lowkey binary to measure as it is (default: this checkout's, rebuilt)
#   BENCH_COMMIT       what to print as the commit measured
#   BENCH_NO_DOC=1     print the results but do not append them to docs/benchmarks.md
#   BENCH_KEEP=1       keep the work folder (data directories, server logs, raw results)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_TAG=bench:postgres
# shellcheck source=lib/common.sh
source bench/lib/common.sh

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-4}
SIGNIN_SECS=${BENCH_SIGNIN_SECS:-6}
CLIENTS=${BENCH_CLIENTS:-16}
SIGNIN_CLIENTS=${BENCH_SIGNIN_CLIENTS:-8}
FORWARDED=${BENCH_FORWARDED:-1}

command -v psql >/dev/null || {
    echo "bench: psql is needed (to create and drop the benchmark's database)" >&2
    exit 1
}
psql "$PG_URL/postgres" -qAtc 'select 1' >/dev/null || {
    echo "bench: PostgreSQL does not answer at $PG_URL" >&2
    exit 1
}
bench_lowkey_bin
[[ -x $LOWKEY ]] || {
    echo "bench: $LOWKEY is not an executable" >&2
    exit 1
}
bench_work_dir lowkey-postgres
DB=lowkey_bench_$(date +%s)_$$
DB_URL=$PG_URL/$DB
drop_db() {
    bench_cleanup
    psql "$PG_URL/postgres" -qAtc "drop database if exists $DB with (force)" >/dev/null 2>&1 ||
        log "could not drop the database $DB"
}
trap drop_db EXIT
psql "$PG_URL/postgres" -qAtc "create database $DB" >/dev/null
export NO_COLOR=1
unset LOWKEY_LOG LOWKEY_DATABASE_URL

# ---- 1. one config for every instance: shared session key and issuer, lifted /token limits --
CONFIG=$WORK/lowkey.yaml
{
    echo "external_url: http://lowkey.bench"
    echo "session_key_file: $WORK/session.key"
    [[ -n ${BENCH_POOL_SIZE:-} ]] && echo "database_pool_size: $BENCH_POOL_SIZE"
    # The per-address bucket of /token and the per-account throttle are lifted as in
    # bench/run.sh (concurrent sign-ins of one account count as attempts in flight; in
    # PostgreSQL the bucket is still taken, one row write per request); the forwarded address
    # is trusted so that the X-Forwarded-For configurations can give each virtual client a
    # bucket of its own.
    cat <<'YAML'
provider:
  rate_limit_token_burst: 1000000
  rate_limit_token_refill: 1000000000
  throttle_free_failures: 1000000000
  trust_forwarded_for: true
YAML
} >"$CONFIG"
# One account per sign-in client: concurrent sign-ins of one account queue on its throttle
# row (and can be refused, see docs/benchmarks.md); here each client signs in as its own user.
PASSWORD="bench-$RANDOM$RANDOM-$RANDOM$RANDOM-pass"
EMAILS=()
for i in $(seq 1 "$SIGNIN_CLIENTS"); do EMAILS+=("bench-$i@example.com"); done
add_users() { # add_users STORE-ARGS...: the benchmark's users, in that store
    local email
    for email in "${EMAILS[@]}"; do
        printf '%s\n' "$PASSWORD" | "$LOWKEY" user add "$email" "$@" --config "$CONFIG" \
            >/dev/null 2>"$WORK/user-add.log" || {
            cat "$WORK/user-add.log" >&2
            exit 1
        }
    done
}
add_users --data-dir "$WORK/sqlite"
add_users --database-url "$DB_URL"

# ---- 2. the servers: SQLite, and two instances on the PostgreSQL database -------------------
start() { # start NAME STORE-ARGS...: sets PID_NAME and ADDR_NAME
    local name=$1 pid
    shift
    "$LOWKEY" serve --addr 127.0.0.1:0 --config "$CONFIG" "$@" 2>"$WORK/$name.log" &
    pid=$!
    BENCH_PIDS+=("$pid")
    printf -v "PID_$name" '%s' "$pid"
    printf -v "ADDR_$name" '%s' "$(bench_listen_addr "$WORK/$name.log" "$pid" "the $name server")"
}
log "starting lowkey serve: SQLite, then two instances on PostgreSQL database $DB"
start sqlite --data-dir "$WORK/sqlite"
start pga --data-dir "$WORK/pga" --database-url "$DB_URL"
start pgb --data-dir "$WORK/pgb" --database-url "$DB_URL"
log "SQLite at $ADDR_sqlite, PostgreSQL A at $ADDR_pga, B at $ADDR_pgb"

# ---- 3. the load: configurations interleaved round by round ---------------------------------
config() { # config NAME POSTGRES FORWARDED SCENARIOS ADDR:PID...
    local name=$1 pg=$2 fwd=$3 scen=$4 addrs=() pids=() ap
    shift 4
    for ap in "$@"; do
        addrs+=("\"${ap%%=*}\"")
        pids+=("${ap##*=}")
    done
    printf '{"name": "%s", "postgres": %s, "forwarded": %s, "scenarios": [%s], "addrs": [%s], "pids": [%s]}' \
        "$name" "$pg" "$fwd" "$scen" "$(IFS=,; echo "${addrs[*]}")" "$(IFS=,; echo "${pids[*]}")"
}
ALL='"signin", "refresh", "user"'
A="$ADDR_pga=$PID_pga"
B="$ADDR_pgb=$PID_pgb"
CONFIGS=(
    "$(config sqlite false false "$ALL" "$ADDR_sqlite=$PID_sqlite")"
    "$(config pg1 true false "$ALL" "$A")"
    "$(config pg2 true false "$ALL" "$A" "$B")"
)
PAIRS='["pg1", "sqlite"], ["pg2", "pg1"]'
if [[ $FORWARDED == 1 ]]; then
    CONFIGS+=("$(config pg1xff true true '"signin", "refresh"' "$A")")
    CONFIGS+=("$(config pg2xff true true '"signin", "refresh"' "$A" "$B")")
    PAIRS="$PAIRS, [\"pg1xff\", \"pg1\"], [\"pg2xff\", \"pg1xff\"], [\"pg1xff\", \"sqlite\"]"
fi
cat >"$WORK/spec.json" <<EOF
{"emails": [$(printf '"%s",' "${EMAILS[@]}" | sed 's/,$//')], "database": "$DB",
 "configs": [$(IFS=,; echo "${CONFIGS[*]}")],
 "pairs": [$PAIRS]}
EOF
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "sign-in ($SIGNIN_CLIENTS clients, ${SIGNIN_SECS}s rounds), refresh and GET /user ($CLIENTS clients, ${SECS}s rounds), $ROUNDS rounds each"
BENCH_PASSWORD=$PASSWORD node bench/postgres/load.mjs --spec "$WORK/spec.json" --rounds "$ROUNDS" \
    --secs "$SECS" --signin-secs "$SIGNIN_SECS" --clients "$CLIENTS" \
    --signin-clients "$SIGNIN_CLIENTS" >"$WORK/load.out"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# What the load left in the database, for the record.
ROWS=$(psql "$DB_URL" -qAtc "select (select count(*) from session) || ' sessions, ' || (select count(*) from refresh_token) || ' refresh tokens'")

# ---- 4. the section -------------------------------------------------------------------------
v() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "–" }' "$WORK/load.out"; }
ERRORS=$(awk '$1 ~ /\.errors$/ { n += $2 } END { print n + 0 }' "$WORK/load.out")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if bench_changed crates Cargo.toml Cargo.lock; then
    COMMIT="$COMMIT (+ uncommitted changes under crates/)"
fi
COMMIT=${BENCH_COMMIT:-$COMMIT}
PG_VERSION=$(psql "$PG_URL/postgres" -qAtc 'show server_version' | cut -d' ' -f1)
PG_SYNC=$(psql "$PG_URL/postgres" -qAtc 'show synchronous_commit')

label() {
    case $1 in
    sqlite) echo "SQLite, 1 instance" ;;
    pg1) echo "PostgreSQL, 1 instance" ;;
    pg2) echo "PostgreSQL, 2 instances" ;;
    pg1xff) echo "PostgreSQL, 1 instance, address per client" ;;
    pg2xff) echo "PostgreSQL, 2 instances, address per client" ;;
    esac
}
rows() { # rows SCENARIO CONFIG...
    local s=$1 c k
    shift
    for c in "$@"; do
        k=$c.$s
        [[ $(v "$k.per_sec_median") == – ]] && continue
        printf '| %s | %s | %s | %s – %s | %s / %s | %s | %s | %s | %s | %s |\n' "$s" "$(label "$c")" \
            "$(v "$k.per_sec_median")" "$(v "$k.per_sec_min")" "$(v "$k.per_sec_max")" \
            "$(v "$k.p50_ms")" "$(v "$k.p99_ms")" "$(v "$k.server_cpu_ms_per_req")" \
            "$(v "$k.pg_cpu_ms_per_req")" "$(v "$k.own_cpu_ms_per_req")" \
            "$(awk -v a="$(v "$k.server_cores_busy")" -v b="$(v "$k.pg_cores_busy")" -v c="$(v "$k.own_cores_busy")" \
                'BEGIN { printf "%.2f + %.2f + %.2f", a, b, c }')" "$(v "$k.errors")"
    done
}
ratio_rows() { # ratio_rows A B TEXT: paired ratios of A / B per scenario
    local s
    for s in signin refresh user; do
        [[ $(v "$1/$2.$s.ratio_paired_median") == – ]] && continue
        printf '| %s | %s | **%s** |\n' "$3" "$s" "$(v "$1/$2.$s.ratio_paired_median")"
    done
}
CFGS=(sqlite pg1 pg2 pg1xff pg2xff)

SECTION=$(
    cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC'), SQLite and PostgreSQL, one and two instances (bench/postgres.sh)

- Machine: $(bench_machine)
- Load average (1, 5, 15 min) before / after the run: $LOAD_BEFORE / $LOAD_AFTER
- Commit: $COMMIT
- PostgreSQL $PG_VERSION on the same machine (loopback, synchronous_commit $PG_SYNC), a fresh
  database; pool of ${BENCH_POOL_SIZE:-10} connections per instance; $ROUNDS measured rounds per line
  (sign-in ${SIGNIN_SECS} s, others ${SECS} s each), the configurations interleaved round by
  round; medians of the rounds, latency percentiles over all measured requests
- Sign-in with $SIGNIN_CLIENTS clients, refresh (each client its own rotation chain) and GET /user with
  $CLIENTS clients; two instances: every client alternates between them request by request
- Database after the run: $ROWS

| Scenario | Configuration | Median /s | Rounds min – max | p50 / p99 ms | Server CPU ms/req | PostgreSQL CPU ms/req | Loadgen CPU ms/req | Cores busy (server + PostgreSQL + loadgen) | Errors |
|---|---|---|---|---|---|---|---|---|---|
$(rows signin "${CFGS[@]}")
$(rows refresh "${CFGS[@]}")
$(rows user "${CFGS[@]}")

| Ratio (throughput, median of the per-round ratios) | Scenario | Value |
|---|---|---|
$(ratio_rows pg1 sqlite "PostgreSQL 1 instance / SQLite")
$(ratio_rows pg2 pg1 "PostgreSQL 2 instances / 1 instance")
$(ratio_rows pg1xff pg1 "PostgreSQL 1 instance: address per client / one address")
$(ratio_rows pg2xff pg1xff "PostgreSQL 2 instances / 1, address per client")
$(ratio_rows pg1xff sqlite "PostgreSQL 1 instance, address per client / SQLite")

Per-round rates: $(for c in "${CFGS[@]}"; do for s in signin refresh user; do
        r=$(v "$c.$s.rounds")
        [[ $r == – ]] || printf '%s %s %s; ' "$c" "$s" "${r//,/, }"
    done; done)
EOF
)

printf '%s\n' "$SECTION"
if [[ $ERRORS -gt 0 ]]; then
    log "WARNING: $ERRORS request(s) failed; see the Errors column (the numbers are suspect)"
fi
bench_append "$SECTION"
