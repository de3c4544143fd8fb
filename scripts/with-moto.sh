#!/usr/bin/env bash
# with-moto.sh CMD [ARGS...]: runs CMD with a fresh moto_server (moto, a
# third-party AWS emulator) listening on a free loopback port, exported as
# MOTO_ENDPOINT, and stops the server afterwards. It fails, loudly, when
# moto_server is not installed: the suites that need it never skip.
set -euo pipefail
if ! command -v moto_server >/dev/null; then
	echo "with-moto: moto_server is not on PATH; install it with: pip install 'moto[server]'" >&2
	exit 1
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
	if curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 $pid 2>/dev/null; then
		echo "with-moto: moto_server exited:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null || { echo "with-moto: moto_server did not answer on port $port" >&2; cat "$log" >&2; exit 1; }
echo "with-moto: moto $(python3 -c 'import moto; print(moto.__version__)') on http://127.0.0.1:$port" >&2
export MOTO_ENDPOINT="http://127.0.0.1:$port"
"$@"
