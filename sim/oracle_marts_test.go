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

// martsWorld is a handmade World whose cohort, LTV, conversion and
// reconciliation marts are worked out by hand in the tests below. It runs 59
// days from Thursday 2026-01-01: Horizon() is Sunday 2026-03-01 00:00 UTC,
// so February is the last (complete) month and the week of Monday Feb 23 the
// last (incomplete) week.
//
// Products: P1 electronics 10.00; P2 " Electronics " (the same category
// once normalized) 20.00, 25.00 from
// 2026-01-20 12:00; P3 jewelery 5.50; P4 jewelery 7.26, withdrawn Feb 1.
//
// Orders (ids deliberately not in date order):
//
//	 1 u1 Sun Jan  4 23:59:59.999 completed P1       10.00
//	 2 u1 Mon Jan  5 00:00:00     completed P2       20.00  (next ISO week)
//	 3 u2     Jan 10 10:00        cancelled P1×2     (u2 is no customer yet)
//	 4 u2 Sun Feb  1 00:00:00     completed P2       25.00  (new price; Feb cohort, week of Jan 26)
//	 5 u3     Jan 20 11:59:59     completed P2×2     40.00  (old price) UNTRACKED
//	 6 u3     Jan 20 12:00:00     refunded  P2       25.00  (no revenue)
//	 7 u3     Feb 19 08:00        completed P3        5.50  (day 30 after Jan 20: outside the 30-day window)
//	 8 u4     Feb 28 23:00        completed P1×3     30.00
//	 9 u5     Jan 31 23:59:59     refunded  P1       (u5 is never a customer) UNTRACKED
//	10 u1     Feb  9 12:00        completed P3×2     11.00
//	11 u6     Mar  1 00:00:00     completed P1       (at the horizon: no customer) UNTRACKED
//	12 u7     Jan 15 09:30        completed P4        7.26
//	13 u8     Jan 30 14:00        completed P3        5.50  (Jan 30 + 30 days = Mar 1: window elapsed) UNTRACKED
//	14 u8     Feb 28 10:00        completed P3        5.50  (day 29)
//
// Sessions:
//
//	sA u1 Jan 4: views P1 twice, carts P1, purchase order 1
//	sB u1 Jan 4 23:59:30 → Jan 5: views P2, carts P2, purchase order 2 at Jan 5 00:00
//	sC anon Jan 4: views P1, P2, P3 and unknown product 42, carts P3
//	sD u2 Jan 10: views P1, carts P1, purchase order 3 (cancelled later)
//	sE u3 Jan 20: views P2, carts P2, begin_checkout; order 5's purchase event is lost
//	sF u3 Jan 20: page_view, purchase order 6 (refunded later)
//	sG u2 Feb 3: views P3, purchase with order_id 99 (no such order)
//	sH, sI, sJ, sK, sL, sM: a lone purchase event of orders 12, 4, 10, 7, 8, 14
func martsWorld() *sim.World {
	at := func(m time.Month, d, h, min, s, ms int) time.Time {
		return time.Date(2026, m, d, h, min, s, ms*int(time.Millisecond), time.UTC)
	}
	withdrawn := at(time.February, 1, 0, 0, 0, 0)
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
	prod := func(sess string, user int64, typ stream.EventType, t time.Time, p int64) stream.Event {
		e := ev(sess, user, typ, t)
		e.ProductID = new(p)
		return e
	}
	buy := func(sess string, user int64, t time.Time, order int64) stream.Event {
		e := ev(sess, user, stream.Purchase, t)
		e.OrderID = new(order)
		return e
	}
	line := func(p, q int64) []sim.Line { return []sim.Line{{ProductID: p, Quantity: q}} }
	order := func(id, user int64, t time.Time, l []sim.Line, status string) sim.Order {
		return sim.Order{ID: id, UserID: user, Date: t, Lines: l, Status: status}
	}
	const done, cancelled, refunded = sim.StatusCompleted, "cancelled", "refunded"
	return &sim.World{
		Config: sim.Config{Seed: 1, Start: at(time.January, 1, 0, 0, 0, 0), Days: 59, Users: 8, Products: 4},
		Products: []sim.Product{
			{ID: 1, Price: 1000, Category: "electronics"},
			{ID: 2, Price: 2000, Category: " Electronics ", Prices: []sim.PricePoint{{From: at(time.January, 20, 12, 0, 0, 0), Price: 2500}}},
			{ID: 3, Price: 550, Category: "jewelery"},
			{ID: 4, Price: 726, Category: "jewelery", WithdrawnAt: &withdrawn},
		},
		Orders: []sim.Order{
			order(1, 1, at(time.January, 4, 23, 59, 59, 999), line(1, 1), done),
			order(2, 1, at(time.January, 5, 0, 0, 0, 0), line(2, 1), done),
			order(3, 2, at(time.January, 10, 10, 0, 0, 0), line(1, 2), cancelled),
			order(4, 2, at(time.February, 1, 0, 0, 0, 0), line(2, 1), done),
			order(5, 3, at(time.January, 20, 11, 59, 59, 0), line(2, 2), done),
			order(6, 3, at(time.January, 20, 12, 0, 0, 0), line(2, 1), refunded),
			order(7, 3, at(time.February, 19, 8, 0, 0, 0), line(3, 1), done),
			order(8, 4, at(time.February, 28, 23, 0, 0, 0), line(1, 3), done),
			order(9, 5, at(time.January, 31, 23, 59, 59, 0), line(1, 1), refunded),
			order(10, 1, at(time.February, 9, 12, 0, 0, 0), line(3, 2), done),
			order(11, 6, at(time.March, 1, 0, 0, 0, 0), line(1, 1), done),
			order(12, 7, at(time.January, 15, 9, 30, 0, 0), line(4, 1), done),
			order(13, 8, at(time.January, 30, 14, 0, 0, 0), line(3, 1), done),
			order(14, 8, at(time.February, 28, 10, 0, 0, 0), line(3, 1), done),
		},
		// Not in (time, id) order: the oracle must not rely on it.
		Events: []stream.Event{
			buy("sA", 1, at(time.January, 4, 23, 59, 59, 999), 1),
			ev("sA", 1, stream.PageView, at(time.January, 4, 23, 50, 0, 0)),
			prod("sA", 1, stream.ProductView, at(time.January, 4, 23, 51, 0, 0), 1),
			prod("sA", 1, stream.ProductView, at(time.January, 4, 23, 52, 0, 0), 1),
			prod("sA", 1, stream.AddToCart, at(time.January, 4, 23, 55, 0, 0), 1),
			ev("sA", 1, stream.BeginCheckout, at(time.January, 4, 23, 58, 0, 0)),

			ev("sB", 1, stream.PageView, at(time.January, 4, 23, 59, 30, 0)),
			prod("sB", 1, stream.ProductView, at(time.January, 4, 23, 59, 40, 0), 2),
			prod("sB", 1, stream.AddToCart, at(time.January, 4, 23, 59, 50, 0), 2),
			buy("sB", 1, at(time.January, 5, 0, 0, 0, 0), 2),

			ev("sC", 0, stream.PageView, at(time.January, 4, 8, 0, 0, 0)),
			prod("sC", 0, stream.ProductView, at(time.January, 4, 8, 1, 0, 0), 1),
			prod("sC", 0, stream.ProductView, at(time.January, 4, 8, 2, 0, 0), 2),
			prod("sC", 0, stream.ProductView, at(time.January, 4, 8, 3, 0, 0), 3),
			prod("sC", 0, stream.ProductView, at(time.January, 4, 8, 4, 0, 0), 42),
			prod("sC", 0, stream.AddToCart, at(time.January, 4, 8, 5, 0, 0), 3),
			prod("sC", 0, stream.AddToCart, at(time.January, 4, 8, 6, 0, 0), 42),

			prod("sD", 2, stream.ProductView, at(time.January, 10, 9, 55, 0, 0), 1),
			prod("sD", 2, stream.AddToCart, at(time.January, 10, 9, 57, 0, 0), 1),
			buy("sD", 2, at(time.January, 10, 10, 0, 0, 0), 3),

			ev("sE", 3, stream.PageView, at(time.January, 20, 11, 50, 0, 0)),
			prod("sE", 3, stream.ProductView, at(time.January, 20, 11, 55, 0, 0), 2),
			prod("sE", 3, stream.AddToCart, at(time.January, 20, 11, 56, 0, 0), 2),
			ev("sE", 3, stream.BeginCheckout, at(time.January, 20, 11, 58, 0, 0)),

			ev("sF", 3, stream.PageView, at(time.January, 20, 11, 59, 50, 0)),
			buy("sF", 3, at(time.January, 20, 12, 0, 0, 0), 6),

			prod("sG", 2, stream.ProductView, at(time.February, 3, 11, 59, 0, 0), 3),
			buy("sG", 2, at(time.February, 3, 12, 0, 0, 0), 99),

			buy("sH", 7, at(time.January, 15, 9, 30, 0, 0), 12),
			buy("sI", 2, at(time.February, 1, 0, 0, 0, 0), 4),
			buy("sJ", 1, at(time.February, 9, 12, 0, 0, 0), 10),
			buy("sK", 3, at(time.February, 19, 8, 0, 0, 0), 7),
			buy("sL", 4, at(time.February, 28, 23, 0, 0, 0), 8),
			buy("sM", 8, at(time.February, 28, 10, 0, 0, 0), 14),
		},
	}
}

