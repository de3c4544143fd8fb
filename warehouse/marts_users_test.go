package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// eachUserMartEngine runs fn on DuckDB, PostgreSQL and the Redshift
// dialect on PostgreSQL: the user-level marts use template functions that
// Redshift spells its own way (iso_weekday).
func eachUserMartEngine(t *testing.T, fn func(t *testing.T, open func(testing.TB) *warehouse.Warehouse)) {
	eachEngine(t, fn)
	t.Run("redshift-on-postgres", func(t *testing.T) { fn(t, openRedshiftOnPostgres) })
}

// attributionSource is a shop whose user-level marts (docs/MARTS.md §15 to
// §17) are worked out by hand in the tests below. Products: P1 10.00, P2
// 20.00, P3 5.50.
//
// Sessions (user; first event and its traffic source):
//
//	a00 u1 Feb  3 11:59:59  display                        (a second before order 1's window)
//	a0  u1 Feb  3 12:00     paid_search google cpc spring  (order 1's window opens exactly here)
//	b1  u1 Mar  5 11:50     email newsletter email march   purchases of orders 1, 4 and 6
//	c2  u2 Mar  4 09:00     display                        (the same instant as c1, a larger id)
//	c1  u2 Mar  4 09:00     " Organic_Social " Instagram social, campaign sent empty
//	c3  u2 Mar  6 07:55     direct, no UTM: purchase event p-b of order 2 at 07:59
//	c4  u2 Mar  6 07:58     affiliate: purchase event p-c of order 2 at 07:59 (a larger id)
//	d0  u4 Mar  6 09:00     paid_social facebook cpc "Spring Sale"
//	d1  anonymous Mar 6 09:55 referral, UTM sent empty: purchase of order 5
//	e1  u3 Mar  6 12:00     organic_search: after order 3
//	f1  u2 Mar  6 14:00     email: purchase of order 7, refunded
//	g1  u5 Sun Mar 1 10:00  direct
//	g2  u5 Mon Mar 2 23:30  direct
//
// Orders:
//
//	1 u1 Mar 5 12:00 completed P1  10.00
//	3 u3 Mar 5 20:00 completed P3   5.50  purchase event lost
//	4 u1 Mar 5 21:00 cancelled P1
//	6 u1 Mar 5 23:00 completed P1  10.00  (a0 is now 30 days and 11 hours before)
//	2 u2 Mar 6 08:00 completed P2  20.00
//	5 u4 Mar 6 10:00 completed P1  10.00
//	7 u2 Mar 6 14:05 refunded  P2
//
// Users (snapshot of Mar 6) sign up: u1 Feb 2 08:00, u5 Feb 28
// 23:59:59.999, u2 Mar 4 08:30, u3 Mar 5 19:00, u4 Mar 6 08:59; u6 at Mar 7
// 00:00, the horizon (the snapshot was taken after midnight).
func attributionSource(tb testing.TB) *memSource {
	tb.Helper()
	str := func(s string) *string { return &s }
	src := newMemSource()
	src.putJSON(tb, "products", "2026-02-01", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 20, "kitchen"}, {3, "Cup", 5.5, "kitchen"}})
	src.putJSON(tb, "carts", "2026-03-06", []cart{
		{ID: 1, UserID: 1, Date: "2026-03-05T12:00:00.000Z", Products: []cartLine{{1, 1}}},
		{ID: 2, UserID: 2, Date: "2026-03-06T08:00:00.000Z", Products: []cartLine{{2, 1}}},
		{ID: 3, UserID: 3, Date: "2026-03-05T20:00:00.000Z", Products: []cartLine{{3, 1}}},
		{ID: 4, UserID: 1, Date: "2026-03-05T21:00:00.000Z", Status: "cancelled", Products: []cartLine{{1, 1}}},
		{ID: 5, UserID: 4, Date: "2026-03-06T10:00:00.000Z", Products: []cartLine{{1, 1}}},
		{ID: 6, UserID: 1, Date: "2026-03-05T23:00:00.000Z", Products: []cartLine{{1, 1}}},
		{ID: 7, UserID: 2, Date: "2026-03-06T14:05:00.000Z", Status: "refunded", Products: []cartLine{{2, 1}}},
	})
	src.putFakestore(tb, "users", "2026-03-06", []byte(`[`+
		`{"id": 1, "email": "u1@example.com", "createdAt": "2026-02-02T08:00:00.000Z"},`+
		`{"id": 2, "email": "u2@example.com", "createdAt": "2026-03-04T08:30:00.000Z"},`+
		`{"id": 3, "email": "u3@example.com", "createdAt": "2026-03-05T19:00:00.000Z"},`+
		`{"id": 4, "email": "u4@example.com", "createdAt": "2026-03-06T08:59:00.000Z"},`+
		`{"id": 5, "email": "u5@example.com", "createdAt": "2026-02-28T23:59:59.999Z"},`+
		`{"id": 6, "email": "u6@example.com", "createdAt": "2026-03-07T00:00:00.000Z"}]`))
	seq := 0
	rec := func(id, typ, session string, user int64, at string, order int64) stream.RawRecord {
		seq++
		r := ev{id: id, typ: typ, session: session, at: at, order: order, seq: fmt.Sprint(seq)}.record(tb)
		if user != 0 {
			r.UserID = &user
		}
		r.Channel = str("referral") // not a first event: never the session's source
		return r
	}
	land := func(id, session string, user int64, at, channel string, utm ...*string) stream.RawRecord {
		r := rec(id, "page_view", session, user, at, 0)
		r.Channel = str(channel)
		if len(utm) == 3 {
			r.UTMSource, r.UTMMedium, r.UTMCampaign = utm[0], utm[1], utm[2]
		}
		return r
	}
	src.putEvents(tb, "2026-03-06", "23", "clicks-0-1-100", []stream.RawRecord{
		land("a00-1", "a00", 1, "2026-02-03T11:59:59Z", "display"),
		land("a0-1", "a0", 1, "2026-02-03T12:00:00Z", "paid_search", str("google"), str("cpc"), str("spring")),
		land("b1-1", "b1", 1, "2026-03-05T11:50:00Z", "email", str("newsletter"), str("email"), str("march")),
		rec("p-a1", "purchase", "b1", 1, "2026-03-05T12:00:00Z", 1),
		rec("p-a4", "purchase", "b1", 1, "2026-03-05T21:00:00Z", 4),
		rec("p-a6", "purchase", "b1", 1, "2026-03-05T23:00:00Z", 6),
		land("c2-1", "c2", 2, "2026-03-04T09:00:00Z", "display"),
		land("c1-1", "c1", 2, "2026-03-04T09:00:00Z", " Organic_Social ", str("Instagram"), str("social"), str("")),
		land("c3-1", "c3", 2, "2026-03-06T07:55:00Z", "direct"),
		land("c4-1", "c4", 2, "2026-03-06T07:58:00Z", "affiliate"),
		rec("p-c", "purchase", "c4", 2, "2026-03-06T07:59:00Z", 2),
		rec("p-b", "purchase", "c3", 2, "2026-03-06T07:59:00Z", 2),
		land("d0-1", "d0", 4, "2026-03-06T09:00:00Z", "paid_social", str("facebook"), str("cpc"), str("Spring Sale")),
		land("d1-1", "d1", 0, "2026-03-06T09:55:00Z", "referral", str(""), str(""), str("")),
		rec("p-d", "purchase", "d1", 0, "2026-03-06T10:00:00Z", 5),
		land("e1-1", "e1", 3, "2026-03-06T12:00:00Z", "organic_search"),
		land("f1-1", "f1", 2, "2026-03-06T14:00:00Z", "email"),
		rec("p-f", "purchase", "f1", 2, "2026-03-06T14:05:00Z", 7),
		land("g1-1", "g1", 5, "2026-03-01T10:00:00Z", "direct"),
		land("g2-1", "g2", 5, "2026-03-02T23:30:00Z", "direct"),
	})
	return src
}

