package sim_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"iter"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

var anomStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// anomEvents streams n valid events in event_time order: about 40 sessions
// open at a time, interleaved, each a page_view then 2..14 product and cart
// events and sometimes a checkout and a purchase, with millisecond times
// about a second apart overall (so a session's events are tens of seconds
// apart).
func anomEvents(seed uint64, n int) iter.Seq[stream.Event] {
	return func(yield func(stream.Event) bool) {
		r := rng.New(seed, "test/anomalies/events")
		type session struct {
			id, anon string
			user     *int64
			left     int
			step     int
		}
		newSession := func() *session {
			s := &session{id: rng.UUID(r), anon: rng.UUID(r), left: 3 + r.IntN(13)}
			if r.IntN(2) == 0 {
				u := int64(1 + r.IntN(1000))
				s.user = &u
			}
			return s
		}
		open := make([]*session, 40)
		for i := range open {
			open[i] = newSession()
		}
		at := anomStart
		orders := int64(0)
		ptr := func(v int64) *int64 { return &v }
		for range n {
			at = at.Add(time.Duration(r.IntN(2000)) * time.Millisecond)
			i := r.IntN(len(open))
			s := open[i]
			e := stream.Event{
				EventID:       rng.UUID(r),
				EventTime:     at,
				SessionID:     s.id,
				UserID:        s.user,
				AnonymousID:   s.anon,
				SchemaVersion: stream.SchemaVersion,
			}
			switch {
			case s.step == 0:
				e.EventType = stream.PageView
			case s.left == 2 && s.user != nil:
				e.EventType = stream.BeginCheckout
				e.Price = new(money.Cents(100 + r.IntN(50000)))
			case s.left == 1 && s.user != nil:
				orders++
				e.EventType = stream.Purchase
				e.OrderID = ptr(orders)
				e.Price = new(money.Cents(100 + r.IntN(50000)))
			default:
				e.EventType = []stream.EventType{stream.ProductView, stream.ProductView, stream.AddToCart, stream.RemoveFromCart}[r.IntN(4)]
				e.ProductID = ptr(int64(1 + r.IntN(20)))
				e.Price = new(money.Cents(100 + r.IntN(50000)))
				if e.EventType != stream.ProductView {
					e.Quantity = ptr(int64(1 + r.IntN(3)))
				}
			}
			s.step++
			s.left--
			if s.left == 0 {
				open[i] = newSession()
			}
			if !yield(e) {
				return
			}
		}
	}
}

func anomNew(tb testing.TB, seed uint64, cfg sim.AnomalyConfig) *sim.Anomalizer {
	tb.Helper()
	a, err := sim.NewAnomalizer(seed, cfg)
	if err != nil {
		tb.Fatalf("NewAnomalizer: %v", err)
	}
	return a
}

// anomWithin fails if got is further from n*p than 5 standard deviations of
// a binomial(n, p), plus one.
func anomWithin(tb testing.TB, name string, got, n int, p float64) {
	tb.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if d := math.Abs(float64(got) - mean); d > 5*sd+1 {
		tb.Errorf("%s = %d, want %.0f ± %.0f (n=%d, p=%v)", name, got, mean, 5*sd+1, n, p)
	}
}

// anomSorted fails unless SendAt never goes backwards.
type anomSorted struct {
	tb   testing.TB
	last time.Time
	i    int
}

func (s *anomSorted) check(d sim.Delivery) {
	s.tb.Helper()
	if s.i > 0 && d.SendAt.Before(s.last) {
		s.tb.Fatalf("delivery %d at %s is before delivery %d at %s", s.i, d.SendAt, s.i-1, s.last)
	}
	s.last = d.SendAt
	s.i++
}

