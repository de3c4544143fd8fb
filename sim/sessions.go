package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/stream"
)

// Behaviour rates of the clickstream generator. Each is the probability of a
// step given the previous one, drawn once per session unless stated.
const (
	// PUserSession is the old name of UserSessionRate: the mean number of
	// sessions per day of a registered user.
	PUserSession = UserSessionRate
	// AnonPerUser is the mean number of anonymous sessions per day per
	// registered user (plus one user, so that a shop without users still
	// has visitors), before rhythm, campaigns and Traffic.
	AnonPerUser = 0.5
	// PViewProduct: a session views 1 to 4 products after its page_view
	// (a returning customer's session: PViewProductReturning, 1 to 5).
	PViewProduct          = 0.60
	PViewProductReturning = 0.75
	// PRemoveFromCart: a session with a cart removes one line.
	PRemoveFromCart = 0.15
	// PBeginCheckout: a session with a non-empty cart begins checkout.
	PBeginCheckout = 0.50
	// PAnonLogin: an anonymous session that begins checkout logs in as an
	// existing user (user_id set from begin_checkout on); otherwise it emits
	// an anonymous begin_checkout and abandons.
	PAnonLogin = 0.80
	// PPurchase: a logged-in session that began checkout purchases, × a cart
	// factor (100.00 / cart value)^0.15 within [0.7, 1.15]: small carts
	// convert better.
	PPurchase = 0.60
	// ReturningAddFactor multiplies a returning customer's chance to add a
	// viewed product to the cart.
	ReturningAddFactor = 1.5
)

// gapMs draws a pause between two events of a session, in [lo, hi)
// milliseconds.
func gapMs(r *rand.Rand, lo, hi time.Duration) int64 {
	l, h := int64(lo/time.Millisecond), int64(hi/time.Millisecond)
	return l + r.Int64N(h-l)
}

// sessionGen generates sessions of one day into the Generator's heap.
type sessionGen struct {
	g    *Generator
	st   *runState
	r    *rand.Rand // behaviour: "sim/sessions/day-N"
	ids  *rand.Rand // ids: "sim/ids/day-N"
	dims dimsGen    // dimensions: "sim/dims/day-N"

	// the session being generated
	t    int64
	sid  string
	anon string
	uid  int64
	d    *sessionDims
}

// push schedules an event of the current session at s.t. It returns false,
// and schedules nothing, if s.t is at or after the end of the run.
func (s *sessionGen) push(p pending) bool {
	if s.t >= s.g.end {
		return false
	}
	p.t, p.sid, p.anon, p.uid, p.dims = s.t, s.sid, s.anon, s.uid, s.d
	p.id = newUUID(s.ids)
	s.st.h.push(p)
	return true
}

