#!/usr/bin/env bash
# Redis and PostgreSQL on loopback, for the tests and the several-instances example: installed from
# Debian when missing, started when not running, a test role and database created once. Each
# `ensure_*` is idempotent and exports the URL the tests read. Sourced after scripts/lib/tools.sh.

REDIS_PORT="${REDIS_PORT:-6379}"
PG_ROLE="leptos_logto"
PG_PASSWORD="leptos_logto"
PG_DATABASE="leptos_logto_test"

# redis-server on 127.0.0.1:$REDIS_PORT; exports TEST_REDIS_URL and TEST_REDIS_SERVER (the binary,
# for tests that start and stop a server of their own).
ensure_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    say "starting redis-server on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
      --save "" --appendonly no --logfile /tmp/leptos-logto-redis.log
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null
  export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  TEST_REDIS_SERVER="$(command -v redis-server)"
  export TEST_REDIS_SERVER
}

# Runs psql as the postgres superuser on the cluster's port.
as_postgres_psql() {
  runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -tAq "$@"
}

# Debian's PostgreSQL cluster, online, with a role that may create databases (each test makes its
# own); exports TEST_POSTGRES_URL (the shared test database) and TEST_POSTGRES_BIN (the server
# binaries, for tests that run and restart a server of their own).
ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then apt_install postgresql; fi
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
    say "creating the PostgreSQL $version cluster"
    as_root pg_createcluster "$version" main
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }' | grep -q online; then
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster "$version" main start
  fi
  PG_PORT=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
  if [ "$(as_postgres_psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'")" != "1" ]; then
    say "creating the PostgreSQL role $PG_ROLE"
    as_postgres_psql -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  fi
  if [ "$(as_postgres_psql -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != "1" ]; then
    say "creating the PostgreSQL database $PG_DATABASE"
    as_postgres_psql -c "CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE"
  fi
  export TEST_POSTGRES_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
  export TEST_POSTGRES_BIN="/usr/lib/postgresql/$version/bin"
}
