package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// newWorld builds the World of cfg or fails the test.
func newWorld(tb testing.TB, cfg sim.Config) *sim.World {
	tb.Helper()
	w, err := sim.NewWorld(cfg)
	if err != nil {
		tb.Fatalf("NewWorld(%+v): %v", cfg, err)
	}
	return w
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestNewWorld_Deterministic(t *testing.T) {
	cfg := sim.DefaultConfig()
	a, b := newWorld(t, cfg), newWorld(t, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same config built different worlds")
	}
	for name, v := range map[string][2]any{
		"users":    {a.Users, b.Users},
		"products": {a.Products, b.Products},
		"orders":   {a.Orders, b.Orders},
		"events":   {a.Events, b.Events},
	} {
		if got, want := mustJSON(t, v[0]), mustJSON(t, v[1]); got != want {
			t.Fatalf("%s: JSON differs between two builds of the same config", name)
		}
	}
	if len(a.Orders) == 0 || len(a.Events) == 0 {
		t.Fatalf("default world has %d orders and %d events; want some of each", len(a.Orders), len(a.Events))
	}
}

func TestNewWorld_SeedsDiffer(t *testing.T) {
	cfg := sim.DefaultConfig()
	a := newWorld(t, cfg)
	cfg.Seed++
	b := newWorld(t, cfg)
	for name, v := range map[string][2]any{
		"users":    {a.Users, b.Users},
		"products": {a.Products, b.Products},
		"events":   {a.Events, b.Events},
	} {
		if mustJSON(t, v[0]) == mustJSON(t, v[1]) {
			t.Errorf("%s: seeds %d and %d gave the same JSON", name, cfg.Seed-1, cfg.Seed)
		}
	}
}

func TestNewWorld_Users(t *testing.T) {
	cfg := sim.DefaultConfig()
	w := newWorld(t, cfg)
	if got, want := len(w.Users), cfg.Users; got != want {
		t.Fatalf("len(Users) = %d, want %d", got, want)
	}
	before, emails, usernames := 0, map[string]bool{}, map[string]bool{}
	for i, u := range w.Users {
		if got, want := u.ID, int64(i+1); got != want {
			t.Fatalf("Users[%d].ID = %d, want %d", i, got, want)
		}
		if i > 0 && u.CreatedAt.Before(w.Users[i-1].CreatedAt) {
			t.Fatalf("user %d created before user %d", u.ID, u.ID-1)
		}
		if !u.CreatedAt.Before(cfg.End()) {
			t.Fatalf("user %d created at %s, after the run", u.ID, u.CreatedAt)
		}
		if u.CreatedAt.Before(cfg.Start) {
			before++
		}
		if emails[u.Email] || usernames[u.Username] {
			t.Fatalf("user %d: email %q or username %q is not unique", u.ID, u.Email, u.Username)
		}
		emails[u.Email], usernames[u.Username] = true, true
		if u.Email == "" || u.Password == "" || u.FirstName == "" || u.LastName == "" || u.Phone == "" || u.City == "" || u.Street == "" || u.Zipcode == "" || u.Lat == "" || u.Long == "" || len(u.Country) != 2 {
			t.Fatalf("user %d has an empty field: %+v", u.ID, u)
		}
	}
	if got, want := before, cfg.Users/3; got != want {
		t.Fatalf("%d users exist before Start, want %d", got, want)
	}
}

func TestNewWorld_Products(t *testing.T) {
	w := newWorld(t, sim.Config{Seed: 3, Start: sim.DefaultConfig().Start, Days: 1, Users: 1})
	if got, want := len(w.Products), sim.DefaultProducts; got != want {
		t.Fatalf("len(Products) = %d, want %d", got, want)
	}
	for i, p := range w.Products {
		if p.ID != int64(i+1) || p.Price <= 0 || p.Title == "" || p.Description == "" || p.Image == "" {
			t.Fatalf("bad product %+v", p)
		}
		found := false
		for _, c := range sim.Categories {
			found = found || c == p.Category
		}
		if !found {
			t.Fatalf("product %d has category %q", p.ID, p.Category)
		}
		if p.Rating.Rate < 1 || p.Rating.Rate > 5 {
			t.Fatalf("product %d has rating %v", p.ID, p.Rating.Rate)
		}
	}
}

// TestNewWorld_Events checks every event against the contract and the
// session rules, over several seeds.
func TestNewWorld_Events(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := sim.DefaultConfig()
		cfg.Seed = seed
		w := newWorld(t, cfg)
		users := map[int64]sim.User{}
		for _, u := range w.Users {
			users[u.ID] = u
		}
		type sessionState struct {
			user      *int64
			anon      string
			last      time.Time
			purchases int
		}
		sessions := map[string]*sessionState{}
		for i, e := range w.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("seed %d: event %d: %v", seed, i, err)
			}
			if i > 0 {
				p := w.Events[i-1]
				if e.EventTime.Before(p.EventTime) || e.EventTime.Equal(p.EventTime) && e.EventID <= p.EventID {
					t.Fatalf("seed %d: events %d and %d out of (time, id) order", seed, i-1, i)
				}
			}
			if e.EventTime.Before(cfg.Start) || !e.EventTime.Before(cfg.End()) {
				t.Fatalf("seed %d: event %s at %s is outside the run", seed, e.EventID, e.EventTime)
			}
			if e.EventTime.Location() != time.UTC {
				t.Fatalf("seed %d: event %s time is not UTC", seed, e.EventID)
			}
			s, ok := sessions[e.SessionID]
			if !ok {
				if e.EventType != stream.PageView {
					t.Fatalf("seed %d: session %s starts with %s", seed, e.SessionID, e.EventType)
				}
				s = &sessionState{anon: e.AnonymousID}
				sessions[e.SessionID] = s
			}
			if e.AnonymousID != s.anon {
				t.Fatalf("seed %d: session %s changes anonymous_id", seed, e.SessionID)
			}
			if s.user != nil && (e.UserID == nil || *e.UserID != *s.user) {
				t.Fatalf("seed %d: session %s logs out or switches user", seed, e.SessionID)
			}
			s.user, s.last = e.UserID, e.EventTime
			if e.UserID != nil {
				u, ok := users[*e.UserID]
				if !ok || u.CreatedAt.After(e.EventTime) {
					t.Fatalf("seed %d: event %s names user %d who does not exist at %s", seed, e.EventID, *e.UserID, e.EventTime)
				}
			}
			switch e.EventType {
			case stream.ProductView, stream.AddToCart, stream.RemoveFromCart:
				price, ok := w.PriceAt(*e.ProductID, e.EventTime)
				if !ok || e.Price == nil || *e.Price != price {
					t.Fatalf("seed %d: %s event %s price %v, want product price %v", seed, e.EventType, e.EventID, e.Price, price)
				}
				if e.EventType != stream.ProductView && (e.Quantity == nil || *e.Quantity < 1) {
					t.Fatalf("seed %d: cart event %s has no quantity", seed, e.EventID)
				}
			case stream.Purchase:
				s.purchases++
				if e.UserID == nil || e.ProductID != nil || e.Price == nil {
					t.Fatalf("seed %d: purchase %s: user %v, product %v, price %v", seed, e.EventID, e.UserID, e.ProductID, e.Price)
				}
			}
			if e.EventType != stream.Purchase && e.OrderID != nil {
				t.Fatalf("seed %d: %s event %s carries an order_id", seed, e.EventType, e.EventID)
			}
			if s.purchases > 1 {
				t.Fatalf("seed %d: session %s purchases twice", seed, e.SessionID)
			}
		}
	}
}

