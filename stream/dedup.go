package stream

import "time"

// Dedup is the consumer's bounded window of recently seen event ids. An
// event whose id is in the window is a duplicate (a producer retry, a
// client that sent twice) and is dropped before RAW.
//
// The window is bounded two ways: it holds at most MaxIDs ids, and it
// forgets an id once a record that arrived more than MaxAge after it has
// been added. Eviction is first in, first out, in the order ids were added:
// the consumer adds them in stream order, so the window's content, and what
// it drops, depend only on the records read, never on the wall clock or on
// map iteration. Age is measured on the records' arrival times
// (ApproximateArrivalTimestamp), which come from the stream.
//
// The window lives in memory: a restarted consumer starts empty, and a
// duplicate whose first copy came before the restart reaches RAW. That is
// the cheap, bounded first line of defence of DESIGN.md; the warehouse
// deduplicates again by event_id before every MERGE.
//
// A Dedup is not safe for concurrent use.
type Dedup struct {
	maxIDs int
	maxAge time.Duration
	ids    map[string]struct{}
	fifo   []dedupEntry // ring buffer, oldest at head
	head   int
	n      int
}

type dedupEntry struct {
	id string
	at time.Time
}

// Default window: 100,000 ids (about 10 MB) and one hour of arrivals, far
// beyond the seconds that separate a producer's retries.
const (
	DefaultDedupIDs = 100_000
	DefaultDedupAge = time.Hour
)

// NewDedup returns an empty window of at most maxIDs ids (DefaultDedupIDs if
// not positive) and maxAge of arrivals (DefaultDedupAge if not positive).
func NewDedup(maxIDs int, maxAge time.Duration) *Dedup {
	if maxIDs <= 0 {
		maxIDs = DefaultDedupIDs
	}
	if maxAge <= 0 {
		maxAge = DefaultDedupAge
	}
	return &Dedup{maxIDs: maxIDs, maxAge: maxAge, ids: make(map[string]struct{}), fifo: make([]dedupEntry, maxIDs)}
}

// Seen reports whether id is in the window.
func (d *Dedup) Seen(id string) bool {
	_, ok := d.ids[id]
	return ok
}

// Add puts id, which arrived at at, in the window, evicting the ids that
// are older than at minus MaxAge and then, if the window is full, the
// oldest one. Adding an id already in the window does nothing.
func (d *Dedup) Add(id string, at time.Time) {
	if d.Seen(id) {
		return
	}
	cutoff := at.Add(-d.maxAge)
	for d.n > 0 && d.fifo[d.head].at.Before(cutoff) {
		d.evict()
	}
	if d.n == d.maxIDs {
		d.evict()
	}
	d.fifo[(d.head+d.n)%d.maxIDs] = dedupEntry{id: id, at: at}
	d.n++
	d.ids[id] = struct{}{}
}

// Len returns the number of ids in the window.
func (d *Dedup) Len() int { return d.n }

func (d *Dedup) evict() {
	e := d.fifo[d.head]
	delete(d.ids, e.id)
	d.fifo[d.head] = dedupEntry{}
	d.head = (d.head + 1) % d.maxIDs
	d.n--
}