// TestWarehouse_OrderAttribution checks marts.order_attribution (§15) on
// attributionSource against values worked out by hand, on every engine;
// for every date and model it sums to daily_kpis' orders and revenue.
func TestWarehouse_OrderAttribution(t *testing.T) {
	eachUserMartEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		w := open(t)
		mustLoad(t, w, attributionSource(t))
		mustTransform(t, w)
		rows, err := w.OrderAttribution(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		type sums struct {
			orders  int64
			revenue money.Cents
		}
		byDay := map[string]sums{}
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %s %s %s %s %s %d %s\n", day(r.Date), r.Model, r.Channel, r.UTMSource, r.UTMMedium, r.UTMCampaign, r.Orders, r.Revenue)
			s := byDay[day(r.Date)+" "+r.Model]
			byDay[day(r.Date)+" "+r.Model] = sums{s.orders + r.Orders, s.revenue + r.Revenue}
		}
		want := "" +
			// Order 3: no purchase event, no session of u3 before it.
			"2026-03-05 first_touch (untracked) (untracked) (untracked) (untracked) 1 5.50\n" +
			// Order 6: b1 is u1's first session in its window.
			"2026-03-05 first_touch email newsletter email march 1 10.00\n" +
			// Order 1: a0 starts exactly 30 days before (in), a00 a second
			// earlier (out).
			"2026-03-05 first_touch paid_search google cpc spring 1 10.00\n" +
			"2026-03-05 last_touch (untracked) (untracked) (untracked) (untracked) 1 5.50\n" +
			// Orders 1 and 6 (4 is cancelled) were bought in b1.
			"2026-03-05 last_touch email newsletter email march 2 20.00\n" +
			// Order 2: c1 and c2 start together, c1 is the smaller id.
			"2026-03-06 first_touch organic_social instagram social (none) 1 20.00\n" +
			// Order 5: d0; d1 is anonymous.
			"2026-03-06 first_touch paid_social facebook cpc spring sale 1 10.00\n" +
			// Order 2's purchase events p-b and p-c share an instant: p-b (c3).
			"2026-03-06 last_touch direct unknown unknown unknown 1 20.00\n" +
			"2026-03-06 last_touch referral (none) (none) (none) 1 10.00\n"
		if got := b.String(); got != want {
			t.Fatalf("order_attribution:\n%s\nwant:\n%s", got, want)
		}
		kpis, err := w.DailyKPIs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kpis {
			for _, model := range []string{"first_touch", "last_touch"} {
				if got := byDay[day(k.Date)+" "+model]; got.orders != k.Orders || got.revenue != k.Revenue {
					t.Errorf("%s %s: %d orders, %s; daily_kpis %d, %s", day(k.Date), model, got.orders, got.revenue, k.Orders, k.Revenue)
				}
			}
		}
	})
}

