package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/sim"
)

// TestIngester_Lookback: with LookbackDays, a date's batch reads the carts
// of that date and the days before it, each as the source serves it at the
// batch's time (an order cancelled or refunded since its own date's batch
// comes with its new status, statusDate and refunds); a source that ignores
// the date filter is refused, naming the window.
func TestIngester_Lookback(t *testing.T) {
	ctx := context.Background()
	cfg := sim.Config{Seed: testSeed, Start: simDay.AddDate(0, 0, -4), Days: 5, Users: 400}.Realistic()
	cfg.OrderLifecycle, cfg.CancelRate, cfg.RefundRate, cfg.PartialRefundRate = true, 0.2, 0.3, 0.3
	w, err := sim.NewWorld(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(clk clock.Clock, rules ...sim.FaultRule) *httptest.Server {
		f, err := sim.NewFaults(testSeed, clk, rules)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(f.Wrap(sim.NewServer(w, clk)))
		t.Cleanup(func() {
			srv.CloseClientConnections()
			srv.Close()
		})
		return srv
	}
	type cart struct {
		ID         int64  `json:"id"`
		Date       string `json:"date"`
		Status     string `json:"status"`
		StatusDate string `json:"statusDate"`
		Refunds    []struct {
			Date      string `json:"date"`
			ProductID int64  `json:"productId"`
			Quantity  int64  `json:"quantity"`
		} `json:"refunds"`
	}
	for _, days := range []int{1, 3} {
		t.Run(fmt.Sprintf("Days%d", days), func(t *testing.T) {
			clk := startClock()
			h := newHarness(t, serve(clk).URL, clk, testPolicy())
			h.in.LookbackDays = days
			res, err := h.in.IngestDate(ctx, simDay)
			if err != nil {
				t.Fatal(err)
			}
			var got []cart
			if err := json.Unmarshal(rawBodies(t, h.store)[res.Objects[2].Key], &got); err != nil {
				t.Fatal(err)
			}
			from := simDay.AddDate(0, 0, 1-days)
			var want []int64
			changed := 0
			for _, o := range w.Orders {
				if o.Date.Before(from) || !o.Date.Before(simDay.AddDate(0, 0, 1)) {
					continue
				}
				want = append(want, o.ID)
				status, since, refunds, _ := o.AsOf(clk.Now())
				i := slices.IndexFunc(got, func(c cart) bool { return c.ID == o.ID })
				if i < 0 {
					continue
				}
				c := got[i]
				if c.Status != status || c.StatusDate != since.Format("2006-01-02T15:04:05.000Z") || len(c.Refunds) != len(refunds) {
					t.Errorf("cart %d read as %+v; the source has %s since %s, %d refunds", o.ID, c, status, since, len(refunds))
				}
				if !since.Equal(o.Date) {
					changed++
				}
			}
			ids := make([]int64, len(got))
			for i, c := range got {
				ids[i] = c.ID
			}
			if fmt.Sprint(ids) != fmt.Sprint(want) || len(want) == 0 {
				t.Fatalf("carts read %v, want those dated %s to %s: %v", ids, from.Format(time.DateOnly), simDay.Format(time.DateOnly), want)
			}
			if days == 3 && changed == 0 {
				t.Fatal("no cart of the window changed before the batch: the test shows nothing")
			}
		})
	}
	t.Run("SourceIgnoresTheWindow", func(t *testing.T) {
		clk := startClock()
		ignore := sim.FaultRule{Endpoint: "/carts", Kind: sim.FaultIgnoreDateFilter, Probability: 1}
		h := newHarness(t, serve(clk, ignore).URL, clk, testPolicy())
		h.in.LookbackDays = 2
		_, err := h.in.IngestDate(ctx, simDay)
		want := simDay.AddDate(0, 0, -1).Format(time.DateOnly) + " … " + simDay.Format(time.DateOnly)
		if !errors.Is(err, ingest.ErrOutsideDate) || !strings.Contains(err.Error(), "outside "+want) {
			t.Fatalf("err = %v, want ErrOutsideDate naming %s", err, want)
		}
	})
}
