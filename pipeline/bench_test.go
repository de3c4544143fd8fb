package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
)

// BenchmarkPipeline measures the demo pipeline end to end (simulation,
// FakeStore ingestion, Kinesis put and consume, RAW writes, warehouse load,
// MERGE and marts) in events per second, and, on the very NDJSON that run
// wrote to RAW, DuckDB's own rate for CREATE TABLE AS SELECT * FROM
// read_json(...), with the ratio of the two. Both rates are medians over
// the iterations of one run, so the ratio compares like with like.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	var e2e []float64
	var ndjson []byte
	var events int
	for i := 0; i < b.N; i++ {
		cfg := testConfig(b.TempDir(), 42)
		cfg.Sim.Days, cfg.Sim.Users = 2, 3000
		start := time.Now()
		r, err := pipeline.NewRunner(ctx, cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Run(ctx, nil); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		events = r.Totals().Generated
		e2e = append(e2e, float64(events)/elapsed.Seconds())
		if ndjson == nil {
			ndjson = rawNDJSON(b, r)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()

	path := filepath.Join(b.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, ndjson, 0o644); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var duck []float64
	for i := 0; i < max(b.N, 5); i++ {
		start := time.Now()
		// The path is a temp file of this benchmark; DuckDB takes no
		// parameter for a table function's file name.
		q := fmt.Sprintf("CREATE OR REPLACE TABLE bench_events AS SELECT * FROM read_json('%s', format='newline_delimited')", path)
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM bench_events").Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n != events {
			b.Fatalf("DuckDB read %d events, the pipeline wrote %d", n, events)
		}
		duck = append(duck, float64(n)/elapsed.Seconds())
	}
	me, md := median(e2e), median(duck)
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(me, "e2e_events/s")
	b.ReportMetric(md, "duckdb_read_json_events/s")
	b.ReportMetric(md/me, "duckdb/e2e")
}

// rawNDJSON concatenates every RAW events object of r's lake, uncompressed.
func rawNDJSON(tb testing.TB, r *pipeline.Runner) []byte {
	ctx := context.Background()
	infos, err := r.Env.Lake.List(ctx, lake.RawEvents)
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	for _, info := range infos {
		body, err := r.Env.Lake.Get(ctx, info.Key)
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(&out, zr); err != nil {
			tb.Fatal(err)
		}
	}
	return out.Bytes()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
