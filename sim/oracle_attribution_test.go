package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// attributionWorld is a handmade World whose order attribution is worked
// out by hand in TestWorld_OrderAttribution. Products: P1 10.00, P2 20.00,
// P3 5.50.
//
// Sessions (dimensions of their first event):
//
//	a00 u1 Feb  3 11:59:59  display                 (one second before order 1's window)
//	a0  u1 Feb  3 12:00     paid_search google cpc spring  (order 1's window opens exactly here)
//	b1  u1 Mar  5 11:50     email newsletter email march   purchases of orders 1 and 6
//	c1  u2 Mar  4 09:00     organic_social instagram social (campaign sent empty)
//	c2  u2 Mar  4 09:00     display: the same instant as c1, a larger id
//	c3  u2 Mar  6 07:55     direct, no UTM (a purchase of order 2 at 07:59, event e-b)
//	c4  u2 Mar  6 07:58     affiliate (a purchase of order 2 at 07:59, event e-c: later id)
//	d0  u4 Mar  6 09:00     " Paid_Social " "Facebook" CPC "Spring Sale"
//	d1  anon Mar 6 09:55    referral, UTM sent empty: purchase of order 5
//	e1  u3 Mar  6 12:00     organic_search: after order 3, which it cannot have brought
//	f1  u2 Mar  6 14:00     email: purchase of order 7, refunded
//
// Orders:
//
//	1 u1 Mar 5 12:00 completed P1  10.00
//	3 u3 Mar 5 20:00 completed P3   5.50  purchase event lost
//	4 u1 Mar 5 21:00 cancelled P1        (counts nowhere)
//	6 u1 Mar 5 23:00 completed P1  10.00  (a0 is now 30 days and 11 hours before)
//	2 u2 Mar 6 08:00 completed P2  20.00
//	5 u4 Mar 6 10:00 completed P1  10.00
//	7 u2 Mar 6 14:05 refunded  P2        (counts nowhere)
func attributionWorld() *sim.World {
	at := func(m time.Month, d, h, min, s int) time.Time { return time.Date(2026, m, d, h, min, s, 0, time.UTC) }
	str := func(s string) *string { return &s }
	n := 0
	ev := func(sess string, user int64, typ stream.EventType, t time.Time) stream.Event {
		n++
		e := stream.Event{
			EventID: fmt.Sprintf("e%03d", n), EventType: typ, EventTime: t,
			SessionID: sess, AnonymousID: "device-" + sess, SchemaVersion: stream.SchemaVersion,
		}
		if user != 0 {
			e.UserID = new(user)
		}
		return e
	}
	// land is a session's first event with its traffic source; nil UTM
	// values are absent.
	land := func(sess string, user int64, t time.Time, channel string, utm ...*string) stream.Event {
		e := ev(sess, user, stream.PageView, t)
		e.Channel = str(channel)
		if len(utm) == 3 {
			e.UTMSource, e.UTMMedium, e.UTMCampaign = utm[0], utm[1], utm[2]
		}
		return e
	}
	buy := func(id, sess string, user int64, t time.Time, order int64) stream.Event {
		e := ev(sess, user, stream.Purchase, t)
		e.EventID = id
		e.OrderID = new(order)
		e.Channel = str("referral") // not the first event: never the session's source
		return e
	}
	order := func(id, user int64, t time.Time, product int64, status string) sim.Order {
		return sim.Order{ID: id, UserID: user, Date: t, Lines: []sim.Line{{ProductID: product, Quantity: 1}}, Status: status}
	}
	return &sim.World{
		Products: []sim.Product{{ID: 1, Price: 1000}, {ID: 2, Price: 2000}, {ID: 3, Price: 550}},
		Orders: []sim.Order{
			order(1, 1, at(time.March, 5, 12, 0, 0), 1, sim.StatusCompleted),
			order(2, 2, at(time.March, 6, 8, 0, 0), 2, sim.StatusCompleted),
			order(3, 3, at(time.March, 5, 20, 0, 0), 3, sim.StatusCompleted),
			order(4, 1, at(time.March, 5, 21, 0, 0), 1, "cancelled"),
			order(5, 4, at(time.March, 6, 10, 0, 0), 1, sim.StatusCompleted),
			order(6, 1, at(time.March, 5, 23, 0, 0), 1, sim.StatusCompleted),
			order(7, 2, at(time.March, 6, 14, 5, 0), 2, "refunded"),
		},
		Events: []stream.Event{
			land("a00", 1, at(time.February, 3, 11, 59, 59), "display"),
			land("a0", 1, at(time.February, 3, 12, 0, 0), "paid_search", str("google"), str("cpc"), str("spring")),
			buy("e-a1", "b1", 1, at(time.March, 5, 12, 0, 0), 1),
			land("b1", 1, at(time.March, 5, 11, 50, 0), "email", str("newsletter"), str("email"), str("march")),
			buy("e-a6", "b1", 1, at(time.March, 5, 23, 0, 0), 6),
			buy("e-a4", "b1", 1, at(time.March, 5, 21, 0, 0), 4),
			land("c2", 2, at(time.March, 4, 9, 0, 0), "display"),
			land("c1", 2, at(time.March, 4, 9, 0, 0), "organic_social", str("instagram"), str("social"), str("")),
			land("c3", 2, at(time.March, 6, 7, 55, 0), "direct"),
			land("c4", 2, at(time.March, 6, 7, 58, 0), "affiliate"),
			buy("e-c", "c4", 2, at(time.March, 6, 7, 59, 0), 2),
			buy("e-b", "c3", 2, at(time.March, 6, 7, 59, 0), 2),
			land("d0", 4, at(time.March, 6, 9, 0, 0), " Paid_Social ", str("Facebook"), str("CPC"), str("Spring Sale")),
			land("d1", 0, at(time.March, 6, 9, 55, 0), "referral", str(""), str(""), str("")),
			buy("e-d", "d1", 0, at(time.March, 6, 10, 0, 0), 5),
			land("e1", 3, at(time.March, 6, 12, 0, 0), "organic_search"),
			land("f1", 2, at(time.March, 6, 14, 0, 0), "email"),
			buy("e-f", "f1", 2, at(time.March, 6, 14, 5, 0), 7),
		},
	}
}

