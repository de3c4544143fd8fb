#!/usr/bin/env bash
# Drive `shoplake tui` on the demo scenario in a detached 80x24 tmux
# session with send-keys, and print the screen (capture-pane) after each
# step. Usage: scripts/tui-tmux.sh [KEYS...]; each argument is a tmux key
# sent after the screen settles (default: run to the first fault, the
# marts, then to the end on the checks). Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/shoplake
go build -o "$bin" ./cmd/shoplake
session=shoplake-tui-$$
tmux new-session -d -s "$session" -x 80 -y 24 "$bin tui --save-dir $(dirname "$bin")"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT

# settle waits until the screen stops changing (the replay is at rest).
settle() {
	local prev="" cur
	for _ in $(seq 1 600); do
		sleep 0.5
		cur=$(tmux capture-pane -p -t "$session")
		if [ "$cur" = "$prev" ] && ! grep -q "fast-forward\|starting\|running to" <<<"$cur"; then
			return 0
		fi
		prev=$cur
	done
	echo "the screen did not settle" >&2
	return 1
}

keys=("$@")
if [ ${#keys[@]} -eq 0 ]; then
	keys=(f 4 e 5)
fi
settle
for k in "${keys[@]}"; do
	tmux send-keys -t "$session" "$k"
	settle
	echo "── after key: $k"
	tmux capture-pane -p -t "$session"
done
tmux send-keys -t "$session" q
