#!/usr/bin/env bash
# Installs the Debian packages the portal needs, where missing, when run as root.
#   runtime: python3-venv (to make .venv), CJK fonts and Pango (PDF reports),
#            postgresql-client (pg_dump/pg_restore for `manage.py backup` / `restore`)
#   test:    the above plus Chromium (browser tests), poppler-utils (PDF checks) and
#            redis-server (the fault tests start and stop their own Redis)
# Not root, or not Debian: prints what is missing and carries on (pip still works).
set -euo pipefail
set_name=${1:-runtime}
runtime=(python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client)
test_only=(chromium poppler-utils redis-server)
want=("${runtime[@]}")
[ "$set_name" = test ] && want+=("${test_only[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian system; make sure these are installed: ${want[*]}"
  exit 0
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv is only needed when the interpreter in use cannot make a venv by itself.
if python3 -c "import ensurepip, venv" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<<"${missing[*]}"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: missing Debian packages (run as root: apt-get install ${missing[*]})"
  exit 0
fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
