package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// AnomalyKind says what the Anomalizer did to a Delivery. It is a bit set: a
// duplicate copy of a late event is Duplicate|Late.
type AnomalyKind uint8

// The anomalies of a Delivery.
const (
	// AnomalyDuplicate marks an extra copy of an event: same event_id, same
	// payload bytes, sent after the original.
	AnomalyDuplicate AnomalyKind = 1 << iota
	// AnomalyLate marks an event sent at event_time + a delay drawn from
	// AnomalyConfig.LateDelay. Its payload is unchanged.
	AnomalyLate
	// AnomalyOutOfOrder marks an event held back by the client and sent just
	// after the next on-time event of its session (or, if none comes within
	// OutOfOrderWindow, at event_time + OutOfOrderWindow).
	AnomalyOutOfOrder
	// AnomalyFutureClock marks an event whose client clock runs ahead: its
	// payload's event_time is the true time plus a skew drawn from
	// AnomalyConfig.FutureSkew; it is sent at the true time.
	AnomalyFutureClock
	// AnomalyMalformed marks a record that breaks the event contract (see
	// MalformedKind). It is never a valid event.
	AnomalyMalformed
	// AnomalyPastClock marks an event whose client clock runs behind: its
	// payload's event_time is the true time minus a skew drawn from
	// AnomalyConfig.PastSkew; it is sent at the true time.
	AnomalyPastClock
	// AnomalyConflict marks a conflicting version of an event: the same
	// event_id with another payload, the event resent by a client that
	// re-stamped it (its event_time moved by the gap between the sends).
	AnomalyConflict
)

// AnomalyKinds lists every AnomalyKind bit, in the order String writes them.
var AnomalyKinds = []AnomalyKind{AnomalyDuplicate, AnomalyLate, AnomalyOutOfOrder, AnomalyFutureClock, AnomalyMalformed, AnomalyPastClock, AnomalyConflict}

var anomalyNames = map[AnomalyKind]string{
	AnomalyDuplicate:   "duplicate",
	AnomalyLate:        "late",
	AnomalyOutOfOrder:  "out_of_order",
	AnomalyFutureClock: "future_clock",
	AnomalyMalformed:   "malformed",
	AnomalyPastClock:   "past_clock",
	AnomalyConflict:    "conflict",
}

// Has reports whether every bit of b is set in k.
func (k AnomalyKind) Has(b AnomalyKind) bool { return k&b == b }

