package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/stream"
)

// Generator produces the clickstream and the orders of a Config as a stream,
// in (EventTime, EventID) order, with memory bounded by the sessions open at
// once (plus a few bytes per user and the orders it keeps). NewWorld is a
// Generator run collected into slices, so both always agree.
//
// A Generator is not safe for concurrent use. Events may be called again: it
// restarts the run from the beginning and yields the same events.
type Generator struct {
	cfg       Config
	start     int64 // Unix ms
	end       int64
	created   []int64 // sign-up times of users 1..n, Unix ms, ascending
	firstNew  int     // index of the first user who signs up during the run
	uk        userKeys
	life      keyed // the orders' lifecycle: "sim/orders/lifecycle"
	cat       *catalogue
	ps        []piece
	campaigns int // campaigns that intersect the run
	// productPaths are the page paths of the products, by id - 1.
	productPaths []string

	// OnOrder, if set, receives every order as it is created (in id order,
	// before its purchase event is yielded), and Orders stays empty.
	OnOrder func(Order)

	st *runState
}

// NewGenerator prepares the run of cfg: users' sign-up times, the catalogue
// and the traffic rhythm. It returns an error wrapping ErrInvalidConfig if cfg
// does not validate.
func NewGenerator(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.normalized()
	ps, applied := pieces(cfg)
	g := &Generator{
		cfg:       cfg,
		start:     cfg.Start.UnixMilli(),
		end:       cfg.End().UnixMilli(),
		uk:        newUserKeys(cfg.Seed),
		life:      newKeyed(cfg.Seed, "sim/orders/lifecycle"),
		cat:       generateProducts(cfg),
		ps:        ps,
		campaigns: applied,
	}
	g.productPaths = productPaths(cfg.Products)
	g.created = userCreatedAt(cfg, newRateTable(ps))
	g.firstNew, _ = slices.BinarySearch(g.created, g.start)
	return g, nil
}

// Config returns the normalized Config of the run.
func (g *Generator) Config() Config { return g.cfg }

// Products returns the catalogue, by ID. It must not be modified.
func (g *Generator) Products() []Product { return g.cat.products }

// NumUsers returns the number of users of the run (Config.Users).
func (g *Generator) NumUsers() int { return len(g.created) }

// User returns user id, derived on demand (see the package doc): the same
// User that NewWorld holds at Users[id-1]. It returns false if id is not in
// 1..NumUsers.
func (g *Generator) User(id int64) (User, bool) {
	if id < 1 || id > int64(len(g.created)) {
		return User{}, false
	}
	return g.uk.buildUser(id, time.UnixMilli(g.created[id-1]).UTC()), true
}

// Orders returns the orders created by the last run of Events, by ID (empty
// if OnOrder is set). The slice is the Generator's.
func (g *Generator) Orders() []Order {
	if g.st == nil {
		return nil
	}
	return g.st.orders
}

// Stats returns the counts of the last run of Events (so far, if it was
// stopped early).
func (g *Generator) Stats() Stats {
	s := Stats{
		HostileProducts:   g.cat.hostile,
		PriceChanges:      g.cat.changes,
		WithdrawnProducts: g.cat.withdraw,
		NewProducts:       g.cat.newly,
		CampaignsApplied:  g.campaigns,
		EventsByType:      map[stream.EventType]int64{},
		OrdersByStatus:    map[string]int64{},
	}
	for _, t := range stream.EventTypes {
		s.EventsByType[t] = 0
	}
	for _, st := range []string{StatusCompleted, StatusCancelled, StatusRefunded} {
		s.OrdersByStatus[st] = 0
	}
	if g.st == nil {
		return s
	}
	c := g.st.counts
	s.Sessions = c.sessions[0] + c.sessions[1] + c.sessions[2] + c.sessions[3]
	s.SignupSessions, s.RegisteredSessions, s.ReturningSessions, s.AnonymousSessions = c.sessions[kindSignup], c.sessions[kindRegistered], c.sessions[kindReturning], c.sessions[kindAnonymous]
	s.CampaignSessions = c.campaignSessions
	s.Logins = c.logins
	for i, t := range stream.EventTypes {
		s.EventsByType[t] = c.events[i]
		s.Events += c.events[i]
	}
	s.Orders = c.orders[0] + c.orders[1] + c.orders[2]
	s.OrdersByStatus[StatusCompleted] = c.orders[0]
	s.OrdersByStatus[StatusCancelled] = c.orders[1]
	s.OrdersByStatus[StatusRefunded] = c.orders[2]
	s.UntrackedPurchases = c.untracked
	s.RepeatOrders = c.repeat
	s.Customers = int64(len(g.st.customers))
	return s
}

