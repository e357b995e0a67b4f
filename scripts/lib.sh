# Shared steps of ./lowkey and ./test.sh.

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' not found: install $2" >&2; exit 1; }
}

# npm ci only when the lock file changed since the last install (keeps reruns fast).
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}

build_web() {
  npm_install web
  (cd web && npm run --silent build)
}

# Debian's Chromium for the end-to-end tests (Playwright cannot download its own here).
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "installing Debian's chromium for the browser tests" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

# PostgreSQL for the store's and the server's multi-instance tests: the server on
# 127.0.0.1:5432 (LOWKEY_TEST_PG_URL names another one), started when it does not answer and
# installed from Debian's packages when it is missing. The tests connect as `postgres` without a
# password (trust on loopback, as on the CI machines); elsewhere set LOWKEY_TEST_PG_URL.
pg_answers() {
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

ensure_postgres() {
  if [ -n "${LOWKEY_TEST_PG_URL:-}" ] || pg_answers; then return; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing Debian's postgresql for the multi-instance tests" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  echo "starting PostgreSQL" >&2
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    if pg_answers; then return; fi
    sleep 1
  done
  echo "error: PostgreSQL does not answer on 127.0.0.1:5432; start it, or set LOWKEY_TEST_PG_URL" >&2
  exit 1
}
