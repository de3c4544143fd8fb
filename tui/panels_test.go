package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

type panelFunc func(view, styles, int, int) string

var panelFuncs = map[string]panelFunc{
	"stream":    renderStream,
	"lake":      renderLake,
	"warehouse": renderWarehouse,
}

// populatedView is a replay's state by hand: two shards, some hours, an
// ingestion, a transform with a failing check, quarantined records.
func populatedView() view {
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var hours []scenarios.HourMetrics
	for i := range 30 {
		hours = append(hours, scenarios.HourMetrics{
			Hour: start.Add(time.Duration(i) * time.Hour), Records: 100 + (i*37)%250,
			PutSeconds: 1 + float64(i%3)/2, Throttled: i % 4, Shards: 2,
		})
	}
	wm := time.Date(2024, 3, 2, 4, 30, 0, 0, time.UTC)
	return view{st: scenarios.Status{
		Scenario: "late-events",
		Totals: pipeline.Totals{
			Generated: 12000, Sent: 12345, Acknowledged: 12300, Rejected: 2, InRaw: 12250,
			Quarantined: 7, Duplicates: 45, RawObjects: 30, RawExisting: 3, IngestWrites: 8, IngestSkips: 4,
		},
		Hours: hours,
		Shards: []stream.ShardState{
			{ShardID: "shardId-000000000000", Open: false, Leased: true, Checkpoint: "49650000000000000000000000001234567890",
				Finished: true, Read: 6000, MillisBehindLatest: 0},
			{ShardID: "shardId-000000000003", Parents: []string{"shardId-000000000000"}, Open: true, Leased: true,
				Read: 6300, MillisBehindLatest: 1200},
		},
		Ingest: ingest.Result{
			Date: start.AddDate(0, 0, 1), Status: ingest.StatusCommitted, Requests: 5, Retries: 2,
			Objects: []ingest.Object{
				{Entity: "products", Key: "raw/fakestore/products/dt=2024-03-02/products.json.gz", Rows: 20, Written: true},
				{Entity: "users", Key: "raw/fakestore/users/dt=2024-03-02/users.json.gz", Rows: 10, Written: false},
				{Entity: "carts", Key: "raw/fakestore/carts/dt=2024-03-02/carts.json.gz", Rows: 7, Written: true},
			},
		},
		Load: warehouse.LoadStats{ObjectsLoaded: 12, ObjectsSkipped: 3, ObjectsUncommitted: 1, Quarantined: 2, Repaired: 1},
		Transform: warehouse.TransformStats{
			Mode: warehouse.Incremental, Status: "blocked",
			Core: map[string]warehouse.MergeStats{
				"core.users":       {Inserted: 10, Updated: 2, Unchanged: 38},
				"core.events":      {Inserted: 1234},
				"core.products":    {Updated: 1, Unchanged: 19},
				"core.orders":      {Inserted: 40},
				"core.order_items": {Inserted: 77, Unchanged: 3},
			},
			EventsIn: 1234, LateEvents: 3, DaysRebuilt: 2, DaysQueued: 1, Watermark: &wm,
			Checks: []warehouse.CheckResult{
				{Name: "events_not_null", Severity: warehouse.Blocking, Status: "pass"},
				{Name: "events_accepted_types", Severity: warehouse.Blocking, Status: "pass"},
				{Name: "products_unique_in_snapshot", Severity: warehouse.Warning, Status: "warn", Failures: 12},
				{Name: "order_items_orders_ri", Severity: warehouse.Blocking, Status: "fail", Failures: 3},
				{Name: "events_freshness", Severity: warehouse.Warning, Status: "pass"},
			},
		},
		Late: 3, Queued: 1,
		Quarantine: []scenarios.Count{
			{Name: "load: negative price", N: 2},
			{Name: "stream: invalid json", N: 5},
		},
	}}
}

var panelSizes = [][2]int{{80, 16}, {60, 10}, {30, 5}, {0, 0}, {1, 1}, {200, 50}}

func TestPanels_Fit(t *testing.T) {
	s := newStyles()
	views := map[string]view{"populated": populatedView(), "empty": {}}
	for vname, v := range views {
		for pname, render := range panelFuncs {
			for _, size := range panelSizes {
				w, h := size[0], size[1]
				t.Run(fmt.Sprintf("%s/%s/%dx%d", pname, vname, w, h), func(t *testing.T) {
					out := render(v, s, w, h)
					if out != render(v, s, w, h) {
						t.Errorf("output differs between two renders")
					}
					if out == "" {
						if h > 0 && w > 0 {
							t.Errorf("empty output")
						}
						return
					}
					lines := strings.Split(out, "\n")
					if len(lines) > h {
						t.Errorf("%d lines, want <= %d:\n%s", len(lines), h, out)
					}
					for i, l := range lines {
						if got := lipgloss.Width(l); got > w {
							t.Errorf("line %d is %d cells wide, want <= %d: %q", i, got, w, l)
						}
					}
				})
			}
		}
	}
}

