#!/usr/bin/env bash
# make bench: loadgen against wrk and bombardier on a loopback nginx.
#
#   bash bench/run.sh            # full: 10 s runs, 5 interleaved rounds, 50 and 200 conns, two pages;
#                                # the first page also at 1,000 and 10,000 conns; loadgen with and
#                                # without --hlog at 5,000
#   QUICK=1 bash bench/run.sh    # CI: 2 s runs, 1 round, the small page
#   SYSCALLS=1 bash bench/run.sh # also system calls per request (perf stat)
#   BENCH_ARGS="-rounds 7" bash bench/run.sh
#
# Installs what is missing (nginx-light and wrk from Debian, bombardier with
# go install), then runs bench/benchrun, which starts nginx on 127.0.0.1,
# pins it to CPU 0 and the clients to CPU 1, and stops it by its pid.
# Results: bench/out/results.{md,json}; loadgen's reports in bench/out/runs/,
# compared with the previous recording by `loadgen compare` (exit 1 on a
# significant regression).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "bench: installing ${need_apt[*]}"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq
	# Debian's package starts nginx on port 80 where it can; we only need the binary.
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
	if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop nginx 2>/dev/null || true; fi
	# Without systemd the package's init script may have started it: stop that one by its pid.
	if [ -s /run/nginx.pid ]; then $SUDO kill -QUIT "$(cat /run/nginx.pid)" 2>/dev/null || true; fi
fi
GOBIN_DIR="$($GO env GOPATH)/bin"
BOMBARDIER="$GOBIN_DIR/bombardier"
if [ ! -x "$BOMBARDIER" ]; then
	echo "bench: installing bombardier v1.2.6"
	(cd /tmp && GOFLAGS= $GO install github.com/codesenberg/bombardier@v1.2.6)
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# The binaries users run: bin/loadgen, the lean build (no AWS SDK), which a
# plain run uses, and bin/loadgen-aws (make build says how they are built).
make --no-print-directory build GO="$GO"
mkdir -p bench/out
$GO build -o bench/out/benchrun ./bench/benchrun

args=(-loadgen bin/loadgen -wrk "$(command -v wrk)" -bombardier "$BOMBARDIER" -nginx "$NGINX" -out bench/out)
[ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ] && args+=(-quick)
[ -n "${SYSCALLS:-}" ] && [ "${SYSCALLS}" != 0 ] && args+=(-syscalls)
# shellcheck disable=SC2086
exec timeout --signal=INT --kill-after=30s 40m bench/out/benchrun "${args[@]}" ${BENCH_ARGS:-}
