package sim

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/stream"
)

// The rng streams of a pass. Decisions and values of one anomaly have their
// own streams, so that changing a distribution moves no decision and
// changing one rate moves no other anomaly's decisions (the timing draw is
// shared by the four exclusive timing anomalies).
const (
	anomalyStreamTiming    = "sim/anomalies/timing"
	anomalyStreamLate      = "sim/anomalies/late/delay"
	anomalyStreamFuture    = "sim/anomalies/future/skew"
	anomalyStreamPast      = "sim/anomalies/past/skew"
	anomalyStreamConflict  = "sim/anomalies/conflict"
	anomalyStreamGap       = "sim/anomalies/conflict/gap"
	anomalyStreamDuplicate = "sim/anomalies/duplicate"
	anomalyStreamCopies    = "sim/anomalies/duplicate/copies"
	anomalyStreamMalformed = "sim/anomalies/malformed"
	anomalyStreamJunk      = "sim/anomalies/malformed/record"
)

// Deliveries returns what the clients send for events, which must be in
// event_time order. Each range over the result is a new pass from the start
// of events (it resets Counts and Err) and reads events lazily: it holds
// only the delayed records (late, held back, duplicate copies) in a
// min-heap. Stopping the range early is fine; Counts then describe what was
// yielded.
//
// If an event cannot be encoded (a time outside years 0..9999), the pass
// stops and Err returns the reason.
func (a *Anomalizer) Deliveries(events iter.Seq[stream.Event]) iter.Seq[Delivery] {
	return func(yield func(Delivery) bool) {
		p := a.newPass()
		for e := range events {
			t := e.EventTime
			if p.started && t.Before(p.last) {
				p.counts.InputUnordered++
				t = p.last
			}
			p.last, p.started = t, true
			if !p.flush(t, yield) { // a hold that times out at t fires before e
				return
			}
			// What e sends at t comes before everything still waiting,
			// which is due after t.
			p.now, p.nowAt = p.now[:0], t
			err := p.process(e, t)
			p.nowAt = time.Time{}
			if err != nil {
				a.err = err
				return
			}
			for _, d := range p.now {
				if !p.emit(d, yield) {
					return
				}
			}
			clear(p.now)
		}
		p.flushAll(yield)
	}
}

// Err returns the error that stopped the last pass early, or nil.
func (a *Anomalizer) Err() error { return a.err }

// heldEvent is an out-of-order event waiting for the next on-time event of
// its session.
type heldEvent struct {
	d        Delivery
	copies   int
	conflict *Delivery // its conflicting version, if any
	released bool
}

// anomalyItem is a scheduled record, or (held != nil) the timeout of a held
// event, due at d.SendAt.
type anomalyItem struct {
	d    Delivery
	seq  uint64
	held *heldEvent
}

type anomalyPass struct {
	cfg    *AnomalyConfig
	counts *AnomalyCounts
	on     func(AnomalyKind, Delivery)

	timing, dup, mal, conflict           *rand.Rand // decisions: one draw per event each
	late, skew, past, gap, copies, junkR *rand.Rand // values

	heap    []anomalyItem
	seq     uint64
	now     []Delivery // scheduled at nowAt by the event being processed
	nowAt   time.Time
	held    map[string][]*heldEvent
	last    time.Time
	started bool
}

func (a *Anomalizer) newPass() *anomalyPass {
	a.counts = AnomalyCounts{MalformedByKind: map[MalformedKind]int{}}
	a.err = nil
	return &anomalyPass{
		cfg:      &a.cfg,
		counts:   &a.counts,
		on:       a.OnAnomaly,
		timing:   rng.New(a.seed, anomalyStreamTiming),
		dup:      rng.New(a.seed, anomalyStreamDuplicate),
		mal:      rng.New(a.seed, anomalyStreamMalformed),
		conflict: rng.New(a.seed, anomalyStreamConflict),
		late:     rng.New(a.seed, anomalyStreamLate),
		skew:     rng.New(a.seed, anomalyStreamFuture),
		past:     rng.New(a.seed, anomalyStreamPast),
		gap:      rng.New(a.seed, anomalyStreamGap),
		copies:   rng.New(a.seed, anomalyStreamCopies),
		junkR:    rng.New(a.seed, anomalyStreamJunk),
		held:     map[string][]*heldEvent{},
	}
}