func render80(t *testing.T, f panelFunc, v view) string {
	t.Helper()
	out := ansi.Strip(f(v, newStyles(), 80, 16))
	t.Logf("\n%s", out)
	return out
}

func assertContains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// lineWith returns the first line of out containing all of parts.
func lineWith(out string, parts ...string) string {
	for _, l := range strings.Split(out, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return l
		}
	}
	return ""
}

func TestPanels_Stream(t *testing.T) {
	out := render80(t, renderStream, populatedView())
	assertContains(t, out, "…0000", "…0003", "behind", "1.2 s", "0 ms", "…567890", "records/h",
		"sent 12,345", "acked 12,300", "rejected 2", "duplicates dropped 45", "2024-03-02 05:00")
	if l := lineWith(out, "…0003", "open"); !strings.Contains(l, "…0000") || !strings.Contains(l, "6,300") {
		t.Errorf("shard 3's row lacks its parent or its read count: %q", l)
	}
	if l := lineWith(out, "…0000", "closed"); !strings.Contains(l, "6,000") {
		t.Errorf("shard 0's row lacks its read count: %q", l)
	}
	empty := render80(t, renderStream, view{})
	assertContains(t, empty, "no hour streamed yet", "no shard yet")
}

func TestPanels_Lake(t *testing.T) {
	out := render80(t, renderLake, populatedView())
	assertContains(t, out, "QUARANTINE", "2024-03-02", "committed", "requests 5", "retries 2", "skipped (same content)")
	if l := lineWith(out, "stream: invalid json"); !strings.HasSuffix(strings.TrimSpace(l), " 5") {
		t.Errorf("quarantine reason lacks its count: %q", l)
	}
	if l := lineWith(out, "events", "written"); !strings.Contains(l, "30") || !strings.Contains(l, "3") {
		t.Errorf("RAW events line: %q", l)
	}
	if l := lineWith(out, "batches", "written"); !strings.Contains(l, "8") || !strings.Contains(l, "4") {
		t.Errorf("RAW batches line: %q", l)
	}
	// Largest first.
	if strings.Index(out, "stream: invalid json") > strings.Index(out, "load: negative price") {
		t.Errorf("quarantine is not largest first:\n%s", out)
	}
	if l := lineWith(out, "users"); !strings.Contains(l, "skipped (same content)") {
		t.Errorf("users object line: %q", l)
	}
	empty := render80(t, renderLake, view{})
	assertContains(t, empty, "none yet", "none")
}

func TestPanels_Warehouse(t *testing.T) {
	out := render80(t, renderWarehouse, populatedView())
	assertContains(t, out, "45 events deduplicated", "3 late events", "1 days queued", "2024-03-02 04:30",
		"12 loaded", "3 skipped", "1 uncommitted", "2 quarantined", "1 repaired",
		"incremental blocked", "1,234 events in", "2 days rebuilt",
		"order_items_orders_ri", "fail 3", "products_unique_in_snapshot", "warn 12")
	if l := lineWith(out, "core.events"); !strings.Contains(l, "1,234") {
		t.Errorf("core.events row lacks its inserted count: %q", l)
	}
	// Sorted by name.
	if i, j := strings.Index(out, "core.events"), strings.Index(out, "core.users"); i < 0 || j < 0 || i > j {
		t.Errorf("core tables not sorted by name:\n%s", out)
	}
	// The failing check comes first.
	if i, j := strings.Index(out, "order_items_orders_ri"), strings.Index(out, "events_not_null"); j >= 0 && i > j {
		t.Errorf("failing check not first:\n%s", out)
	}
	empty := render80(t, renderWarehouse, view{})
	assertContains(t, empty, "—", "none yet")
}

// A short panel keeps its first lines and ends a cut table with "… n more".
func TestPanels_Degrade(t *testing.T) {
	v := populatedView()
	for i := range 10 {
		v.st.Quarantine = append(v.st.Quarantine, scenarios.Count{Name: fmt.Sprintf("stream: reason %d", i), N: 1})
	}
	out := ansi.Strip(renderLake(v, newStyles(), 80, 16))
	assertContains(t, out, "RAW", "QUARANTINE", "stream: invalid json", "more")
	out = ansi.Strip(renderStream(populatedView(), newStyles(), 80, 3))
	if got := strings.Count(out, "\n") + 1; got != 3 || !strings.Contains(out, "STREAM") {
		t.Errorf("stream at height 3:\n%s", out)
	}
}