func TestAnomalizer_Clean(t *testing.T) {
	const n = 5000
	a := anomNew(t, 1, sim.AnomalyConfig{})
	var want []stream.Event
	for e := range anomEvents(1, n) {
		want = append(want, e)
	}
	i := 0
	for d := range a.Deliveries(slices.Values(want)) {
		if i >= n {
			t.Fatalf("more than %d deliveries", n)
		}
		e := want[i]
		data, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.Data, data) {
			t.Fatalf("delivery %d: data\n%s\nwant\n%s", i, d.Data, data)
		}
		if !d.SendAt.Equal(e.EventTime) || d.PartitionKey != e.SessionID || d.EventID != e.EventID ||
			d.SourceEventID != e.EventID || d.Anomalies != 0 || d.Copy != 0 || d.Skew != 0 || d.Malformed != "" {
			t.Fatalf("delivery %d = %+v, want a clean send of %+v", i, d, e)
		}
		i++
	}
	if i != n {
		t.Fatalf("got %d deliveries, want %d", i, n)
	}
	c := a.Counts()
	if c.Events != n || c.Deliveries != n || c.ValidEvents != n || c.Duplicates+c.Late+c.OutOfOrder+c.Future+c.Malformed+c.InputUnordered != 0 {
		t.Fatalf("counts = %+v", c)
	}
}

// anomSeen is what a test counts by looking at the output alone.
type anomSeen struct {
	deliveries, valid, duplicates, dupEvents, late, ooo, oooInverted, future, malformed int
	futureCopies                                                                        int
	byKind                                                                              map[sim.MalformedKind]int
	lateSum, lateMax                                                                    time.Duration
}

