package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/stream"
)

// Behaviour rates of the clickstream generator. Each is the probability of a
// step given the previous one, drawn once per session.
const (
	// PUserSession is the chance that a registered user who existed before a
	// day starts has a session that day. A user who signs up during a day has
	// exactly one session that day, starting at the sign-up.
	PUserSession = 0.30
	// AnonPerUser is the mean number of anonymous sessions per day per user
	// registered at the start of the day (uniform within ±25%, at least 1).
	AnonPerUser = 0.5
	// PViewProduct: a session views 1 to 4 products after its page_view.
	PViewProduct = 0.60
	// PAddToCart: a session that viewed products adds 1 (75%) or 2 of them.
	PAddToCart = 0.30
	// PRemoveFromCart: a session with a cart removes one line.
	PRemoveFromCart = 0.15
	// PBeginCheckout: a session with a non-empty cart begins checkout.
	PBeginCheckout = 0.50
	// PAnonLogin: an anonymous session that begins checkout logs in as an
	// existing user (user_id set from begin_checkout on); otherwise it emits
	// an anonymous begin_checkout and abandons.
	PAnonLogin = 0.80
	// PPurchase: a logged-in session that began checkout purchases.
	PPurchase = 0.60
)

// hourWeights is the daily rhythm of session starts (and sign-ups), by UTC
// hour: quiet nights, a midday bump, an evening peak.
var hourWeights = [24]int{1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 9, 8, 8, 9, 10, 12, 13, 12, 9, 6, 3}

// timeOfDay draws an offset from midnight, with millisecond resolution, that
// follows hourWeights.
func timeOfDay(r *rand.Rand) time.Duration {
	total := 0
	for _, w := range hourWeights {
		total += w
	}
	x := r.IntN(total)
	h := 0
	for ; x >= hourWeights[h]; h++ {
		x -= hourWeights[h]
	}
	return time.Duration(h)*time.Hour + time.Duration(r.Int64N(int64(time.Hour/time.Millisecond)))*time.Millisecond
}

// gap draws a pause between two events of a session, in [lo, hi), with
// millisecond resolution.
func gap(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64((hi-lo)/time.Millisecond)))*time.Millisecond
}

// generator accumulates the clickstream of a World.
type generator struct {
	cfg      Config
	end      time.Time
	users    []User
	devices  [][]string
	products []Product
	events   []stream.Event
	carts    map[string][]Line // purchase event_id -> cart at purchase
}

// generate simulates every day and returns the events, sorted by
// (EventTime, EventID), and the orders their purchases created, with order
// ids assigned in that order.
func (g *generator) generate() ([]stream.Event, []Order) {
	g.carts = make(map[string][]Line)
	for d := range g.cfg.Days {
		g.day(d)
	}
	slices.SortFunc(g.events, compareEvents)
	var orders []Order
	for i := range g.events {
		e := &g.events[i]
		if e.EventType != stream.Purchase {
			continue
		}
		id := int64(len(orders) + 1)
		*e.OrderID = id
		orders = append(orders, Order{
			ID:     id,
			UserID: *e.UserID,
			Date:   e.EventTime,
			Lines:  g.carts[e.EventID],
			Status: StatusCompleted,
		})
	}
	return g.events, orders
}

// day simulates day d (0-based): sessions of users registered before it,
// sign-up sessions, anonymous sessions, in that order.
func (g *generator) day(d int) {
	r := rng.New(g.cfg.Seed, fmt.Sprintf("sim/sessions/day-%d", d))
	ids := rng.New(g.cfg.Seed, fmt.Sprintf("sim/ids/day-%d", d))
	dayStart := g.cfg.Start.Add(time.Duration(d) * 24 * time.Hour)
	dayEnd := dayStart.Add(24 * time.Hour)

	existing := g.usersAt(dayStart.Add(-time.Millisecond))
	for i := range existing {
		if r.Float64() < PUserSession {
			start := dayStart.Add(timeOfDay(r))
			device := g.devices[i][r.IntN(len(g.devices[i]))]
			g.session(r, ids, start, g.users[i].ID, device)
		}
	}
	for i := existing; i < len(g.users) && g.users[i].CreatedAt.Before(dayEnd); i++ {
		g.session(r, ids, g.users[i].CreatedAt, g.users[i].ID, g.devices[i][0])
	}
	base := int(float64(existing)*AnonPerUser + 0.5)
	n := max(1, base*3/4+r.IntN(base/2+1))
	for range n {
		start := dayStart.Add(timeOfDay(r))
		g.session(r, ids, start, 0, rng.UUID(ids))
	}
}