// date returns the UTC midnight of 2026-m-d (d may overflow into the next
// month, or be 0 or negative for the previous one).
func date(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func ds(t time.Time) string { return t.Format(time.DateOnly) }

// diffLines fails t with both listings if got and want differ.
func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	t.Errorf("got %d rows:\n  %s\nwant %d rows:\n  %s", len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
}

func TestWorld_Horizon(t *testing.T) {
	t.Run("Config", func(t *testing.T) {
		if got, want := martsWorld().Horizon(), date(time.March, 1); !got.Equal(want) {
			t.Fatalf("Horizon() = %s, want %s", got, want)
		}
	})
	t.Run("NoConfig", func(t *testing.T) {
		// The latest instant is order 11 at Mar 1 00:00: the next midnight.
		w := martsWorld()
		w.Config = sim.Config{}
		if got, want := w.Horizon(), date(time.March, 2); !got.Equal(want) {
			t.Fatalf("Horizon() = %s, want %s", got, want)
		}
		// oracleWorld's latest instant is order 4, Jan 8 09:00.
		if got, want := oracleWorld().Horizon(), date(time.January, 9); !got.Equal(want) {
			t.Fatalf("Horizon() = %s, want %s", got, want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if got := (&sim.World{}).Horizon(); !got.IsZero() {
			t.Fatalf("Horizon() = %s, want zero", got)
		}
	})
}

func retentionLines(rows []sim.CohortRetentionRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s +%d %s size=%d active=%d rate=%s complete=%t",
			r.Granularity, ds(r.Cohort), r.Offset, ds(r.Period), r.CohortSize, r.Active, r.Rate, r.PeriodComplete))
	}
	return out
}

