package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/warehouse"
)

// TestIngestCmd_Ledger: what ingest did to a date is in the ingestion
// ledger and in its table. A source that ignores startdate/enddate fails
// the date (the run recorded failed, with the error); with
// --filter-carts-by-date the carts of other dates are dropped and their
// count recorded with the run (meta.ingest_objects.outside_date). A run
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
	runs := func(t *testing.T, date time.Time) []warehouse.IngestRun {
		t.Helper()
		wh, err := warehouse.Open(ctx, filepath.Join(dir, "warehouse.duckdb"), warehouse.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer wh.Close()
		rs, err := wh.IngestLedger().Runs(ctx, date)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	t.Run("OutsideDateFails", func(t *testing.T) {
		out, _, err := execute(t, "ingest", "--date", "2020-03-01", "--source", unfiltered.URL, "--data-dir", dir)
		if !errors.Is(err, ingest.ErrOutsideDate) || !strings.Contains(out, "2020-03-01  failed") {
			t.Fatalf("err = %v, want ErrOutsideDate\n%s", err, out)
		}
		rs := runs(t, day)
		if len(rs) != 1 || rs[0].Status != "failed" || rs[0].Error == nil ||
			!strings.Contains(*rs[0].Error, "carts outside the logical date") || !strings.Contains(*rs[0].Error, "3 of 7 carts") {
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
		if len(rs) != 2 || rs[1].Status != "committed" || rs[1].OutsideDate != 3 {
			t.Fatalf("ledger runs = %+v, want the committed run with outside_date 3", rs)
		}
	})
	t.Run("Superseded", func(t *testing.T) {
		date := day.AddDate(0, 0, 1)
		wh, err := warehouse.Open(ctx, filepath.Join(dir, "warehouse.duckdb"), warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		crashed, err := wh.IngestLedger().BeginRun(ctx, date, date)
		wh.Close()
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
