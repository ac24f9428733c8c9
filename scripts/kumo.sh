#!/usr/bin/env bash
# Builds kumo (github.com/sivchari/kumo, an independent AWS emulator), at the
# version pinned in tools/kumo, into $1 (default bin/kumo), for the fleet's
# smoke test against it (KUMO=bin/kumo go test ./fleet/ecs -run Kumo). A
# module of its own keeps its dependencies out of loadgen's go.mod; its
# go.sum holds every hash, so the build checks them without the checksum
# database (which serves no entry for two of its dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-bin/kumo}")
mkdir -p "$(dirname "$out")"
cd tools/kumo
${GO:-go} build -trimpath -o "$out" github.com/sivchari/kumo/cmd/kumo
echo "kumo: $out"