func TestAnomalizer_Rates(t *testing.T) {
	const n = 100_000
	cfg := sim.AnomalyConfig{
		DuplicateRate:   0.05,
		DuplicateCopies: 3,
		LateRate:        0.03,
		LateDelay:       sim.DelayDist{Kind: sim.DelayExponential, Min: time.Minute, Mean: 2 * time.Hour, Max: 2 * 24 * time.Hour},
		OutOfOrderRate:  0.04,
		FutureClockRate: 0.02,
		FutureSkew:      sim.DelayDist{Kind: sim.DelayUniform, Min: 10 * time.Minute, Max: 3 * 24 * time.Hour},
		MalformedRate:   0.02,
	}
	a := anomNew(t, 7, cfg)
	callbacks := map[sim.AnomalyKind]int{}
	a.OnAnomaly = func(k sim.AnomalyKind, d sim.Delivery) { callbacks[k]++ }

	inputIndex := map[string]int{} // event_id -> input position
	sessionOf := map[string]string{}
	var inputs []stream.Event
	for e := range anomEvents(7, n) {
		inputIndex[e.EventID] = len(inputs)
		sessionOf[e.EventID] = e.SessionID
		inputs = append(inputs, e)
	}

	seen := anomSeen{byKind: map[sim.MalformedKind]int{}}
	sorted := anomSorted{tb: t}
	firstData := map[string][]byte{} // event_id -> data of the first send
	validOnce := map[string]int{}
	copiesOf := map[string]int{}
	maxIndexSent := map[string]int{} // session -> greatest input index sent on time so far
	for d := range a.Deliveries(slices.Values(inputs)) {
		sorted.check(d)
		seen.deliveries++
		if d.PartitionKey != inputs[inputIndex[d.SourceEventID]].SessionID {
			t.Fatalf("partition key %q, want the session of %s", d.PartitionKey, d.SourceEventID)
		}
		switch {
		case d.Anomalies.Has(sim.AnomalyMalformed):
			seen.malformed++
			seen.byKind[d.Malformed]++
			anomCheckMalformed(t, d)
			if _, ok := inputIndex[d.EventID]; ok {
				t.Fatalf("extra malformed record reuses the valid event_id %s", d.EventID)
			}
			continue
		case d.Copy > 0:
			seen.duplicates++
			if d.Copy == 1 {
				seen.dupEvents++
			}
			if d.Anomalies.Has(sim.AnomalyFutureClock) {
				seen.futureCopies++
			}
			first, ok := firstData[d.EventID]
			if !ok {
				t.Fatalf("copy %d of %s before its first send", d.Copy, d.EventID)
			}
			if !bytes.Equal(first, d.Data) || d.EventID != d.SourceEventID || !d.Anomalies.Has(sim.AnomalyDuplicate) {
				t.Fatalf("copy %d of %s differs from its first send", d.Copy, d.EventID)
			}
			copiesOf[d.EventID]++
			if copiesOf[d.EventID] > cfg.DuplicateCopies {
				t.Fatalf("%s has more than %d copies", d.EventID, cfg.DuplicateCopies)
			}
			continue
		}
		// a first send
		seen.valid++
		validOnce[d.EventID]++
		firstData[d.EventID] = d.Data
		ev, err := stream.ParseEvent(d.Data)
		if err != nil {
			t.Fatalf("first send of %s: %v", d.EventID, err)
		}
		in := inputs[inputIndex[d.EventID]]
		idx := inputIndex[d.EventID]
		switch {
		case d.Anomalies.Has(sim.AnomalyLate):
			seen.late++
			delay := d.SendAt.Sub(in.EventTime)
			if delay < cfg.LateDelay.Min || delay > cfg.LateDelay.Max {
				t.Fatalf("late delay %s outside [%s, %s]", delay, cfg.LateDelay.Min, cfg.LateDelay.Max)
			}
			seen.lateSum += delay
			seen.lateMax = max(seen.lateMax, delay)
			if !ev.EventTime.Equal(in.EventTime) {
				t.Fatalf("late event's event_time moved: %s, want %s", ev.EventTime, in.EventTime)
			}
		case d.Anomalies.Has(sim.AnomalyFutureClock):
			maxIndexSent[in.SessionID] = max(maxIndexSent[in.SessionID], idx)
			seen.future++
			if !d.SendAt.Equal(in.EventTime) {
				t.Fatalf("future-clock event sent at %s, want its true time %s", d.SendAt, in.EventTime)
			}
			if got := ev.EventTime.Sub(d.SendAt); got != d.Skew || got < cfg.FutureSkew.Min || got > cfg.FutureSkew.Max {
				t.Fatalf("future-clock event is %s ahead of its send, skew %s, want within [%s, %s]", got, d.Skew, cfg.FutureSkew.Min, cfg.FutureSkew.Max)
			}
		case d.Anomalies.Has(sim.AnomalyOutOfOrder):
			seen.ooo++
			if maxIndexSent[in.SessionID] > idx {
				seen.oooInverted++
			}
		default:
			if d.Anomalies != 0 || !d.SendAt.Equal(in.EventTime) || !ev.EventTime.Equal(in.EventTime) {
				t.Fatalf("clean event %s: anomalies %s, sent %s, event_time %s; input %s", d.EventID, d.Anomalies, d.SendAt, ev.EventTime, in.EventTime)
			}
			maxIndexSent[in.SessionID] = max(maxIndexSent[in.SessionID], idx)
		}
	}
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}

	// Nothing lost, nothing valid twice.
	if len(validOnce) != n {
		t.Fatalf("%d distinct valid events delivered, want %d", len(validOnce), n)
	}
	for id, k := range validOnce {
		if k != 1 {
			t.Fatalf("%s sent validly %d times as a first send", id, k)
		}
	}

	// Counted exactly.
	c := a.Counts()
	for _, x := range []struct {
		name      string
		got, want int
	}{
		{"Events", c.Events, n},
		{"Deliveries", c.Deliveries, seen.deliveries},
		{"ValidEvents", c.ValidEvents, seen.valid},
		{"Duplicates", c.Duplicates, seen.duplicates},
		{"DuplicatedEvents", c.DuplicatedEvents, seen.dupEvents},
		{"Late", c.Late, seen.late},
		{"OutOfOrder", c.OutOfOrder, seen.ooo},
		{"OutOfOrder inverted", c.OutOfOrder - c.OutOfOrderTimedOut, seen.oooInverted},
		{"Future", c.Future, seen.future},
		{"Malformed", c.Malformed, seen.malformed},
		{"Deliveries = valid + copies + malformed", c.Deliveries, c.ValidEvents + c.Duplicates + c.Malformed},
		{"callbacks duplicate", callbacks[sim.AnomalyDuplicate], seen.duplicates},
		{"callbacks malformed", callbacks[sim.AnomalyMalformed], seen.malformed},
		{"callbacks future", callbacks[sim.AnomalyFutureClock], seen.future + seen.futureCopies},
	} {
		if x.got != x.want {
			t.Errorf("%s = %d, want %d", x.name, x.got, x.want)
		}
	}
	for _, k := range sim.MalformedKinds {
		if c.MalformedByKind[k] != seen.byKind[k] {
			t.Errorf("MalformedByKind[%s] = %d, want %d", k, c.MalformedByKind[k], seen.byKind[k])
		}
		anomWithin(t, "malformed "+string(k), seen.byKind[k], seen.malformed, 1/float64(len(sim.MalformedKinds)))
	}
	if c.MaxLateDelay != seen.lateMax {
		t.Errorf("MaxLateDelay = %s, want %s", c.MaxLateDelay, seen.lateMax)
	}

	// At the configured rates.
	anomWithin(t, "duplicated events", seen.dupEvents, n, cfg.DuplicateRate)
	anomWithin(t, "late", seen.late, n, cfg.LateRate)
	anomWithin(t, "out of order", seen.ooo, n, cfg.OutOfOrderRate)
	anomWithin(t, "future", seen.future, n, cfg.FutureClockRate)
	anomWithin(t, "malformed", seen.malformed, n, cfg.MalformedRate)
	// 1..3 copies, uniformly: 2 on average.
	if got, want := float64(seen.duplicates)/float64(seen.dupEvents), 2.0; math.Abs(got-want) > 0.1 {
		t.Errorf("copies per duplicated event = %.3f, want %.1f", got, want)
	}
	// Sessions here have an event every ~40s, well within the 5m window, so
	// a held event times out only if it is the last of its session (about
	// one in nine) or the next ones are late or held too.
	if c.OutOfOrderTimedOut > c.OutOfOrder/5 {
		t.Errorf("%d of %d held events timed out", c.OutOfOrderTimedOut, c.OutOfOrder)
	}
	if seen.late > 0 {
		mean := seen.lateSum / time.Duration(seen.late)
		want := cfg.LateDelay.ExpectedMean()
		if math.Abs(float64(mean-want)) > 0.1*float64(want) {
			t.Errorf("mean late delay %s, want %s ± 10%%", mean, want)
		}
	}
}