func TestWorld_CohortRetention(t *testing.T) {
	t.Run("Monthly", func(t *testing.T) {
		// Customers: u1 (Jan 4), u7 (Jan 15), u3 (Jan 20), u8 (Jan 30) in
		// January; u2 (Feb 1 00:00, after a cancelled January order) and u4
		// in February. u5 (refunded only) and u6 (order at the horizon) are
		// no customers. February ends at the horizon: complete.
		want := []string{
			"month 2026-01-01 +0 2026-01-01 size=4 active=4 rate=1.0000 complete=true",
			// u1 (Feb 9), u3 (Feb 19), u8 (Feb 28); u7 bought only once.
			"month 2026-01-01 +1 2026-02-01 size=4 active=3 rate=0.7500 complete=true",
			"month 2026-02-01 +0 2026-02-01 size=2 active=2 rate=1.0000 complete=true",
		}
		diffLines(t, retentionLines(martsWorld().CohortRetention(sim.Monthly)), want)
	})
	t.Run("Weekly", func(t *testing.T) {
		// Weeks start on Mondays: Dec 29, Jan 5, 12, 19, 26, Feb 2, 9, 16,
		// 23. The last instant before the horizon (Sat Feb 28) is in the
		// week of Feb 23, which ends Mar 2, after the horizon: incomplete.
		var want []string
		add := func(cohort time.Time, size int64, last int, active map[int]int64) {
			for k := 0; k <= last; k++ {
				a := active[k]
				rate := "0.0000"
				switch {
				case a == size:
					rate = "1.0000"
				case a*2 == size:
					rate = "0.5000"
				}
				period := cohort.AddDate(0, 0, 7*k)
				want = append(want, fmt.Sprintf("week %s +%d %s size=%d active=%d rate=%s complete=%t",
					ds(cohort), k, ds(period), size, a, rate, !period.Equal(date(time.February, 23))))
			}
		}
		// u1: Sun Jan 4 23:59:59.999 is in the week of Mon Dec 29, 2025;
		// Mon Jan 5 00:00 is offset 1; Feb 9 is offset 6.
		add(time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), 1, 8, map[int]int64{0: 1, 1: 1, 6: 1})
		// u7: once.
		add(date(time.January, 12), 1, 6, map[int]int64{0: 1})
		// u3: Jan 20 (the refunded order of the same day changes nothing),
		// Feb 19 (week of Feb 16).
		add(date(time.January, 19), 1, 5, map[int]int64{0: 1, 4: 1})
		// u8 (Fri Jan 30) and u2 (Sun Feb 1 00:00, still the week of Jan
		// 26); u8 again on Feb 28.
		add(date(time.January, 26), 2, 4, map[int]int64{0: 2, 4: 1})
		// u4: Feb 28.
		add(date(time.February, 23), 1, 0, map[int]int64{0: 1})
		diffLines(t, retentionLines(martsWorld().CohortRetention(sim.Weekly)), want)
	})
	t.Run("NoCustomer", func(t *testing.T) {
		w := martsWorld()
		w.Orders = w.Orders[2:3] // the cancelled order only
		if got := w.CohortRetention(sim.Weekly); len(got) != 0 {
			t.Fatalf("got %d rows, want none: %v", len(got), retentionLines(got))
		}
	})
	t.Run("InvalidGranularity", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("CohortRetention(0) did not panic")
			}
		}()
		martsWorld().CohortRetention(0)
	})
}

