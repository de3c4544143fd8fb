package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
)

// TestIngestCmd_Ledger: what ingest did to a date is in the runs' history
// in the lake (raw/_runs/) and in its table. A source that ignores startdate/enddate fails
// the date (the run recorded failed, with the error); with
// --filter-carts-by-date the carts of other dates are dropped and their
// count recorded with the run's objects. A run
// left running by a process that died is closed by the next run of its
// date, which the table names in its superseded column.
func TestIngestCmd_Ledger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var down atomic.Bool
	fixtures := fakestoreFixtures(t, &down)
	// The fixtures without the date filter: every cart, of every date.
	unfiltered := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(fixtures.URL + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(unfiltered.Close)
	day := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
	runs := func(t *testing.T, date time.Time) []ingest.RunHistory {
		t.Helper()
		return lakeRuns(t, dir, date)
	}

	t.Run("OutsideDateFails", func(t *testing.T) {
		out, _, err := execute(t, "ingest", "--date", "2020-03-01", "--source", unfiltered.URL, "--data-dir", dir)
		if !errors.Is(err, ingest.ErrOutsideDate) || !strings.Contains(out, "2020-03-01  failed") {
			t.Fatalf("err = %v, want ErrOutsideDate\n%s", err, out)
		}
		rs := runs(t, day)
		if len(rs) != 1 || rs[0].Status != ingest.StatusFailed ||
			!strings.Contains(rs[0].Error, "carts outside the logical date") || !strings.Contains(rs[0].Error, "3 of 7 carts") {
			t.Fatalf("ledger runs = %+v, want the failed run with the carts outside the date", rs)
		}
	})
	t.Run("OutsideDateFiltered", func(t *testing.T) {
		out, stderr, err := execute(t, "ingest", "--date", "2020-03-01", "--source", unfiltered.URL, "--data-dir", dir,
			"--filter-carts-by-date", "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep ingestReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Dates[0].Objects[2].OutsideDate != 3 {
			t.Fatalf("report = %+v (%v), want 3 carts outside the date", rep, err)
		}
		rs := runs(t, day)
		if len(rs) != 2 || rs[1].Status != ingest.StatusCommitted || len(rs[1].Objects) != 3 || rs[1].Objects[2].OutsideDate != 3 {
			t.Fatalf("ledger runs = %+v, want the committed run with outside_date 3", rs)
		}
	})
	t.Run("Superseded", func(t *testing.T) {
		date := day.AddDate(0, 0, 1)
		// A run whose process died: begun in the lake, never finished.
		crashed, err := (&ingest.LakeLedger{Store: lakeIn(t, dir)}).BeginRun(ctx, date, date)
		if err != nil {
			t.Fatal(err)
		}
		out, stderr, err := execute(t, "ingest", "--date", "2020-03-02", "--source", fixtures.URL, "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		lines := strings.Split(out, "\n")
		if len(lines) < 3 || !strings.Contains(lines[1], "superseded") {
			t.Fatalf("the table has no superseded column:\n%s", out)
		}
		col := strings.Index(lines[1], "superseded")
		if got, want := strings.Join(strings.Fields(lines[2][min(col, len(lines[2])):]), " "), "run "+strconv.FormatInt(crashed.ID, 10); got != want {
			t.Errorf("superseded = %q, want %q:\n%s", got, want, out)
		}
		if out, _, err := execute(t, "ingest", "--date", "2020-03-02", "--source", fixtures.URL, "--data-dir", dir); err != nil ||
			!strings.Contains(out, "  -") {
			t.Errorf("a rerun that supersedes nothing: %v\n%s", err, out)
		}
	})
}

// lakeIn opens the local lake of the data directory dir.
func lakeIn(tb testing.TB, dir string) lake.Store {
	tb.Helper()
	cfg := config.DefaultConfig()
	cfg.DataDir = dir
	cfg.FakeStore.BaseURL = "http://127.0.0.1:1" // no simulator: only the lake is used
	env, err := pipeline.Open(context.Background(), cfg, pipeline.Local{Clock: clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { env.Close() })
	return env.Lake
}

// lakeRuns reads the runs of date from the lake of dir.
func lakeRuns(tb testing.TB, dir string, date time.Time) []ingest.RunHistory {
	tb.Helper()
	rs, err := (&ingest.LakeLedger{Store: lakeIn(tb, dir)}).Runs(context.Background(), date)
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}
