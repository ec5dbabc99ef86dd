#!/usr/bin/env bash
# Builds polycart's Debian package with cargo-deb, installs it, runs the systemd unit's
# command line as the unit would (its user, its environment file, its working
# directory), checks /healthz, then removes and purges the package, leaving the
# machine as it was. Needs root and dpkg; installs cargo-deb when missing.
#
# The package is built from an already built binary (`cargo deb --no-build`) of the
# profile in POLYCART_DEB_PROFILE (default `dev`: the binary `cargo test` builds
# anyway; a release build on two cores costs many minutes). `cargo deb` alone builds
# the release package users install.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${POLYCART_DEB_PROFILE:-dev}"
CARGO_DEB_VERSION="3.8.0"
WORK="$(mktemp -d)"
SERVER_PID=""
INSTALLED_BY_US=0

say() { printf 'test-deb: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$INSTALLED_BY_US" = 1 ] && dpkg -s polycart >/dev/null 2>&1; then
        dpkg --purge polycart >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "must run as root (dpkg -i)"
command -v dpkg >/dev/null || fail "dpkg is missing"
if dpkg -s polycart >/dev/null 2>&1; then
    fail "a polycart package is already installed here; not touching it"
fi

# cargo-deb, once per machine (~/.cargo/bin persists).
if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    say "installing cargo-deb $CARGO_DEB_VERSION (once per machine)"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --quiet
fi

case "$PROFILE" in
    dev) BIN_DIR=debug ;;
    *) BIN_DIR="$PROFILE" ;;
esac
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
if [ ! -x "$TARGET_DIR/$BIN_DIR/polycart" ]; then
    say "building the polycart binary ($PROFILE profile)"
    cargo build --profile "$PROFILE" --bin polycart --quiet
fi

say "building the package"
cargo deb --no-build --profile "$PROFILE" --fast --quiet --output "$WORK/polycart.deb" >/dev/null
DEB="$WORK/polycart.deb"
[ -s "$DEB" ] || fail "cargo deb made no package"
INFO="$(dpkg-deb --info "$DEB")"
grep -q "Package: polycart" <<<"$INFO" || fail "not a polycart package"
CONTENTS="$(dpkg-deb --contents "$DEB")"
for path in ./usr/bin/polycart ./etc/polycart/env ./usr/lib/systemd/system/polycart.service; do
    grep -q " ${path}\$" <<<"$CONTENTS" || fail "the package lacks $path"
done

say "installing"
INSTALLED_BY_US=1
dpkg -i "$DEB" >/dev/null || fail "dpkg -i failed"
getent passwd polycart >/dev/null || fail "postinst made no polycart user"
[ "$(stat -c '%U:%G %a' /var/lib/polycart)" = "polycart:polycart 750" ] \
    || fail "/var/lib/polycart is $(stat -c '%U:%G %a' /var/lib/polycart)"
[ "$(stat -c '%U:%G %a' /etc/polycart/env)" = "root:polycart 640" ] \
    || fail "/etc/polycart/env is $(stat -c '%U:%G %a' /etc/polycart/env)"
CONFFILES="$(dpkg-query -W -f='${Conffiles}\n' polycart)"
grep -q /etc/polycart/env <<<"$CONFFILES" || fail "/etc/polycart/env is not a conffile"
UNIT=""
for dir in /usr/lib/systemd/system /lib/systemd/system; do
    [ -f "$dir/polycart.service" ] && UNIT="$dir/polycart.service" && break
done
[ -n "$UNIT" ] || fail "no polycart.service installed"

if command -v systemd-analyze >/dev/null; then
    if out="$(systemd-analyze verify "$UNIT" 2>&1)"; then
        say "systemd-analyze verify: ok"
    elif printf '%s' "$out" | grep -q "polycart.service:"; then
        fail "systemd-analyze verify: $out"
    else
        say "systemd-analyze verify could not check the unit here (no systemd?): ${out%%$'\n'*}"
    fi
else
    say "systemd-analyze not installed: unit not verified"
fi

# The unit's command line, its user, environment file and working directory.
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
[ "$(unit_value User)" = polycart ] || fail "the unit does not run as polycart"
[ "$(unit_value EnvironmentFile)" = /etc/polycart/env ] || fail "the unit reads no /etc/polycart/env"
EXEC="$(unit_value ExecStart)"
WORKDIR="$(unit_value WorkingDirectory)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
declare -a ENVIRONMENT=()
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    case "$line" in POLYCART_ADDR=*) line="POLYCART_ADDR=127.0.0.1:$PORT" ;; esac
    ENVIRONMENT+=("$line")
done < /etc/polycart/env
# systemd's ${VAR} expansion of ExecStart, from the environment file.
for pair in "${ENVIRONMENT[@]}"; do
    EXEC="${EXEC//\$\{${pair%%=*}\}/${pair#*=}}"
done
case "$EXEC" in *'${'*) fail "ExecStart names a variable the environment file lacks: $EXEC" ;; esac
say "running: $EXEC (as polycart, in $WORKDIR)"
read -r -a ARGV <<<"$EXEC"
(cd "$WORKDIR" && exec runuser -u polycart -- env -i PATH=/usr/bin:/bin "${ENVIRONMENT[@]}" "${ARGV[@]}") \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
healthy=0
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
        healthy=1
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
done
[ "$healthy" = 1 ] || { cat "$WORK/server.log" >&2; fail "/healthz never answered"; }
runuser -u polycart -- /usr/bin/polycart healthcheck --url "http://127.0.0.1:$PORT/healthz" >/dev/null \
    || fail "polycart healthcheck failed"
[ "$(stat -c '%U' /var/lib/polycart/polycart.db)" = polycart ] \
    || fail "the sync store is not the service user's file in /var/lib/polycart"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
say "/healthz answered; server stopped"

say "removing"
dpkg -r polycart >/dev/null || fail "dpkg -r failed"
[ ! -e /usr/bin/polycart ] || fail "dpkg -r left /usr/bin/polycart"
[ -f /etc/polycart/env ] || fail "dpkg -r removed the conffile (only purge should)"
dpkg --purge polycart >/dev/null || fail "dpkg --purge failed"
[ ! -e /etc/polycart ] || fail "purge left /etc/polycart"
[ ! -e /var/lib/polycart ] || fail "purge left /var/lib/polycart"
! getent passwd polycart >/dev/null || fail "purge left the polycart user"
INSTALLED_BY_US=0
say "ok"
