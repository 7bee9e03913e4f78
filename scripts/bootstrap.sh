#!/usr/bin/env bash
# Create .venv and install what the project needs. Sourced by scripts/demo and scripts/test.
# Usage: bootstrap.sh runtime|dev
# Debian packages are installed when running as root; otherwise the one command to run is printed.
set -euo pipefail
mode="${1:-dev}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Qt needs these shared libraries even offscreen; xvfb gives a real (virtual) window.
runtime_debs=(libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 xvfb xauth libportaudio2)
# dbus-python (for python-dbusmock, the mock BlueZ) builds against these; dbus-daemon runs the bus.
dev_debs=(dbus-daemon libdbus-1-dev libglib2.0-dev pkg-config gcc python3-dev)
debs=("${runtime_debs[@]}")
[ "$mode" = dev ] && debs+=("${dev_debs[@]}")

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
      export DEBIAN_FRONTEND=noninteractive
      # another package manager (e.g. automatic updates) may hold the dpkg lock: wait for it
      scripts/wait-for-dpkg-lock.sh
      # and let apt itself wait too, should one start between our check and apt's
      apt_wait=(-o "DPkg::Lock::Timeout=${BOOTSTRAP_LOCK_TIMEOUT:-600}")
      apt_log="$(mktemp)"
      if ! { apt-get "${apt_wait[@]}" update -qq &&
             apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends "${missing[@]}"; } \
           >"$apt_log" 2>&1; then
        reason="$(grep -E '^E: ' "$apt_log" | head -n 1 || true)"
        echo "bootstrap: error: apt-get could not install ${missing[*]}: ${reason:-see below}" >&2
        [ -n "$reason" ] || tail -n 20 "$apt_log" >&2
        rm -f "$apt_log"
        exit 1
      fi
      rm -f "$apt_log"
    else
      echo "bootstrap: missing Debian packages. Run once, then try again:" >&2
      echo "  sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
fi

py="${PYTHON:-}"
if [ -z "$py" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      py="$cand"; break
    fi
  done
fi
[ -n "$py" ] || { echo "bootstrap: Python 3.11 or newer is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $py" >&2
  "$py" -m venv .venv
fi
extra=""; [ "$mode" = dev ] && extra="[dev]"
want="$(sha256sum < pyproject.toml | cut -c1-16)"
installed() { [ -f ".venv/.installed-$1" ] && [ "$(cat ".venv/.installed-$1")" = "$want" ]; }
stamp=".venv/.installed-$mode"
# a dev install (scripts/test) includes everything the demo needs
if ! installed "$mode" && ! { [ "$mode" = runtime ] && installed dev; }; then
  echo "bootstrap: installing Python packages into .venv (first run takes a minute)" >&2
  log=".venv/install.log"
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --disable-pip-version-check -e ".$extra"; } >"$log" 2>&1
  then
    tail -n 30 "$log" >&2
    echo "bootstrap: pip install failed (full log: $root/$log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
  # pylsl's Linux x86_64 wheel carries liblsl on glibc >= 2.35 (Debian 12, Ubuntu 22.04); older
  # systems get it without (no Debian package exists): only `--lsl` is missing then
  if ! .venv/bin/python -c "import pylsl" >/dev/null 2>&1; then
    echo "bootstrap: note: liblsl cannot be loaded, so Lab Streaming Layer (record --lsl) is" \
         "unavailable; to add it: conda install -c conda-forge liblsl (docs/LSL.md)" >&2
  fi
fi
