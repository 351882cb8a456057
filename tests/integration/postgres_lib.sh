# A throwaway PostgreSQL server for tests and benchmarks (Debian's postgresql): initdb into a
# temporary directory owned by the postgres user, a Unix socket there and no TCP, one database
# "tandem" that user "tandem" may use without a password. Stopped by its own pg_ctl (the test's
# EXTRA_CLEANUP), its directory removed. Sourced after tests/netns/lib.sh.

# start_test_postgres: starts the server; sets PGBIN, PGDIR and PG_URI (a postgresql:// URI for
# [accounts] store). PG_OPTIONS, when set, replaces the server options "-c fsync=off" (a test
# needs no durability; a benchmark measures the server as configured by default: PG_OPTIONS="").
start_test_postgres() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] ||
    die "PostgreSQL's server programs are missing (scripts/install-deps.sh installs postgresql)"
  id postgres >/dev/null 2>&1 || die "no postgres user to run the test's server as (postgresql package)"

  PGDIR=$(mktemp -d /tmp/tandem-pg-XXXXXX)
  chown postgres: "$PGDIR"
  chmod 700 "$PGDIR"
  pg_stop() {
    [ -f "$PGDIR/data/postmaster.pid" ] &&
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$PGDIR"
  }
  EXTRA_CLEANUP=pg_stop
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -U tandem --auth=trust --no-sync -E UTF8 \
    >"$TMPDIR_TEST/initdb.log" 2>&1 || { cat "$TMPDIR_TEST/initdb.log" >&2; die "initdb failed"; }
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-k $PGDIR -c listen_addresses='' ${PG_OPTIONS--c fsync=off}" start >/dev/null ||
    { cat "$PGDIR/server.log" >&2; die "the PostgreSQL server did not start"; }
  wait_until "PostgreSQL accepting connections" 60 "$PGBIN/pg_isready" -q -h "$PGDIR" -U tandem
  "$PGBIN/psql" -q -h "$PGDIR" -U tandem -d postgres -c "CREATE DATABASE tandem" ||
    die "cannot create the database"
  PG_URI="postgresql:///tandem?host=$PGDIR&user=tandem"
}
