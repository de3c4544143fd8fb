package sim_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// TestAnomalizer_PastClockAndConflicts: a clock behind moves the payload's
// event_time back by a skew within PastSkew, sent at the true time; a
// conflicting version is one more record of the event, ConflictGap after
// its first send (after its release for a held event), with the same
// event_id and the first send's event_time moved by that gap. Everything
// is counted, and the valid events are still each sent once.
func TestAnomalizer_PastClockAndConflicts(t *testing.T) {
	const n = 50_000
	cfg := sim.AnomalyConfig{
		PastClockRate:   0.04,
		PastSkew:        sim.DelayDist{Kind: sim.DelayUniform, Min: time.Hour, Max: 30 * 24 * time.Hour},
		ConflictRate:    0.05,
		ConflictGap:     sim.DelayDist{Kind: sim.DelayUniform, Min: time.Minute, Max: 2 * time.Hour},
		OutOfOrderRate:  0.1,
		FutureClockRate: 0.02,
		DuplicateRate:   0.05,
	}
	a := anomNew(t, 11, cfg)
	callbacks := map[sim.AnomalyKind]int{}
	a.OnAnomaly = func(k sim.AnomalyKind, d sim.Delivery) { callbacks[k]++ }
	inputs := slices.Collect(anomEvents(11, n))
	byID := map[string]stream.Event{}
	for _, e := range inputs {
		byID[e.EventID] = e
	}
	sorted := anomSorted{tb: t}
	type first struct {
		d  sim.Delivery
		ev stream.Event
	}
	firsts := map[string]first{}
	conflicts := map[string]int{}
	var past, valid, dups, conflicted, pastBits int
	var maxPast time.Duration
	for d := range a.Deliveries(slices.Values(inputs)) {
		sorted.check(d)
		ev, err := stream.ParseEvent(d.Data)
		if err != nil {
			t.Fatalf("%s: %v", d.EventID, err)
		}
		in := byID[d.SourceEventID]
		if d.Anomalies.Has(sim.AnomalyPastClock) {
			pastBits++
		}
		switch {
		case d.Anomalies.Has(sim.AnomalyConflict):
			conflicted++
			f, ok := firsts[d.EventID]
			if !ok {
				t.Fatalf("conflicting version of %s before its first send", d.EventID)
			}
			conflicts[d.EventID]++
			if conflicts[d.EventID] > 1 {
				t.Fatalf("%s has %d conflicting versions", d.EventID, conflicts[d.EventID])
			}
			if d.Copy != 0 || d.Restamp < cfg.ConflictGap.Min || d.Restamp > cfg.ConflictGap.Max {
				t.Fatalf("conflicting version of %s: copy %d, restamp %s", d.EventID, d.Copy, d.Restamp)
			}
			if !d.SendAt.Equal(f.d.SendAt.Add(d.Restamp)) {
				t.Fatalf("conflicting version of %s sent at %s, want %s after the first send at %s", d.EventID, d.SendAt, d.Restamp, f.d.SendAt)
			}
			if ev.EventID != d.EventID || !ev.EventTime.Equal(f.ev.EventTime.Add(d.Restamp)) || bytes.Equal(d.Data, f.d.Data) {
				t.Fatalf("conflicting version of %s: event_time %s, want the first send's %s moved by %s", d.EventID, ev.EventTime, f.ev.EventTime, d.Restamp)
			}
			if d.Skew != f.d.Skew {
				t.Fatalf("conflicting version of %s: skew %s, first send %s", d.EventID, d.Skew, f.d.Skew)
			}
		case d.Copy > 0:
			dups++
			if d.Restamp != 0 {
				t.Fatalf("copy %d of %s is re-stamped", d.Copy, d.EventID)
			}
		default:
			valid++
			firsts[d.EventID] = first{d, ev}
			if !d.Anomalies.Has(sim.AnomalyPastClock) {
				if d.Skew < 0 {
					t.Fatalf("%s (%s) has a negative skew %s", d.EventID, d.Anomalies, d.Skew)
				}
				continue
			}
			past++
			skew := -d.Skew
			maxPast = max(maxPast, skew)
			if !d.SendAt.Equal(in.EventTime) {
				t.Fatalf("past-clock event sent at %s, want its true time %s", d.SendAt, in.EventTime)
			}
			if skew < cfg.PastSkew.Min || skew > cfg.PastSkew.Max || !ev.EventTime.Equal(in.EventTime.Add(d.Skew)) {
				t.Fatalf("past-clock event at %s, true %s, skew %s: want behind by %s..%s", ev.EventTime, in.EventTime, d.Skew, cfg.PastSkew.Min, cfg.PastSkew.Max)
			}
		}
	}
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	if valid != n || len(firsts) != n {
		t.Fatalf("%d first sends of %d distinct events, want %d", valid, len(firsts), n)
	}
	c := a.Counts()
	for _, x := range []struct {
		name      string
		got, want int
	}{
		{"Past", c.Past, past},
		{"Conflicts", c.Conflicts, conflicted},
		{"ValidEvents", c.ValidEvents, n},
		{"Deliveries = valid + copies + conflicts", c.Deliveries, c.ValidEvents + c.Duplicates + c.Conflicts},
		{"Duplicates", c.Duplicates, dups},
		{"callbacks past (first sends, copies, conflicts)", callbacks[sim.AnomalyPastClock], pastBits},
		{"callbacks conflict", callbacks[sim.AnomalyConflict], conflicted},
	} {
		if x.got != x.want {
			t.Errorf("%s = %d, want %d", x.name, x.got, x.want)
		}
	}
	if c.MaxPastSkew != maxPast {
		t.Errorf("MaxPastSkew = %s, want %s", c.MaxPastSkew, maxPast)
	}
	anomWithin(t, "past", past, n, cfg.PastClockRate)
	anomWithin(t, "conflicts", conflicted, n, cfg.ConflictRate)
}

