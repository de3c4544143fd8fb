#!/usr/bin/env bash
# bench-report.sh FILE: the targets of issue 14 (P1 to P6) beside the
# figures a `go test -bench` run wrote to FILE (make bench writes
# bench.out), one line each: target, measured, met or not. A figure the run
# did not produce is reported missing, never guessed.
set -euo pipefail
file=${1:?usage: bench-report.sh FILE}
awk '
# Each benchmark line: name, iterations, then value unit pairs.
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  for (i = 3; i + 1 <= NF; i += 2) v[name "|" $(i + 1)] = $i
}
function row(p, what, bench, unit, op, target,   key, val, ok, t) {
  key = bench "|" unit
  t = (op == "~") ? "1000 ±5%" : op " " target
  if (!(key in v)) { printf "%-3s %-52s %14s  %-12s %s\n", p, what, "missing", t, "NOT RUN"; missing++; return }
  val = v[key]
  ok = (op == ">=") ? (val + 0 >= target + 0) : (op == "<=") ? (val + 0 <= target + 0) : (val + 0 >= 950 && val + 0 <= 1050)
  printf "%-3s %-52s %14s  %-12s %s\n", p, what, (val + 0 >= 1000 ? sprintf("%.0f", val) : sprintf("%.4g", val)), t, ok ? "met" : "NOT MET"
  if (!ok) unmet++
}
END {
  printf "%-3s %-52s %14s  %-12s %s\n", "", "figure (benchmark)", "measured", "target", ""
  row("P1", "end to end / DuckDB read_json (Pipeline_Million)", "BenchmarkPipeline_Million", "P1_e2e/read_json", ">=", 0.25)
  row("P2", "incremental 1% / full refresh (Transform_Incremental)", "BenchmarkTransform_Incremental", "incremental/full", "<=", 0.05)
  row("P3", "all marts / GROUP BY over core.events (Marts)", "BenchmarkMarts", "marts/group_by", "<=", 2)
  row("P4", "local Kinesis put records/s, 4 shards 4 clients", "BenchmarkServer_Throughput", "put_records/s", ">=", 250000)
  row("P4", "local Kinesis read records/s, 4 shards 4 readers", "BenchmarkServer_Throughput", "get_records/s", ">=", 400000)
  row("P4", "limits mode records/s per shard (Producer_Throttled)", "BenchmarkProducer_Throttled", "records/s/shard", "~", 1000)
  row("P5", "dedup on / off with 2% duplicates (Consumer_Dedup)", "BenchmarkConsumer_Dedup", "on/off", ">=", 0.95)
  row("P6", "peak RSS MiB of the million-event demo", "BenchmarkPipeline_Million", "P6_peak_rss_MiB", "<=", 512)
  printf "\n%d targets not met, %d figures missing\n", unmet, missing
}' "$file"