func TestGranularity_String(t *testing.T) {
	if got, want := sim.Monthly.String()+","+sim.Weekly.String(), "month,week"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestWorld_CustomerLTV(t *testing.T) {
	c := func(v money.Cents) *money.Cents { return &v }
	want := []sim.CustomerLTV{
		// Orders 1 (day 0) and 2 (day 1) in the 30-day window, order 10 (day
		// 36) not; Jan 4 + 90 days is after the horizon.
		{UserID: 1, FirstOrderDate: date(time.January, 4), CohortMonth: date(time.January, 1), Orders: 3, Revenue: 4100, Revenue30: c(3000)},
		// The cancelled January order neither founds the cohort nor counts;
		// Feb 1 + 30 days = Mar 3 is after the horizon.
		{UserID: 2, FirstOrderDate: date(time.February, 1), CohortMonth: date(time.February, 1), Orders: 1, Revenue: 2500},
		// Order 5 at the old price (2 × 20.00), the refunded order 6 adds
		// nothing, order 7 on day 30 is outside the 30-day window.
		{UserID: 3, FirstOrderDate: date(time.January, 20), CohortMonth: date(time.January, 1), Orders: 2, Revenue: 4550, Revenue30: c(4000)},
		{UserID: 4, FirstOrderDate: date(time.February, 28), CohortMonth: date(time.February, 1), Orders: 1, Revenue: 3000},
		// A withdrawn product keeps its price.
		{UserID: 7, FirstOrderDate: date(time.January, 15), CohortMonth: date(time.January, 1), Orders: 1, Revenue: 726, Revenue30: c(726)},
		// Jan 30 + 30 days = Mar 1 = the horizon: elapsed; Feb 28 is day 29.
		{UserID: 8, FirstOrderDate: date(time.January, 30), CohortMonth: date(time.January, 1), Orders: 2, Revenue: 1100, Revenue30: c(1100)},
	}
	diffLines(t, customerLTVLines(martsWorld().CustomerLTV()), customerLTVLines(want))

	t.Run("Within", func(t *testing.T) {
		r := want[0]
		if got := r.Within(30); got == nil || *got != 3000 {
			t.Fatalf("Within(30) = %s, want 30.00", centsOrNil(got))
		}
		if got := r.Within(90); got != nil {
			t.Fatalf("Within(90) = %s, want nil", centsOrNil(got))
		}
		if got := r.Within(7); got != nil {
			t.Fatalf("Within(7) = %s, want nil", centsOrNil(got))
		}
	})
	t.Run("Matured", func(t *testing.T) {
		// A year later every window has elapsed.
		w := martsWorld()
		w.Config.Days = 59 + 365
		for _, r := range w.CustomerLTV() {
			if r.Revenue30 == nil || r.Revenue90 == nil || r.Revenue365 == nil {
				t.Fatalf("u%d: a window has not elapsed a year later", r.UserID)
			}
			// Every order is within 90 days of the first one, and order 11
			// (u6, Mar 1) now counts.
			if *r.Revenue90 != r.Revenue || *r.Revenue365 != r.Revenue {
				t.Fatalf("u%d: 90d=%s 365d=%s, want the total %s", r.UserID, r.Revenue90, r.Revenue365, r.Revenue)
			}
		}
		if got, want := len(w.CustomerLTV()), 7; got != want {
			t.Fatalf("%d customers, want %d (u6 joins)", got, want)
		}
	})
}

func customerLTVLines(rows []sim.CustomerLTV) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("u%d first=%s cohort=%s orders=%d revenue=%s 30d=%s 90d=%s 365d=%s",
			r.UserID, ds(r.FirstOrderDate), ds(r.CohortMonth), r.Orders, r.Revenue,
			centsOrNil(r.Revenue30), centsOrNil(r.Revenue90), centsOrNil(r.Revenue365)))
	}
	return out
}

func cohortLTVLines(rows []sim.CohortLTVRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %dd customers=%d matured=%d revenue=%s avg=%s",
			ds(r.CohortMonth), r.HorizonDays, r.CohortCustomers, r.MaturedCustomers, r.Revenue, centsOrNil(r.AvgRevenue)))
	}
	return out
}

