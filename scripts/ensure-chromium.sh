#!/usr/bin/env bash
# The browser test drives Debian's Chromium (never a downloaded browser build). Install it when it is
# missing and we may (root with apt-get); otherwise say what to do. Idempotent.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium for the browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core >/dev/null
else
  echo "ensure-chromium: /usr/bin/chromium is missing; install Debian's chromium (sudo apt-get install chromium)" >&2
  exit 1
fi