// String writes the set bits joined by "|", in the order of AnomalyKinds
// ("duplicate|late"), or "none" if k is 0.
func (k AnomalyKind) String() string {
	if k == 0 {
		return "none"
	}
	var parts []string
	for _, b := range AnomalyKinds {
		if k&b != 0 {
			parts = append(parts, anomalyNames[b])
		}
	}
	if rest := k &^ (AnomalyDuplicate | AnomalyLate | AnomalyOutOfOrder | AnomalyFutureClock | AnomalyMalformed | AnomalyPastClock | AnomalyConflict); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

// MalformedKind is one way a buggy client breaks the event contract.
type MalformedKind string

// The malformed records the Anomalizer can send. Each is built from a real
// event of the input, so it looks like that event gone wrong.
const (
	// MalformedInvalidJSON is not one JSON value: the event's JSON truncated,
	// with single quotes, with a trailing comma, with a UTF-8 byte order
	// mark, or two objects glued together. json.Valid reports false.
	MalformedInvalidJSON MalformedKind = "invalid_json"
	// MalformedMissingField lacks a required field: event_id, event_time,
	// session_id or schema_version, or product_id on a product or cart
	// event, or order_id on a purchase. It decodes into a stream.Event;
	// Validate rejects it.
	MalformedMissingField MalformedKind = "missing_field"
	// MalformedWrongType has a field of the wrong JSON type ("user_id":"abc",
	// "price":"12.30", "quantity":"2", "event_time":1767225600000, ...).
	// Decoding it into a stream.Event fails.
	MalformedWrongType MalformedKind = "wrong_type"
	// MalformedUnknownEventType has an event_type outside stream.EventTypes
	// ("page_veiw", "PURCHASE", "refund", ""). It decodes; Validate rejects it.
	MalformedUnknownEventType MalformedKind = "unknown_event_type"
	// MalformedOversized is longer than stream.MaxRecordBytes (1 MiB): the
	// event with its anonymous_id padded. It is otherwise a valid event, so
	// only a size check catches it (Kinesis refuses it at PutRecord).
	MalformedOversized MalformedKind = "oversized"
)

// MalformedKinds lists every MalformedKind; it is the default of
// AnomalyConfig.MalformedKinds.
var MalformedKinds = []MalformedKind{MalformedInvalidJSON, MalformedMissingField, MalformedWrongType, MalformedUnknownEventType, MalformedOversized}

// DelayKind names the shape of a DelayDist.
type DelayKind string

// The shapes of a DelayDist.
const (
	// DelayFixed is always Mean.
	DelayFixed DelayKind = "fixed"
	// DelayUniform is uniform on [Min, Max].
	DelayUniform DelayKind = "uniform"
	// DelayExponential is Min plus an exponential draw of mean Mean-Min, so
	// that its mean is Mean; draws above Max are set to Max (a cap, not a
	// resample). Max 0 means MaxAnomalyDelay.
	DelayExponential DelayKind = "exponential"
)

// MaxAnomalyDelay bounds every delay and skew the Anomalizer draws, so that
// a mistyped configuration cannot overflow a time.
const MaxAnomalyDelay = 366 * 24 * time.Hour

// DelayDist is a distribution of durations (lateness, clock skew, gaps). The
// zero value means "the default of the field it is in" (see
// DefaultAnomalyConfig).
type DelayDist struct {
	Kind DelayKind
	Mean time.Duration // fixed: the value; exponential: the mean
	Min  time.Duration // uniform and exponential: the least value
	Max  time.Duration // uniform: the greatest value; exponential: the cap (0: MaxAnomalyDelay)
}

// ExpectedMean returns the mean of the distribution, taking the exponential
// cap into account: Min + m(1 - exp(-(Max-Min)/m)) with m = Mean-Min.
func (d DelayDist) ExpectedMean() time.Duration {
	switch d.Kind {
	case DelayFixed:
		return d.Mean
	case DelayUniform:
		return d.Min + (d.Max-d.Min)/2
	case DelayExponential:
		m := float64(d.Mean - d.Min)
		if m <= 0 {
			return d.Min
		}
		span := float64(d.capOrMax() - d.Min)
		return d.Min + time.Duration(m*(1-math.Exp(-span/m)))
	}
	return 0
}

func (d DelayDist) capOrMax() time.Duration {
	if d.Max == 0 {
		return MaxAnomalyDelay
	}
	return d.Max
}

// sample draws one duration from d, which must be valid.
func (d DelayDist) sample(r *rand.Rand) time.Duration {
	switch d.Kind {
	case DelayFixed:
		return d.Mean
	case DelayUniform:
		if d.Max <= d.Min {
			return d.Min
		}
		return d.Min + time.Duration(r.Int64N(int64(d.Max-d.Min)+1))
	case DelayExponential:
		hi := d.capOrMax()
		x := r.ExpFloat64() * float64(d.Mean-d.Min)
		if x >= float64(hi-d.Min) {
			return hi
		}
		return d.Min + time.Duration(x)
	}
	return 0
}

// problems appends to probs what is wrong with d, naming it field.
func (d DelayDist) problems(field string, probs []string) []string {
	bad := func(format string, args ...any) {
		probs = append(probs, field+": "+fmt.Sprintf(format, args...))
	}
	for _, v := range []struct {
		name string
		d    time.Duration
	}{{"Mean", d.Mean}, {"Min", d.Min}, {"Max", d.Max}} {
		if v.d < 0 || v.d > MaxAnomalyDelay {
			bad("%s %s is outside 0..%s", v.name, v.d, MaxAnomalyDelay)
		}
	}
	switch d.Kind {
	case DelayFixed:
	case DelayUniform:
		if d.Max < d.Min {
			bad("Max %s is less than Min %s", d.Max, d.Min)
		}
	case DelayExponential:
		if d.Mean <= d.Min {
			bad("Mean %s must be greater than Min %s", d.Mean, d.Min)
		}
		if d.Max != 0 && d.Max <= d.Min {
			bad("Max %s must be 0 (no cap) or greater than Min %s", d.Max, d.Min)
		}
	default:
		bad("Kind %q is not one of %q, %q, %q", d.Kind, DelayFixed, DelayUniform, DelayExponential)
	}
	return probs
}

// AnomalyConfig says which anomalies an Anomalizer injects and how often.
// Rates are probabilities in [0, 1], drawn per input event. The four timing
// anomalies (late, out of order, future clock, past clock) are mutually
// exclusive: one draw per event picks at most one of them, so LateRate +
// OutOfOrderRate + FutureClockRate + PastClockRate must be at most 1 and
// each is exactly the expected share of events that get it. Duplicates,
// conflicting versions and malformed records are drawn independently and
// combine with anything.
//
// A zero DelayDist field takes its value from DefaultAnomalyConfig.
type AnomalyConfig struct {
	// DuplicateRate is the share of events sent more than once. A duplicated
	// event gets 1..DuplicateCopies extra copies (uniformly), each sent
	// DuplicateGap after the previous send of it.
	DuplicateRate   float64
	DuplicateCopies int // 0 means 1
	DuplicateGap    DelayDist

	// LateRate is the share of events sent late: at event_time + a delay
	// drawn from LateDelay, with their payload unchanged.
	LateRate  float64
	LateDelay DelayDist
	// LateThreshold, if positive, makes AnomalyCounts.LateBeyondThreshold
	// count the late events whose delay exceeds it (for instance the
	// pipeline's allowed lateness).
	LateThreshold time.Duration

	// OutOfOrderRate is the share of events held back and sent right after
	// the next event of their session that is sent on time, so that the
	// session's events arrive out of event_time order. An event whose session
	// has no such event before event_time + OutOfOrderWindow is sent at that
	// instant instead (delayed, not inverted; counted in
	// AnomalyCounts.OutOfOrderTimedOut).
	OutOfOrderRate   float64
	OutOfOrderWindow time.Duration // 0 means the default

	// FutureClockRate is the share of events whose client clock is ahead:
	// the payload's event_time is the true time plus a skew drawn from
	// FutureSkew; the event is sent at the true time.
	FutureClockRate float64
	FutureSkew      DelayDist

	// PastClockRate is the share of events whose client clock is behind:
	// the payload's event_time is the true time minus a skew drawn from
	// PastSkew (to the millisecond, at least one); the event is sent at
	// the true time. A skew beyond the
	// warehouse's maximum event age (a clock reset to 1970, a week-old
	// battery-dead phone) is what Load quarantines as "a clock behind".
	PastClockRate float64
	PastSkew      DelayDist

	// ConflictRate is the share of events resent in a conflicting version:
	// ConflictGap (to the millisecond, at least one) after the first send
	// of the event (after its release,
	// for a held one), the client sends it again with the same event_id
	// and its event_time moved forward by that gap, as a client that
	// re-stamps an event when it retries it would. The version first sent
	// arrives first; the warehouse keeps the earliest arrival.
	ConflictRate float64
	ConflictGap  DelayDist

	// MalformedRate is the share of events that come with a malformed
	// record, its kind drawn uniformly from MalformedKinds (nil or empty:
	// all of them). By default the malformed record is an extra record (junk
	// from a buggy client) with a fresh event_id, and the event itself is
	// still sent validly. If MalformedReplaces is set, the malformed record
	// replaces the event, keeps its event_id where it has one, and the
	// event is never sent validly.
	MalformedRate     float64
	MalformedKinds    []MalformedKind
	MalformedReplaces bool
}

// DefaultAnomalyConfig has every rate at 0 (a clean stream) and the
// distributions a zero DelayDist stands for:
//   - DuplicateGap: uniform 0..5s; DuplicateCopies 1;
//   - LateDelay: exponential from 1m, mean 1h, capped at 3 days;
//   - OutOfOrderWindow: 5m;
//   - FutureSkew: uniform 5m..2 days;
//   - PastSkew: uniform 5m..2 days;
//   - ConflictGap: uniform 1m..2h.
func DefaultAnomalyConfig() AnomalyConfig {
	return AnomalyConfig{
		DuplicateCopies:  1,
		DuplicateGap:     DelayDist{Kind: DelayUniform, Min: 0, Max: 5 * time.Second},
		LateDelay:        DelayDist{Kind: DelayExponential, Min: time.Minute, Mean: time.Hour, Max: 72 * time.Hour},
		OutOfOrderWindow: 5 * time.Minute,
		FutureSkew:       DelayDist{Kind: DelayUniform, Min: 5 * time.Minute, Max: 48 * time.Hour},
		PastSkew:         DelayDist{Kind: DelayUniform, Min: 5 * time.Minute, Max: 48 * time.Hour},
		ConflictGap:      DelayDist{Kind: DelayUniform, Min: time.Minute, Max: 2 * time.Hour},
	}
}

// MaxDuplicateCopies bounds AnomalyConfig.DuplicateCopies.
const MaxDuplicateCopies = 100

// withDefaults returns c with its zero fields set from DefaultAnomalyConfig.
func (c AnomalyConfig) withDefaults() AnomalyConfig {
	def := DefaultAnomalyConfig()
	if c.DuplicateCopies == 0 {
		c.DuplicateCopies = def.DuplicateCopies
	}
	if c.DuplicateGap == (DelayDist{}) {
		c.DuplicateGap = def.DuplicateGap
	}
	if c.LateDelay == (DelayDist{}) {
		c.LateDelay = def.LateDelay
	}
	if c.OutOfOrderWindow == 0 {
		c.OutOfOrderWindow = def.OutOfOrderWindow
	}
	if c.FutureSkew == (DelayDist{}) {
		c.FutureSkew = def.FutureSkew
	}
	if c.PastSkew == (DelayDist{}) {
		c.PastSkew = def.PastSkew
	}
	if c.ConflictGap == (DelayDist{}) {
		c.ConflictGap = def.ConflictGap
	}
	if len(c.MalformedKinds) == 0 {
		c.MalformedKinds = MalformedKinds
	}
	c.MalformedKinds = append([]MalformedKind(nil), c.MalformedKinds...)
	return c
}

// Validate returns nil if c (with its defaults applied) is usable, or one
// error, wrapping ErrInvalidConfig, that names every bad field.
func (c AnomalyConfig) Validate() error {
	c = c.withDefaults()
	var probs []string
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"DuplicateRate", c.DuplicateRate},
		{"LateRate", c.LateRate},
		{"OutOfOrderRate", c.OutOfOrderRate},
		{"FutureClockRate", c.FutureClockRate},
		{"PastClockRate", c.PastClockRate},
		{"ConflictRate", c.ConflictRate},
		{"MalformedRate", c.MalformedRate},
	} {
		if !(r.v >= 0 && r.v <= 1) { // also rejects NaN
			probs = append(probs, fmt.Sprintf("%s %v is outside [0,1]", r.name, r.v))
		}
	}
	if sum := c.LateRate + c.OutOfOrderRate + c.FutureClockRate + c.PastClockRate; sum > 1+1e-12 {
		probs = append(probs, fmt.Sprintf("LateRate + OutOfOrderRate + FutureClockRate + PastClockRate = %v exceeds 1 (they are exclusive)", sum))
	}
	if c.DuplicateCopies < 0 || c.DuplicateCopies > MaxDuplicateCopies {
		probs = append(probs, fmt.Sprintf("DuplicateCopies %d is outside 0..%d", c.DuplicateCopies, MaxDuplicateCopies))
	}
	probs = c.DuplicateGap.problems("DuplicateGap", probs)
	probs = c.LateDelay.problems("LateDelay", probs)
	probs = c.FutureSkew.problems("FutureSkew", probs)
	probs = c.PastSkew.problems("PastSkew", probs)
	probs = c.ConflictGap.problems("ConflictGap", probs)
	if c.LateThreshold < 0 {
		probs = append(probs, fmt.Sprintf("LateThreshold %s is negative", c.LateThreshold))
	}
	if c.OutOfOrderWindow < 0 || c.OutOfOrderWindow > MaxAnomalyDelay {
		probs = append(probs, fmt.Sprintf("OutOfOrderWindow %s is outside 0..%s", c.OutOfOrderWindow, MaxAnomalyDelay))
	}
	seen := map[MalformedKind]bool{}
	for _, k := range c.MalformedKinds {
		known := false
		for _, v := range MalformedKinds {
			known = known || k == v
		}
		switch {
		case !known:
			probs = append(probs, fmt.Sprintf("MalformedKinds: %q is not a malformed kind", k))
		case seen[k]:
			probs = append(probs, fmt.Sprintf("MalformedKinds: %q is listed twice", k))
		}
		seen[k] = true
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: anomalies: %s", ErrInvalidConfig, strings.Join(probs, "; "))
}