func TestWorld_CohortLTV(t *testing.T) {
	got := cohortLTVLines(martsWorld().CohortLTV())
	want := []string{
		// 30.00 + 40.00 + 7.26 + 11.00 = 88.26; / 4 = 22.065 → 22.07 (half away from zero).
		"2026-01-01 30d customers=4 matured=4 revenue=88.26 avg=22.07",
		"2026-01-01 90d customers=4 matured=0 revenue=0.00 avg=nil",
		"2026-01-01 365d customers=4 matured=0 revenue=0.00 avg=nil",
		"2026-02-01 30d customers=2 matured=0 revenue=0.00 avg=nil",
		"2026-02-01 90d customers=2 matured=0 revenue=0.00 avg=nil",
		"2026-02-01 365d customers=2 matured=0 revenue=0.00 avg=nil",
	}
	diffLines(t, got, want)
}

func conversionLine(c sim.Conversion) string {
	return fmt.Sprintf("view=%d cart=%d purchase=%d v2c=%s v2p=%s",
		c.ViewSessions, c.CartSessions, c.PurchaseSessions, strOrNil(c.ViewToCart), strOrNil(c.ViewToPurchase))
}

func productConversionLines(rows []sim.ProductConversionRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s P%d %s", ds(r.Date), r.ProductID, conversionLine(r.Conversion)))
	}
	return out
}

func categoryConversionLines(rows []sim.CategoryConversionRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %q %s", ds(r.Date), r.Category, conversionLine(r.Conversion)))
	}
	return out
}

func TestWorld_ProductConversion(t *testing.T) {
	got := productConversionLines(martsWorld().ProductConversion())
	want := []string{
		// P1: sA (viewed twice: once) and sC viewed; sA carted and bought.
		"2026-01-04 P1 view=2 cart=1 purchase=1 v2c=0.5000 v2p=0.5000",
		// P2: sB and sC viewed; sB (dated Jan 4) bought on Jan 5.
		"2026-01-04 P2 view=2 cart=1 purchase=1 v2c=0.5000 v2p=0.5000",
		"2026-01-04 P3 view=1 cart=1 purchase=0 v2c=1.0000 v2p=0.0000",
		// Product 42 is not in the catalogue: no row. The cancelled order 3
		// was still purchased.
		"2026-01-10 P1 view=1 cart=1 purchase=1 v2c=1.0000 v2p=1.0000",
		"2026-01-15 P4 view=0 cart=0 purchase=1 v2c=nil v2p=nil",
		// sE viewed and carted (its purchase event was lost); sF bought the
		// refunded order 6 without viewing.
		"2026-01-20 P2 view=1 cart=1 purchase=1 v2c=1.0000 v2p=1.0000",
		"2026-02-01 P2 view=0 cart=0 purchase=1 v2c=nil v2p=nil",
		// sG's purchase names no order: it attributes nothing.
		"2026-02-03 P3 view=1 cart=0 purchase=0 v2c=0.0000 v2p=0.0000",
		"2026-02-09 P3 view=0 cart=0 purchase=1 v2c=nil v2p=nil",
		"2026-02-19 P3 view=0 cart=0 purchase=1 v2c=nil v2p=nil",
		"2026-02-28 P1 view=0 cart=0 purchase=1 v2c=nil v2p=nil",
		"2026-02-28 P3 view=0 cart=0 purchase=1 v2c=nil v2p=nil",
	}
	diffLines(t, got, want)
}

func TestWorld_CategoryConversion(t *testing.T) {
	got := categoryConversionLines(martsWorld().CategoryConversion())
	want := []string{
		// sA, sB and sC (P1 and P2: once) viewed electronics: 3, not 2 + 2.
		`2026-01-04 "electronics" view=3 cart=2 purchase=2 v2c=0.6667 v2p=0.6667`,
		`2026-01-04 "jewelery" view=1 cart=1 purchase=0 v2c=1.0000 v2p=0.0000`,
		`2026-01-10 "electronics" view=1 cart=1 purchase=1 v2c=1.0000 v2p=1.0000`,
		`2026-01-15 "jewelery" view=0 cart=0 purchase=1 v2c=nil v2p=nil`,
		`2026-01-20 "electronics" view=1 cart=1 purchase=1 v2c=1.0000 v2p=1.0000`,
		`2026-02-01 "electronics" view=0 cart=0 purchase=1 v2c=nil v2p=nil`,
		`2026-02-03 "jewelery" view=1 cart=0 purchase=0 v2c=0.0000 v2p=0.0000`,
		`2026-02-09 "jewelery" view=0 cart=0 purchase=1 v2c=nil v2p=nil`,
		`2026-02-19 "jewelery" view=0 cart=0 purchase=1 v2c=nil v2p=nil`,
		`2026-02-28 "electronics" view=0 cart=0 purchase=1 v2c=nil v2p=nil`,
		`2026-02-28 "jewelery" view=0 cart=0 purchase=1 v2c=nil v2p=nil`,
	}
	diffLines(t, got, want)
}

