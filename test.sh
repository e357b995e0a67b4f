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

step "provider: the official @supabase/auth-js client and jose"
(cd conformance/auth-js && npm test)

step "end to end: the guide's app in Chromium"
(cd web && npm run --silent test:e2e)
