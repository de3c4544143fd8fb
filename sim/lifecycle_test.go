package sim_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/sim"
)

// TestNewWorld_OrderLifecycle: the lifecycle changes when orders reach
// their status, never the orders: the same ids, dates, lines and final
// statuses with and without it. A cancelled order is cancelled within
// hours, a refunded one refunded whole within days, and a share of the
// completed orders of two lines have one line returned and stay completed;
// AsOf says what an order is at any instant.
func TestNewWorld_OrderLifecycle(t *testing.T) {
	cfg := sim.Config{Seed: 21, Start: sim.DefaultConfig().Start, Days: 28, Users: 30000}.Realistic()
	cfg.OrderLifecycle = false
	fixed := newWorld(t, cfg)
	cfg.OrderLifecycle, cfg.PartialRefundRate = true, 0.2
	life := newWorld(t, cfg)
	if len(fixed.Orders) != len(life.Orders) || len(fixed.Events) != len(life.Events) {
		t.Fatalf("the lifecycle changed the world: %d/%d orders, %d/%d events", len(fixed.Orders), len(life.Orders), len(fixed.Events), len(life.Events))
	}
	var eligible, partial, cancelled, refunded int64
	for i, o := range life.Orders {
		f := fixed.Orders[i]
		if o.ID != f.ID || !o.Date.Equal(f.Date) || o.Status != f.Status || fmt.Sprint(o.Lines) != fmt.Sprint(f.Lines) || f.Changes != nil {
			t.Fatalf("order %d differs: %+v vs %+v", o.ID, o, f)
		}
		if st, _, _, ok := o.AsOf(o.Date.Add(-time.Millisecond)); ok {
			t.Fatalf("order %d is %s before it is placed", o.ID, st)
		}
		if st, since, refunds, _ := o.AsOf(o.Date); st != sim.StatusCompleted || !since.Equal(o.Date) || refunds != nil {
			t.Fatalf("order %d when placed: %s since %s, refunds %v", o.ID, st, since, refunds)
		}
		switch o.Status {
		case sim.StatusCancelled:
			cancelled++
			c := o.Changes[0]
			if len(o.Changes) != 1 || c.Status != sim.StatusCancelled || c.Refund != nil ||
				c.At.Sub(o.Date) < sim.MinCancelDelay || c.At.Sub(o.Date) >= sim.MaxCancelDelay {
				t.Fatalf("cancelled order %d: %+v", o.ID, o.Changes)
			}
		case sim.StatusRefunded:
			refunded++
			c := o.Changes[0]
			if len(o.Changes) != 1 || c.Status != sim.StatusRefunded || fmt.Sprint(c.Refund) != fmt.Sprint(o.Lines) ||
				c.At.Sub(o.Date) < sim.MinRefundDelay || c.At.Sub(o.Date) >= sim.MaxRefundDelay {
				t.Fatalf("refunded order %d: %+v", o.ID, o.Changes)
			}
			st, since, refunds, _ := o.AsOf(c.At)
			if st != sim.StatusRefunded || !since.Equal(c.At) || len(refunds) != len(o.Lines) || !refunds[0].At.Equal(c.At) {
				t.Fatalf("refunded order %d as of its refund: %s since %s, %v", o.ID, st, since, refunds)
			}
		default:
			if len(o.Lines) >= 2 {
				eligible++
			}
			if len(o.Changes) == 0 {
				continue
			}
			partial++
			c := o.Changes[0]
			if len(o.Lines) < 2 || len(o.Changes) != 1 || c.Status != sim.StatusCompleted || len(c.Refund) != 1 ||
				c.At.Sub(o.Date) < sim.MinRefundDelay || c.At.Sub(o.Date) >= sim.MaxRefundDelay {
				t.Fatalf("partially refunded order %d (%d lines): %+v", o.ID, len(o.Lines), o.Changes)
			}
		}
	}
	if cancelled == 0 || refunded == 0 {
		t.Fatalf("no cancelled (%d) or refunded (%d) orders to test", cancelled, refunded)
	}
	within(t, "partial refunds among completed orders of 2+ lines", float64(partial)/float64(eligible), 0.2, binomialTol(eligible, 0.2))
}