func TestCategoryKey(t *testing.T) {
	for in, want := range map[string]string{
		"electronics":                     "electronics",
		" Electronics  ":                  "electronics",
		"women's\tclothing \u202e\x1b[0m": "women's\tclothing \u202e\x1b[0m",
		"../ELECTRONICS\x00\x00":          "../electronics\uFFFD\uFFFD", // NUL cannot be stored: replaced, as the warehouse does
		"\tjewelery\n":                    "\tjewelery\n",
	} {
		if got := sim.CategoryKey(in); got != want {
			t.Errorf("CategoryKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func reconciliationLines(rows []sim.ReconciliationRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s orders=%d tracked=%d untracked=%d events=%d orphans=%d loss=%s",
			ds(r.Date), r.Orders, r.TrackedOrders, r.UntrackedOrders, r.PurchaseEvents, r.OrphanPurchaseEvents, strOrNil(r.TrackingLossRate)))
	}
	return out
}

func TestWorld_Reconciliation(t *testing.T) {
	w := martsWorld()
	want := []string{
		"2026-01-04 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		"2026-01-05 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		// Statuses do not matter: the cancelled order 3 was tracked.
		"2026-01-10 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		"2026-01-15 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		// Order 5 lost its event; the refunded order 6 has one.
		"2026-01-20 orders=2 tracked=1 untracked=1 events=1 orphans=0 loss=0.5000",
		"2026-01-30 orders=1 tracked=0 untracked=1 events=0 orphans=0 loss=1.0000",
		"2026-01-31 orders=1 tracked=0 untracked=1 events=0 orphans=0 loss=1.0000",
		"2026-02-01 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		// A purchase event for order 99, which does not exist: no order that day.
		"2026-02-03 orders=0 tracked=0 untracked=0 events=1 orphans=1 loss=nil",
		"2026-02-09 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		"2026-02-19 orders=1 tracked=1 untracked=0 events=1 orphans=0 loss=0.0000",
		"2026-02-28 orders=2 tracked=2 untracked=0 events=2 orphans=0 loss=0.0000",
		"2026-03-01 orders=1 tracked=0 untracked=1 events=0 orphans=0 loss=1.0000",
	}
	diffLines(t, reconciliationLines(w.Reconciliation()), want)

	if got, want := fmt.Sprint(w.UntrackedOrders()), "[5 9 11 13]"; got != want {
		t.Errorf("UntrackedOrders() = %s, want %s", got, want)
	}
	var orphan string
	for _, e := range w.Events {
		if e.OrderID != nil && *e.OrderID == 99 {
			orphan = e.EventID
		}
	}
	if got, want := fmt.Sprint(w.OrphanPurchaseEvents()), "["+orphan+"]"; got != want {
		t.Errorf("OrphanPurchaseEvents() = %s, want %s", got, want)
	}
}

