package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
)

func trafficHourLines(rows []sim.TrafficHourRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %02d wd=%d sessions=%d converting=%d orders=%d revenue=%s",
			ds(r.Date), r.Hour, r.Weekday, r.Sessions, r.ConvertingSessions, r.Orders, r.Revenue))
	}
	return out
}

func TestWorld_TrafficByHour(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// oracleWorld (oracle_test.go); Monday 2026-01-05 to Wednesday 01-07.
		want := []string{
			// s1 and order 1 (10:04, 2 × 10.01).
			"2026-01-05 10 wd=1 sessions=1 converting=1 orders=1 revenue=20.02",
			"2026-01-05 11 wd=1 sessions=1 converting=0 orders=0 revenue=0.00",
			"2026-01-05 12 wd=1 sessions=1 converting=0 orders=0 revenue=0.00",
			// s4 starts at 23:59 and buys after midnight: the session counts
			// in its first event's hour, the order (00:03) in its own.
			"2026-01-05 23 wd=1 sessions=1 converting=1 orders=0 revenue=0.00",
			"2026-01-06 00 wd=2 sessions=0 converting=0 orders=1 revenue=32.31",
			"2026-01-06 09 wd=2 sessions=1 converting=0 orders=0 revenue=0.00",
			"2026-01-06 10 wd=2 sessions=1 converting=0 orders=0 revenue=0.00",
			// Order 3, no session; the cancelled order 4 (Jan 8) counts nowhere.
			"2026-01-06 18 wd=2 sessions=0 converting=0 orders=1 revenue=66.90",
			"2026-01-07 08 wd=3 sessions=1 converting=0 orders=0 revenue=0.00",
		}
		w := oracleWorld()
		diffLines(t, trafficHourLines(w.TrafficByHour()), want)
		checkTrafficHourSums(t, w)
	})
	t.Run("Sunday", func(t *testing.T) {
		// martsWorld: Sunday 2026-01-04 is ISO day 7, Monday 01-05 day 1;
		// order 1 at 23:59:59.999 is still hour 23.
		var got []string
		for _, l := range trafficHourLines(martsWorld().TrafficByHour()) {
			if l[:10] <= "2026-01-05" {
				got = append(got, l)
			}
		}
		want := []string{
			"2026-01-04 08 wd=7 sessions=1 converting=0 orders=0 revenue=0.00",
			"2026-01-04 23 wd=7 sessions=2 converting=2 orders=1 revenue=10.00",
			"2026-01-05 00 wd=1 sessions=0 converting=0 orders=1 revenue=20.00",
		}
		diffLines(t, got, want)
	})
	t.Run("Empty", func(t *testing.T) {
		if got := (&sim.World{}).TrafficByHour(); len(got) != 0 {
			t.Fatalf("got %v", trafficHourLines(got))
		}
	})
}

// checkTrafficHourSums fails t unless the hours of every date sum to
// daily_kpis' sessions, converting sessions, orders and revenue, every
// hour is in 0..23 and every weekday is the date's.
func checkTrafficHourSums(t *testing.T, w *sim.World) {
	t.Helper()
	type sums struct {
		sessions, converting, orders int64
		revenue                      money.Cents
	}
	got := map[time.Time]sums{}
	for _, r := range w.TrafficByHour() {
		if r.Hour < 0 || r.Hour > 23 || r.Weekday < 1 || r.Weekday > 7 || (int(r.Date.Weekday())+6)%7+1 != r.Weekday {
			t.Fatalf("%s hour %d weekday %d", ds(r.Date), r.Hour, r.Weekday)
		}
		if r.Sessions == 0 && r.Orders == 0 {
			t.Fatalf("%s hour %d: a row with neither sessions nor orders", ds(r.Date), r.Hour)
		}
		s := got[r.Date]
		got[r.Date] = sums{s.sessions + r.Sessions, s.converting + r.ConvertingSessions, s.orders + r.Orders, s.revenue + r.Revenue}
	}
	kpis := w.DailyKPIs()
	if len(kpis) != len(got) {
		t.Fatalf("%d dates by hour, daily_kpis has %d", len(got), len(kpis))
	}
	for _, k := range kpis {
		if s := got[k.Date]; s != (sums{k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue}) {
			t.Fatalf("%s: hours sum to %+v; daily_kpis has %d sessions, %d converting, %d orders, %s",
				ds(k.Date), s, k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue)
		}
	}
}

// TestWorld_TrafficByHourSums: on generated worlds (one with the order
// lifecycle and a lookback), the hours sum to daily_kpis, and the
// simulator's daily rhythm shows: the busiest hour has several times the
// sessions of the quietest.
func TestWorld_TrafficByHourSums(t *testing.T) {
	realistic := sim.DefaultConfig().Realistic()
	realistic.Days, realistic.Users = 20, 400
	realistic.OrderLifecycle, realistic.RefundRate, realistic.PartialRefundRate = true, 0.25, 0.2
	for name, cfg := range map[string]sim.Config{"Default": sim.DefaultConfig(), "Lifecycle": realistic} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, cfg)
			w.Lookback = 3
			checkTrafficHourSums(t, w)
			var byHour [24]int64
			for _, r := range w.TrafficByHour() {
				byHour[r.Hour] += r.Sessions
			}
			lo, hi := byHour[0], byHour[0]
			for _, n := range byHour {
				lo, hi = min(lo, n), max(hi, n)
			}
			if hi < 3*lo {
				t.Fatalf("sessions by hour %v: no daily rhythm", byHour)
			}
		})
	}
}