// Delivery is one record a client sends to the stream.
type Delivery struct {
	// SendAt is when the client sends it: the event's event_time for an
	// event sent on time, later for a late, held back or duplicate one.
	SendAt time.Time
	// PartitionKey is the session_id of the source event (also for a
	// malformed record, whatever its payload lost).
	PartitionKey string
	// Data is the payload: json.Marshal of the stream.Event (the producer's
	// encoding), or the malformed bytes. Every Delivery has its own slice.
	Data []byte
	// EventID is the event_id the payload carries: the source event's, a
	// fresh one for an extra malformed record (written in it even when it is
	// not valid JSON), "" if a missing_field record lost it.
	EventID string
	// SourceEventID is the event_id of the input event the record was made
	// from, whatever the payload says.
	SourceEventID string
	// EventTime is the true event_time of the source event. SendAt-EventTime
	// is a late event's delay.
	EventTime time.Time
	// Skew is how far the payload's event_time is ahead of EventTime: positive
	// for a future clock, negative for a past clock, 0 otherwise. A
	// conflicting version keeps the skew of its first send (its event_time
	// is further moved by Restamp).
	Skew time.Duration
	// Restamp is how far a conflicting version's event_time is moved
	// forward from the first send's (the gap between the two sends); 0
	// for every other record.
	Restamp time.Duration
	// Anomalies says what was done to the record; 0 for a clean send.
	Anomalies AnomalyKind
	// Malformed is the kind of a malformed record, "" otherwise.
	Malformed MalformedKind
	// Copy is 0 for an event's first send (and for a conflicting version,
	// which is not a copy), 1, 2, ... for its extra copies.
	Copy int
}

