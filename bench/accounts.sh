#!/bin/bash
# The state store at scale: ACCOUNTS accounts (default 10,000; half with an L2TP password, whose
# NT hash is computed on the way in) imported from one CSV file with `tandem account import-csv`
# (one transaction), listed (`tandem account list`) and looked up one by one (`tandem account
# show`, 200 random names, each a whole CLI run: process start, config, store open and query),
# in SQLite and in PostgreSQL (a server started here with its default settings, on a Unix
# socket), and a change to one account applied by a running gateway on that store. Prints one
# table of wall-clock times. Needs root (the PostgreSQL server runs as the
# postgres user).
source "$(dirname "$0")/lib.sh"
source tests/integration/postgres_lib.sh
source tests/integration/hybrid_lib.sh
ACCOUNTS=${ACCOUNTS:-10000}
LOOKUPS=200

PG_OPTIONS="" start_test_postgres
python3 - "$ACCOUNTS" "$TMPDIR_TEST/accounts.csv" <<'PY'
import base64, os, sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as out:
    out.write("name,public_key,password\n")
    for i in range(n):
        key = base64.b64encode(os.urandom(32)).decode()
        password = f"password {i}" if i % 2 else ""
        out.write(f"user{i:06d},{key},{password}\n")
PY
chmod 600 "$TMPDIR_TEST/accounts.csv"

# config FILE STORE: a gateway whose /16 pool holds every account.
config() { store_gateway_config "$1" bench0 10.0.0.1/16 10.0.0.10-10.0.255.250 "$2"; }
seconds() { python3 -c 'import sys, time; print(f"{time.monotonic():.3f}")'; }
since() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$(seconds)"; }

# apply_ms BACKEND: a gateway on that store (a namespace of its own) started, one account
# disabled with `tandem account disable`; sets APPLY_MS to how long the gateway took to apply it
# (its log's "applied (...) in N ms": reading the change from the store and reloading its
# accounts).
apply_ms() {
  local ns="$1$TAG" log="$TMPDIR_TEST/$1-gateway.log" name pid
  name=$(printf 'user%06d' $((ACCOUNTS / 2)))
  make_ns "$ns"
  SOCKETS+=(/var/run/tandem/bench0.hybrid /var/run/wireguard/bench0.sock)
  start_tandem_up "$ns" "$TMPDIR_TEST/$1.toml" "$log" /var/run/tandem/bench0.hybrid
  pid=$TANDEM_PID
  WAIT_WATCH_PID=$pid WAIT_WATCH_LOG=$log wait_log "$log" "accounts: $ACCOUNTS in the store" 120
  "$TANDEM_BIN" account disable "$name" -c "$TMPDIR_TEST/$1.toml" >/dev/null || die "$1: disable failed"
  WAIT_WATCH_PID=$pid WAIT_WATCH_LOG=$log wait_log "$log" "applied \($name\) in" 60
  stop_pid "$pid" 60 "the $1 gateway"
  APPLY_MS=$(sed -n "s/.*applied ($name) in \([0-9.]*\) ms.*/\1/p" "$log" | tail -1)
}

printf '%-12s %12s %10s %18s %10s %16s\n' store "import (s)" "list (s)" "show, each (ms)" accounts \
  "apply one (ms)"
for backend in sqlite postgresql; do
  if [ "$backend" = sqlite ]; then store="$TMPDIR_TEST/accounts.db"; else store=$PG_URI; fi
  config "$TMPDIR_TEST/$backend.toml" "$store"
  t=$(seconds)
  "$TANDEM_BIN" account import-csv -c "$TMPDIR_TEST/$backend.toml" --from "$TMPDIR_TEST/accounts.csv" \
    >"$TMPDIR_TEST/import.log" 2>&1 || { cat "$TMPDIR_TEST/import.log" >&2; die "$backend: import-csv failed"; }
  import_s=$(since "$t")
  t=$(seconds)
  "$TANDEM_BIN" account list -c "$TMPDIR_TEST/$backend.toml" >"$TMPDIR_TEST/list.txt" ||
    die "$backend: list failed"
  list_s=$(since "$t")
  listed=$(($(wc -l <"$TMPDIR_TEST/list.txt") - 1))
  [ "$listed" = "$ACCOUNTS" ] || die "$backend: listed $listed accounts, not $ACCOUNTS"
  t=$(seconds)
  for i in $(seq "$LOOKUPS"); do
    name=$(printf 'user%06d' $(((RANDOM * 32768 + RANDOM) % ACCOUNTS)))
    "$TANDEM_BIN" account show "$name" -c "$TMPDIR_TEST/$backend.toml" >/dev/null ||
      die "$backend: show $name failed"
  done
  show_ms=$(python3 -c 'import sys; print(f"{float(sys.argv[1]) * 1000 / int(sys.argv[2]):.1f}")' "$(since "$t")" "$LOOKUPS")
  apply_ms "$backend"
  printf '%-12s %12s %10s %18s %10s %16s\n' "$backend" "$import_s" "$list_s" "$show_ms" "$listed" \
    "$APPLY_MS"
done