// process schedules what the clients send for e, whose send time is t.
func (p *anomalyPass) process(e stream.Event, t time.Time) error {
	cfg := p.cfg
	p.counts.Events++

	var timing AnomalyKind
	if cfg.LateRate > 0 || cfg.OutOfOrderRate > 0 || cfg.FutureClockRate > 0 || cfg.PastClockRate > 0 {
		switch u := p.timing.Float64(); {
		case u < cfg.LateRate:
			timing = AnomalyLate
		case u < cfg.LateRate+cfg.OutOfOrderRate:
			timing = AnomalyOutOfOrder
		case u < cfg.LateRate+cfg.OutOfOrderRate+cfg.FutureClockRate:
			timing = AnomalyFutureClock
		case u < cfg.LateRate+cfg.OutOfOrderRate+cfg.FutureClockRate+cfg.PastClockRate:
			timing = AnomalyPastClock
		}
	}
	copies := 0
	if cfg.DuplicateRate > 0 && p.dup.Float64() < cfg.DuplicateRate {
		copies = 1 + p.copies.IntN(cfg.DuplicateCopies)
	}
	conflicting := cfg.ConflictRate > 0 && p.conflict.Float64() < cfg.ConflictRate
	malformed := cfg.MalformedRate > 0 && p.mal.Float64() < cfg.MalformedRate

	if malformed && cfg.MalformedReplaces {
		d, err := p.junk(e, t, e.EventID)
		if err != nil {
			return err
		}
		p.push(d, nil)
		return nil
	}

	ev := e
	d := Delivery{
		SendAt:        t,
		PartitionKey:  e.SessionID,
		EventID:       e.EventID,
		SourceEventID: e.EventID,
		EventTime:     e.EventTime,
		Anomalies:     timing,
	}
	switch timing {
	case AnomalyFutureClock:
		d.Skew = cfg.FutureSkew.sample(p.skew)
		ev.EventTime = ev.EventTime.Add(d.Skew)
	case AnomalyPastClock:
		d.Skew = -toMillis(cfg.PastSkew.sample(p.past))
		ev.EventTime = ev.EventTime.Add(d.Skew)
	case AnomalyLate:
		d.SendAt = t.Add(cfg.LateDelay.sample(p.late))
	}
	data, err := ev.Encode()
	if err != nil {
		return fmt.Errorf("anomalies: encode event %s: %w", e.EventID, err)
	}
	d.Data = data
	var conflict *Delivery
	if conflicting {
		if conflict, err = p.conflictOf(d, ev); err != nil {
			return err
		}
	}

	switch timing {
	case AnomalyOutOfOrder:
		h := &heldEvent{d: d, copies: copies, conflict: conflict}
		p.held[e.SessionID] = append(p.held[e.SessionID], h)
		timeout := d
		timeout.SendAt = t.Add(cfg.OutOfOrderWindow)
		p.push(timeout, h)
	case AnomalyLate:
		p.push(d, nil)
		p.pushFollowers(d, copies, conflict)
	default: // sent now: it overtakes the held events of its session
		p.push(d, nil)
		p.pushFollowers(d, copies, conflict)
		for _, h := range p.held[e.SessionID] {
			h.released = true
			h.d.SendAt = t
			p.push(h.d, nil)
			p.pushFollowers(h.d, h.copies, h.conflict)
		}
		delete(p.held, e.SessionID)
	}

	if malformed {
		j, err := p.junk(e, t, rng.UUID(p.junkR))
		if err != nil {
			return err
		}
		p.push(j, nil)
	}
	return nil
}

// conflictOf returns the conflicting version of d, the first send of ev:
// the same event re-stamped ConflictGap later. Its SendAt is set when d's
// send time is final (pushFollowers).
func (p *anomalyPass) conflictOf(d Delivery, ev stream.Event) (*Delivery, error) {
	gap := toMillis(p.cfg.ConflictGap.sample(p.gap))
	ev.EventTime = ev.EventTime.Add(gap)
	data, err := ev.Encode()
	if err != nil {
		return nil, fmt.Errorf("anomalies: encode conflicting version of %s: %w", ev.EventID, err)
	}
	c := d
	c.Data = data
	c.Restamp = gap
	c.Anomalies = AnomalyConflict | d.Anomalies&(AnomalyFutureClock|AnomalyPastClock)
	return &c, nil
}

// pushFollowers schedules what follows the send of d: its n extra copies
// and its conflicting version, if any, ConflictGap (its Restamp) after d.
func (p *anomalyPass) pushFollowers(d Delivery, n int, conflict *Delivery) {
	p.pushCopies(d, n)
	if conflict != nil {
		c := *conflict
		c.SendAt = d.SendAt.Add(c.Restamp)
		p.push(c, nil)
	}
}