// MarshalJSON encodes the counts with the greatest delay and skews in
// milliseconds (max_late_delay_ms, ...), as every duration of docs/JSON.md.
func (c AnomalyCounts) MarshalJSON() ([]byte, error) {
	type plain AnomalyCounts
	return json.Marshal(struct {
		plain
		MaxLateDelayMS  int64 `json:"max_late_delay_ms"`
		MaxFutureSkewMS int64 `json:"max_future_skew_ms"`
		MaxPastSkewMS   int64 `json:"max_past_skew_ms"`
	}{plain(c), c.MaxLateDelay.Milliseconds(), c.MaxFutureSkew.Milliseconds(), c.MaxPastSkew.Milliseconds()})
}

// AnomalyCounts counts what an Anomalizer pass has yielded so far. Every
// count is of yielded deliveries (so it matches what a consumer saw, even if
// it stopped early), except Events and InputUnordered, which count input.
type AnomalyCounts struct {
	Events     int `json:"events"`     // input events consumed
	Deliveries int `json:"deliveries"` // records yielded
	// ValidEvents counts distinct input events delivered as a valid record
	// (the first send of each). After a full pass it is Events minus
	// MalformedReplaced: the size of the expected CORE.
	ValidEvents int `json:"valid_events"`

	Duplicates       int `json:"duplicate_copies"`  // extra copies yielded
	DuplicatedEvents int `json:"duplicated_events"` // events with at least one extra copy yielded

	Late                int           `json:"late"`                  // events sent late (first sends only)
	LateBeyondThreshold int           `json:"late_beyond_threshold"` // late events with delay > AnomalyConfig.LateThreshold
	MaxLateDelay        time.Duration `json:"-"`                     // greatest delay of a late event

	// OutOfOrder counts held-back events, TimedOut the part of them whose
	// session had no later event within the window (delayed, not inverted).
	OutOfOrder         int `json:"out_of_order"`
	OutOfOrderTimedOut int `json:"out_of_order_timed_out"`

	Future        int           `json:"future_clock"` // events sent with a client clock ahead (first sends only)
	MaxFutureSkew time.Duration `json:"-"`            // greatest skew

	Past        int           `json:"past_clock"` // events sent with a client clock behind (first sends only)
	MaxPastSkew time.Duration `json:"-"`          // greatest skew behind, as a positive duration

	// Conflicts counts the conflicting versions yielded (AnomalyConflict):
	// records of an event with its event_id and another payload.
	Conflicts int `json:"conflicting_versions"`

	Malformed         int                   `json:"malformed"` // malformed records yielded
	MalformedByKind   map[MalformedKind]int `json:"malformed_by_kind"`
	MalformedReplaced int                   `json:"malformed_replaced"` // malformed records that replaced an event (MalformedReplaces)

	// InputUnordered counts input events earlier than the one before them:
	// the input broke its event_time order, and they were sent at the latest
	// event_time seen instead of their own.
	InputUnordered int `json:"input_unordered"`
}