// run generates one session starting at start (Unix ms) for user uid (0:
// anonymous) on device.
func (s *sessionGen) run(start, uid int64, device string, kind int, inCampaign bool) {
	g, st, r := s.g, s.st, s.r
	st.counts.sessions[kind]++
	if inCampaign {
		st.counts.campaignSessions++
	}
	s.t, s.sid, s.anon, s.uid = start, newUUID(s.ids), device, uid
	s.d = s.dims.draw(start, uid, device, kind)
	returning := kind == kindReturning
	if !s.push(pending{typ: 0}) { // page_view
		return
	}

	pView, maxViews := PViewProduct, 4
	if returning {
		pView, maxViews = PViewProductReturning, 5
	}
	if r.Float64() >= pView || st.listed.n() == 0 {
		return
	}
	var viewedBuf [5]int32
	viewed := viewedBuf[:0]
	for range 1 + r.IntN(maxViews) {
		i := st.listed.draw(r)
		s.t += gapMs(r, 5*time.Second, 3*time.Minute)
		price, ok := s.priceAt(i)
		if !ok {
			continue // withdrawn at a midnight the session crossed
		}
		if !s.push(pending{typ: 1, pid: int64(i + 1), price: price, hasP: true}) {
			return
		}
		if !slices.Contains(viewed, i) {
			viewed = append(viewed, i)
		}
	}

	var cartBuf [5]Line
	cart := cartBuf[:0]
	for _, i := range viewed {
		pAdd := g.cat.pAdd[i]
		if returning {
			pAdd *= ReturningAddFactor
		}
		if r.Float64() >= pAdd {
			continue
		}
		q := int64(1)
		if r.IntN(4) == 0 {
			q = 2 + r.Int64N(2)
		}
		s.t += gapMs(r, 5*time.Second, time.Minute)
		price, ok := s.priceAt(i)
		if !ok {
			continue
		}
		if !s.push(pending{typ: 2, pid: int64(i + 1), qty: q, price: price, hasP: true}) {
			return
		}
		cart = append(cart, Line{ProductID: int64(i + 1), Quantity: q})
	}
	if len(cart) == 0 {
		return
	}

	if r.Float64() < PRemoveFromCart {
		k := r.IntN(len(cart))
		l := cart[k]
		s.t += gapMs(r, 5*time.Second, 2*time.Minute)
		price, _ := s.priceAt(int32(l.ProductID - 1))
		if !s.push(pending{typ: 3, pid: l.ProductID, qty: l.Quantity, price: price, hasP: true}) {
			return
		}
		cart = slices.Delete(cart, k, k+1)
		if len(cart) == 0 {
			return
		}
	}

	if r.Float64() >= PBeginCheckout {
		return
	}
	s.t += gapMs(r, 20*time.Second, 5*time.Minute)
	total, ok := s.cartTotal(cart)
	if !ok {
		return // a product of the cart was withdrawn: abandoned
	}
	if s.uid == 0 {
		login := r.Float64() < PAnonLogin
		n, _ := slices.BinarySearch(g.created, s.t+1) // users with CreatedAt <= t
		if login && n > 0 {
			s.uid = int64(r.IntN(n) + 1)
			st.counts.logins++
		} else {
			s.push(pending{typ: 4, price: total, hasP: true})
			return
		}
	}
	if !s.push(pending{typ: 4, price: total, hasP: true}) {
		return
	}

	if r.Float64() >= PPurchase*min(1.15, max(0.7, math.Pow(10000/float64(max(total, 1)), 0.15))) {
		return
	}
	s.t += gapMs(r, 30*time.Second, 5*time.Minute)
	tracked := r.Float64() >= g.cfg.TrackingLoss
	status := StatusCompleted
	switch x := r.Float64(); {
	case x < g.cfg.CancelRate:
		status = StatusCancelled
	case x < g.cfg.CancelRate+g.cfg.RefundRate:
		status = StatusRefunded
	}
	total, ok = s.cartTotal(cart)
	if !ok {
		return
	}
	o := &Order{UserID: s.uid, Lines: slices.Clone(cart), Status: status}
	s.push(pending{typ: 5, price: total, hasP: true, order: o, tracked: tracked})
}

// priceAt returns the price of product index i at s.t, or false if it is
// not listed then. Listings change only at midnight, so only a session that
// crossed one needs the check.
func (s *sessionGen) priceAt(i int32) (money.Cents, bool) {
	p := &s.g.cat.products[i]
	if len(p.Prices) == 0 && s.t < s.st.dayEnd {
		return p.Price, true
	}
	t := time.UnixMilli(s.t).UTC()
	if s.t >= s.st.dayEnd && !p.listedAt(t) {
		return 0, false
	}
	price, _ := p.priceAt(t)
	return price, true
}

// cartTotal returns the value of cart at s.t, or false if one of its
// products is no longer listed.
func (s *sessionGen) cartTotal(cart []Line) (money.Cents, bool) {
	var sum money.Cents
	for _, l := range cart {
		price, ok := s.priceAt(int32(l.ProductID - 1))
		if !ok {
			return 0, false
		}
		sum += money.Cents(l.Quantity) * price
	}
	return sum, true
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