// anomCheckMalformed fails unless d is broken the way its kind says.
func anomCheckMalformed(tb testing.TB, d sim.Delivery) {
	tb.Helper()
	if d.Anomalies != sim.AnomalyMalformed {
		tb.Fatalf("malformed record with anomalies %s", d.Anomalies)
	}
	if d.Malformed == sim.MalformedOversized {
		// Not parsed here: a megabyte each makes the test slow. It is the
		// event with a padded anonymous_id.
		if len(d.Data) <= stream.MaxRecordBytes {
			tb.Fatalf("oversized record of %d bytes", len(d.Data))
		}
		if prefix := `{"event_id":"` + d.EventID + `",`; !bytes.HasPrefix(d.Data, []byte(prefix)) {
			tb.Fatalf("oversized record does not start with %s", prefix)
		}
		return
	}
	_, perr := stream.ParseEvent(d.Data)
	var ev stream.Event
	decodeErr := json.Unmarshal(d.Data, &ev)
	short := string(d.Data[:min(len(d.Data), 300)])
	switch d.Malformed {
	case sim.MalformedInvalidJSON:
		if json.Valid(d.Data) {
			tb.Fatalf("invalid_json record is valid JSON: %s", short)
		}
	case sim.MalformedWrongType:
		if !json.Valid(d.Data) || decodeErr == nil {
			tb.Fatalf("wrong_type record decodes (or is not JSON): %s", short)
		}
	case sim.MalformedMissingField:
		if decodeErr != nil {
			tb.Fatalf("missing_field record does not decode: %v: %s", decodeErr, short)
		}
		if perr == nil || !(strings.Contains(perr.Error(), "is required") || strings.Contains(perr.Error(), "schema_version 0")) {
			tb.Fatalf("missing_field record: ParseEvent error %v: %s", perr, short)
		}
		if (ev.EventID == "") != (d.EventID == "") {
			tb.Fatalf("missing_field record carries event_id %q, Delivery says %q", ev.EventID, d.EventID)
		}
	case sim.MalformedUnknownEventType:
		if decodeErr != nil || perr == nil || !strings.Contains(perr.Error(), "unknown event_type") {
			tb.Fatalf("unknown_event_type record: decode %v, ParseEvent %v: %s", decodeErr, perr, short)
		}
	default:
		tb.Fatalf("malformed kind %q", d.Malformed)
	}
	if !errors.Is(perr, stream.ErrInvalidEvent) {
		tb.Fatalf("%s record: ParseEvent error %v, want ErrInvalidEvent: %s", d.Malformed, perr, short)
	}
	if d.Malformed != sim.MalformedMissingField && d.EventID == "" {
		tb.Fatalf("%s record without an event_id", d.Malformed)
	}
}

