# Shell helpers: make sure a PostgreSQL server answers on this machine and tell how to reach
# it. Uses a server already on 127.0.0.1:5432 (trust auth), else starts Debian's cluster
# (creating one if the package made none), and connects over its socket as a superuser role
# named like the current user (created once), so no password is needed.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 && psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    PG_MODE=tcp
    return
  fi
  local version
  version=$(basename "$(dirname "$(pg_bin)")")
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
    pg_createcluster "$version" main >/dev/null
  fi
  local cluster
  cluster=$(pg_lsclusters -h | head -n 1 | awk '{print $1" "$2}')
  if ! pg_lsclusters -h | head -n 1 | grep -q online; then
    pg_ctlcluster --skip-systemctl-redirect $cluster start
  fi
  local me
  me=$(id -un)
  if ! su postgres -c "psql -Atc \"select 1 from pg_roles where rolname='$me'\"" | grep -q 1; then
    su postgres -c "createuser --superuser '$me'"
  fi
  PG_MODE=socket
}

postgres_dsn() {
  local db=$1
  if [ "${PG_MODE:-tcp}" = tcp ]; then
    echo "postgresql://postgres@127.0.0.1:5432/$db"
  else
    echo "postgresql:///$db?host=/var/run/postgresql"
  fi
}