// pushCopies schedules n extra copies of d, each DuplicateGap after the
// previous send.
func (p *anomalyPass) pushCopies(d Delivery, n int) {
	at := d.SendAt
	for i := 1; i <= n; i++ {
		at = at.Add(p.cfg.DuplicateGap.sample(p.copies))
		c := d
		c.SendAt = at
		c.Data = slices.Clone(d.Data)
		c.Anomalies |= AnomalyDuplicate
		c.Copy = i
		p.push(c, nil)
	}
}

// flush yields every scheduled record due at or before limit. It returns
// false if the consumer stopped.
func (p *anomalyPass) flush(limit time.Time, yield func(Delivery) bool) bool {
	for len(p.heap) > 0 && !p.heap[0].d.SendAt.After(limit) {
		if !p.popAndEmit(yield) {
			return false
		}
	}
	return true
}

func (p *anomalyPass) flushAll(yield func(Delivery) bool) {
	for len(p.heap) > 0 {
		if !p.popAndEmit(yield) {
			return
		}
	}
}

func (p *anomalyPass) popAndEmit(yield func(Delivery) bool) bool {
	it := p.pop()
	if h := it.held; h != nil {
		if h.released {
			return true
		}
		// The session had no on-time event within the window: send it now,
		// delayed but not overtaken.
		h.released = true
		key := h.d.PartitionKey
		p.held[key] = slices.DeleteFunc(p.held[key], func(x *heldEvent) bool { return x == h })
		if len(p.held[key]) == 0 {
			delete(p.held, key)
		}
		p.counts.OutOfOrderTimedOut++
		h.d.SendAt = it.d.SendAt
		if !p.emit(h.d, yield) {
			return false
		}
		p.pushFollowers(h.d, h.copies, h.conflict)
		return true
	}
	return p.emit(it.d, yield)
}

// emit counts d, tells OnAnomaly, and yields d.
func (p *anomalyPass) emit(d Delivery, yield func(Delivery) bool) bool {
	c := p.counts
	c.Deliveries++
	switch {
	case d.Anomalies&AnomalyMalformed != 0:
		c.Malformed++
		c.MalformedByKind[d.Malformed]++
		if p.cfg.MalformedReplaces {
			c.MalformedReplaced++
		}
	case d.Anomalies&AnomalyConflict != 0:
		c.Conflicts++
	case d.Copy > 0:
		c.Duplicates++
		if d.Copy == 1 {
			c.DuplicatedEvents++
		}
	default:
		c.ValidEvents++
		switch {
		case d.Anomalies&AnomalyLate != 0:
			c.Late++
			delay := d.SendAt.Sub(d.EventTime)
			c.MaxLateDelay = max(c.MaxLateDelay, delay)
			if p.cfg.LateThreshold > 0 && delay > p.cfg.LateThreshold {
				c.LateBeyondThreshold++
			}
		case d.Anomalies&AnomalyOutOfOrder != 0:
			c.OutOfOrder++
		case d.Anomalies&AnomalyFutureClock != 0:
			c.Future++
			c.MaxFutureSkew = max(c.MaxFutureSkew, d.Skew)
		case d.Anomalies&AnomalyPastClock != 0:
			c.Past++
			c.MaxPastSkew = max(c.MaxPastSkew, -d.Skew)
		}
	}
	if p.on != nil {
		for _, k := range AnomalyKinds {
			if d.Anomalies&k != 0 {
				p.on(k, d)
			}
		}
	}
	return yield(d)
}

// The min-heap of scheduled records, by (SendAt, seq): ties go in the order
// they were scheduled.

func (p *anomalyPass) push(d Delivery, h *heldEvent) {
	p.seq++
	if h == nil && !p.nowAt.IsZero() && d.SendAt.Equal(p.nowAt) {
		p.now = append(p.now, d)
		return
	}
	p.heap = append(p.heap, anomalyItem{d: d, seq: p.seq, held: h})
	i := len(p.heap) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !p.less(i, parent) {
			break
		}
		p.heap[i], p.heap[parent] = p.heap[parent], p.heap[i]
		i = parent
	}
}

func (p *anomalyPass) pop() anomalyItem {
	h := p.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = anomalyItem{}
	p.heap = h[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && p.less(l, m) {
			m = l
		}
		if r < n && p.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		p.heap[i], p.heap[m] = p.heap[m], p.heap[i]
		i = m
	}
	return top
}

func (p *anomalyPass) less(i, j int) bool {
	a, b := &p.heap[i], &p.heap[j]
	if c := a.d.SendAt.Compare(b.d.SendAt); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// toMillis truncates d to the millisecond, the precision of the
// simulator's event times, keeping it at least a millisecond: a clock
// behind or a re-stamp moves an event_time to a time a warehouse stores
// exactly.
func toMillis(d time.Duration) time.Duration {
	return max(d.Truncate(time.Millisecond), time.Millisecond)
}
