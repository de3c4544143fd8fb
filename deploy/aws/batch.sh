#!/usr/bin/env bash
# shoplake-batch: the daily batch chain of one logical date against the AWS
# deployment, as the ECS task of deploy/aws/template.yaml runs it:
#
#   shoplake ingest --date D -> shoplake transform -> shoplake check
#
# usage: shoplake-batch [YYYY-MM-DD]    (default: yesterday, UTC)
#
# Each step prints its result as JSON on stdout (CloudWatch Logs keeps it);
# progress lines go to stderr. The first failing step stops the chain with
# its exit status, so the task fails and nothing later runs on a partial
# day; every step is safe to rerun (ingest reports a committed date
# "unchanged"). A backfill runs the task with the date as its argument.
#
# The environment (set by the task definition): REDSHIFT_DSN, the
# warehouse's DSN from Secrets Manager, and the SHOPLAKE_ settings (mode,
# bucket, FakeStore URL, email hash key). REDSHIFT_DSN deliberately has no
# SHOPLAKE_ prefix: shoplake rejects SHOPLAKE_ variables it does not know.
set -euo pipefail

if (($# > 1)); then
	echo "usage: shoplake-batch [YYYY-MM-DD]" >&2
	exit 2
fi
d="${1:-$(date -u -d yesterday +%F)}"
if [[ ! $d =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
	echo "shoplake-batch: logical date \"$d\": want YYYY-MM-DD" >&2
	exit 2
fi
: "${REDSHIFT_DSN:?shoplake-batch: REDSHIFT_DSN is not set (the task definition takes it from Secrets Manager)}"

# step runs one step; with WAREHOUSE=1 against the warehouse (the DSN is
# added here, never echoed: it holds a password).
step() {
	echo "shoplake-batch: $d: $*" >&2
	if [ "${WAREHOUSE:-0}" = 1 ]; then
		shoplake "$@" --postgres "$REDSHIFT_DSN" --json
	else
		shoplake "$@" --json
	fi
}

# ingest keeps its history in the lake: only transform and check use the warehouse.
step ingest --date "$d"
WAREHOUSE=1 step transform
WAREHOUSE=1 step check
echo "shoplake-batch: $d: done" >&2
