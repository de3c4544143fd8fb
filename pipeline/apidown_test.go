package pipeline_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
)

// TestRunner_APIDown is DESIGN.md's scenario "API down": detection by
// timeout, mitigation by retries with backoff, recovery by a rerun of the
// logical date. The FakeStore API hangs for an hour of simulated time from
// the moment the second day's batch starts: every request times out (a real
// 200 ms), the retries give up, the date fails with nothing committed and
// CORE and MARTS do not move. After the outage, a rerun of the date
// completes, and the tables equal those of a run that never saw the outage.
func TestRunner_APIDown(t *testing.T) {
	ctx := context.Background()
	clean := run(t, testConfig(t.TempDir(), 11))

	cfg := testConfig(t.TempDir(), 11)
	cfg.FakeStore.Timeout = 200 * time.Millisecond
	var api atomic.Pointer[http.Handler]
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*api.Load()).ServeHTTP(w, r) }))
	defer func() {
		proxy.CloseClientConnections()
		proxy.Close()
	}()
	cfg.FakeStore.BaseURL = proxy.URL
	r, err := pipeline.NewRunner(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	day2 := r.World.Config.Start.AddDate(0, 0, 1)
	outage := day2.Add(24*time.Hour + pipeline.IngestDelay)
	recovery := outage.Add(time.Hour)
	faults, err := sim.NewFaults(cfg.Seed, r.Clock, []sim.FaultRule{{Endpoint: "*", Kind: sim.FaultHang, From: outage, Until: recovery}})
	if err != nil {
		t.Fatal(err)
	}
	h := faults.Wrap(sim.NewServer(r.World, r.Clock))
	api.Store(&h)

	if _, err := r.Opening(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunDay(ctx, 0); err != nil {
		t.Fatal(err)
	}
	before, err := r.Warehouse().TableHashes(ctx)
	if err != nil {
		t.Fatal(err)
	}

	day, err := r.RunDay(ctx, 1)
	if !errors.Is(err, ingest.ErrTimeout) {
		t.Fatalf("day 2 during the outage: err = %v, want ErrTimeout", err)
	}
	if faults.Counts()[sim.FaultHang] != ingest.DefaultPolicy().MaxAttempts {
		t.Fatalf("%d requests hung, want the %d attempts of /users", faults.Counts()[sim.FaultHang], ingest.DefaultPolicy().MaxAttempts)
	}
	if day.Ingest.Status != ingest.StatusFailed || day.Ingest.Retries != ingest.DefaultPolicy().MaxAttempts-1 {
		t.Fatalf("ingest = %+v, want failed after %d retries", day.Ingest, ingest.DefaultPolicy().MaxAttempts-1)
	}
	during, err := r.Warehouse().TableHashes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(during, before) {
		t.Fatalf("a failed date moved CORE or MARTS:\n%v\nwant\n%v", during, before)
	}

	if err := r.Clock.Set(recovery); err != nil {
		t.Fatal(err)
	}
	rerun := pipeline.DayReport{Day: 2, Date: day2}
	if err := r.CloseDay(ctx, day2, &rerun); err != nil {
		t.Fatalf("rerun after recovery: %v", err)
	}
	if rerun.Ingest.Status != ingest.StatusCommitted || rerun.Ingest.Attempt != 2 {
		t.Fatalf("rerun ingest = %+v, want attempt 2, committed", rerun.Ingest)
	}
	after, err := r.Warehouse().TableHashes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, clean.hashes) {
		t.Fatalf("after the rerun, tables differ from a run without outage:\n%v\nwant\n%v", after, clean.hashes)
	}
}