// TestServer_OrderLifecycle: the API serves a cart as it is at the
// request's time: completed with no refund before its change, then its new
// status with the date it took it and the lines refunded; without the
// lifecycle a cart has neither field.
func TestServer_OrderLifecycle(t *testing.T) {
	cfg := sim.Config{Seed: 21, Start: sim.DefaultConfig().Start, Days: 14, Users: 3000}.Realistic()
	cfg.OrderLifecycle = true
	w := newWorld(t, cfg)
	var o sim.Order
	for _, x := range w.Orders {
		if x.Status == sim.StatusRefunded {
			o = x
			break
		}
	}
	clk := clock.NewSim(o.Changes[0].At.Add(-time.Second))
	h := sim.NewServer(w, clk)
	type cart struct {
		Status     string `json:"status"`
		StatusDate string `json:"statusDate"`
		Refunds    []struct {
			Date      string `json:"date"`
			ProductID int64  `json:"productId"`
			Quantity  int64  `json:"quantity"`
		} `json:"refunds"`
	}
	var before, after cart
	path := fmt.Sprintf("/carts/%d", o.ID)
	getOK(t, h, path, &before)
	if before.Status != sim.StatusCompleted || before.StatusDate != o.Date.UTC().Format("2006-01-02T15:04:05.000Z") || before.Refunds != nil {
		t.Fatalf("a second before its refund: %+v", before)
	}
	clk.Advance(time.Second)
	getOK(t, h, path, &after)
	at := o.Changes[0].At.UTC().Format("2006-01-02T15:04:05.000Z")
	if after.Status != sim.StatusRefunded || after.StatusDate != at || len(after.Refunds) != len(o.Lines) ||
		after.Refunds[0].Date != at || after.Refunds[0].ProductID != o.Lines[0].ProductID || after.Refunds[0].Quantity != o.Lines[0].Quantity {
		t.Fatalf("at its refund: %+v, lines %v", after, o.Lines)
	}
	cfg.OrderLifecycle = false
	_, body := get(t, sim.NewServer(newWorld(t, cfg), clk), path)
	var plain map[string]any
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatal(err)
	}
	if _, ok := plain["statusDate"]; ok || plain["refunds"] != nil || plain["status"] != sim.StatusRefunded {
		t.Fatalf("without the lifecycle: %s", body)
	}
}

// TestRevenueDaily_RefundsOnTheirDate: with the lifecycle and a lookback,
// the revenue mart reports cancellations and refunds on the dates they
// happen, after the orders' own dates, only those a batch could have seen
// (none later than the order's date plus the lookback), and net sales are
// gross less both.
func TestRevenueDaily_RefundsOnTheirDate(t *testing.T) {
	cfg := sim.Config{Seed: 15, Start: sim.DefaultConfig().Start, Days: 12, Users: 400, Traffic: 2, RefundRate: 0.25}.Realistic()
	cfg.OrderLifecycle, cfg.PartialRefundRate = true, 0.2
	w := newWorld(t, cfg)
	w.Lookback = 10
	var refunds, cancelled int64
	for _, r := range w.RevenueDaily() {
		refunds += int64(r.Refunds)
		cancelled += r.CancelledOrders
		if r.NetSales != r.GrossSales-r.CancelledSales-r.Refunds {
			t.Fatalf("%s: net %s != gross %s - cancelled %s - refunds %s", r.Date.Format(time.DateOnly), r.NetSales, r.GrossSales, r.CancelledSales, r.Refunds)
		}
	}
	if refunds == 0 || cancelled == 0 {
		t.Fatalf("refunds %d cents, %d cancelled orders: the world shows nothing", refunds, cancelled)
	}
	later, unseen := 0, 0
	for _, o := range w.Orders {
		_, _, rs := w.Observed(o)
		for _, r := range rs {
			if r.At.Sub(o.Date) >= 24*time.Hour {
				later++
			}
			if r.At.After(o.Date.Truncate(24*time.Hour).AddDate(0, 0, w.Lookback)) {
				t.Fatalf("order %d: a refund at %s seen, after its last batch", o.ID, r.At)
			}
		}
		if len(o.Changes) > 0 && len(rs) == 0 && o.Changes[0].Refund != nil {
			unseen++
		}
	}
	if later == 0 || unseen == 0 {
		t.Fatalf("%d refunds seen a day or more after their order, %d refunds never seen: the test shows neither", later, unseen)
	}
}
