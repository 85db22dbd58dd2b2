#!/usr/bin/env bash
# Installs and starts what the test suite needs from the operating system,
# only when it is missing. Debian packages through apt-get (root only).
#   scripts/ensure-system.sh packages   -> chromium, gettext, ...
#   scripts/ensure-system.sh services   -> PostgreSQL and Redis on loopback
set -euo pipefail

want_packages() {
  local missing=()
  command -v msgfmt >/dev/null || missing+=(gettext)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # fonts so that pages render text in the browser tests
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  echo "${missing[@]:-}"
}

apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: $* (run as root or install them: apt-get install $*)" >&2
    return 1
  fi
  echo "installing system packages: $*"
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

ensure_services() {
  if ! pg_up; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    local version
    version=$(ls /etc/postgresql | sort -V | tail -1)
    conf=/etc/postgresql/$version/main
    # trust on loopback only, for the throw-away test cluster
    if ! grep -q "paraph-test" "$conf/pg_hba.conf"; then
      sed -i '1i host all all 127.0.0.1/32 trust # paraph-test\nhost all all ::1/128 trust # paraph-test\nlocal all all trust # paraph-test' "$conf/pg_hba.conf"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 30); do pg_up && break; sleep 1; done
  fi
  if ! redis_up; then
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/paraph-test.log
    for _ in $(seq 30); do redis_up && break; sleep 1; done
  fi
  pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
  redis_up || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
}

case "${1:-}" in
  packages)
    # shellcheck disable=SC2046
    apt_install $(want_packages) ;;
  services) ensure_services ;;
  *) echo "usage: $0 packages|services" >&2; exit 2 ;;
esac
