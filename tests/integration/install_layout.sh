#!/bin/bash
# What `cmake --install` leaves for an operator, checked in a fresh prefix: every file in its
# place with sane modes, the tandem-userspace link, man pages that render without a groff
# warning, a systemd unit that parses and starts the binary of this very prefix with the
# capabilities the daemon needs, and a bash completion that completes. Needs no root and no
# namespaces. Every check runs; the failures are listed together at the end.
#
# usage: install_layout.sh BUILD_DIR
set -uo pipefail
BUILD=${1:?usage: install_layout.sh BUILD_DIR}

FAILURES=()
note() { echo "--- $*"; }
# check WHAT COMMAND...: records WHAT as a failure unless COMMAND succeeds.
check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else FAILURES+=("$what"); echo "not ok: $what" >&2; fi
}
# The mode a file would be installed with is the packager's, not the caller's umask's business,
# but the usual umask is 022: directories must come out world-readable for man and bash.
umask 022
PREFIX=$(mktemp -d /tmp/tandem-install-test.XXXX)
WORK=$(mktemp -d /tmp/tandem-install-work.XXXX)
trap 'rm -rf "$PREFIX" "$WORK"' EXIT

note "cmake --install $BUILD --prefix $PREFIX"
if ! cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  echo "FAIL: cmake --install failed" >&2
  exit 1
fi

BIN=$PREFIX/bin/tandem
UNIT=$PREFIX/lib/systemd/system/tandem@.service
MAN8=$PREFIX/share/man/man8/tandem.8
MAN5=$PREFIX/share/man/man5/tandem.toml.5
COMPLETION=$PREFIX/share/bash-completion/completions/tandem
EXAMPLES=$PREFIX/share/doc/tandem/examples

note "files and modes"
mode_of() { stat -c %a "$1" 2>/dev/null; }
# has_mode MODE FILE: a regular file (not a link) with exactly MODE.
has_mode() { [ -f "$2" ] && [ ! -L "$2" ] && [ "$(mode_of "$2")" = "$1" ]; }
check "bin/tandem is installed 0755 (is $(mode_of "$BIN"))" has_mode 755 "$BIN"
check "bin/tandem runs and says its version" grep -Eqx 'tandem [0-9]+\.[0-9]+\.[0-9]+' \
  <<<"$("$BIN" --version 2>&1)"
check "bin/tandem-userspace is a link to tandem" \
  test -L "$PREFIX/bin/tandem-userspace" -a "$(readlink "$PREFIX/bin/tandem-userspace")" = tandem
for f in "$UNIT" "$MAN8" "$MAN5" "$COMPLETION"; do
  check "${f#"$PREFIX"/} is installed 0644 (is $(mode_of "$f"))" has_mode 644 "$f"
done
examples=("$EXAMPLES"/*.toml)
check "share/doc/tandem/examples holds example configs" test -f "${examples[0]}"
for f in "${examples[@]}"; do
  [ -f "$f" ] || continue
  check "${f#"$PREFIX"/} is installed 0644 (is $(mode_of "$f"))" has_mode 644 "$f"
done
for d in share/man/man8 share/man/man5 share/bash-completion/completions lib/systemd/system; do
  check "$d is a 0755 directory (is $(mode_of "$PREFIX/$d"))" \
    test "$(mode_of "$PREFIX/$d")" = 755
done

note "man pages render without groff warnings"
if command -v groff >/dev/null; then
  for page in "$MAN8" "$MAN5"; do
    # -ww: every warning; -z: format, discard the output. Any message at all is a failure.
    groff -man -Tutf8 -ww -z "$page" >"$WORK/groff.out" 2>&1
    rc=$?
    check "${page##*/} renders with no groff warning$(sed 's/^/: /' "$WORK/groff.out" | head -3)" \
      test "$rc" = 0 -a ! -s "$WORK/groff.out"
  done
  check "tandem.8 has its NAME line" grep -q '^tandem \\- ' "$MAN8"
else
  FAILURES+=("groff is missing (install groff-base): the man pages were not checked")
  echo "not ok: groff is missing" >&2
fi

note "the systemd unit"
unit_line() { grep -E "^$1=" "$UNIT" | tail -1 | cut -d= -f2-; }
EXEC_START=$(unit_line ExecStart)
check "no @VARIABLE@ is left unsubstituted in the unit" bash -c "! grep -Eq '@[A-Z_]+@' '$UNIT'"
check "ExecStart runs this prefix's binary (ExecStart=$EXEC_START)" \
  test "${EXEC_START%% *}" = "$BIN"
check "ExecStart is 'tandem up ... %i', in the foreground (no -d)" \
  bash -c '[[ $1 == *" up "*"%i" && $1 != *" -d"* && $1 != *"--daemon"* ]]' _ "$EXEC_START"
check "Type=notify" test "$(unit_line Type)" = notify
check "Restart=on-failure" test "$(unit_line Restart)" = on-failure
EXEC_RELOAD=$(unit_line ExecReload)
check "ExecReload is this prefix's 'tandem reload %i', which waits for the outcome (ExecReload=$EXEC_RELOAD)" \
  test "$EXEC_RELOAD" = "$BIN reload %i"
for cap in CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW; do
  check "CapabilityBoundingSet has $cap" grep -Eq "^CapabilityBoundingSet=.*\b$cap\b" "$UNIT"
