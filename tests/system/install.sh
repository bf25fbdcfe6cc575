#!/usr/bin/env bash
# Installs the Debian packages listed in packages.txt whose command is missing.
# Needs root (or passwordless sudo); says so plainly otherwise.
set -euo pipefail
list="$(dirname "$0")/packages.txt"
missing=()
while read -r package command; do
  case "$package" in ''|'#'*) continue ;; esac
  [ -x "$command" ] || missing+=("$package")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"
else
  echo "error: the tests need these Debian packages: ${missing[*]}" >&2
  echo "       install them (apt-get install ${missing[*]}) or run as root" >&2
  exit 1
fi
echo "installing Debian packages for the tests: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
