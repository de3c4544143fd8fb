package sim_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// richConfig turns every optional feature on, at rates high enough to show
// in a small world.
func richConfig(seed uint64) sim.Config {
	cfg := sim.Config{Seed: seed, Start: sim.DefaultConfig().Start, Days: 21, Users: 2000, Products: 300}.Realistic()
	cfg.HostileRate = 0.1
	cfg.PriceChangeRate = 0.2
	cfg.WithdrawRate = 0.05
	cfg.NewProductShare = 0.1
	cfg.Campaigns = []sim.Campaign{{Start: cfg.Start.Add(9 * 24 * time.Hour), Duration: 24 * time.Hour, Multiplier: 5}}
	return cfg
}

// within fails unless got is within tol of want.
func within(tb testing.TB, name string, got, want, tol float64) {
	tb.Helper()
	if math.Abs(got-want) > tol {
		tb.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
	} else {
		tb.Logf("%s = %.4f (want %.4f ± %.4f)", name, got, want, tol)
	}
}

// binomialTol is 4 standard deviations of a share of n trials at p.
func binomialTol(n int64, p float64) float64 {
	return 4*math.Sqrt(p*(1-p)/float64(max(n, 1))) + 1e-9
}

func TestGenerator_StreamingEqualsWorld(t *testing.T) {
	cfg := richConfig(3)
	cfg.Days, cfg.Users = 8, 500
	w := newWorld(t, cfg)
	g, err := sim.NewGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var orders []sim.Order
	g.OnOrder = func(o sim.Order) { orders = append(orders, o) }
	for run := range 2 { // Events restarts the run
		orders = orders[:0]
		var events []stream.Event
		for e := range g.Events {
			events = append(events, e)
		}
		if !reflect.DeepEqual(events, w.Events) {
			t.Fatalf("run %d: streamed events (%d) differ from NewWorld's (%d)", run, len(events), len(w.Events))
		}
		if !reflect.DeepEqual(orders, w.Orders) {
			t.Fatalf("run %d: streamed orders (%d) differ from NewWorld's (%d)", run, len(orders), len(w.Orders))
		}
		if got, want := g.Stats(), w.Stats; !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: stats %+v, want %+v", run, got, want)
		}
	}
	for _, u := range w.Users[:50] {
		if got, _ := g.User(u.ID); !reflect.DeepEqual(got, u) {
			t.Fatalf("Generator.User(%d) = %+v, want %+v", u.ID, got, u)
		}
	}
	if _, ok := g.User(int64(cfg.Users + 1)); ok {
		t.Fatal("User beyond Users exists")
	}

	t.Run("StopEarly", func(t *testing.T) {
		n := 0
		for range g.Events {
			n++
			if n == 10 {
				break
			}
		}
		if got := g.Stats().Events; got != 10 {
			t.Fatalf("stopped after 10 events, stats count %d", got)
		}
	})
}

