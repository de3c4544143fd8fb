package scenarios

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// Status is what a replay has done so far, for a person watching it (the
// TUI). Every field is a copy.
type Status struct {
	Scenario string
	Seed     uint64
	// Tick and Ticks: ticks done, of how many; Next and NextAt: the next
	// tick's kind and the time it covers ("" when done).
	Tick, Ticks int
	Next        string
	NextAt      time.Time
	// Now is the simulated clock; Start and End bound the world's days.
	Now, Start, End time.Time
	Healed          bool
	Faults          []FaultStatus
	Totals          pipeline.Totals
	// Hours are the hours streamed so far, in order.
	Hours  []HourMetrics
	Shards []stream.ShardState
	// Ingest, Load and Transform are the last batch's, build's and
	// transform's.
	Ingest    ingest.Result
	Load      warehouse.LoadStats
	Transform warehouse.TransformStats
	// Late counts the events that arrived after their day was final;
	// Queued the days queued for backfill.
	Late, Queued int64
	// Quarantine counts the records kept out, by reason.
	Quarantine []Count
	Steps      []StepError
	// Report is set once the check tick has run.
	Report *Report
}

// FaultStatus is one fault of the scenario: when it acts and how many
// times it fired so far.
type FaultStatus struct {
	Kind Kind
	// At is when it starts acting (zero: from the start); Until when it
	// stops (zero: with the fault phase).
	At, Until time.Time
	Fired     int
}

// Status reads what the replay has done so far. It reads the lake's
// QUARANTINE and staging manifests: call it from a goroutine that may
// block.
func (p *Replay) Status(ctx context.Context) (Status, error) {
	x := p.x
	st := Status{
		Scenario: x.sc.Name, Seed: x.sc.Seed, Now: x.clock.Now(), Start: x.start, End: x.end,
		Healed: x.healed.Load(), Totals: x.r.Totals(), Shards: x.r.Consumer().Shards(),
		Late: x.late, Queued: x.queued, Load: x.lastLoad, Transform: x.lastTransform, Ingest: x.lastIngest,
		Report: p.report,
	}
	st.Tick, st.Ticks = p.Ticks()
	st.Next, st.NextAt = p.Next()
	st.Hours = slices.Clone(x.hours)
	x.mu.Lock()
	st.Steps = slices.Clone(x.steps)
	fired := map[Kind]int{}
	for k, n := range x.fired {
		fired[k] = n
	}
	x.mu.Unlock()
	for _, c := range x.counters {
		fired[c.kind] += c.n()
	}
	for _, f := range x.sc.Faults {
		fs := FaultStatus{Kind: f.Kind, Fired: fired[f.Kind]}
		if spec := kinds[f.Kind]; spec.fired != nil {
			fs.Fired = spec.fired(x)
		}
		if f.At != nil {
			fs.At = f.At.Time(x.start)
			if f.For > 0 {
				fs.Until = fs.At.Add(time.Duration(f.For))
			}
		}
		st.Faults = append(st.Faults, fs)
	}
	var err error
	st.Quarantine, err = x.quarantineByReason(ctx)
	return st, err
}

// Oracle returns the oracle's world as of the last build: what CORE must
// hold then (see run.worldAt: the expected world cut at the build's as_of,
// with the events sent by then), so that its marts are what the
// warehouse's must be. Nil before the first build.
func (p *Replay) Oracle() *sim.World {
	if p.x.lastAsOf.IsZero() {
		return nil
	}
	var missing []time.Time
	if p.x.active() {
		missing = p.x.failedDates
	}
	return p.x.worldAt(p.x.lastAsOf, missing)
}

// reasonNoise is what makes two reasons of one kind differ: record
// numbers, quoted values, numbers.
var reasonNoise = regexp.MustCompile(`^record \d+: |"[^"]*"|\d[\d.:TZ+-]*`)

// quarantineByReason counts QUARANTINE's records by the kind of their
// reason: the consumer's (quarantine/events/) and the transform's, the
// records Load rejected when it staged each RAW object (the
// quarantine/transform/ files the staging manifests name; see staged.go).
// Both come from the lake, and each object is read once: a replay calls
// it every tick. Not safe for concurrent use (a Replay is driven by one
// goroutine at a time).
func (x *run) quarantineByReason(ctx context.Context) ([]Count, error) {
	counts := map[string]int{}
	store := x.r.Env.Lake
	infos, err := store.List(ctx, lake.QuarantineEvents)
	if err != nil {
		return nil, err
	}
	if x.quarantined == nil {
		x.quarantined = map[string]map[string]int{}
	}
	for _, info := range infos {
		byReason, ok := x.quarantined[info.Key]
		if !ok {
			body, err := store.Get(ctx, info.Key)
			if err != nil {
				continue // read again next time
			}
			byReason = map[string]int{}
			for _, line := range gunzipLines(body) {
				var rec struct {
					Reason string `json:"reason"`
				}
				if json.Unmarshal(line, &rec) == nil {
					byReason["stream: "+reasonKind(rec.Reason)]++
				}
			}
			x.quarantined[info.Key] = byReason
		}
		for k, n := range byReason {
			counts[k] += n
		}
	}
	// The transform's, by staging manifest (written once, never changed).
	staged, err := store.List(ctx, lake.StagedPrefix)
	if err != nil {
		return nil, err
	}
	var fresh lake.StagedManifests
	for _, info := range staged {
		if _, ok := x.quarantined[info.Key]; ok {
			continue
		}
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			continue // read again next time
		}
		if err := fresh.Add(info, body, nil); err != nil {
			return nil, err
		}
	}
	byManifest, err := rejectedByReason(ctx, store, fresh.Valid)
	if err != nil {
		return nil, err
	}
	for key, byReason := range byManifest {
		kinds := map[string]int{}
		for reason, n := range byReason {
			kinds["load: "+reasonKind(reason)] += n
		}
		x.quarantined[key] = kinds
	}
	for _, info := range staged {
		for k, n := range x.quarantined[info.Key] {
			counts[k] += n
		}
	}
	out := make([]Count, 0, len(counts))
	for k, n := range counts {
		out = append(out, Count{Name: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// reasonKind shortens a reason to its kind: the values removed, at most
// 48 characters.
func reasonKind(reason string) string {
	r := reasonNoise.ReplaceAllString(reason, "")
	if i := strings.Index(r, ": "); i > 0 {
		r = r[:i]
	}
	r = strings.Join(strings.Fields(r), " ")
	if len(r) > 48 {
		r = r[:48]
	}
	return r
}
