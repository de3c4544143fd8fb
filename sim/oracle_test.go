package sim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// oracleWorld is a handmade World whose KPIs and funnel are worked out by
// hand in TestWorld_DailyKPIs and TestWorld_SessionFunnel.
//
//	s1 (Jan 5): page_view, product_view, add_to_cart, begin_checkout, purchase (order 1)
//	s2 (Jan 5): page_view, add_to_cart BEFORE the first product_view, product_view,
//	            begin_checkout: reaches step 1 only
//	s3 (Jan 5): page_view only
//	s4 (Jan 5, 23:59) crosses midnight: its funnel and purchase (order 2, dated
//	            Jan 6) count for Jan 5
//	s5 (Jan 6): product_view, add_to_cart, begin_checkout, no purchase
//	s6 (Jan 6): product_view and add_to_cart at the same instant: reaches step 2
//	s7 (Jan 7): page_view only
//	order 3 (Jan 6) has no session; order 4 (Jan 8) is cancelled: counts nowhere.
//
// P1 costs 10.01, P2 22.30.
func oracleWorld() *sim.World {
	day := func(d, h, m, s int) time.Time { return time.Date(2026, 1, d, h, m, s, 0, time.UTC) }
	n := 0
	ev := func(sess string, typ stream.EventType, at time.Time) stream.Event {
		n++
		e := stream.Event{
			EventID: fmt.Sprintf("e%03d", n), EventType: typ, EventTime: at,
			SessionID: sess, AnonymousID: "device-" + sess, SchemaVersion: stream.SchemaVersion,
		}
		switch typ {
		case stream.ProductView, stream.AddToCart, stream.RemoveFromCart:
			e.ProductID = new(int64(1))
		}
		return e
	}
	purchase := func(sess string, at time.Time, order int64) stream.Event {
		e := ev(sess, stream.Purchase, at)
		e.OrderID = new(order)
		return e
	}
	return &sim.World{
		Products: []sim.Product{{ID: 1, Price: 1001}, {ID: 2, Price: 2230}},
		Orders: []sim.Order{
			{ID: 1, UserID: 1, Date: day(5, 10, 4, 0), Lines: []sim.Line{{ProductID: 1, Quantity: 2}}, Status: sim.StatusCompleted},
			{ID: 2, UserID: 2, Date: day(6, 0, 3, 0), Lines: []sim.Line{{ProductID: 2, Quantity: 1}, {ProductID: 1, Quantity: 1}}, Status: sim.StatusCompleted},
			{ID: 3, UserID: 3, Date: day(6, 18, 0, 0), Lines: []sim.Line{{ProductID: 2, Quantity: 3}}, Status: sim.StatusCompleted},
			{ID: 4, UserID: 3, Date: day(8, 9, 0, 0), Lines: []sim.Line{{ProductID: 2, Quantity: 1}}, Status: "cancelled"},
		},
		// Deliberately not in (time, id) order: the oracle must not rely on it.
		Events: []stream.Event{
			purchase("s1", day(5, 10, 4, 0), 1),
			ev("s1", stream.PageView, day(5, 10, 0, 0)),
			ev("s1", stream.ProductView, day(5, 10, 1, 0)),
			ev("s1", stream.AddToCart, day(5, 10, 2, 0)),
			ev("s1", stream.BeginCheckout, day(5, 10, 3, 0)),

			ev("s2", stream.PageView, day(5, 11, 0, 0)),
			ev("s2", stream.AddToCart, day(5, 11, 1, 0)),
			ev("s2", stream.ProductView, day(5, 11, 2, 0)),
			ev("s2", stream.BeginCheckout, day(5, 11, 3, 0)),

			ev("s3", stream.PageView, day(5, 12, 0, 0)),

			ev("s4", stream.PageView, day(5, 23, 59, 0)),
			ev("s4", stream.ProductView, day(6, 0, 0, 30)),
			ev("s4", stream.AddToCart, day(6, 0, 1, 0)),
			ev("s4", stream.BeginCheckout, day(6, 0, 2, 0)),
			purchase("s4", day(6, 0, 3, 0), 2),

			ev("s5", stream.ProductView, day(6, 9, 0, 0)),
			ev("s5", stream.AddToCart, day(6, 9, 1, 0)),
			ev("s5", stream.BeginCheckout, day(6, 9, 2, 0)),

			ev("s6", stream.AddToCart, day(6, 10, 0, 0)),
			ev("s6", stream.ProductView, day(6, 10, 0, 0)),

			ev("s7", stream.PageView, day(7, 8, 0, 0)),
		},
	}
}

