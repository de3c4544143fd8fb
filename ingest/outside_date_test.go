package ingest_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/sim"
)

// threeDayAPI is the simulator's FakeStore over the two days before simDay
// and simDay itself, with rules, on clk.
func threeDayAPI(tb testing.TB, clk clock.Clock, rules ...sim.FaultRule) (*httptest.Server, *sim.Faults) {
	tb.Helper()
	w, err := sim.NewWorld(sim.Config{Seed: testSeed, Start: simDay.AddDate(0, 0, -2), Days: 3, Users: 200})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := sim.NewFaults(testSeed, clk, rules)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(f.Wrap(sim.NewServer(w, clk)))
	tb.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, f
}

// TestIngester_CartsOutsideDate: a source that ignores startdate/enddate
// (the sim's ignore_date_filter fault) serves carts of other days. The
// date's run fails with a permanent error that says how many and which
// dates, and commits nothing; with FilterCartsByDate (a source known not to
// filter) the carts are filtered to the date, the others counted and
// reported.
func TestIngester_CartsOutsideDate(t *testing.T) {
	ctx := context.Background()
	ignore := sim.FaultRule{Endpoint: "/carts", Kind: sim.FaultIgnoreDateFilter, Probability: 1}

	clk := startClock()
	honest, _ := threeDayAPI(t, clk)
	h := newHarness(t, honest.URL, clk, testPolicy())
	res, err := h.in.IngestDate(ctx, simDay)
	if err != nil {
		t.Fatal(err)
	}
	day := res.Objects[2]

	t.Run("RunFails", func(t *testing.T) {
		clk := startClock()
		api, faults := threeDayAPI(t, clk, ignore)
		h := newHarness(t, api.URL, clk, testPolicy())
		res, err := h.in.IngestDate(ctx, simDay)
		if !errors.Is(err, ingest.ErrOutsideDate) || ingest.IsRetryable(err) {
			t.Fatalf("err = %v, want a permanent ErrOutsideDate", err)
		}
		t.Log(err)
		if got := faults.Counts()[sim.FaultIgnoreDateFilter]; got == 0 {
			t.Fatal("the fault never fired")
		}
		for _, want := range []string{"the source ignored startdate/enddate: ", " carts are dated outside 2026-01-05 (2026-01-03 … "} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to say %q", err, want)
			}
		}
		if res.Status != ingest.StatusFailed || committedCount(t, h.wh) != 0 {
			t.Errorf("status %s, %d committed; want failed, 0", res.Status, committedCount(t, h.wh))
		}
	})

	t.Run("FilterCartsByDate", func(t *testing.T) {
		clk := startClock()
		api, _ := threeDayAPI(t, clk, ignore)
		h := newHarness(t, api.URL, clk, testPolicy())
		h.in.FilterCartsByDate = true
		res, err := h.in.IngestDate(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		carts := res.Objects[2]
		if carts.Rows != day.Rows || carts.SHA256 != day.SHA256 || carts.OutsideDate == 0 {
			t.Fatalf("carts: %d rows (sha256 %s), %d outside; want the %d of the day (%s) and some outside",
				carts.Rows, carts.SHA256, carts.OutsideDate, day.Rows, day.SHA256)
		}
		if !strings.Contains(h.logs.String(), "filtered out") {
			t.Errorf("no warning in the log:\n%s", h.logs.String())
		}
	})
}
