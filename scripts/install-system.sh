#!/usr/bin/env bash
# System packages Likely needs from Debian: WordNet (label parents), Chromium (browser tests).
set -euo pipefail
need=()
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v rabbitmq-server >/dev/null || need+=(rabbitmq-server)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
