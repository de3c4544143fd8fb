package main

import (
	"encoding/json"
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
