#!/usr/bin/env bash
# Wait until no other package manager holds the dpkg/apt locks, then exit 0.
# On a fresh Debian/Ubuntu machine unattended-upgrades or apt-daily often hold them for minutes;
# apt-get would fail at once with "Could not get lock ..." (exit 100). We wait with a message
# instead and give up after a timeout with one clear line (exit 1).
#
# Environment (tests use temporary lock files):
#   BOOTSTRAP_DPKG_LOCKS   space-separated lock files (default: dpkg's and apt's own)
#   BOOTSTRAP_LOCK_TIMEOUT seconds to wait before giving up (default 600)
# A lock is "held" when /proc/locks lists a lock on its inode: that covers apt/dpkg's fcntl locks
# and flock(1) locks alike.
set -euo pipefail

locks="${BOOTSTRAP_DPKG_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}"
timeout="${BOOTSTRAP_LOCK_TIMEOUT:-600}"
case "$timeout" in ''|*[!0-9]*) echo "bootstrap: BOOTSTRAP_LOCK_TIMEOUT must be whole seconds" >&2; exit 2;; esac

# Prints "PID PATH" of the first held lock, nothing when all are free.
holder() {
  [ -r /proc/locks ] || return 0
  local path inode pid
  for path in $locks; do
    [ -e "$path" ] || continue
    inode="$(stat -L -c %i "$path" 2>/dev/null)" || continue
    # /proc/locks: "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (field 6 ends in :inode)
    pid="$(awk -v ino=":$inode" '{ f = $6; if (substr(f, length(f) - length(ino) + 1) == ino) { print $5; exit } }' /proc/locks 2>/dev/null)"
    if [ -n "$pid" ] && [ "$pid" != "$$" ]; then
      echo "$pid $path"
      return 0
    fi
  done
}

describe() {  # "unattended-upgr (pid 1234)"
  local name
  name="$(cat "/proc/$1/comm" 2>/dev/null || echo "another process")"
  echo "$name (pid $1)"
}

held="$(holder)"
[ -z "$held" ] && exit 0
pid="${held%% *}"; path="${held#* }"
echo "bootstrap: waiting for $(describe "$pid") to release $path (another package manager is" \
  "running, e.g. automatic updates; giving up after ${timeout} s)..." >&2
start=$SECONDS; last_note=$SECONDS
while :; do
  sleep 1
  held="$(holder)"
  [ -z "$held" ] && { echo "bootstrap: package manager lock released after $((SECONDS - start)) s" >&2; exit 0; }
  pid="${held%% *}"; path="${held#* }"
  if [ $((SECONDS - start)) -ge "$timeout" ]; then
    echo "bootstrap: error: $(describe "$pid") still holds $path after ${timeout} s; let it finish" \
      "(or stop it), then run this command again" >&2
    exit 1
  fi
  if [ $((SECONDS - last_note)) -ge 30 ]; then
    echo "bootstrap: still waiting for $(describe "$pid") ($((SECONDS - start)) s)..." >&2
    last_note=$SECONDS
  fi
done