func TestAnomalizer_Malformed(t *testing.T) {
	const n = 2000
	for _, k := range sim.MalformedKinds {
		t.Run(string(k), func(t *testing.T) {
			n := n
			if k == sim.MalformedOversized {
				n = 50 // a megabyte each
			}
			a := anomNew(t, 3, sim.AnomalyConfig{MalformedRate: 1, MalformedKinds: []sim.MalformedKind{k}})
			got := 0
			for d := range a.Deliveries(anomEvents(3, n)) {
				if d.Anomalies.Has(sim.AnomalyMalformed) {
					anomCheckMalformed(t, d)
					got++
				}
			}
			if c := a.Counts(); got != n || c.Malformed != n || c.MalformedByKind[k] != n || c.ValidEvents != n || c.Deliveries != 2*n {
				t.Fatalf("saw %d malformed records; counts %+v", got, c)
			}
		})
	}
	t.Run("Replaces", func(t *testing.T) {
		a := anomNew(t, 3, sim.AnomalyConfig{MalformedRate: 0.3, MalformedReplaces: true, DuplicateRate: 0.2, LateRate: 0.2})
		var inputs []stream.Event
		for e := range anomEvents(3, n) {
			inputs = append(inputs, e)
		}
		lost := map[string]bool{}
		valid := map[string]bool{}
		for d := range a.Deliveries(slices.Values(inputs)) {
			if d.Anomalies.Has(sim.AnomalyMalformed) {
				anomCheckMalformed(t, d)
				if d.Malformed != sim.MalformedMissingField && d.EventID != d.SourceEventID {
					t.Fatalf("replacing record carries %q, want the event's id %q", d.EventID, d.SourceEventID)
				}
				lost[d.SourceEventID] = true
				continue
			}
			valid[d.EventID] = true
		}
		for _, e := range inputs {
			if lost[e.EventID] == valid[e.EventID] {
				t.Fatalf("event %s: lost %v, delivered validly %v", e.EventID, lost[e.EventID], valid[e.EventID])
			}
		}
		c := a.Counts()
		if c.MalformedReplaced != len(lost) || c.Malformed != len(lost) || c.ValidEvents != n-len(lost) || c.ValidEvents != len(valid) {
			t.Fatalf("counts %+v; lost %d, valid %d", c, len(lost), len(valid))
		}
		anomWithin(t, "replaced", len(lost), n, 0.3)
	})
}

