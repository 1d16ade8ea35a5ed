#!/usr/bin/env bash
# Starts a throwaway PostgreSQL (Debian's package) on a loopback port for the test suite and
# prints its URL. Usage: eval "$(scripts/start-postgres.sh DIR PORT)" sets DATABASE_URL_PG.
set -euo pipefail
dir=${1:-/tmp/ringlink-pg}
port=${2:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
if [ -z "$bin" ]; then
  echo "echo 'PostgreSQL is not installed: apt-get install -y postgresql' >&2"
  exit 1
fi
if ! "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
  rm -rf "$dir"
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  su postgres -s /bin/sh -c "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync" >/dev/null
  su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start" >/dev/null
fi
echo "export DATABASE_URL_PG=postgres://postgres@127.0.0.1:$port/postgres"
