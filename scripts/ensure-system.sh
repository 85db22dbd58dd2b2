#!/usr/bin/env bash
# Installs and starts what Paraph and its tests need from the operating system,
# only what is missing. Debian packages through apt-get (root only).
#
#   scripts/ensure-system.sh runtime      what Paraph itself needs to run (Pango, for its PDFs)
#   scripts/ensure-system.sh packages     the runtime's, then chromium, gettext, fonts, ... (the list below)
#   scripts/ensure-system.sh services     PostgreSQL and Redis answering on loopback
#   scripts/ensure-system.sh python-venv  Debian's venv module for `python3 -m venv`
#
# Several modes may be given at once: `scripts/ensure-system.sh packages services`.
set -euo pipefail

# A shared library the dynamic linker finds (grep reads all of ldconfig's
# list: with pipefail, grep -q would fail the pipe it leaves early).
has_library() { PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null | grep -F "$1" >/dev/null; }

# What Paraph needs to run, `make run` included, one "presence test|Debian
# package" a line: WeasyPrint typesets the legal PDFs (mandates, evidence)
# with Pango, and subsets their fonts with HarfBuzz (the fonts themselves
# ship in paraph/core/static/core/fonts).
RUNTIME=(
  "has_library libpango-1.0.so.0|libpango-1.0-0"
  "has_library libpangoft2-1.0.so.0|libpangoft2-1.0-0"
  "has_library libharfbuzz-subset.so.0|libharfbuzz-subset0"
)

# What the test suite needs besides, in the same form.
# A later component adds its line here (e.g. softhsm2, poppler-utils).
NEEDED=(
  "${RUNTIME[@]}"
  "command -v msgfmt|gettext"
  "test -x /usr/bin/chromium|chromium"
  "test -d /usr/share/fonts/truetype/dejavu|fonts-dejavu-core"
  "test -d /usr/share/fonts/truetype/liberation|fonts-liberation"
  "command -v softhsm2-util|softhsm2"
  "command -v pdfsig|poppler-utils"
  "command -v qpdf|qpdf"
  "command -v certutil|libnss3-tools"
  # The SQLite run moves the clock far ahead for every process (issue 9).
  "command -v faketime|faketime"
  # The itsme test peer (npm's oidc-provider); its packages come from `npm ci`.
  "command -v node && command -v npm|nodejs npm"
  # The deployment walk (paraph/operations/tests/test_deploy_walk.py) runs
  # deploy/nginx/paraph.conf with Debian's nginx.
  "test -x /usr/sbin/nginx|nginx"
  # ... and checks deploy/systemd's units with systemd-analyze verify.
  "command -v systemd-analyze|systemd"
)

# The suite's defaults; overridable to try this script beside running services.
PG_HOST=127.0.0.1
PG_PORT=${PG_PORT:-5432}
PG_CLUSTER=${PG_CLUSTER:-main}
REDIS_PORT=${REDIS_PORT:-6379}

say() { echo "ensure-system: $*"; }

# The packages of the lines of the array named $1 whose test fails.
missing_packages() {
  local -n lines=$1
  local line check package
  for line in "${lines[@]}"; do
    check=${line%|*}
    package=${line##*|}
    eval "$check" >/dev/null 2>&1 || echo "$package"
  done
}

apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-system: missing Debian packages: $* (as root: apt-get install $*)" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "ensure-system: missing packages: $*; this is not a Debian system, install them yourself" >&2
    return 1
  fi
  say "installing $*"
  # Refresh the package lists once a day at most (a fresh image has none).
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_trusts_loopback() {
  # Without psql we cannot tell; the test run will say so if it cannot connect.
  command -v psql >/dev/null || return 0
  PGCONNECT_TIMEOUT=3 psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -d postgres \
    -Atc 'select 1' >/dev/null 2>&1
}

# The newest installed PostgreSQL's cluster (Debian's layout: "main", which
# the package creates), created when it does not exist.
pg_cluster_version() {
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if [ ! -d "/etc/postgresql/$version/$PG_CLUSTER" ]; then
    say "creating the PostgreSQL $version cluster '$PG_CLUSTER' on port $PG_PORT" >&2
    pg_createcluster --port "$PG_PORT" "$version" "$PG_CLUSTER" >/dev/null
  fi
  echo "$version"
}

# Trust on loopback only: this cluster serves the throw-away test databases.
pg_trust_loopback() {
  local hba="/etc/postgresql/$1/$PG_CLUSTER/pg_hba.conf"
  if ! grep -q "paraph-test" "$hba"; then
    say "PostgreSQL $1/$PG_CLUSTER: trust for connections from loopback ($hba)"
    sed -i '1i host all all 127.0.0.1/32 trust # paraph-test\nhost all all ::1/128 trust # paraph-test\nlocal all all trust # paraph-test' "$hba"
  fi
}

ensure_postgres() {
  local version
  if ! port_open "$PG_PORT"; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    version=$(pg_cluster_version)
    pg_trust_loopback "$version"
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" start
    for _ in $(seq 30); do port_open "$PG_PORT" && break; sleep 1; done
  elif ! pg_trusts_loopback && [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ]; then
    version=$(pg_cluster_version)
    pg_trust_loopback "$version"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" reload
    sleep 1
  fi
  port_open "$PG_PORT" || { echo "ensure-system: PostgreSQL did not start on $PG_HOST:$PG_PORT" >&2; exit 1; }
  pg_trusts_loopback || {
    echo "ensure-system: PostgreSQL on $PG_HOST:$PG_PORT refuses user postgres without a password" >&2
    exit 1
  }
}

ensure_redis() {
  if ! port_open "$REDIS_PORT"; then
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p /var/lib/redis /var/log/redis
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/paraph-test.log
    for _ in $(seq 30); do port_open "$REDIS_PORT" && break; sleep 1; done
  fi
  port_open "$REDIS_PORT" || { echo "ensure-system: Redis did not start on 127.0.0.1:$REDIS_PORT" >&2; exit 1; }
}

USAGE="usage: $0 runtime|packages|services|python-venv ..."
[ $# -gt 0 ] || { echo "$USAGE" >&2; exit 2; }
for mode in "$@"; do
  case "$mode" in
    # shellcheck disable=SC2046 # one word per package
    runtime) apt_install $(missing_packages RUNTIME) ;;
    # shellcheck disable=SC2046
    packages) apt_install $(missing_packages NEEDED) ;;
    services) ensure_postgres; ensure_redis ;;
    python-venv) apt_install python3-venv ;;
    *) echo "$USAGE" >&2; exit 2 ;;
  esac
done