// TestNewWorld_OrdersMatchPurchases checks that purchases and orders are one
// to one, with matching user, time and total.
func TestNewWorld_OrdersMatchPurchases(t *testing.T) {
	w := newWorld(t, sim.DefaultConfig())
	purchases := map[int64]stream.Event{}
	for _, e := range w.Events {
		if e.EventType == stream.Purchase {
			if _, dup := purchases[*e.OrderID]; dup {
				t.Fatalf("order_id %d on two purchases", *e.OrderID)
			}
			purchases[*e.OrderID] = e
		}
	}
	if got, want := len(purchases), len(w.Orders); got != want {
		t.Fatalf("%d purchases, %d orders", got, want)
	}
	for i, o := range w.Orders {
		if got, want := o.ID, int64(i+1); got != want {
			t.Fatalf("Orders[%d].ID = %d, want %d", i, got, want)
		}
		if i > 0 && o.Date.Before(w.Orders[i-1].Date) {
			t.Fatalf("order %d is dated before order %d", o.ID, o.ID-1)
		}
		e, ok := purchases[o.ID]
		if !ok {
			t.Fatalf("order %d has no purchase event", o.ID)
		}
		if !e.EventTime.Equal(o.Date) || *e.UserID != o.UserID || *e.Price != w.OrderTotal(o) || o.Status != sim.StatusCompleted || len(o.Lines) == 0 {
			t.Fatalf("order %+v does not match purchase %s (time %s, user %d, price %v)", o, e.EventID, e.EventTime, *e.UserID, *e.Price)
		}
	}
}