// TestAnomalizer_NewAnomaliesMoveNothingElse: turning the clock behind and
// the conflicting versions on changes no decision of the other anomalies
// (their own random streams, the last interval of the timing draw).
func TestAnomalizer_NewAnomaliesMoveNothingElse(t *testing.T) {
	type decision struct {
		id   string
		kind sim.AnomalyKind
	}
	decisions := func(cfg sim.AnomalyConfig) []decision {
		a := anomNew(t, 5, cfg)
		var out []decision
		for d := range a.Deliveries(anomEvents(5, 5000)) {
			if d.Anomalies.Has(sim.AnomalyConflict) || d.Anomalies.Has(sim.AnomalyPastClock) {
				continue
			}
			out = append(out, decision{d.SourceEventID, d.Anomalies &^ (sim.AnomalyConflict | sim.AnomalyPastClock)})
		}
		slices.SortFunc(out, func(a, b decision) int {
			if a.id != b.id {
				if a.id < b.id {
					return -1
				}
				return 1
			}
			return int(a.kind) - int(b.kind)
		})
		return out
	}
	base := anomEverything()
	with := base
	with.PastClockRate, with.ConflictRate = 0.1, 0.1
	got, want := decisions(with), decisions(base)
	// The events the clock behind takes had no timing anomaly before; every
	// other decision is the same.
	wantSet := map[decision]bool{}
	for _, d := range want {
		wantSet[d] = true
	}
	for _, d := range got {
		if !wantSet[d] {
			t.Fatalf("with the new anomalies, %s got %s, which it did not have without them", d.id, d.kind)
		}
	}
	if len(got) > len(want) {
		t.Fatalf("%d decisions with the new anomalies, %d without", len(got), len(want))
	}
}

func TestAnomalyConfig_PastAndConflictValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sim.AnomalyConfig
		want string
	}{
		{"TimingSum", sim.AnomalyConfig{LateRate: 0.5, PastClockRate: 0.6}, "PastClockRate = 1.1 exceeds 1"},
		{"ConflictRate", sim.AnomalyConfig{ConflictRate: 2}, "ConflictRate 2 is outside [0,1]"},
		{"PastSkew", sim.AnomalyConfig{PastSkew: sim.DelayDist{Kind: sim.DelayUniform, Min: time.Hour, Max: time.Minute}}, "PastSkew: Max 1m0s is less than Min 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("Validate() = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