func (c AnomalyCounts) clone() AnomalyCounts {
	m := make(map[MalformedKind]int, len(c.MalformedByKind))
	for k, v := range c.MalformedByKind {
		m[k] = v
	}
	c.MalformedByKind = m
	return c
}

// Anomalizer turns the clean event stream of a World into what a fleet of
// clients sends: Deliveries with a send time, a partition key and payload
// bytes, with anomalies injected at the rates of an AnomalyConfig and every
// one counted.
//
// Semantics:
//   - Input is in event_time order (ties in any order). Each event is sent
//     once, at its event_time, as json.Marshal(&event), keyed by its
//     session_id, unless an anomaly changes that. With every rate at 0 the
//     output is the input, byte for byte, in the same order.
//   - Late: sent at event_time + delay; the payload keeps its event_time.
//   - Out of order: held back, then sent right after the next on-time event
//     of the same session (same SendAt, later in the output), or at
//     event_time + OutOfOrderWindow if the session has no such event
//     strictly before that instant.
//   - Future clock: the payload's event_time is moved forward by the skew
//     (the client lies); the record is sent at the true time.
//   - Past clock: the payload's event_time is moved back by the skew; the
//     record is sent at the true time.
//   - Late, out of order, future clock and past clock are exclusive; see
//     AnomalyConfig.
//   - Duplicate: extra copies, byte-identical to the first send (so with the
//     same event_id and, for a clock ahead or behind, the same skewed time),
//     each DuplicateGap after the previous send.
//   - Conflict: one more record of the event, ConflictGap after its first
//     send, with the same event_id and its event_time moved forward by
//     that gap (Delivery.Restamp): a conflicting duplicate. It is never
//     duplicated itself.
//   - Malformed: by default an extra junk record with a fresh event_id,
//     sent at the source event's event_time right after it; valid events
//     are never lost, so "nothing lost" checks stay exact. With
//     MalformedReplaces the junk takes the event's place instead (carrying
//     its event_id where it has one), and no other anomaly applies to it.
//
// Output is in SendAt order; ties keep the order in which the records were
// scheduled, which depends only on the input and the configuration. Only
// delayed records (late, held, duplicate copies) wait in a min-heap: the
// input is read lazily and never held whole.
//
// For a checker, the expected CORE is every input event_id once, except,
// with MalformedReplaces, the SourceEventID of every malformed record; its
// event_time is the payload's of the version that arrived first
// (Delivery.Skew from the truth for a clock ahead or behind, plus
// Delivery.Restamp for a conflicting version). AnomalyCounts gives the sizes; OnAnomaly, or the
// Anomalies of each Delivery, gives the ids without storing them.
//
// Determinism: a pass draws from rng.New(seed, "sim/anomalies/...") streams,
// one to decide each anomaly and one for its values, restarted at every
// pass: the same seed, configuration and input give the same deliveries,
// byte for byte. Changing one anomaly's distribution does not change which
// events get another anomaly. An Anomalizer runs one pass at a time and is
// not safe for concurrent use.
type Anomalizer struct {
	// OnAnomaly, if set, is called for each anomaly bit of each Delivery,
	// just before it is yielded (for a malformed record that replaced an
	// event, d.SourceEventID is the lost event).
	OnAnomaly func(kind AnomalyKind, d Delivery)

	seed   uint64
	cfg    AnomalyConfig
	counts AnomalyCounts
	err    error
}

// NewAnomalizer validates cfg (see AnomalyConfig.Validate) and returns an
// Anomalizer drawing from seed.
func NewAnomalizer(seed uint64, cfg AnomalyConfig) (*Anomalizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Anomalizer{seed: seed, cfg: cfg.withDefaults(), counts: AnomalyCounts{MalformedByKind: map[MalformedKind]int{}}}, nil
}

// Config returns the configuration in force, defaults applied.
func (a *Anomalizer) Config() AnomalyConfig {
	c := a.cfg
	c.MalformedKinds = append([]MalformedKind(nil), c.MalformedKinds...)
	return c
}

// Counts returns the counts of the current or last pass.
func (a *Anomalizer) Counts() AnomalyCounts { return a.counts.clone() }
