#!/usr/bin/env bash
# Installs the system packages that the tests run for real (PostgreSQL, Chromium, promtool,
# amtool, etcd) when they are missing. As root it uses apt-get; otherwise it says what to install.
# With CI=true a package that cannot be installed is an error, never a silent skip.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have_pg() { have pg_ctl || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; }

have_pg || missing+=(postgresql)
have chromium || missing+=(chromium)
have promtool || missing+=(prometheus)
have amtool || missing+=(prometheus-alertmanager)
have etcd || missing+=(etcd-server)  # the etcd-snapshot Job's etcdctl, against a real etcd
have etcdctl || missing+=(etcd-client)
for extra in "$@"; do
  bin=${extra%%:*}; pkg=${extra#*:}
  have "$bin" || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && have apt-get; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "missing system packages: ${missing[*]}; install them with 'sudo apt-get install ${missing[*]}'." >&2
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: refusing to skip the tests that need them." >&2
  exit 1
fi
echo "The tests that need them will be skipped." >&2
