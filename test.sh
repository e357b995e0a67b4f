#!/usr/bin/env bash
# Runs every test of Lowkey: quality gates, unit, integration and end-to-end suites.
# Installs what it needs on a fresh machine (npm packages, Debian's chromium) and starts
# PostgreSQL when it does not answer (the store's and the server's multi-instance tests).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib.sh
need cargo "a Rust toolchain (https://rustup.rs)"
need npm "Node.js 20 or newer with npm"
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s\n' "$*"; }

step "install"
ensure_chromium
ensure_postgres
npm_install web
npm_install conformance/auth-js

step "web: type check (strict), build, unit tests, bundle budget"
(cd web && npm run --silent typecheck && npm run --silent build && npm test)

step "rust: format, lint"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust: unit and integration tests"
cargo test --workspace --locked

step "rust: acknowledged writes survive a restart of PostgreSQL (run alone: it restarts it)"
if [ -z "${LOWKEY_TEST_PG_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo "; fi
  LOWKEY_TEST_PG_RESTART="${sudo}pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main restart" \
    cargo test -p lowkey-server --test it --locked -- --ignored --exact \
    scale::acknowledged_writes_survive_a_postgresql_restart_and_the_instance_recovers
  ensure_postgres
else
  echo "skipped: PostgreSQL is not this machine's cluster (LOWKEY_TEST_PG_URL is set, or no pg_ctlcluster)"
fi

step "provider: the official @supabase/auth-js client and jose"
(cd conformance/auth-js && npm test)

step "end to end: the guide's app in Chromium"
(cd web && npm run --silent test:e2e)