func attributionLines(rows []sim.OrderAttributionRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s orders=%d revenue=%s",
			ds(r.Date), r.Model, r.Channel, r.UTMSource, r.UTMMedium, r.UTMCampaign, r.Orders, r.Revenue))
	}
	return out
}

func TestWorld_OrderAttribution(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		want := []string{
			// Order 3 has no purchase event and no session of u3 before it.
			"2026-03-05 first_touch (untracked) (untracked) (untracked) (untracked) orders=1 revenue=5.50",
			// Order 6: a0 is 30 days and 11 hours before; b1 is u1's first
			// session in the window.
			"2026-03-05 first_touch email newsletter email march orders=1 revenue=10.00",
			// Order 1: a0 starts exactly 30 days before (included), a00 a
			// second earlier (not).
			"2026-03-05 first_touch paid_search google cpc spring orders=1 revenue=10.00",
			"2026-03-05 last_touch (untracked) (untracked) (untracked) (untracked) orders=1 revenue=5.50",
			// Orders 1 and 6 were bought in b1.
			"2026-03-05 last_touch email newsletter email march orders=2 revenue=20.00",
			// Order 2: c1 and c2 start together; c1 has the smaller id. Its
			// campaign was sent empty.
			"2026-03-06 first_touch organic_social instagram social (none) orders=1 revenue=20.00",
			// Order 5: d0, normalised; d1 is anonymous and not u4's.
			"2026-03-06 first_touch paid_social facebook cpc spring sale orders=1 revenue=10.00",
			// Order 2's purchase events e-b (c3) and e-c (c4) are at the same
			// instant: e-b is the smaller id. c3 sent no UTM.
			"2026-03-06 last_touch direct unknown unknown unknown orders=1 revenue=20.00",
			"2026-03-06 last_touch referral (none) (none) (none) orders=1 revenue=10.00",
		}
		w := attributionWorld()
		diffLines(t, attributionLines(w.OrderAttribution()), want)
		checkAttributionSums(t, w)
	})
	t.Run("Window", func(t *testing.T) {
		// One more day back and a00 opens order 1's window: it is earlier
		// than a0. The window is a parameter of the definition.
		if sim.AttributionWindowDays != 30 {
			t.Fatalf("AttributionWindowDays = %d: docs/MARTS.md §15 and the model say 30", sim.AttributionWindowDays)
		}
		w := attributionWorld()
		w.Orders[0].Date = w.Orders[0].Date.Add(-time.Second) // Mar 5 11:59:59: a00 is exactly 30 days before
		w.Events[2].EventTime = w.Orders[0].Date
		rows := w.OrderAttribution()
		if got := attributionLines(rows)[1]; got != "2026-03-05 first_touch display unknown unknown unknown orders=1 revenue=10.00" {
			t.Fatalf("order 1 moved a second earlier: %s", got)
		}
	})
	t.Run("NoOrders", func(t *testing.T) {
		w := attributionWorld()
		w.Orders = nil
		if got := w.OrderAttribution(); len(got) != 0 {
			t.Fatalf("got %v", attributionLines(got))
		}
	})
}