// TestWorld_DailyKPIsPriceHistory checks that revenue takes the price in
// force at each order's instant and only completed orders.
func TestWorld_DailyKPIsPriceHistory(t *testing.T) {
	want := map[time.Time]money.Cents{
		date(time.January, 20): 4000, // order 5 at 20.00 (11:59:59); the refunded order 6 at 12:00 is excluded
		date(time.February, 1): 2500, // order 4 at 25.00
		date(time.January, 10): 0,    // the cancelled order 3 only, but sD is a session of that day
	}
	seen := 0
	for _, r := range martsWorld().DailyKPIs() {
		if v, ok := want[r.Date]; ok {
			seen++
			if r.Revenue != v {
				t.Errorf("%s: revenue %s, want %s", ds(r.Date), r.Revenue, v)
			}
		}
		if r.Date.Equal(date(time.January, 31)) {
			t.Errorf("Jan 31 has only a refunded order and no session, yet has a row: %+v", r)
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d days", seen, len(want))
	}
}

// TestWorld_MartsConsistent checks the new marts of a generated world
// against each other, against the daily KPIs and against the world's own
// counts.
func TestWorld_MartsConsistent(t *testing.T) {
	realistic := sim.DefaultConfig().Realistic()
	realistic.Days, realistic.Users, realistic.TrackingLoss = 45, 400, 0.10
	for name, cfg := range map[string]sim.Config{"Default": sim.DefaultConfig(), "Realistic": realistic} {
		t.Run(name, func(t *testing.T) { checkMartsConsistent(t, newWorld(t, cfg)) })
	}
}

func checkMartsConsistent(t *testing.T, w *sim.World) {
	if got, want := w.Horizon(), w.Config.End(); !got.Equal(want) {
		t.Fatalf("Horizon() = %s, want Config.End() %s", got, want)
	}

	// Customers and completed orders, counted directly: completed as the
	// last batch that read the order saw it (a realistic world's orders
	// change after they are placed).
	customers := map[int64]bool{}
	var completed int64
	orderIDs := map[int64]bool{}
	for _, o := range w.Orders {
		orderIDs[o.ID] = true
		if st, _, _ := w.Observed(o); st == sim.StatusCompleted {
			customers[o.UserID] = true
			completed++
		}
	}
	var revenue money.Cents
	for _, k := range w.DailyKPIs() {
		revenue += k.Revenue
	}

	t.Run("CohortRetention", func(t *testing.T) {
		for _, g := range []sim.Granularity{sim.Monthly, sim.Weekly} {
			var size int64
			rows := w.CohortRetention(g)
			for i, r := range rows {
				if r.Active > r.CohortSize || r.Active < 0 {
					t.Fatalf("%s: %d active of %d", g, r.Active, r.CohortSize)
				}
				if r.Offset == 0 {
					size += r.CohortSize
					if r.Rate != "1.0000" || r.Active != r.CohortSize {
						t.Fatalf("%s %s offset 0: %d of %d active, rate %s", g, ds(r.Cohort), r.Active, r.CohortSize, r.Rate)
					}
				} else if prev := rows[i-1]; !prev.Cohort.Equal(r.Cohort) || prev.Offset != r.Offset-1 || prev.CohortSize != r.CohortSize {
					t.Fatalf("%s: row %d does not follow row %d", g, i, i-1)
				}
				if r.Period.Before(r.Cohort) || !r.Period.Before(w.Horizon()) {
					t.Fatalf("%s: period %s outside [cohort %s, horizon)", g, ds(r.Period), ds(r.Cohort))
				}
			}
			if size != int64(len(customers)) {
				t.Fatalf("%s: cohort sizes sum to %d, want %d customers", g, size, len(customers))
			}
		}
	})
	t.Run("LTV", func(t *testing.T) {
		ltv := w.CustomerLTV()
		if len(ltv) != len(customers) {
			t.Fatalf("%d LTV rows, want %d customers", len(ltv), len(customers))
		}
		var orders int64
		var sum money.Cents
		for _, r := range ltv {
			orders += r.Orders
			sum += r.Revenue
			if !customers[r.UserID] {
				t.Fatalf("u%d is not a customer", r.UserID)
			}
			prev := money.Cents(0)
			for _, n := range sim.LTVHorizons {
				v := r.Within(n)
				elapsed := !r.FirstOrderDate.AddDate(0, 0, n).After(w.Horizon())
				if (v != nil) != elapsed || (v != nil && (*v < prev || *v > r.Revenue)) {
					t.Fatalf("u%d: %dd = %s (elapsed %t, total %s)", r.UserID, n, centsOrNil(v), elapsed, r.Revenue)
				}
				if v != nil {
					prev = *v
				}
			}
		}
		if orders != completed || sum != revenue {
			t.Fatalf("LTV sums to %d orders and %s; completed orders are %d, revenue %s", orders, sum, completed, revenue)
		}
		var cohortCustomers, matured30 int64
		for _, r := range w.CohortLTV() {
			if r.HorizonDays == 30 {
				matured30 += r.MaturedCustomers
			}
			if r.HorizonDays == sim.LTVHorizons[0] {
				cohortCustomers += r.CohortCustomers
			}
			if r.MaturedCustomers > r.CohortCustomers || (r.MaturedCustomers == 0) != (r.AvgRevenue == nil) {
				t.Fatalf("%s %dd: %d matured of %d, avg %s", ds(r.CohortMonth), r.HorizonDays, r.MaturedCustomers, r.CohortCustomers, centsOrNil(r.AvgRevenue))
			}
		}
		if w.Config.Days > 30 && matured30 == 0 {
			t.Fatalf("a %d-day world has no customer with an elapsed 30-day window", w.Config.Days)
		}
		if cohortCustomers != int64(len(customers)) {
			t.Fatalf("cohort LTV counts %d customers, want %d", cohortCustomers, len(customers))
		}
	})
	t.Run("Conversion", func(t *testing.T) {
		type sums struct{ view, cart, purchase int64 }
		byProduct, byCategory := map[time.Time]sums{}, map[time.Time]sums{}
		for _, r := range w.ProductConversion() {
			s := byProduct[r.Date]
			byProduct[r.Date] = sums{s.view + r.ViewSessions, s.cart + r.CartSessions, s.purchase + r.PurchaseSessions}
			if r.CartSessions > r.ViewSessions || r.PurchaseSessions > r.CartSessions {
				t.Fatalf("%s P%d: %s: the generator only carts viewed products and buys its cart", ds(r.Date), r.ProductID, conversionLine(r.Conversion))
			}
		}
		for _, r := range w.CategoryConversion() {
			s := byCategory[r.Date]
			byCategory[r.Date] = sums{s.view + r.ViewSessions, s.cart + r.CartSessions, s.purchase + r.PurchaseSessions}
		}
		funnel := map[time.Time][]int64{}
		for _, f := range w.SessionFunnel() {
			funnel[f.Date] = append(funnel[f.Date], f.Sessions)
		}
		for d, c := range byCategory {
			p := byProduct[d]
			// A session counts once per product, once per category and once
			// in the funnel: sessions <= categories <= products.
			if c.view > p.view || c.cart > p.cart || c.purchase > p.purchase {
				t.Fatalf("%s: categories %+v exceed products %+v", ds(d), c, p)
			}
			if f := funnel[d]; c.view < f[0] {
				t.Fatalf("%s: %d category views, fewer than %d sessions viewing a product", ds(d), c.view, f[0])
			}
		}
	})
	t.Run("Reconciliation", func(t *testing.T) {
		var orders, tracked, untracked, events, orphans int64
		for _, r := range w.Reconciliation() {
			orders += r.Orders
			tracked += r.TrackedOrders
			untracked += r.UntrackedOrders
			events += r.PurchaseEvents
			orphans += r.OrphanPurchaseEvents
			if r.TrackedOrders+r.UntrackedOrders != r.Orders {
				t.Fatalf("%s: %d + %d != %d orders", ds(r.Date), r.TrackedOrders, r.UntrackedOrders, r.Orders)
			}
		}
		// The untracked orders are exactly those no purchase event names.
		named := map[int64]bool{}
		var purchases int64
		for _, e := range w.Events {
			if e.EventType == stream.Purchase {
				purchases++
				named[*e.OrderID] = true
			}
		}
		var want []int64
		for _, o := range w.Orders {
			if !named[o.ID] {
				want = append(want, o.ID)
			}
		}
		if got := w.UntrackedOrders(); fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("UntrackedOrders() = %v, want %v", got, want)
		}
		if got := int64(len(want)); got != w.Stats.UntrackedPurchases || (w.Config.TrackingLoss > 0 && got == 0) {
			t.Fatalf("%d orders have no purchase event; the generator lost %d (TrackingLoss %v)", got, w.Stats.UntrackedPurchases, w.Config.TrackingLoss)
		}
		if orders != int64(len(w.Orders)) || untracked != int64(len(want)) || events != purchases ||
			orphans != int64(len(w.OrphanPurchaseEvents())) {
			t.Fatalf("reconciliation sums to %d orders, %d untracked, %d events, %d orphans; world has %d, %d, %d, %d",
				orders, untracked, events, orphans, len(w.Orders), len(want), purchases, len(w.OrphanPurchaseEvents()))
		}
	})
}