// Stats counts what a run generated, so that tests can check every rate.
type Stats struct {
	Sessions           int64 // all sessions
	SignupSessions     int64 // a user's session at sign-up
	RegisteredSessions int64 // a registered user's visit at the base rate
	ReturningSessions  int64 // a customer's extra visit after a purchase (ReturnBoost)
	AnonymousSessions  int64 // sessions that start anonymous
	CampaignSessions   int64 // sessions that started while a campaign ran
	Logins             int64 // anonymous sessions that logged in at checkout

	Events       int64                      // events yielded (tracked purchases included)
	EventsByType map[stream.EventType]int64 // every type present, 0 if none

	Orders             int64            // orders created (one per purchase, tracked or not)
	OrdersByStatus     map[string]int64 // completed, cancelled, refunded
	UntrackedPurchases int64            // purchases with an order but no event (TrackingLoss)
	RepeatOrders       int64            // orders of a user who had already ordered in the run
	Customers          int64            // users with at least one order in the run

	HostileProducts   int // products with a hostile title
	PriceChanges      int // price changes over the run
	WithdrawnProducts int // products withdrawn during the run
	NewProducts       int // products listed during the run
	CampaignsApplied  int // campaigns that intersect the run
}

// Order statuses. The final status is drawn when the order is created.
const (
	StatusCancelled = "cancelled"
	StatusRefunded  = "refunded"
)

// session kinds, for the counts.
const (
	kindSignup = iota
	kindRegistered
	kindReturning
	kindAnonymous
)

// runState is what a run of Events changes.
type runState struct {
	h         eventHeap
	lastBuy   []int32 // per user index: seconds since Start of the last purchase, +1; 0: never
	buys      []uint8 // per user index: purchases in the run, saturating
	customers []int32 // user indices, in order of first purchase
	orders    []Order
	nextOrder int64
	ints      []int64
	cents     []money.Cents
	counts    struct {
		sessions         [4]int64
		campaignSessions int64
		logins           int64
		events           [6]int64
		orders           [3]int64
		untracked        int64
		repeat           int64
	}
	// the day being generated
	day      int
	dayEnd   int64 // Unix ms of the next midnight
	listed   alias
	listedOK bool // listed holds the products of a day whose catalogue equals today's
	scratch  []int32
	// garble draws the garbled dimensions, in the order events are yielded.
	garble *rand.Rand
}

// pending is an event generated but not yet yielded.
type pending struct {
	t       int64 // Unix ms
	id      string
	sid     string
	anon    string
	uid     int64 // 0: anonymous
	pid     int64 // 0: none
	qty     int64 // 0: none
	price   money.Cents
	hasP    bool
	typ     uint8 // index in stream.EventTypes
	tracked bool
	order   *Order       // purchase only
	dims    *sessionDims // the session's dimensions (contract version 2)
}

func (a *pending) less(b *pending) bool {
	return a.t < b.t || a.t == b.t && a.id < b.id
}

// eventHeap is a min-heap of pending events by (t, id).
type eventHeap []pending

func (h *eventHeap) push(p pending) {
	*h = append(*h, p)
	s := *h
	i := len(s) - 1
	for i > 0 {
		j := (i - 1) / 2
		if !s[i].less(&s[j]) {
			break
		}
		s[i], s[j] = s[j], s[i]
		i = j
	}
}