func TestWorld_EventsBetween(t *testing.T) {
	cfg := sim.DefaultConfig()
	w := newWorld(t, cfg)
	day2 := cfg.Start.Add(24 * time.Hour)
	total := 0
	for d := range cfg.Days {
		from := cfg.Start.Add(time.Duration(d) * 24 * time.Hour)
		evs := w.EventsBetween(from, from.Add(24*time.Hour))
		for _, e := range evs {
			if e.EventTime.Before(from) || !e.EventTime.Before(from.Add(24*time.Hour)) {
				t.Fatalf("day %d: event at %s", d, e.EventTime)
			}
		}
		total += len(evs)
	}
	if got, want := total, len(w.Events); got != want {
		t.Fatalf("days hold %d events, want %d", got, want)
	}
	if got := w.EventsBetween(day2, day2); len(got) != 0 {
		t.Fatalf("empty range returned %d events", len(got))
	}
	if got, want := len(w.EventsBetween(cfg.Start.Add(-time.Hour), cfg.End().Add(time.Hour))), len(w.Events); got != want {
		t.Fatalf("whole range returned %d events, want %d", got, want)
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := sim.DefaultConfig().Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrInvalidConfig", func(t *testing.T) {
		cfg := sim.Config{Start: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC), Days: 0, Users: -1, Products: -2}
		err := cfg.Validate()
		if !errors.Is(err, sim.ErrInvalidConfig) {
			t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
		}
		for _, want := range []string{"midnight", "days", "users", "products"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
		if _, err := sim.NewWorld(cfg); !errors.Is(err, sim.ErrInvalidConfig) {
			t.Fatalf("NewWorld() = %v, want ErrInvalidConfig", err)
		}
		if err := (sim.Config{Days: 1, Users: 1}).Validate(); err == nil || !strings.Contains(err.Error(), "start") {
			t.Fatalf("zero Start: Validate() = %v", err)
		}
	})
}

// TestNewWorld_Small checks the smallest worlds: a single user who signs
// up during the run, a single day.
func TestNewWorld_Small(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		w := newWorld(t, sim.Config{Seed: seed, Start: sim.DefaultConfig().Start, Days: 1, Users: 1, Products: 1})
		for _, e := range w.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
	}
}

