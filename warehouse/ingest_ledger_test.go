package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/warehouse"
)

// TestIngestLedger holds the visibility rule: Load reads a FakeStore object
// only once an ingestion run has committed its key; a failed run's objects
// stay invisible until a rerun commits them; events objects are not gated.
func TestIngestLedger(t *testing.T) {
	ctx := context.Background()
	w := openTest(t)
	src, keys := fixtureSource(t)
	src.putEvents(t, "2026-01-01", "00", "clicks-0-1-1", records(t, ev{id: "e1", typ: "page_view", session: "s1", at: "2026-01-01T00:00:00Z"}))

	// Nothing committed: only the events object is loaded.
	st, err := w.Load(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.ObjectsLoaded != 1 || st.ObjectsUncommitted != 3 {
		t.Fatalf("loaded %d, uncommitted %d; want 1, 3", st.ObjectsLoaded, st.ObjectsUncommitted)
	}

	// A failed run records its objects as abandoned: still invisible.
	l := w.IngestLedger()
	day := time.Date(2020, 3, 2, 0, 0, 0, 0, time.UTC)
	run, err := l.BeginRun(ctx, day, day)
	if err != nil {
		t.Fatal(err)
	}
	obj := ingest.Object{Entity: "users", Key: keys["users"], SHA256: "x"}
	if err := l.FinishRun(ctx, ingest.RunRecord{Run: run, Status: ingest.StatusFailed, FinishedAt: day, Error: "GET /carts: 503", Objects: []ingest.Object{obj}}); err != nil {
		t.Fatal(err)
	}
	if st, err = w.Load(ctx, src); err != nil || st.ObjectsLoaded != 0 {
		t.Fatalf("after a failed run: loaded %d (err %v), want 0", st.ObjectsLoaded, err)
	}
	// The rerun commits: the object becomes visible.
	rerun, err := l.BeginRun(ctx, day, day)
	if err != nil {
		t.Fatal(err)
	}
	if rerun.Attempt != 2 || rerun.ID <= run.ID {
		t.Fatalf("rerun = %+v, want attempt 2 and an id after %d", rerun, run.ID)
	}
	if err := l.FinishRun(ctx, ingest.RunRecord{Run: rerun, Status: ingest.StatusCommitted, FinishedAt: day, Objects: []ingest.Object{obj}}); err != nil {
		t.Fatal(err)
	}
	if st, err = w.Load(ctx, src); err != nil || st.ObjectsLoaded != 1 {
		t.Fatalf("after the rerun: loaded %d (err %v), want 1", st.ObjectsLoaded, err)
	}
	// A run finishes once.
	if err := l.FinishRun(ctx, ingest.RunRecord{Run: rerun, Status: ingest.StatusFailed, FinishedAt: day}); err == nil {
		t.Fatal("a finished run finished again")
	}
	runs, err := l.Runs(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Status != "failed" || runs[1].Status != "committed" || runs[0].Error == nil {
		t.Fatalf("runs = %+v", runs)
	}
}

// TestIngestLedger_SupersedesRunning: a run left running by a process that
// died is closed when the next run of its date begins: failed, with the
// reason and the new run's start as its end; the new run names it; a late
// FinishRun of the superseded run fails and says why. Runs of other dates
// are left alone.
func TestIngestLedger_SupersedesRunning(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) { testSupersedesRunning(t, open(t)) })
}

func testSupersedesRunning(t *testing.T, w *warehouse.Warehouse) {
	ctx := context.Background()
	l := w.IngestLedger()
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	other := day.AddDate(0, 0, 1)
	crashed, err := l.BeginRun(ctx, day, day.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherRun, err := l.BeginRun(ctx, other, day.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(crashed.Superseded) != 0 || len(otherRun.Superseded) != 0 {
		t.Fatalf("first runs supersede %v, %v", crashed.Superseded, otherRun.Superseded)
	}
	rerunAt := day.Add(26 * time.Hour)
	rerun, err := l.BeginRun(ctx, day, rerunAt)
	if err != nil {
		t.Fatal(err)
	}
	if got := rerun.Superseded; len(got) != 1 || got[0] != crashed.ID {
		t.Fatalf("rerun.Superseded = %v, want [%d]", got, crashed.ID)
	}
	runs, err := l.Runs(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Status != "failed" || runs[0].Error == nil || runs[0].FinishedAt == nil || runs[1].Status != "running" {
		t.Fatalf("runs = %+v", runs)
	}
	if want := fmt.Sprintf("interrupted: superseded by run %d", rerun.ID); !strings.HasPrefix(*runs[0].Error, want) || !runs[0].FinishedAt.Equal(rerunAt) {
		t.Fatalf("superseded run: error %q finished %v; want %q at %v", *runs[0].Error, runs[0].FinishedAt, want, rerunAt)
	}
	// The superseded run's process was alive after all: it cannot commit.
	err = l.FinishRun(ctx, ingest.RunRecord{Run: crashed, Status: ingest.StatusCommitted, FinishedAt: rerunAt})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("superseded by run %d", rerun.ID)) {
		t.Fatalf("FinishRun of a superseded run: %v, want an error naming run %d", err, rerun.ID)
	}
	if runs, err := l.Runs(ctx, other); err != nil || len(runs) != 1 || runs[0].Status != "running" {
		t.Fatalf("the other date's run: %+v, %v", runs, err)
	}
	if err := l.FinishRun(ctx, ingest.RunRecord{Run: rerun, Status: ingest.StatusCommitted, FinishedAt: rerunAt}); err != nil {
		t.Fatal(err)
	}
}