// TestNewWorld_Rates checks that each configured rate happens at about its
// rate and that the counts match what the world holds.
func TestNewWorld_Rates(t *testing.T) {
	cfg := richConfig(11)
	w := newWorld(t, cfg)
	s := w.Stats

	// Counts match the world.
	byType := map[stream.EventType]int64{}
	for _, e := range w.Events {
		byType[e.EventType]++
	}
	for _, typ := range stream.EventTypes {
		if got, want := s.EventsByType[typ], byType[typ]; got != want {
			t.Errorf("Stats.EventsByType[%s] = %d, world has %d", typ, got, want)
		}
	}
	if got, want := s.Events, int64(len(w.Events)); got != want {
		t.Errorf("Stats.Events = %d, want %d", got, want)
	}
	status := map[string]int64{}
	for _, o := range w.Orders {
		status[o.Status]++
	}
	if !reflect.DeepEqual(status, s.OrdersByStatus) || s.Orders != int64(len(w.Orders)) {
		t.Errorf("Stats orders %d %v, world has %d %v", s.Orders, s.OrdersByStatus, len(w.Orders), status)
	}
	if got, want := s.UntrackedPurchases, s.Orders-byType[stream.Purchase]; got != want {
		t.Errorf("UntrackedPurchases = %d, orders - purchase events = %d", got, want)
	}
	sessions := map[string]bool{}
	for _, e := range w.Events {
		sessions[e.SessionID] = true
	}
	if got, want := s.Sessions, int64(len(sessions)); got != want {
		t.Errorf("Stats.Sessions = %d, world has %d", got, want)
	}
	if got := s.SignupSessions + s.RegisteredSessions + s.ReturningSessions + s.AnonymousSessions; got != s.Sessions {
		t.Errorf("session kinds add to %d, want %d", got, s.Sessions)
	}
	hostile, changes, withdrawn, listed := 0, 0, 0, 0
	for _, p := range w.Products {
		if strings.ContainsAny(p.Title, "'\"\\/\x00\t\r\n\x1b\x7f;<{$%`|,") || !utf8.ValidString(p.Title) {
			hostile++
		}
		changes += len(p.Prices)
		if p.WithdrawnAt != nil {
			withdrawn++
		}
		if !p.ListedAt.IsZero() {
			listed++
		}
	}
	if s.HostileProducts == 0 || s.PriceChanges != changes || s.WithdrawnProducts != withdrawn || s.NewProducts != listed || s.CampaignsApplied != 1 {
		t.Errorf("stats %+v; world has %d price changes, %d withdrawn, %d listed", s, changes, withdrawn, listed)
	}
	if hostile < s.HostileProducts*3/4 {
		t.Errorf("%d titles look hostile, stats count %d", hostile, s.HostileProducts)
	}

	// Rates.
	n := int64(cfg.Products)
	weeks := float64(cfg.Days) / 7
	within(t, "tracking loss", float64(s.UntrackedPurchases)/float64(s.Orders), cfg.TrackingLoss, binomialTol(s.Orders, cfg.TrackingLoss))
	within(t, "cancelled", float64(s.OrdersByStatus[sim.StatusCancelled])/float64(s.Orders), cfg.CancelRate, binomialTol(s.Orders, cfg.CancelRate))
	within(t, "refunded", float64(s.OrdersByStatus[sim.StatusRefunded])/float64(s.Orders), cfg.RefundRate, binomialTol(s.Orders, cfg.RefundRate))
	within(t, "hostile", float64(s.HostileProducts)/float64(n), cfg.HostileRate, binomialTol(n, cfg.HostileRate))
	pw := 1 - math.Pow(1-cfg.WithdrawRate, weeks)
	within(t, "withdrawn", float64(s.WithdrawnProducts)/float64(n), pw, binomialTol(n, pw)+0.02)
	within(t, "new products", float64(s.NewProducts)/float64(n), cfg.NewProductShare, 1/float64(n))
	// Price changes per product-week: withdrawn and new products live shorter.
	within(t, "price changes per product-week", float64(s.PriceChanges)/float64(n)/weeks, cfg.PriceChangeRate, 0.04)
	if s.Customers == 0 || s.RepeatOrders == 0 || s.ReturningSessions == 0 || s.Logins == 0 {
		t.Errorf("no returning behaviour: %+v", s)
	}
}

func TestNewWorld_Campaign(t *testing.T) {
	cfg := richConfig(5)
	cfg.Days, cfg.Users = 14, 1000
	k := cfg.Campaigns[0]
	with := newWorld(t, cfg)
	cfg.Campaigns = nil
	without := newWorld(t, cfg)
	count := func(w *sim.World) (in int) {
		seen := map[string]bool{}
		for _, e := range w.EventsBetween(k.Start, k.Start.Add(k.Duration)) {
			if e.EventType == stream.PageView && !seen[e.SessionID] {
				seen[e.SessionID] = true
				in++
			}
		}
		return in
	}
	// Sign-up sessions do not scale: users are a fixed number.
	ratio := float64(count(with)) / float64(count(without))
	within(t, "campaign day sessions with / without", ratio, k.Multiplier, 0.8)
	if with.Stats.CampaignSessions == 0 || with.Stats.CampaignsApplied != 1 || without.Stats.CampaignSessions != 0 {
		t.Errorf("campaign counts: with %+v, without %+v", with.Stats, without.Stats)
	}
}

