#!/usr/bin/env bash
# Herald's developer entry point: installs what the repo needs, then runs one task.
#   bash scripts/herald.sh test    install, then lint, dependency rules, typecheck and every test
#   bash scripts/herald.sh start   install, build the server, then start it (no configuration)
#   bash scripts/herald.sh dev     install, build, then the local serverless stack (Java 17+): the Lambda
#                                  handlers on DynamoDB Local and fauxqs (herald-local-aws dev --help)
#   bash scripts/herald.sh install install only
# Node.js >= 22.12 is used from the system when present; otherwise Node 24 is
# installed from the npm registry into .tools/ (git-ignored). pnpm comes the same way.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

node_version_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}

pnpm_version="$(node -p 'require("./package.json").packageManager.split("@")[1]' 2>/dev/null || echo 10.34.8)"

ensure_tools() {
  export PATH="$repo/.tools/node_modules/.bin:$PATH"
  local want=()
  if ! node_version_ok; then want+=("node@24"); fi
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
    want+=("pnpm@$pnpm_version")
  fi
  if [ "${#want[@]}" -gt 0 ]; then
    echo "herald: installing ${want[*]} into .tools/ (from the npm registry)" >&2
    npm install --prefix "$repo/.tools" --no-audit --no-fund --loglevel=error "${want[@]}" >&2
    hash -r # forget where bash found node and pnpm before .tools/ held them
  fi
  node_version_ok || { echo "herald: Node.js >= 22.12 is required and could not be installed" >&2; exit 1; }
  echo "herald: node $(node --version), pnpm $(pnpm --version)" >&2
}

install_deps() {
  ensure_tools
  pnpm install --frozen-lockfile --reporter=append-only >&2
}

# The client SDK's browser tests drive Debian's Chromium (never a downloaded
# browser). Installed with apt-get when missing and this user may; otherwise
# those tests skip and print why.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "herald: no /usr/bin/chromium and no apt-get: the browser tests will skip" >&2; return 0; }
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "herald: /usr/bin/chromium is missing and apt-get needs root: the browser tests will skip" >&2
      return 0
    fi
  fi
  echo "herald: installing Debian's chromium for the browser tests (apt-get)" >&2
  { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium; } >&2 ||
    echo "herald: could not install chromium: the browser tests will skip" >&2
}

task="${1:-}"
case "$task" in
  install) install_deps ;;
  test)
    install_deps
    ensure_chromium
    pnpm run test:all
    ;;
  start)
    install_deps
    shift
    # `start -- --port 9000`: the `--` separates the task from the server's flags; it is not one of them.
    if [ "${1:-}" = "--" ]; then shift; fi
    # Only the server and the packages it depends on: no Lambda bundles, no CDK.
    pnpm exec turbo run build --filter=@herald/server... >&2
    exec node packages/server/dist/cli.js "$@"
    ;;
  dev)
    install_deps
    shift
    if [ "${1:-}" = "--" ]; then shift; fi
    pnpm exec turbo run build --filter=@herald/local-aws... --output-logs=errors-only >&2
    exec node packages/local-aws/dist/cli.js dev "$@"
    ;;
  -h|--help|"")
    # The comment block at the top of this file, up to its first line of code.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    [ -n "$task" ] || exit 2
    ;;
  *) echo "herald: unknown task '$task' (expected test, start, dev or install)" >&2; exit 2 ;;
esac