// checkAttributionSums fails t unless, for every date and model, the
// attributed orders and revenue sum to daily_kpis' completed orders and
// revenue: every completed order is credited once under each model.
func checkAttributionSums(t *testing.T, w *sim.World) {
	t.Helper()
	type sums struct {
		orders  int64
		revenue money.Cents
	}
	got := map[string]sums{}
	for _, r := range w.OrderAttribution() {
		k := ds(r.Date) + " " + r.Model
		s := got[k]
		got[k] = sums{s.orders + r.Orders, s.revenue + r.Revenue}
		if r.Orders <= 0 {
			t.Fatalf("%s: a row of %d orders", k, r.Orders)
		}
	}
	n := 0
	for _, k := range w.DailyKPIs() {
		if k.Orders == 0 {
			continue
		}
		for _, model := range []string{sim.FirstTouch, sim.LastTouch} {
			key := ds(k.Date) + " " + model
			if s := got[key]; s.orders != k.Orders || s.revenue != k.Revenue {
				t.Fatalf("%s: %d orders, %s; daily_kpis has %d, %s", key, s.orders, s.revenue, k.Orders, k.Revenue)
			}
			n++
		}
	}
	if n != len(got) {
		t.Fatalf("%d (date, model) pairs attributed, daily_kpis has orders for %d", len(got), n)
	}
}

// TestWorld_OrderAttributionSums: on generated worlds (one with the order
// lifecycle, a lookback and refunds, so that the status as observed
// decides), every completed order is attributed once under each model, and
// the tracked share is plausible.
func TestWorld_OrderAttributionSums(t *testing.T) {
	realistic := sim.DefaultConfig().Realistic()
	realistic.Days, realistic.Users = 20, 400
	realistic.OrderLifecycle, realistic.RefundRate, realistic.PartialRefundRate = true, 0.25, 0.2
	for name, cfg := range map[string]sim.Config{"Default": sim.DefaultConfig(), "Lifecycle": realistic} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, cfg)
			w.Lookback = 3
			checkAttributionSums(t, w)
			var tracked, all int64
			for _, r := range w.OrderAttribution() {
				if r.Model == sim.LastTouch {
					all += r.Orders
					if r.Channel != sim.Untracked {
						tracked += r.Orders
					}
				}
			}
			if all == 0 || tracked*10 < all*9 {
				t.Fatalf("last touch credits a session with %d of %d orders", tracked, all)
			}
		})
	}
}
