package ingest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/lake/laketest"
)

// TestLakeLedger runs the ledger's history in a real local lake: attempts
// numbered per date, ids YYYYMMDDNNN; a run that never finished is closed
// as failed by the next run of its date, and its late FinishRun then fails
// with ErrSuperseded; a run finishes once (the same finish again is a retry
// and succeeds); two runs begun at once take two attempts; other dates are untouched; every record is written once.
func TestLakeLedger(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	l := &ingest.LakeLedger{Store: store}
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := day.Add(24*time.Hour + 5*time.Minute)

	first, err := l.BeginRun(ctx, day, at)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != 20260105001 || first.Attempt != 1 || len(first.Superseded) != 0 {
		t.Fatalf("first run = %+v, want id 20260105001, attempt 1", first)
	}
	other, err := l.BeginRun(ctx, day.AddDate(0, 0, 1), at)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID != 20260106001 {
		t.Fatalf("run of another date = %+v, want id 20260106001", other)
	}

	// The first run's process dies; the next run of the date supersedes it.
	second, err := l.BeginRun(ctx, day, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if second.Attempt != 2 || len(second.Superseded) != 1 || second.Superseded[0] != first.ID {
		t.Fatalf("second run = %+v, want attempt 2 superseding %d", second, first.ID)
	}
	err = l.FinishRun(ctx, ingest.RunRecord{Run: first, Status: ingest.StatusCommitted, FinishedAt: at.Add(2 * time.Hour)})
	if !errors.Is(err, ingest.ErrSuperseded) || !strings.Contains(err.Error(), "superseded by run 20260105002") {
		t.Fatalf("late FinishRun of the superseded run: %v, want ErrSuperseded naming run 20260105002", err)
	}
	rec := ingest.RunRecord{Run: second, Status: ingest.StatusCommitted, FinishedAt: at.Add(2 * time.Hour),
		Objects: []ingest.Object{{Entity: "users", Key: "raw/fakestore/users/dt=2026-01-05/" + strings.Repeat("a", 64) + ".json", SHA256: strings.Repeat("a", 64), Rows: 3, Bytes: 10}}}
	if err := l.FinishRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	// The same finish again is a retry whose answer was lost: it succeeds.
	if err := l.FinishRun(ctx, rec); err != nil {
		t.Fatalf("FinishRun repeated with the same record: %v", err)
	}
	changed := rec
	changed.Status, changed.Error = ingest.StatusFailed, "GET /carts: 503"
	if err := l.FinishRun(ctx, changed); err == nil || errors.Is(err, ingest.ErrSuperseded) || !strings.Contains(err.Error(), "finished already (committed)") {
		t.Fatalf("a second, different FinishRun: %v, want 'finished already (committed)'", err)
	}
	// The run of the other date was not superseded: it finishes.
	if err := l.FinishRun(ctx, ingest.RunRecord{Run: other, Status: ingest.StatusFailed, FinishedAt: at, Error: "GET /carts: 503"}); err != nil {
		t.Fatal(err)
	}
	// A finished run is not superseded by the next one.
	third, err := l.BeginRun(ctx, day, at.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if third.Attempt != 3 || len(third.Superseded) != 0 {
		t.Fatalf("third run = %+v, want attempt 3 superseding nothing", third)
	}

	// Runs begun at the same moment take distinct attempts.
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.BeginRun(ctx, day.AddDate(0, 0, 2), at)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[r.ID] {
				t.Errorf("two runs began as %d", r.ID)
			}
			seen[r.ID] = true
		}()
	}
	wg.Wait()

	infos, err := store.List(ctx, ingest.RawRunsFakestore)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, i := range infos {
		keys = append(keys, strings.TrimPrefix(i.Key, ingest.RawRunsFakestore))
	}
	if got := strings.Join(keys, " "); !strings.HasPrefix(got, "dt=2026-01-05/attempt=001/begin.json dt=2026-01-05/attempt=001/end.json dt=2026-01-05/attempt=002/begin.json dt=2026-01-05/attempt=002/end.json dt=2026-01-05/attempt=003/begin.json dt=2026-01-06/attempt=001/begin.json") {
		t.Fatalf("run records: %s", got)
	}
}