// TestWorld_MartsDeterministic computes every mart twice: nothing may depend
// on map iteration order.
func TestWorld_MartsDeterministic(t *testing.T) {
	for _, w := range []*sim.World{martsWorld(), salesWorld(), newWorld(t, sim.DefaultConfig())} {
		all := func() string {
			return fmt.Sprintf("%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v",
				retentionLines(w.CohortRetention(sim.Monthly)), retentionLines(w.CohortRetention(sim.Weekly)),
				customerLTVLines(w.CustomerLTV()), cohortLTVLines(w.CohortLTV()),
				productConversionLines(w.ProductConversion()), categoryConversionLines(w.CategoryConversion()),
				reconciliationLines(w.Reconciliation()), w.UntrackedOrders(), w.OrphanPurchaseEvents(), len(w.DailyKPIs()),
				productSalesLines(w.ProductSales()), categorySalesLines(w.CategorySales()), ordersDailyLines(w.OrdersDaily()))
		}
		if a, b := all(), all(); a != b {
			t.Fatal("two computations of the marts differ")
		}
	}
}

// BenchmarkWorld_Marts computes every oracle mart of a world of about 100k
// events.
func BenchmarkWorld_Marts(b *testing.B) {
	cfg := sim.DefaultConfig()
	cfg.Users, cfg.Days = 2000, 30
	w := newWorld(b, cfg)
	b.ResetTimer()
	for range b.N {
		w.DailyKPIs()
		w.SessionFunnel()
		w.CohortRetention(sim.Monthly)
		w.CohortRetention(sim.Weekly)
		w.CohortLTV()
		w.ProductConversion()
		w.CategoryConversion()
		w.Reconciliation()
		w.ProductSales()
		w.CategorySales()
	}
	b.ReportMetric(float64(len(w.Events)), "events")
}