func TestAnomalizer_LateDelay(t *testing.T) {
	const n = 50_000
	for _, tc := range []struct {
		name string
		dist sim.DelayDist
	}{
		{"Fixed", sim.DelayDist{Kind: sim.DelayFixed, Mean: 36 * time.Hour}},
		{"UniformDays", sim.DelayDist{Kind: sim.DelayUniform, Min: 24 * time.Hour, Max: 5 * 24 * time.Hour}},
		{"Exponential", sim.DelayDist{Kind: sim.DelayExponential, Min: time.Minute, Mean: 6 * time.Hour, Max: 7 * 24 * time.Hour}},
		{"ExponentialCapped", sim.DelayDist{Kind: sim.DelayExponential, Mean: 24 * time.Hour, Max: 12 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := anomNew(t, 11, sim.AnomalyConfig{LateRate: 0.3, LateDelay: tc.dist, LateThreshold: 24 * time.Hour})
			sorted := anomSorted{tb: t}
			var sum, hi time.Duration
			late, beyond := 0, 0
			for d := range a.Deliveries(anomEvents(11, n)) {
				sorted.check(d)
				if !d.Anomalies.Has(sim.AnomalyLate) {
					continue
				}
				delay := d.SendAt.Sub(d.EventTime)
				cap := tc.dist.Max
				if tc.dist.Kind == sim.DelayFixed {
					cap = tc.dist.Mean
				}
				if delay < tc.dist.Min || delay > cap {
					t.Fatalf("delay %s outside [%s, %s]", delay, tc.dist.Min, cap)
				}
				sum += delay
				hi = max(hi, delay)
				late++
				if delay > 24*time.Hour {
					beyond++
				}
			}
			c := a.Counts()
			if c.Late != late || c.MaxLateDelay != hi || c.LateBeyondThreshold != beyond {
				t.Fatalf("counts %+v; saw late %d, max %s, beyond 24h %d", c, late, hi, beyond)
			}
			anomWithin(t, "late", late, n, 0.3)
			mean, want := sum/time.Duration(late), tc.dist.ExpectedMean()
			if math.Abs(float64(mean-want)) > 0.03*float64(want) {
				t.Fatalf("mean delay %s, want %s ± 3%%", mean, want)
			}
			if tc.dist.Kind != sim.DelayExponential || tc.dist.Max < 24*time.Hour {
				return
			}
			if hi < 24*time.Hour {
				t.Fatalf("no delay of a day or more (max %s)", hi)
			}
		})
	}
}

func TestAnomalizer_OutOfOrderTimeout(t *testing.T) {
	// Every event held: no session ever has an on-time event to overtake
	// them, so each one goes out when its window ends.
	const n = 3000
	a := anomNew(t, 5, sim.AnomalyConfig{OutOfOrderRate: 1, OutOfOrderWindow: time.Minute})
	sorted := anomSorted{tb: t}
	for d := range a.Deliveries(anomEvents(5, n)) {
		sorted.check(d)
		if got, want := d.SendAt.Sub(d.EventTime), time.Minute; got != want || d.Anomalies != sim.AnomalyOutOfOrder {
			t.Fatalf("held event sent %s after its time with %s, want %s", got, d.Anomalies, want)
		}
	}
	if c := a.Counts(); c.OutOfOrder != n || c.OutOfOrderTimedOut != n {
		t.Fatalf("counts %+v", c)
	}
}