func TestNewWorld_WeeklyRhythm(t *testing.T) {
	cfg := sim.Config{Seed: 9, Start: sim.DefaultConfig().Start, Days: 28, Users: 1000}
	w := newWorld(t, cfg)
	var weekend, weekday float64
	for _, e := range w.Events {
		if e.EventType != stream.PageView {
			continue
		}
		if d := e.EventTime.Weekday(); d == time.Saturday || d == time.Sunday {
			weekend++
		} else {
			weekday++
		}
	}
	perWeekend, perWeekday := weekend/8, weekday/20
	t.Logf("sessions per weekend day %.0f, per weekday %.0f", perWeekend, perWeekday)
	if perWeekend < 1.15*perWeekday {
		t.Errorf("weekend days have %.0f sessions, weekdays %.0f: want weekends busier by 15%%", perWeekend, perWeekday)
	}
	// Daily rhythm: the evening is busier than the night.
	var night, evening int
	for _, e := range w.Events {
		switch h := e.EventTime.Hour(); {
		case h >= 1 && h < 5:
			night++
		case h >= 18 && h < 22:
			evening++
		}
	}
	if evening < 4*night {
		t.Errorf("evening %d events, night %d: want a daily rhythm", evening, night)
	}
}

// TestNewWorld_ReturningCustomers checks that customers come back and buy
// again, more often soon after a purchase than later, so that retention
// curves decay.
func TestNewWorld_ReturningCustomers(t *testing.T) {
	cfg := sim.Config{Seed: 4, Start: sim.DefaultConfig().Start, Days: 56, Users: 3000, Products: 100}
	w := newWorld(t, cfg)
	first := map[int64]time.Time{}
	orders := map[int64]int{}
	var weeks [8]int // second orders by week after the first
	for _, o := range w.Orders {
		orders[o.UserID]++
		f, ok := first[o.UserID]
		if !ok {
			first[o.UserID] = o.Date
			continue
		}
		if orders[o.UserID] == 2 {
			weeks[min(int(o.Date.Sub(f)/(7*24*time.Hour)), 7)]++
		}
	}
	repeat := 0
	for _, n := range orders {
		if n > 1 {
			repeat++
		}
	}
	t.Logf("%d customers, %d repeat; second orders by week after the first: %v", len(first), repeat, weeks)
	if repeat == 0 || float64(repeat)/float64(len(first)) < 0.1 {
		t.Fatalf("%d of %d customers ordered again", repeat, len(first))
	}
	if !(weeks[0] > weeks[1] && weeks[1] > weeks[3] && weeks[3] > weeks[6]) {
		t.Fatalf("second orders by week %v do not decay", weeks)
	}
}

// TestNewWorld_TrackingLossOnlyDropsPurchases checks that tracking loss
// changes nothing but the purchase events it drops.
func TestNewWorld_TrackingLossOnlyDropsPurchases(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Days, cfg.Users = 7, 500
	full := newWorld(t, cfg)
	cfg.TrackingLoss = 0.2
	lossy := newWorld(t, cfg)
	if !reflect.DeepEqual(full.Orders, lossy.Orders) {
		t.Fatal("tracking loss changed the orders")
	}
	j, lost := 0, 0
	for _, e := range full.Events {
		if j < len(lossy.Events) && reflect.DeepEqual(e, lossy.Events[j]) {
			j++
			continue
		}
		if e.EventType != stream.Purchase {
			t.Fatalf("tracking loss dropped a %s event", e.EventType)
		}
		lost++
	}
	if j != len(lossy.Events) || int64(lost) != lossy.Stats.UntrackedPurchases || lost == 0 {
		t.Fatalf("lost %d purchases, stats say %d; matched %d of %d events", lost, lossy.Stats.UntrackedPurchases, j, len(lossy.Events))
	}
}