func BenchmarkNewWorld(b *testing.B) {
	cfg := sim.DefaultConfig()
	for b.Loop() {
		if _, err := sim.NewWorld(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// updateGolden reports whether -update was given: it reuses a flag of that
// name if another test file of the package defined it first (files
// initialise in name order and this one comes last).
var updateGolden = func() func() bool {
	if f := flag.Lookup("update"); f != nil {
		return func() bool { return f.Value.String() == "true" }
	}
	b := flag.Bool("update", false, "rewrite the golden files under testdata/")
	return func() bool { return *b }
}()

// goldenConfig is a tiny world with every feature on.
func goldenConfig() sim.Config {
	cfg := sim.Config{Seed: 42, Start: sim.DefaultConfig().Start, Days: 3, Users: 6, Products: 6}.Realistic()
	cfg.HostileRate = 0.5
	cfg.PriceChangeRate = 1
	cfg.WithdrawRate = 0.5
	cfg.NewProductShare = 0.2
	cfg.Campaigns = []sim.Campaign{{Start: cfg.Start.Add(30 * time.Hour), Duration: 2 * time.Hour, Multiplier: 10}}
	return cfg
}

// TestNewWorld_Golden compares a tiny world, byte for byte, with
// testdata/world_golden.json. Run with -update to rewrite it after an
// intended change of the model.
func TestNewWorld_Golden(t *testing.T) {
	w := newWorld(t, goldenConfig())
	const firstEvents = 60
	got, err := json.MarshalIndent(struct {
		Users    []sim.User
		Products []sim.Product
		Orders   []sim.Order
		Events   []stream.Event
		Stats    sim.Stats
	}{w.Users, w.Products, w.Orders, w.Events[:min(firstEvents, len(w.Events))], w.Stats}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "world_golden.json")
	if updateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sim/ -run TestNewWorld_Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("world differs from %s (run with -update if the change is intended)\n%s", path, firstDiff(got, want))
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d and %d lines", len(al), len(bl))
}

// TestNewWorldWithoutEvents: the lean World is NewWorld's in everything but
// the events, its EventCount agrees with the events hour by hour and over
// any span, and a fresh Generator gives back the very events NewWorld keeps.
func TestNewWorldWithoutEvents(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Days, cfg.Users = 3, 300
	full := newWorld(t, cfg)
	lean, err := sim.NewWorldWithoutEvents(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if lean.Events != nil || lean.Users != nil {
		t.Fatalf("lean world holds %d events and %d users", len(lean.Events), len(lean.Users))
	}
	if !reflect.DeepEqual(lean.Orders, full.Orders) || !reflect.DeepEqual(lean.Products, full.Products) ||
		!reflect.DeepEqual(lean.Stats, full.Stats) {
		t.Fatal("lean world differs from NewWorld's in orders, products or stats")
	}
	if lean.NumUsers() != len(full.Users) {
		t.Fatalf("lean world has %d users, NewWorld %d", lean.NumUsers(), len(full.Users))
	}
	for _, u := range full.Users {
		if got, ok := lean.User(u.ID); !ok || !reflect.DeepEqual(got, u) {
			t.Fatalf("user %d derived %+v, NewWorld holds %+v", u.ID, got, u)
		}
	}
	if _, ok := lean.User(int64(len(full.Users) + 1)); ok {
		t.Fatal("lean world derives a user past NumUsers")
	}
	for _, at := range []time.Time{cfg.Start.Add(-time.Hour), cfg.Start.Add(30 * time.Hour), full.Users[7].CreatedAt, cfg.End()} {
		if got, want := lean.UsersAsOf(at), full.UsersAsOf(at); !reflect.DeepEqual(got, want) {
			t.Fatalf("UsersAsOf(%s): lean %d users, NewWorld %d", at, len(got), len(want))
		}
	}
	start := full.Config.Start
	total := 0
	for h := 0; h < cfg.Days*24; h++ {
		from, to := start.Add(time.Duration(h)*time.Hour), start.Add(time.Duration(h+1)*time.Hour)
		want := len(full.EventsBetween(from, to))
		if got := lean.EventCount(from, to); got != want {
			t.Fatalf("hour %d: lean EventCount %d, events %d", h, got, want)
		}
		total += want
	}
	if total != len(full.Events) || int64(total) != full.Stats.Events {
		t.Fatalf("hours add up to %d events, the world has %d", total, len(full.Events))
	}
	// Spans that are not whole hours count the events themselves.
	from, to := start.Add(90*time.Minute), start.Add(50*time.Hour+7*time.Second)
	if got, want := full.EventCount(from, to), len(full.EventsBetween(from, to)); got != want || want == 0 {
		t.Fatalf("EventCount over %s..%s = %d, want %d", from, to, got, want)
	}
	g, err := sim.NewGenerator(lean.Config)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for e := range g.Events {
		if i >= len(full.Events) || !reflect.DeepEqual(e, full.Events[i]) {
			t.Fatalf("event %d of a fresh generator differs from NewWorld's", i)
		}
		i++
	}
	if i != len(full.Events) {
		t.Fatalf("generator gave %d events, NewWorld %d", i, len(full.Events))
	}
}

// TestNewWorldWithoutEvents_OracleRefuses: the oracle of a World without
// its events does not answer as if nobody had visited.
func TestNewWorldWithoutEvents_OracleRefuses(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Days, cfg.Users = 1, 50
	lean, err := sim.NewWorldWithoutEvents(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"DailyKPIs":         func() { lean.DailyKPIs() },
		"SessionFunnel":     func() { lean.SessionFunnel() },
		"ProductConversion": func() { lean.ProductConversion() },
		"Reconciliation":    func() { lean.Reconciliation() },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "NewWorldWithoutEvents") {
					t.Errorf("%s on a lean world: recovered %v, want a panic naming NewWorldWithoutEvents", name, r)
				}
			}()
			f()
		}()
	}
}