func strOrNil(p *string) string {
	if p == nil {
		return "nil"
	}
	return *p
}

func centsOrNil(p *money.Cents) string {
	if p == nil {
		return "nil"
	}
	return p.String()
}

func TestWorld_DailyKPIs(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	want := []sim.DailyKPI{
		// 4 sessions, s1 and s4 purchase; order 1 = 2 × 10.01.
		{Date: d(5), Sessions: 4, ConvertingSessions: 2, Orders: 1, Revenue: 2002, AvgOrderValue: new(money.Cents(2002)), ConversionRate: new("0.5000")},
		// orders 2 (22.30 + 10.01) and 3 (3 × 22.30): 99.21 / 2 = 49.605 → 49.61.
		{Date: d(6), Sessions: 2, ConvertingSessions: 0, Orders: 2, Revenue: 9921, AvgOrderValue: new(money.Cents(4961)), ConversionRate: new("0.0000")},
		{Date: d(7), Sessions: 1, ConvertingSessions: 0, Orders: 0, Revenue: 0, AvgOrderValue: nil, ConversionRate: new("0.0000")},
	}
	got := oracleWorld().DailyKPIs()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Date.Equal(w.Date) || g.Sessions != w.Sessions || g.ConvertingSessions != w.ConvertingSessions ||
			g.Orders != w.Orders || g.Revenue != w.Revenue ||
			centsOrNil(g.AvgOrderValue) != centsOrNil(w.AvgOrderValue) || strOrNil(g.ConversionRate) != strOrNil(w.ConversionRate) {
			t.Errorf("row %d:\n got %s %d %d %d %s aov=%s rate=%s\nwant %s %d %d %d %s aov=%s rate=%s", i,
				g.Date.Format(time.DateOnly), g.Sessions, g.ConvertingSessions, g.Orders, g.Revenue, centsOrNil(g.AvgOrderValue), strOrNil(g.ConversionRate),
				w.Date.Format(time.DateOnly), w.Sessions, w.ConvertingSessions, w.Orders, w.Revenue, centsOrNil(w.AvgOrderValue), strOrNil(w.ConversionRate))
		}
	}
}

func TestWorld_SessionFunnel(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	type row struct {
		date     time.Time
		sessions int64
		conv     string
	}
	want := []row{
		// Jan 5: s1 and s4 reach step 4, s2 step 3 (its add_to_cart precedes its
		// product_view: the funnel is not strict), s3 none.
		{d(5), 3, "nil"}, {d(5), 3, "1.0000"}, {d(5), 3, "1.0000"}, {d(5), 2, "0.6667"},
		// Jan 6: step 1 s5 s6; step 2 s5 s6 (same instant counts); step 3 s5.
		{d(6), 2, "nil"}, {d(6), 2, "1.0000"}, {d(6), 1, "0.5000"}, {d(6), 0, "0.0000"},
		// Jan 7: a session, no step: zeros, no conversion after a zero step.
		{d(7), 0, "nil"}, {d(7), 0, "nil"}, {d(7), 0, "nil"}, {d(7), 0, "nil"},
	}
	got := oracleWorld().SessionFunnel()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		step := i%4 + 1
		if !g.Date.Equal(w.date) || g.StepOrder != step || g.Step != sim.FunnelSteps[step-1] || g.Sessions != w.sessions || strOrNil(g.ConversionFromPrevious) != w.conv {
			t.Errorf("row %d: got %s %d %s %d %s, want %s %d %s %d %s", i,
				g.Date.Format(time.DateOnly), g.StepOrder, g.Step, g.Sessions, strOrNil(g.ConversionFromPrevious),
				w.date.Format(time.DateOnly), step, sim.FunnelSteps[step-1], w.sessions, w.conv)
		}
	}
}

