package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// TestHelperHoldWarehouse is not a test: the child process of
// warehousetest.HoldWriter.
func TestHelperHoldWarehouse(t *testing.T) { warehousetest.ServeHold(t) }

// execSQL runs stmt on the DuckDB file at path, as another tool would.
func execSQL(tb testing.TB, path, stmt string) {
	tb.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}

// TestCheckCmd: check reports the latest attempt, failed ones included,
// and exits non-zero while it is not promoted; it reads the warehouse
// read-only; transform and check refuse impossible flags.
func TestCheckCmd(t *testing.T) {
	dir := t.TempDir()
	whPath := filepath.Join(dir, "warehouse.duckdb")
	world := []string{"--seed", "9", "--days", "2", "--users", "30", "--data-dir", dir}
	if _, stderr, err := execute(t, append([]string{"demo"}, world...)...); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	out, stderr, err := execute(t, "check", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("check after the demo: %v\n%s", err, stderr)
	}
	var last warehouse.CheckRun
	if err := json.Unmarshal([]byte(out), &last); err != nil || last.Status != "promoted" {
		t.Fatalf("check --json after the demo: %+v, %v\n%s", last, err, out)
	}

	t.Run("NoSuchRun", func(t *testing.T) {
		_, _, err := execute(t, "check", "--data-dir", dir, "--run", "999")
		if err == nil || !strings.Contains(err.Error(), "there is no run 999") {
			t.Fatalf("check --run 999: %v", err)
		}
		_, _, err = execute(t, "check", "--data-dir", dir, "--run", "-1")
		if err == nil || !strings.Contains(err.Error(), "--run -1") {
			t.Fatalf("check --run -1: %v", err)
		}
	})

	t.Run("ImpossibleTransformFlags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"--lateness", "-5h"}, []string{"--lateness -5h0m0s", "negative", "24h"}},
			{[]string{"--lateness", "0s"}, []string{"--lateness 0s", "positive"}},
			{[]string{"--as-of", "1999-01-01"}, []string{"--as-of 1999-01-01", "precedes everything loaded", "from 20"}},
		} {
			_, _, err := execute(t, append(append([]string{"transform"}, tc.args...), world...)...)
			if err == nil {
				t.Fatalf("transform %v was accepted", tc.args)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("transform %v: error %q does not say %q", tc.args, err, s)
				}
			}
		}
		// Refused, not attempted: the latest run is still the demo's.
		out, _, err := execute(t, "check", "--data-dir", dir, "--json")
		var run warehouse.CheckRun
		if err != nil || json.Unmarshal([]byte(out), &run) != nil || run.RunID != last.RunID {
			t.Fatalf("after refused flags: %+v, %v", run, err)
		}
	})

	t.Run("FailedTransform", func(t *testing.T) {
		execSQL(t, whPath, "ALTER TABLE marts.daily_kpis RENAME TO daily_kpis_gone")
		for range 2 {
			if _, _, err := execute(t, append([]string{"transform"}, world...)...); err == nil {
				t.Fatal("transform without marts.daily_kpis succeeded")
			}
		}
		out, _, err := execute(t, "check", "--data-dir", dir)
		if err == nil {
			t.Fatalf("check exits 0 after a failed transform:\n%s", out)
		}
		for _, want := range []string{"failed in transform", "daily_kpis"} {
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, out)
			}
		}
		for _, want := range []string{fmt.Sprintf("run %d failed in transform", last.RunID+2),
			fmt.Sprintf("nothing promoted since run %d", last.RunID+1), fmt.Sprintf("the last promoted run is run %d", last.RunID)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("check error %q lacks %q", err, want)
			}
		}
		execSQL(t, whPath, "ALTER TABLE marts.daily_kpis_gone RENAME TO daily_kpis")
		if _, stderr, err := execute(t, append([]string{"transform"}, world...)...); err != nil {
			t.Fatalf("transform after the repair: %v\n%s", err, stderr)
		}
		if out, _, err := execute(t, "check", "--data-dir", dir); err != nil || !strings.Contains(out, "promoted") {
			t.Fatalf("check after the repair: %v\n%s", err, out)
		}
	})

	t.Run("WhileAnotherProcessWrites", func(t *testing.T) {
		done := warehousetest.HoldWriter(t, whPath)
		_, _, err := execute(t, "check", "--data-dir", dir)
		if err == nil || !strings.Contains(err.Error(), "being written by another process (a transform?): try again when it finishes") {
			t.Fatalf("check while a transform writes: %v", err)
		}
		done()
		if _, _, err := execute(t, "check", "--data-dir", dir); err != nil {
			t.Fatalf("check once the writer is gone: %v", err)
		}
	})

	t.Run("NoWarehouse", func(t *testing.T) {
		empty := t.TempDir()
		out, _, err := execute(t, "check", "--data-dir", empty)
		if err != nil || !strings.Contains(out, "no transform run recorded yet") {
			t.Fatalf("check without a warehouse: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(empty, "warehouse.duckdb")); !os.IsNotExist(err) {
			t.Fatal("check created a warehouse")
		}
	})
}
