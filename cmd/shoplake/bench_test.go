package main

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// BenchmarkPipeline_Million is P1 and P6 of make bench: `shoplake demo` of
// one day of at least a million events (--users 330000 gives 1,082,762 with
// the default seed), run as its own process from a fresh build, through
// the same producer, Kinesis server, consumer, RAW, STAGING, MERGE and
// marts as any demo. It reports the end-to-end rate (events over the
// process's wall time, the world's simulation and the final report
// included), the peak RSS of the process (getrusage), and DuckDB's own
// read_json rate over the very NDJSON the run wrote to RAW (uncompressed,
// one file: CREATE TABLE AS SELECT * FROM read_json(...)), with the ratio.
// Rates and peaks are medians over the iterations of one run.
//
// SHOPLAKE_BENCH_USERS overrides --users: 3100000 makes a day of ten
// million events, the check that memory stays flat in the events.
func BenchmarkPipeline_Million(b *testing.B) {
	users := 330_000
	if v := os.Getenv("SHOPLAKE_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SHOPLAKE_BENCH_USERS %q: want a positive number of users", v)
		}
		users = n
	}
	bin := filepath.Join(b.TempDir(), "shoplake")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var rates, rss []float64
	var events int
	var ndjson string
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "data")
		cmd := exec.Command(bin, "demo", "--days", "1", "--users", strconv.Itoa(users), "--data-dir", dir, "--json")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		elapsed := time.Since(start)
		if err != nil {
			b.Fatalf("demo: %v\n%s", err, stderr.String())
		}
		n, err := demoEvents(out)
		if err != nil {
			b.Fatal(err)
		}
		events = n
		rates = append(rates, float64(n)/elapsed.Seconds())
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Fatal("no rusage for the demo's process")
		}
		rss = append(rss, float64(ru.Maxrss)/1024) // KiB on Linux
		if ndjson == "" {
			ndjson = filepath.Join(b.TempDir(), "events.ndjson")
			if err := rawToNDJSON(filepath.Join(dir, "lake"), ndjson); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	duck := readJSONRate(b, ndjson, events)
	me := median(rates)
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(me, "e2e_events/s")
	b.ReportMetric(duck, "read_json_events/s")
	b.ReportMetric(me/duck, "P1_e2e/read_json")
	b.ReportMetric(median(rss), "P6_peak_rss_MiB")
}

// demoEvents reads the events in CORE from demo --json.
func demoEvents(out []byte) (int, error) {
	var res struct {
		InCore int `json:"events_in_core"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.InCore == 0 {
		return 0, fmt.Errorf("demo --json: %v (events_in_core %d)", err, res.InCore)
	}
	return res.InCore, nil
}

// rawToNDJSON writes every RAW events object under the local lake's
// directory, uncompressed, into one file, streaming.
func rawToNDJSON(lakeDir, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	var files []string
	err = filepath.WalkDir(lakeDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "/raw/events/") && strings.HasSuffix(p, ".ndjson.gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(in)
		if err == nil {
			_, err = io.Copy(out, zr)
		}
		in.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return out.Close()
}

// readJSONRate is DuckDB's median rate, in events/s, for loading path
// with read_json into a table (at least 3 times), checking the count.
func readJSONRate(b *testing.B, path string, want int) float64 {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var rates []float64
	for i := 0; i < 3; i++ {
		start := time.Now()
		// path is this benchmark's temp file; a table function takes no
		// parameter for its file name.
		q := fmt.Sprintf("CREATE OR REPLACE TABLE bench_events AS SELECT * FROM read_json('%s', format='newline_delimited')", path)
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM bench_events").Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("read_json read %d events, the demo has %d in CORE", n, want)
		}
		rates = append(rates, float64(n)/elapsed.Seconds())
	}
	return median(rates)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
