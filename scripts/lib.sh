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