// anomDigest hashes every field of every delivery of a pass.
func anomDigest(tb testing.TB, seed uint64, cfg sim.AnomalyConfig, inputSeed uint64, n int) [32]byte {
	tb.Helper()
	a := anomNew(tb, seed, cfg)
	h := sha256.New()
	var buf [8]byte
	for d := range a.Deliveries(anomEvents(inputSeed, n)) {
		binary.BigEndian.PutUint64(buf[:], uint64(d.SendAt.UnixNano()))
		h.Write(buf[:])
		h.Write([]byte(d.PartitionKey + "\x00" + d.EventID + "\x00" + d.SourceEventID + "\x00" + d.Anomalies.String() + "\x00" + string(d.Malformed) + "\x00"))
		binary.BigEndian.PutUint64(buf[:], uint64(len(d.Data)))
		h.Write(buf[:])
		h.Write(d.Data)
	}
	if err := a.Err(); err != nil {
		tb.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func anomEverything() sim.AnomalyConfig {
	return sim.AnomalyConfig{
		DuplicateRate: 0.1, DuplicateCopies: 2, LateRate: 0.1, OutOfOrderRate: 0.1,
		FutureClockRate: 0.1, MalformedRate: 0.05,
	}
}

func TestAnomalizer_Deterministic(t *testing.T) {
	const n = 20_000
	cfg := anomEverything()
	cfg.MalformedKinds = []sim.MalformedKind{sim.MalformedInvalidJSON, sim.MalformedMissingField, sim.MalformedWrongType, sim.MalformedUnknownEventType}
	a, b := anomDigest(t, 42, cfg, 1, n), anomDigest(t, 42, cfg, 1, n)
	if a != b {
		t.Fatal("same seed, config and input gave different deliveries")
	}
	if c := anomDigest(t, 43, cfg, 1, n); c == a {
		t.Fatal("seeds 42 and 43 gave the same deliveries")
	}
	t.Run("SecondPass", func(t *testing.T) {
		an := anomNew(t, 9, cfg)
		pass := func() (out []sim.Delivery) {
			for d := range an.Deliveries(anomEvents(2, 2000)) {
				out = append(out, d)
			}
			return out
		}
		first, c1 := pass(), an.Counts()
		second, c2 := pass(), an.Counts()
		if len(first) != len(second) || c1.Deliveries != c2.Deliveries || c1.Malformed != c2.Malformed {
			t.Fatalf("passes differ: %d and %d deliveries", len(first), len(second))
		}
		for i := range first {
			if !first[i].SendAt.Equal(second[i].SendAt) || !bytes.Equal(first[i].Data, second[i].Data) {
				t.Fatalf("delivery %d differs between passes", i)
			}
		}
	})
	t.Run("IndependentStreams", func(t *testing.T) {
		// Changing the late delay distribution moves no other decision.
		ids := func(cfg sim.AnomalyConfig) (dup, mal []string) {
			an := anomNew(t, 5, cfg)
			for d := range an.Deliveries(anomEvents(5, 5000)) {
				switch {
				case d.Copy == 1:
					dup = append(dup, d.SourceEventID)
				case d.Anomalies.Has(sim.AnomalyMalformed):
					mal = append(mal, d.SourceEventID)
				}
			}
			slices.Sort(dup)
			slices.Sort(mal)
			return dup, mal
		}
		cfg := anomEverything()
		cfg.MalformedKinds = []sim.MalformedKind{sim.MalformedUnknownEventType}
		d1, m1 := ids(cfg)
		cfg.LateDelay = sim.DelayDist{Kind: sim.DelayFixed, Mean: time.Hour}
		cfg.LateRate = 0.2
		d2, m2 := ids(cfg)
		if !slices.Equal(d1, d2) || !slices.Equal(m1, m2) {
			t.Fatal("changing the late anomaly changed which events are duplicated or malformed")
		}
	})
}

func TestNewAnomalizer_Invalid(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if _, err := sim.NewAnomalizer(1, anomEverything()); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.NewAnomalizer(1, sim.AnomalyConfig{LateRate: 0.5, OutOfOrderRate: 0.3, FutureClockRate: 0.2}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrInvalidConfig", func(t *testing.T) {
		_, err := sim.NewAnomalizer(1, sim.AnomalyConfig{
			DuplicateRate:    math.NaN(),
			DuplicateCopies:  -1,
			DuplicateGap:     sim.DelayDist{Kind: sim.DelayUniform, Min: time.Second, Max: time.Millisecond},
			LateRate:         1.5,
			LateDelay:        sim.DelayDist{Kind: "gaussian"},
			LateThreshold:    -time.Hour,
			OutOfOrderRate:   0.9,
			OutOfOrderWindow: -time.Second,
			FutureClockRate:  0.2,
			FutureSkew:       sim.DelayDist{Kind: sim.DelayExponential, Mean: time.Minute, Min: time.Hour},
			MalformedRate:    -2,
			MalformedKinds:   []sim.MalformedKind{"nonsense", sim.MalformedOversized, sim.MalformedOversized},
		})
		if !errors.Is(err, sim.ErrInvalidConfig) {
			t.Fatalf("err = %v, want ErrInvalidConfig", err)
		}
		for _, want := range []string{
			"DuplicateRate", "DuplicateCopies", "DuplicateGap", "LateRate", "LateDelay", "LateThreshold",
			"OutOfOrderWindow", "FutureSkew", "MalformedRate", `"nonsense"`, "listed twice",
			"exceeds 1",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not name %s: %v", want, err)
			}
		}
	})
	t.Run("DelayTooLong", func(t *testing.T) {
		_, err := sim.NewAnomalizer(1, sim.AnomalyConfig{LateDelay: sim.DelayDist{Kind: sim.DelayFixed, Mean: 1000 * 24 * time.Hour}})
		if err == nil || !strings.Contains(err.Error(), "LateDelay") {
			t.Fatalf("err = %v, want one naming LateDelay", err)
		}
	})
}