// TestWarehouse_TrafficByHour checks marts.traffic_by_hour (§16) on
// attributionSource against values worked out by hand, on every engine:
// 2026-02-03 is a Tuesday, 03-01 a Sunday (ISO 7), 03-02 a Monday; the
// hours of every date sum to daily_kpis.
func TestWarehouse_TrafficByHour(t *testing.T) {
	eachUserMartEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		w := open(t)
		mustLoad(t, w, attributionSource(t))
		mustTransform(t, w)
		rows, err := w.TrafficByHour(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		type sums struct {
			sessions, converting, orders int64
			revenue                      money.Cents
		}
		byDay := map[string]sums{}
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %02d %d %d %d %d %s\n", day(r.Date), r.Hour, r.Weekday, r.Sessions, r.ConvertingSessions, r.Orders, r.Revenue)
			s := byDay[day(r.Date)]
			byDay[day(r.Date)] = sums{s.sessions + r.Sessions, s.converting + r.ConvertingSessions, s.orders + r.Orders, s.revenue + r.Revenue}
		}
		want := "" +
			"2026-02-03 11 2 1 0 0 0.00\n" + // a00 at 11:59:59
			"2026-02-03 12 2 1 0 0 0.00\n" +
			"2026-03-01 10 7 1 0 0 0.00\n" +
			"2026-03-02 23 1 1 0 0 0.00\n" +
			"2026-03-04 09 3 2 0 0 0.00\n" + // c1 and c2
			"2026-03-05 11 4 1 1 0 0.00\n" + // b1: its orders count in their own hours
			"2026-03-05 12 4 0 0 1 10.00\n" +
			"2026-03-05 20 4 0 0 1 5.50\n" + // order 3, untracked
			"2026-03-05 23 4 0 0 1 10.00\n" + // order 6; the cancelled order 4 (21:00) counts nowhere
			"2026-03-06 07 5 2 2 0 0.00\n" + // c3 and c4, both with a purchase event
			"2026-03-06 08 5 0 0 1 20.00\n" +
			"2026-03-06 09 5 2 1 0 0.00\n" + // d0, and d1 that bought at 10:00
			"2026-03-06 10 5 0 0 1 10.00\n" +
			"2026-03-06 12 5 1 0 0 0.00\n" +
			"2026-03-06 14 5 1 1 0 0.00\n" // f1 converts; its order was refunded
		if got := b.String(); got != want {
			t.Fatalf("traffic_by_hour:\n%s\nwant:\n%s", got, want)
		}
		kpis, err := w.DailyKPIs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(kpis) != len(byDay) {
			t.Fatalf("%d dates by hour, daily_kpis has %d", len(byDay), len(kpis))
		}
		for _, k := range kpis {
			if got := byDay[day(k.Date)]; got != (sums{k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue}) {
				t.Errorf("%s: hours sum to %+v, daily_kpis %d %d %d %s", day(k.Date), got, k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue)
			}
		}
	})
}