// TestWorld_AsOf checks the catalogue over time: prices in force, listings,
// withdrawals, and that the clickstream and orders use them.
func TestWorld_AsOf(t *testing.T) {
	cfg := richConfig(8)
	cfg.Days, cfg.Users = 14, 800
	w := newWorld(t, cfg)
	for _, e := range w.Events {
		if e.ProductID == nil {
			continue
		}
		price, ok := w.PriceAt(*e.ProductID, e.EventTime)
		if !ok || *e.Price != price {
			t.Fatalf("%s event %s: price %v, PriceAt = %v, %v", e.EventType, e.EventID, *e.Price, price, ok)
		}
		if e.EventType == stream.RemoveFromCart {
			continue
		}
		listed := false
		for _, p := range w.ProductsAsOf(e.EventTime) {
			listed = listed || p.ID == *e.ProductID
		}
		if !listed {
			t.Fatalf("%s event %s names product %d, not listed at %s", e.EventType, e.EventID, *e.ProductID, e.EventTime)
		}
	}
	purchases := map[int64]stream.Event{}
	for _, e := range w.Events {
		if e.EventType == stream.Purchase {
			purchases[*e.OrderID] = e
		}
	}
	for _, o := range w.Orders {
		for _, l := range o.Lines {
			if _, ok := w.PriceAt(l.ProductID, o.Date); !ok {
				t.Fatalf("order %d names product %d not listed at %s", o.ID, l.ProductID, o.Date)
			}
		}
		if e, ok := purchases[o.ID]; ok && *e.Price != w.OrderTotal(o) {
			t.Fatalf("order %d: purchase price %v, OrderTotal %v", o.ID, *e.Price, w.OrderTotal(o))
		}
	}
	var changed *sim.Product
	for i := range w.Products {
		if len(w.Products[i].Prices) > 0 && w.Products[i].WithdrawnAt == nil && w.Products[i].ListedAt.IsZero() {
			changed = &w.Products[i]
			break
		}
	}
	if changed == nil {
		t.Fatal("no product changed price")
	}
	pp := changed.Prices[0]
	if pp.From.Hour() != 0 || pp.From.Minute() != 0 || !pp.From.After(cfg.Start) {
		t.Fatalf("price change at %s, want a midnight after Start", pp.From)
	}
	for _, c := range []struct {
		at        time.Time
		price     sim.Product
		wantPrice int64
		wantFrom  time.Time
	}{
		{at: pp.From.Add(-time.Millisecond), wantPrice: int64(changed.Price), wantFrom: time.Time{}},
		{at: pp.From, wantPrice: int64(pp.Price), wantFrom: pp.From},
	} {
		if got, ok := w.PriceAt(changed.ID, c.at); !ok || int64(got) != c.wantPrice {
			t.Errorf("PriceAt(%d, %s) = %v, %v; want %d", changed.ID, c.at, got, ok, c.wantPrice)
		}
		for _, p := range w.ProductsAsOf(c.at) {
			if p.ID == changed.ID && (int64(p.Price) != c.wantPrice || !p.PriceValidFrom.Equal(c.wantFrom)) {
				t.Errorf("ProductsAsOf(%s): product %d price %v from %s, want %d from %s", c.at, p.ID, p.Price, p.PriceValidFrom, c.wantPrice, c.wantFrom)
			}
		}
	}
	if _, ok := w.PriceAt(int64(len(w.Products)+1), cfg.Start); ok {
		t.Error("PriceAt of a missing product is ok")
	}
	for _, p := range w.Products {
		if p.WithdrawnAt != nil {
			for _, q := range w.ProductsAsOf(*p.WithdrawnAt) {
				if q.ID == p.ID {
					t.Fatalf("product %d listed at its withdrawal %s", p.ID, p.WithdrawnAt)
				}
			}
		}
		if !p.ListedAt.IsZero() {
			if _, ok := w.PriceAt(p.ID, p.ListedAt.Add(-time.Millisecond)); ok {
				t.Fatalf("product %d has a price before its listing", p.ID)
			}
		}
	}
	mid := cfg.Start.Add(36 * time.Hour)
	users := w.UsersAsOf(mid)
	for i, u := range users {
		if u.CreatedAt.After(mid) || i > 0 && u.ID <= users[i-1].ID {
			t.Fatalf("UsersAsOf: user %d created %s", u.ID, u.CreatedAt)
		}
	}
	if len(users) == 0 || len(users) == len(w.Users) {
		t.Fatalf("UsersAsOf(%s) = %d of %d users", mid, len(users), len(w.Users))
	}
}

func TestHostileString(t *testing.T) {
	r := rng.New(1, "test/hostile")
	found := map[string]bool{}
	for range 2000 {
		s := sim.HostileString(r)
		if s == "" || !utf8.ValidString(s) || len(s) > 200 {
			t.Fatalf("HostileString() = %q: want valid UTF-8, 1..200 bytes", s)
		}
		for _, want := range []string{"'", `"`, "../", "DROP TABLE", `\`, "\x00", "\t", "\x1b", "\x7f", "日本語"} {
			if strings.Contains(s, want) {
				found[want] = true
			}
		}
		if b, err := json.Marshal(s); err != nil || !json.Valid(b) {
			t.Fatalf("HostileString() = %q does not round-trip JSON: %v", s, err)
		}
	}
	if len(found) != 10 {
		t.Fatalf("2000 hostile strings hold only %v", found)
	}
}
