package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// TestTransformAndCheckCmd runs a demo into a data directory, then the
// warehouse step on its own: a second transform changes nothing, a full
// refresh rebuilds, and check shows the results.
func TestTransformAndCheckCmd(t *testing.T) {
	dir := t.TempDir()
	world := []string{"--seed", "9", "--days", "2", "--users", "30", "--data-dir", dir}
	if _, stderr, err := execute(t, append([]string{"demo"}, world...)...); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}

	t.Run("IncrementalIsNoop", func(t *testing.T) {
		out, stderr, err := execute(t, append([]string{"transform", "--json"}, world...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep transformReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if rep.Load == nil || rep.Load.ObjectsLoaded != 0 || rep.Transform.EventsIn != 0 || rep.Transform.DaysRebuilt != 0 ||
			rep.Transform.Status != "promoted" || rep.AsOf == nil {
			t.Fatalf("report = %+v", rep)
		}
		// The same marts, the same checks: the demo's last export stands.
		if e := rep.Export; e == nil || e.Written || e.FilesWritten != 0 || e.Export != len(exportsOnDisk(t, dir)) {
			t.Fatalf("export = %+v, want the demo's last export unchanged", rep.Export)
		}
	})
	t.Run("CuratedOnDisk", func(t *testing.T) {
		testCuratedOnDisk(t, dir)
	})
	t.Run("NoExport", func(t *testing.T) {
		out, stderr, err := execute(t, append([]string{"transform", "--no-export", "--as-of", "2026-02-01"}, world...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if strings.Contains(out, "curated:") {
			t.Fatalf("--no-export exported:\n%s", out)
		}
		before := len(exportsOnDisk(t, dir))
		// The next transform exports the marts as of 2026-02-01.
		out, stderr, err = execute(t, append([]string{"transform", "--no-load", "--as-of", "2026-02-01"}, world...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if want := fmt.Sprintf("curated: export %d, ", before+1); !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	})
	t.Run("FullRefresh", func(t *testing.T) {
		out, stderr, err := execute(t, append([]string{"transform", "--full-refresh"}, world...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !strings.Contains(out, "(full_refresh): promoted") || !strings.Contains(out, "marts.daily_kpis") {
			t.Fatalf("output:\n%s", out)
		}
	})
	t.Run("Check", func(t *testing.T) {
		out, stderr, err := execute(t, "check", "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"(full_refresh): promoted", "orders_accepted_status", "blocking", "events_volume", "skipped"} {
			if !strings.Contains(out, want) {
				t.Fatalf("check output lacks %q:\n%s", want, out)
			}
		}
		out, stderr, err = execute(t, "check", "--data-dir", dir, "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var run warehouse.CheckRun
		if err := json.Unmarshal([]byte(out), &run); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if run.Status != "promoted" || len(run.Results) < 10 {
			t.Fatalf("check run = %+v", run)
		}
	})
}

// TestTransformCmd_EventAgeAndAcceptEmpty: --max-event-age reaches the
// load (an event older than it at its arrival is quarantined with the
// reason), --accept-empty is recorded with the run, and impossible values
// of both are refused before anything runs.
func TestTransformCmd_EventAgeAndAcceptEmpty(t *testing.T) {
	dir := t.TempDir()
	whPath := filepath.Join(dir, "warehouse.duckdb")
	world := []string{"--seed", "9", "--days", "2", "--users", "30", "--data-dir", dir}
	if _, stderr, err := execute(t, append([]string{"demo"}, world...)...); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	query := func(q string) string {
		t.Helper()
		db, err := sql.Open("duckdb", whPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var s sql.NullString
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s.String
	}

	t.Run("ErrInvalidOption", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--max-event-age", "12h"}, "--max-event-age 12h: must exceed the allowed lateness 24h"},
			{[]string{"--max-event-age", "0d"}, "must be positive"},
			{[]string{"--max-event-age", "a week"}, "want a number of days, such as 7d"},
			{[]string{"--accept-empty", "orders"}, `--accept-empty "orders": give one of users, products, carts`},
		} {
			_, _, err := execute(t, append(append([]string{"transform"}, tc.args...), world...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("transform %v: %v, want an error saying %q", tc.args, err, tc.want)
			}
		}
	})
	t.Run("AcceptEmptyRecorded", func(t *testing.T) {
		args := append([]string{"transform", "--accept-empty", "products", "--accept-empty", "carts"}, world...)
		if _, stderr, err := execute(t, args...); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if got := query("SELECT accepted_empty FROM meta.transform_runs ORDER BY run_id DESC LIMIT 1"); got != "carts,products" {
			t.Fatalf("accepted_empty = %q, want carts,products", got)
		}
	})
	t.Run("MaxEventAge", func(t *testing.T) {
		// A fresh warehouse loads the demo's events again with a bound of
		// ten minutes: an hour's records arrive at the hour's end, so the
		// events of a batch more than ten minutes before both its arrival
		// and its newest event are quarantined.
		if err := os.Remove(whPath); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"transform", "--lateness", "5m", "--max-event-age", "10m"}, world...)
		if _, stderr, err := execute(t, args...); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		n := query("SELECT CAST(count(*) AS VARCHAR) FROM staging.quarantine WHERE reason LIKE '%older than the maximum age 10m0s (a clock behind)'")
		if n == "0" {
			t.Fatalf("no event quarantined as older than --max-event-age 10m")
		}
	})
}