// TestWarehouse_ActiveUsers checks marts.active_users (§17) on
// attributionSource against values worked out by hand, on every engine.
// Active days: u1 Feb 3 and Mar 5, u5 Mar 1 and 2, u2 Mar 4 and 6, u3 and
// u4 Mar 6; d1 is anonymous. The range runs from u1's sign-up (Feb 2) to
// the last session (Mar 6), every date included.
func TestWarehouse_ActiveUsers(t *testing.T) {
	eachUserMartEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		w := open(t)
		mustLoad(t, w, attributionSource(t))
		mustTransform(t, w) // as_of: Mar 7 00:00, after the latest event
		rows, err := w.ActiveUsers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 33 {
			t.Fatalf("%d rows, want 33 (Feb 2 to Mar 6)", len(rows))
		}
		got := map[string]string{}
		var signups int64
		for i, r := range rows {
			if i > 0 && !r.Date.Equal(rows[i-1].Date.AddDate(0, 0, 1)) {
				t.Fatalf("row %d: %s after %s", i, day(r.Date), day(rows[i-1].Date))
			}
			st := "nil"
			if r.Stickiness != nil {
				st = *r.Stickiness
			}
			got[day(r.Date)] = fmt.Sprintf("%d %d %d %d %s", r.DAU, r.WAU, r.MAU, r.Signups, st)
			signups += r.Signups
		}
		for d, want := range map[string]string{
			"2026-02-02": "0 0 0 1 nil", // u1 signs up before any session
			"2026-02-03": "1 1 1 0 1.0000",
			"2026-02-09": "0 1 1 0 0.0000", // Feb 3 is the 7th day ending Feb 9
			"2026-02-10": "0 0 1 0 0.0000",
			"2026-02-28": "0 0 1 1 0.0000", // u5 at 23:59:59.999
			"2026-03-01": "1 1 2 0 0.5000",
			"2026-03-03": "0 1 2 0 0.0000",
			"2026-03-04": "1 2 3 1 0.3333", // Feb 3 is the 30th day ending Mar 4: u1 counts
			"2026-03-05": "1 3 3 1 0.3333",
			"2026-03-06": "3 5 5 1 0.6000", // u6 signs up at as_of: not counted
		} {
			if got[d] != want {
				t.Errorf("%s: dau wau mau signups stickiness = %q, want %q", d, got[d], want)
			}
		}
		if signups != 5 {
			t.Errorf("%d sign-ups, want 5 (u1 to u5)", signups)
		}
	})
}