// TestWorld_OracleConsistent checks the oracle against the generated world's
// own counts.
func TestWorld_OracleConsistent(t *testing.T) {
	w := newWorld(t, sim.DefaultConfig())
	var sessions, converting, orders int64
	var revenue money.Cents
	for _, k := range w.DailyKPIs() {
		sessions += k.Sessions
		converting += k.ConvertingSessions
		orders += k.Orders
		revenue += k.Revenue
	}
	ids := map[string]bool{}
	var purchases int64
	var purchased money.Cents
	for _, e := range w.Events {
		ids[e.SessionID] = true
		if e.EventType == stream.Purchase {
			purchases++
			purchased += *e.Price
		}
	}
	// The default world has every order completed and tracked, so the
	// purchase events' prices add up to the revenue.
	if sessions != int64(len(ids)) || converting != purchases || orders != int64(len(w.Orders)) || revenue != purchased {
		t.Fatalf("KPIs sum to %d sessions, %d converting, %d orders, %s revenue; world has %d, %d, %d, %s",
			sessions, converting, orders, revenue, len(ids), purchases, len(w.Orders), purchased)
	}

	// With cancellations, refunds and tracking loss, only completed orders
	// count (as the last batch that read them saw them), at the price in
	// force at their date.
	cfg := sim.DefaultConfig().Realistic()
	cfg.Days, cfg.CancelRate, cfg.RefundRate = 14, 0.10, 0.10
	rw := newWorld(t, cfg)
	var completed int64
	var total money.Cents
	for _, o := range rw.Orders {
		if st, _, _ := rw.Observed(o); st == sim.StatusCompleted {
			completed++
			total += rw.OrderTotal(o)
		}
	}
	orders, revenue = 0, 0
	for _, k := range rw.DailyKPIs() {
		orders += k.Orders
		revenue += k.Revenue
	}
	if orders != completed || revenue != total || completed == int64(len(rw.Orders)) {
		t.Fatalf("realistic KPIs sum to %d orders, %s; the world has %d completed orders of %d, %s",
			orders, revenue, completed, len(rw.Orders), total)
	}
	funnel := w.SessionFunnel()
	if got, want := len(funnel), 4*len(w.DailyKPIs()); got != want {
		t.Fatalf("%d funnel rows, want %d", got, want)
	}
	for i := 0; i < len(funnel); i += 4 {
		for k := 1; k < 4; k++ {
			if funnel[i+k].Sessions > funnel[i+k-1].Sessions {
				t.Fatalf("%s: step %d has more sessions than step %d", funnel[i].Date.Format(time.DateOnly), k+1, k)
			}
		}
	}
}

// TestWorld_FunnelMatchesConversion: the funnel's purchase step counts
// exactly daily_kpis' converting sessions on every date, and no step counts
// more sessions than the one before it (docs/MARTS.md §2), on a realistic
// world (tracking loss, cancelled orders, campaigns).
func TestWorld_FunnelMatchesConversion(t *testing.T) {
	w := newWorld(t, sim.Config{Seed: 11, Start: sim.DefaultConfig().Start, Days: 3, Users: 600}.Realistic())
	converting := map[time.Time]int64{}
	for _, k := range w.DailyKPIs() {
		converting[k.Date] = k.ConvertingSessions
	}
	var prev int64
	steps := 0
	for _, f := range w.SessionFunnel() {
		if f.StepOrder > 1 && f.Sessions > prev {
			t.Errorf("%s step %d: %d sessions, more than step %d's %d", f.Date.Format(time.DateOnly), f.StepOrder, f.Sessions, f.StepOrder-1, prev)
		}
		prev = f.Sessions
		if f.Step == stream.Purchase {
			steps++
			if f.Sessions != converting[f.Date] {
				t.Errorf("%s: purchase step %d sessions, daily_kpis converting %d", f.Date.Format(time.DateOnly), f.Sessions, converting[f.Date])
			}
		}
	}
	if steps < 3 {
		t.Fatalf("funnel has %d dates, want at least 3", steps)
	}
}

func TestWorld_CheckoutAbandonment(t *testing.T) {
	// Jan 5: s1 and s4 buy, s2 reaches the checkout, s3 only browses.
	// Jan 6: s5 reaches the checkout, s6 the cart; nobody buys.
	// Jan 7: s7 never reaches the cart: no rate.
	want := []string{
		"2026-01-05 4 3 3 2 0.3333 0.3333",
		"2026-01-06 2 2 1 0 1.0000 1.0000",
		"2026-01-07 1 0 0 0 nil nil",
	}
	var got []string
	for _, r := range oracleWorld().CheckoutAbandonment() {
		got = append(got, fmt.Sprintf("%s %d %d %d %d %s %s", r.Date.Format(time.DateOnly), r.Sessions, r.Carts, r.Checkouts,
			r.Purchases, strOrNil(r.CartAbandonmentRate), strOrNil(r.CheckoutAbandonmentRate)))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CheckoutAbandonment:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