func (h *eventHeap) pop() pending {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = pending{}
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].less(&s[l]) {
			m = r
		}
		if !s[m].less(&s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// Rates of the arrival process, per day; see the package doc.
const (
	// UserSessionRate is the mean number of sessions per day of a
	// registered user (before rhythm, campaigns and Traffic). A user's own
	// rate is this × its activity level (1, 2 or 4) / 1.6.
	UserSessionRate = 0.30
	// ReturnBoost is the extra session rate per day of a customer right
	// after a purchase, × a loyalty factor 1 + 0.5×min(purchases-1, 3); it
	// decays as exp(-age/ReturnDecay).
	ReturnBoost = 0.6
	// ReturnDecay is the e-folding time of ReturnBoost.
	ReturnDecay = 7 * 24 * time.Hour
	maxLoyalty  = 2.5
)

const dayMs = int64(24 * time.Hour / time.Millisecond)

// Events yields the run's events in (EventTime, EventID) order, stopping
// early if yield returns false. Orders are created as their purchases are
// reached (see OnOrder and Orders); a purchase lost to TrackingLoss creates
// its order and yields nothing. Each call restarts the run.
//
// Event pointer fields point into shared blocks: they must not be modified.
func (g *Generator) Events(yield func(stream.Event) bool) {
	n := len(g.created)
	g.st = &runState{
		lastBuy: make([]int32, n),
		buys:    make([]uint8, n),
		day:     -1,
		garble:  rng.New(g.cfg.Seed, "sim/dims/garble"),
	}
	st := g.st
	traffic := g.cfg.Traffic
	signup := g.firstNew
	users := 0 // users existing at the current piece's start
	pi := 0
	for d := range g.cfg.Days {
		r := rng.New(g.cfg.Seed, fmt.Sprintf("sim/sessions/day-%d", d))
		ids := rng.New(g.cfg.Seed, fmt.Sprintf("sim/ids/day-%d", d))
		g.startDay(d)
		s := sessionGen{g: g, st: st, r: r, ids: ids, dims: dimsGen{g: g, r: rng.New(g.cfg.Seed, fmt.Sprintf("sim/dims/day-%d", d))}}
		for ; pi < len(g.ps) && g.ps[pi].from < st.dayEnd; pi++ {
			p := g.ps[pi]
			for users < n && g.created[users] < p.from {
				users++
			}
			customers := len(st.customers)
			f := p.factor * traffic / float64(dayMs)
			lReg := float64(users) * UserSessionRate * maxActivity / meanActivity * f
			lRet := float64(customers) * ReturnBoost * maxLoyalty * f
			lAnon := float64(users+1) * AnonPerUser * f
			total := lReg + lRet + lAnon
			inCampaign := g.inCampaign(p.from)
			t := float64(p.from)
			for {
				t += r.ExpFloat64() / total
				at := int64(t)
				if t >= float64(p.to) {
					at = p.to
				}
				for signup < n && g.created[signup] < at {
					ts := g.created[signup]
					if !g.flush(ts, yield) {
						return
					}
					id := int64(signup + 1)
					s.run(ts, id, g.uk.device(id, 0), kindSignup, inCampaign)
					signup++
				}
				if at >= p.to {
					break
				}
				if !g.flush(at, yield) {
					return
				}
				x := r.Float64() * total
				switch {
				case x < lReg:
					i := r.IntN(users)
					id := int64(i + 1)
					if r.IntN(maxActivity) >= g.uk.activity(id) {
						continue
					}
					dev := g.uk.device(id, r.IntN(g.uk.deviceCount(id)))
					s.run(at, id, dev, kindRegistered, inCampaign)
				case x < lReg+lRet:
					i := st.customers[r.IntN(customers)]
					age := float64(at-(g.start+int64(st.lastBuy[i]-1)*1000)) / float64(ReturnDecay/time.Millisecond)
					loyal := 1 + 0.5*float64(min(st.buys[i]-1, 3))
					if r.Float64() >= math.Exp(-age)*loyal/maxLoyalty {
						continue
					}
					id := int64(i + 1)
					dev := g.uk.device(id, r.IntN(g.uk.deviceCount(id)))
					s.run(at, id, dev, kindReturning, inCampaign)
				default:
					s.run(at, 0, newUUID(ids), kindAnonymous, inCampaign)
				}
			}
		}
	}
	g.flush(math.MaxInt64, yield)
}

// inCampaign reports whether a campaign runs at ms.
func (g *Generator) inCampaign(ms int64) bool {
	if len(g.cfg.Campaigns) == 0 {
		return false
	}
	t := time.UnixMilli(ms)
	for _, k := range g.cfg.Campaigns {
		if k.active(t) {
			return true
		}
	}
	return false
}

// flush yields the pending events before t. It returns false if yield did.
func (g *Generator) flush(t int64, yield func(stream.Event) bool) bool {
	st := g.st
	for len(st.h) > 0 && st.h[0].t < t {
		p := st.h.pop()
		if !g.yieldOne(&p, yield) {
			return false
		}
	}
	return true
}

// yieldOne turns p into an event and yields it; a purchase creates its
// order first.
func (g *Generator) yieldOne(p *pending, yield func(stream.Event) bool) bool {
	st := g.st
	et := time.UnixMilli(p.t).UTC()
	var orderID *int64
	if o := p.order; o != nil {
		st.nextOrder++
		o.ID, o.Date = st.nextOrder, et
		i := o.UserID - 1
		if st.buys[i] > 0 {
			st.counts.repeat++
		} else {
			st.customers = append(st.customers, int32(i))
		}
		st.buys[i] = min(st.buys[i], 254) + 1
		st.lastBuy[i] = int32((p.t-g.start)/1000) + 1
		if g.cfg.OrderLifecycle {
			o.Changes = lifecycle(g.life, *o, g.cfg.PartialRefundRate)
		}
		switch o.Status {
		case StatusCancelled:
			st.counts.orders[1]++
		case StatusRefunded:
			st.counts.orders[2]++
		default:
			st.counts.orders[0]++
		}
		if g.OnOrder != nil {
			g.OnOrder(*o)
		} else {
			st.orders = append(st.orders, *o)
		}
		if !p.tracked {
			st.counts.untracked++
			return true
		}
		orderID = g.int(o.ID)
	}
	e := stream.Event{
		EventID:       p.id,
		EventType:     stream.EventTypes[p.typ],
		EventTime:     et,
		SessionID:     p.sid,
		AnonymousID:   p.anon,
		OrderID:       orderID,
		SchemaVersion: stream.SchemaVersion,
	}
	if p.uid != 0 {
		e.UserID = g.int(p.uid)
	}
	if p.pid != 0 {
		e.ProductID = g.int(p.pid)
	}
	if p.qty != 0 {
		e.Quantity = g.int(p.qty)
	}
	if p.hasP {
		e.Price = g.cent(p.price)
	}
	g.setDimensions(&e, p, st.garble)
	st.counts.events[p.typ]++
	return yield(e)
}

const slabSize = 1024

// int returns a pointer to v in a shared block (fewer allocations than new).
func (g *Generator) int(v int64) *int64 {
	st := g.st
	if len(st.ints) == 0 {
		st.ints = make([]int64, slabSize)
	}
	p := &st.ints[0]
	*p = v
	st.ints = st.ints[1:]
	return p
}

func (g *Generator) cent(v money.Cents) *money.Cents {
	st := g.st
	if len(st.cents) == 0 {
		st.cents = make([]money.Cents, slabSize)
	}
	p := &st.cents[0]
	*p = v
	st.cents = st.cents[1:]
	return p
}

// startDay prepares day d: its end, and the products listed at its start.
func (g *Generator) startDay(d int) {
	st := g.st
	st.day = d
	ds := g.start + int64(d)*dayMs
	st.dayEnd = ds + dayMs
	if st.listedOK && !g.cat.changesOn(ds) {
		return
	}
	t := time.UnixMilli(ds).UTC()
	st.scratch = st.scratch[:0]
	for i := range g.cat.products {
		if g.cat.products[i].listedAt(t) {
			st.scratch = append(st.scratch, int32(i))
		}
	}
	st.listed.build(st.scratch, g.cat.weight)
	st.listedOK = true
}
