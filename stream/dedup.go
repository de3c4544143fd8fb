package stream

import (
	"crypto/sha256"
	"time"
)

// Dedup is the consumer's bounded window of recently seen events, keyed on
// (event_id, payload): only an exact copy is a duplicate. An event whose
// key is in the window (a producer retry, a client that sent twice) is
// dropped before RAW. An event whose event_id is in the window with another
// payload is a conflict, not a duplicate: it is written to RAW like any new
// event (RAW is immutable and keeps every version) and counted, and the
// warehouse resolves the versions by one rule that does not depend on the
// order in which shards are read (models/core_events.sql).
//
// The window is bounded two ways: it holds at most MaxIDs keys, and it
// forgets a key once a record that arrived more than MaxAge after it has
// been added. Eviction is first in, first out, in the order keys were added:
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
	keys   map[Key]struct{}
	ids    map[string]int // versions of each event_id in the window
	fifo   []dedupEntry   // ring buffer, oldest at head
	head   int
	n      int
}

// Key identifies one version of an event: its event_id and the hash of its
// payload.
type Key struct {
	ID      string
	Payload PayloadSum
}

// PayloadSum is the first 16 bytes of the SHA-256 of an event's canonical
// JSON (the encoding of the parsed Event, event_time in UTC): two records
// that decode to the same event have the same sum, whatever their spacing,
// field order or time zone.
type PayloadSum [16]byte

// KeyOf returns the dedup key of e.
func KeyOf(e Event) Key {
	e.EventTime = e.EventTime.UTC()
	b, err := e.Encode()
	if err != nil {
		// An Event always encodes; a failure would make every copy of
		// it distinct, which keeps them all (never drops one).
		b = []byte(err.Error())
	}
	s := sha256.Sum256(b)
	var k Key
	k.ID = e.EventID
	copy(k.Payload[:], s[:])
	return k
}

type dedupEntry struct {
	key Key
	at  time.Time
}

// Default window: 100,000 keys (about 12 MB) and one hour of arrivals, far
// beyond the seconds that separate a producer's retries.
const (
	DefaultDedupIDs = 100_000
	DefaultDedupAge = time.Hour
)

// NewDedup returns an empty window of at most maxIDs keys (DefaultDedupIDs
// if not positive) and maxAge of arrivals (DefaultDedupAge if not positive).
func NewDedup(maxIDs int, maxAge time.Duration) *Dedup {
	if maxIDs <= 0 {
		maxIDs = DefaultDedupIDs
	}
	if maxAge <= 0 {
		maxAge = DefaultDedupAge
	}
	return &Dedup{maxIDs: maxIDs, maxAge: maxAge, keys: make(map[Key]struct{}), ids: make(map[string]int),
		fifo: make([]dedupEntry, maxIDs)}
}

// Seen reports whether k, this very version of the event, is in the window:
// a record with key k is a duplicate.
func (d *Dedup) Seen(k Key) bool {
	_, ok := d.keys[k]
	return ok
}

// Known reports whether some version of event id is in the window. A record
// whose id is Known but whose key is not Seen is a conflicting version.
func (d *Dedup) Known(id string) bool { return d.ids[id] > 0 }

// Add puts k, which arrived at at, in the window, evicting the keys that
// are older than at minus MaxAge and then, if the window is full, the
// oldest one. Adding a key already in the window does nothing.
func (d *Dedup) Add(k Key, at time.Time) {
	if d.Seen(k) {
		return
	}
	cutoff := at.Add(-d.maxAge)
	for d.n > 0 && d.fifo[d.head].at.Before(cutoff) {
		d.evict()
	}
	if d.n == d.maxIDs {
		d.evict()
	}
	d.fifo[(d.head+d.n)%d.maxIDs] = dedupEntry{key: k, at: at}
	d.n++
	d.keys[k] = struct{}{}
	d.ids[k.ID]++
}

// Len returns the number of keys in the window.
func (d *Dedup) Len() int { return d.n }

func (d *Dedup) evict() {
	e := d.fifo[d.head]
	delete(d.keys, e.key)
	if d.ids[e.key.ID]--; d.ids[e.key.ID] <= 0 {
		delete(d.ids, e.key.ID)
	}
	d.fifo[d.head] = dedupEntry{}
	d.head = (d.head + 1) % d.maxIDs
	d.n--
}