// anomCounting wraps a sequence and counts how many elements were pulled.
func anomCounting(seq iter.Seq[stream.Event], pulled *int) iter.Seq[stream.Event] {
	return func(yield func(stream.Event) bool) {
		for e := range seq {
			*pulled++
			if !yield(e) {
				return
			}
		}
	}
}

func TestAnomalizer_Lazy(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	a := anomNew(t, 1, sim.AnomalyConfig{LateRate: 0.01, LateDelay: sim.DelayDist{Kind: sim.DelayExponential, Mean: 2 * time.Hour, Max: 3 * 24 * time.Hour}})
	pulled, yielded, most := 0, 0, 0
	for range a.Deliveries(anomCounting(anomEvents(1, n), &pulled)) {
		yielded++
		if yielded == 1 && pulled > 10 {
			t.Fatalf("pulled %d events before the first delivery", pulled)
		}
		// Only late events wait: about 1% of two hours of input (~36)
		// plus the tail of the distribution.
		most = max(most, pulled-yielded)
	}
	if most > 2000 {
		t.Fatalf("up to %d events were pulled but not yet delivered", most)
	}
	if c := a.Counts(); pulled != n || yielded != n || c.Events != n || c.Deliveries != n {
		t.Fatalf("pulled %d, yielded %d, counts %+v", pulled, yielded, c)
	}
	t.Logf("at most %d of %d events held at once", most, n)
}

func TestAnomalizer_StopEarly(t *testing.T) {
	a := anomNew(t, 1, anomEverything())
	pulled, got := 0, 0
	for range a.Deliveries(anomCounting(anomEvents(1, 100_000), &pulled)) {
		got++
		if got == 10 {
			break
		}
	}
	if c := a.Counts(); c.Deliveries != 10 || pulled > 100 {
		t.Fatalf("after 10 deliveries: pulled %d, counts %+v", pulled, c)
	}
}

func TestAnomalizer_UnorderedInput(t *testing.T) {
	var in []stream.Event
	for e := range anomEvents(1, 100) {
		in = append(in, e)
	}
	in[50], in[51] = in[51], in[50]
	in[50].EventTime = in[50].EventTime.Add(time.Hour) // far ahead of its neighbours
	a := anomNew(t, 1, sim.AnomalyConfig{})
	sorted := anomSorted{tb: t}
	for d := range a.Deliveries(slices.Values(in)) {
		sorted.check(d)
	}
	if c := a.Counts(); c.InputUnordered != 49 || c.Deliveries != 100 {
		t.Fatalf("counts %+v, want 49 unordered input events", c)
	}
}

func TestAnomalyKind_String(t *testing.T) {
	for k, want := range map[sim.AnomalyKind]string{
		0:                                      "none",
		sim.AnomalyLate:                        "late",
		sim.AnomalyDuplicate | sim.AnomalyLate: "duplicate|late",
		sim.AnomalyFutureClock | sim.AnomalyOutOfOrder: "out_of_order|future_clock",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}

func BenchmarkAnomalizer(b *testing.B) {
	var in []stream.Event
	for e := range anomEvents(1, 100_000) {
		in = append(in, e)
	}
	anomalies := anomEverything()
	anomalies.MalformedKinds = []sim.MalformedKind{sim.MalformedInvalidJSON, sim.MalformedMissingField, sim.MalformedWrongType, sim.MalformedUnknownEventType}
	for _, bc := range []struct {
		name string
		cfg  sim.AnomalyConfig
	}{
		{"Clean", sim.AnomalyConfig{}},
		{"Anomalies", anomalies},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a := anomNew(b, 1, bc.cfg)
			b.ReportAllocs()
			total := 0
			for b.Loop() {
				for range a.Deliveries(slices.Values(in)) {
					total++
				}
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