done
check "the bounding set has nothing else" \
  test "$(unit_line CapabilityBoundingSet | tr ' ' '\n' | grep -cv '^CAP_NET_\(ADMIN\|BIND_SERVICE\|RAW\)$')" = 0
check "ProtectSystem=strict" test "$(unit_line ProtectSystem)" = strict
# With the file system read-only the daemon can still write its sockets only if systemd gives it
# /run/tandem and /run/wireguard (kL2tpStatusSocketDir, kUapiSocketDir).
check "the unit makes /run/tandem and /run/wireguard writable" \
  bash -c 'for d in tandem wireguard; do grep -Eq "^RuntimeDirectory=(.* )?$d( |$)" "$1" || grep -Eq "^ReadWritePaths=.*/run/$d" "$1" || exit 1; done' _ "$UNIT"
check "DeviceAllow=/dev/net/tun rw" grep -qx 'DeviceAllow=/dev/net/tun rw' "$UNIT"
check "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK" \
  grep -qx 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' "$UNIT"
for key in NoNewPrivileges ProtectHome PrivateTmp ProtectKernelModules ProtectControlGroups \
  LockPersonality RestrictRealtime; do
  check "$key=yes" test "$(unit_line "$key")" = yes
done
if command -v systemd-analyze >/dev/null; then
  # verify reports most mistakes (unknown keys, bad values) as warnings with exit status 0, so
  # any output fails. MANPATH lets it find the man pages Documentation= names in this prefix.
  MANPATH=$PREFIX/share/man systemd-analyze verify "$UNIT" >"$WORK/verify.out" 2>&1
  rc=$?
  check "systemd-analyze verify accepts the unit$(sed 's/^/: /' "$WORK/verify.out" | head -3)" \
    test "$rc" = 0 -a ! -s "$WORK/verify.out"
  # Information for the reader of the log: how exposed systemd rates the service.
  systemd-analyze security --offline=true "$UNIT" 2>/dev/null | grep 'Overall exposure' || true
else
  echo "!!! systemd-analyze NOT FOUND: the unit was NOT parsed by systemd; only its key lines" \
    "were checked with grep. Install systemd to check it fully." >&2
fi

note "a staged install (DESTDIR), as package builds do"
STAGE=$WORK/stage
if DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr >"$WORK/stage.log" 2>&1; then
  STAGED_EXEC=$(grep -E '^ExecStart=' "$STAGE/usr/lib/systemd/system/tandem@.service" | cut -d= -f2-)
  check "a staged unit starts /usr/bin/tandem, without the staging directory (is ${STAGED_EXEC%% *})" \
    test "${STAGED_EXEC%% *}" = /usr/bin/tandem
  check "a staged install puts the binary under DESTDIR" test -x "$STAGE/usr/bin/tandem"
else
  cat "$WORK/stage.log" >&2
  FAILURES+=("DESTDIR=... cmake --install --prefix /usr failed")
fi

note "bash completion"
check "the completion is valid bash (bash -n)" bash -n "$COMPLETION"
mkdir -p "$WORK/etc-tandem"
touch "$WORK/etc-tandem/office.toml" "$WORK/etc-tandem/home.toml" "$WORK/etc-tandem/notes.txt"
# complete WORDS...: what the completion offers for the command line WORDS (the last one being
# completed), one per line, from a shell that has sourced nothing but the installed file.
complete_words() {
  TANDEM_COMPLETION_CONFIG_DIR=$WORK/etc-tandem bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _tandem && printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@"
}
check "'tandem u<TAB>' offers up" grep -qx up <<<"$(complete_words tandem u)"
check "'tandem <TAB>' offers every subcommand" bash -c \
  'for c in up down reload check status userspace genkey genpsk pubkey import-wg profile; do grep -qx "$c" <<<"$1" || exit 1; done' \
  _ "$(complete_words tandem '')"
check "'tandem up o<TAB>' offers the config name office from the config directory" \
  test "$(complete_words tandem up o)" = office
check "'tandem up <TAB>' offers config names only, not other files" \
  test "$(complete_words tandem up '' | sort | tr '\n' ' ')" = "home office "
check "'tandem reload h<TAB>' offers the config name home" \
  test "$(complete_words tandem reload h)" = home
check "'tandem up --log-level d<TAB>' offers debug" test "$(complete_words tandem up --log-level d)" = debug
check "'tandem status --j<TAB>' offers --json" test "$(complete_words tandem status --j)" = --json
printf '[interface]\nname = "gw"\n\n[[account]]\nname = "alice"\n\n[[account]]\nname = "albert"\n' \
  >"$WORK/etc-tandem/gw.toml"
check "'tandem profile --config gw.toml --account al<TAB>' offers the file's accounts" \
  test "$(complete_words tandem profile --config "$WORK/etc-tandem/gw.toml" --account al | sort | tr '\n' ' ')" = "albert alice "
check "'tandem profile --format p<TAB>' offers png and powershell" \
  test "$(complete_words tandem profile --format p | sort | tr '\n' ' ')" = "png powershell "

[ ${#FAILURES[@]} = 0 ] || {
  echo "FAIL: ${#FAILURES[@]} check(s) failed: $(printf '%s; ' "${FAILURES[@]}")" >&2
  exit 1
}
note "the installation is complete and sane"