// usersAt returns how many users exist at t (CreatedAt <= t); they are the
// first ones, since ids increase with CreatedAt.
func (g *generator) usersAt(t time.Time) int {
	return sort.Search(len(g.users), func(i int) bool { return g.users[i].CreatedAt.After(t) })
}

// session emits one session starting at start, for user uid (0: anonymous)
// on device. It stops early rather than emit an event at or after the end of
// the run.
func (g *generator) session(r, ids *rand.Rand, start time.Time, uid int64, device string) {
	sid := rng.UUID(ids)
	t := start
	emit := func(typ stream.EventType, e stream.Event) bool {
		if !t.Before(g.end) {
			return false
		}
		e.EventID = rng.UUID(ids)
		e.EventType = typ
		e.EventTime = t
		e.SessionID = sid
		e.AnonymousID = device
		e.SchemaVersion = stream.SchemaVersion
		if uid != 0 {
			e.UserID = new(uid)
		}
		g.events = append(g.events, e)
		return true
	}
	if !emit(stream.PageView, stream.Event{}) {
		return
	}

	if r.Float64() >= PViewProduct {
		return
	}
	var viewed []*Product
	for range 1 + r.IntN(4) {
		p := &g.products[r.IntN(len(g.products))]
		t = t.Add(gap(r, 5*time.Second, 3*time.Minute))
		if !emit(stream.ProductView, stream.Event{ProductID: new(p.ID), Price: new(p.Price)}) {
			return
		}
		if !slices.Contains(viewed, p) {
			viewed = append(viewed, p)
		}
	}

	if r.Float64() >= PAddToCart {
		return
	}
	var cart []Line
	nAdd := 1
	if r.IntN(4) == 0 {
		nAdd = 2
	}
	r.Shuffle(len(viewed), func(i, j int) { viewed[i], viewed[j] = viewed[j], viewed[i] })
	for _, p := range viewed[:min(nAdd, len(viewed))] {
		q := int64(1)
		if r.IntN(4) == 0 {
			q = 2 + r.Int64N(2)
		}
		t = t.Add(gap(r, 5*time.Second, time.Minute))
		if !emit(stream.AddToCart, stream.Event{ProductID: new(p.ID), Quantity: new(q), Price: new(p.Price)}) {
			return
		}
		cart = append(cart, Line{ProductID: p.ID, Quantity: q})
	}

	if r.Float64() < PRemoveFromCart {
		i := r.IntN(len(cart))
		l := cart[i]
		t = t.Add(gap(r, 5*time.Second, 2*time.Minute))
		if !emit(stream.RemoveFromCart, stream.Event{ProductID: new(l.ProductID), Quantity: new(l.Quantity), Price: new(g.price(l.ProductID))}) {
			return
		}
		cart = slices.Delete(cart, i, i+1)
		if len(cart) == 0 {
			return
		}
	}

	if r.Float64() >= PBeginCheckout {
		return
	}
	t = t.Add(gap(r, 20*time.Second, 5*time.Minute))
	total := g.total(cart)
	if uid == 0 {
		login := r.Float64() < PAnonLogin
		n := g.usersAt(t)
		if login && n > 0 {
			uid = g.users[r.IntN(n)].ID
		} else {
			emit(stream.BeginCheckout, stream.Event{Price: new(total)})
			return
		}
	}
	if !emit(stream.BeginCheckout, stream.Event{Price: new(total)}) {
		return
	}

	if r.Float64() >= PPurchase {
		return
	}
	t = t.Add(gap(r, 30*time.Second, 5*time.Minute))
	e := stream.Event{Price: new(total), OrderID: new(int64(0))}
	if emit(stream.Purchase, e) {
		g.carts[g.events[len(g.events)-1].EventID] = cart
	}
}

func (g *generator) price(id int64) money.Cents { return g.products[id-1].Price }

func (g *generator) total(lines []Line) money.Cents {
	var sum money.Cents
	for _, l := range lines {
		sum += money.Cents(l.Quantity) * g.price(l.ProductID)
	}
	return sum
}

// compareEvents orders events by (EventTime, EventID).
func compareEvents(a, b stream.Event) int {
	if c := a.EventTime.Compare(b.EventTime); c != 0 {
		return c
	}
	switch {
	case a.EventID < b.EventID:
		return -1
	case a.EventID > b.EventID:
		return 1
	}
	return 0
}
