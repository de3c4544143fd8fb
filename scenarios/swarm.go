package scenarios

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/pipeline"
)

// drawTries is how many times Draw draws a kind again when the fault it
// drew cannot strike in the scenario drawn so far.
const drawTries = 4

// Draw returns the scenario the swarm runs for seed, as TigerBeetle's VOPR
// draws a fault mix from each seed: a small world, a stream of one to four
// shards, and one to four fault kinds at random with random parameters
// (never two that set the same knob). A fault is drawn only where it can
// strike: every fault of the result keeps its kind's rules in the world
// drawn (Scenario.unfireable is empty), a kind whose draws keep failing
// them is left out, and a kind may enlarge the world it needs (cost_growth
// a bigger shop on quotas). Everything comes from rng.New(seed,
// "scenarios/swarm"): the same seed draws the same scenario.
func Draw(seed uint64) Scenario {
	r := rng.New(seed, "scenarios/swarm")
	sc := Scenario{
		Name: fmt.Sprintf("swarm-%d", seed), Seed: seed, Drawn: true,
		World:  World{Users: 30 + r.IntN(50), Days: 2 + r.IntN(2), Traffic: 1 + float64(r.IntN(3)), Realistic: r.IntN(2) == 0},
		Stream: Stream{Shards: 1 + r.IntN(4)},
	}
	var pool []Kind
	for _, k := range Kinds() {
		if kinds[k].draw != nil {
			pool = append(pool, k)
		}
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	want := 1 + r.IntN(4)
	groups := map[string]bool{}
	for _, k := range pool {
		if len(sc.Faults) == want {
			break
		}
		spec := kinds[k]
		if spec.group != "" && groups[spec.group] {
			continue
		}
		for try := 0; try < drawTries; try++ {
			cand := sc
			cand.Faults = slices.Clone(sc.Faults)
			f, ok := spec.draw(r, &cand)
			if !ok {
				break
			}
			cand.Faults = append(cand.Faults, f)
			if len(cand.unfireable()) == 0 && cand.Validate() == nil {
				sc = cand
				groups[spec.group] = true
				break
			}
		}
	}
	sc.Description = fmt.Sprintf("drawn by the swarm from seed %d", seed)
	return sc
}

// unfireable lists the faults of sc that cannot strike in it by their
// kind's rules (kindSpec.strikes), with why.
func (sc *Scenario) unfireable() []string {
	var out []string
	for i, f := range sc.Faults {
		if s := kinds[f.Kind].strikes; s != nil {
			if why := s(f, sc); why != "" {
				out = append(out, fmt.Sprintf("faults[%d] (%s): %s", i, f.Kind, why))
			}
		}
	}
	return out
}

// The draw's rules: what makes a fault strike in a drawn world.

// missChance bounds the chance that a drawn fault strikes nothing: a fault
// drawn per event, request or write must strike at least once with
// probability 1-missChance.
const missChance = 0.001

// defaultProducts is the catalogue of a world that does not size it.
var defaultProducts = config.DefaultConfig().Sim.Products

// eventsAtLeast is a lower bound of the events a world's fleet sends: the
// simulator gives a drawn world at least 1.5 events per user and day at
// traffic 1 (2.7 at 2, 3.7 at 3); 1.1 per unit of traffic keeps a margin.
func eventsAtLeast(w World) float64 {
	traffic := w.Traffic
	if traffic == 0 {
		traffic = 1
	}
	return 1.1 * float64(w.Users*w.Days) * traffic
}

// rawWrites is a lower bound of the RAW writes of the fault phase: three
// FakeStore objects per date (the opening's included) and a batch of
// events for about a quarter of the events or every other hour, whichever
// is less.
func rawWrites(sc *Scenario) float64 {
	d := float64(sc.World.Days)
	return 3*(d+1) + min(12*d, eventsAtLeast(sc.World)/4)
}

// fakestoreRequests is a lower bound of the FakeStore requests of the
// fault phase: users, products and carts for each date, the opening's
// included.
func fakestoreRequests(sc *Scenario) int { return 3 * (sc.World.Days + 1) }

// shards is the stream's shards at creation.
func shards(sc *Scenario) int {
	if sc.Stream.Shards == 0 {
		return 2
	}
	return sc.Stream.Shards
}

// rateFor draws a rate in [lo, hi], raised if need be to the least rate at
// which a fault drawn over trials independent trials misses all of them
// with a chance below missChance.
func rateFor(r *rand.Rand, lo, hi, trials float64) float64 {
	rate := lo + (hi-lo)*r.Float64()
	if trials <= 0 {
		return rate
	}
	return min(1, max(rate, 1-math.Pow(missChance, 1/trials)))
}

// missed says why a fault of rate rate over trials trials (what) may miss
// them all, "" if the chance is below missChance.
func missed(rate, trials float64, what string) string {
	if p := math.Pow(1-rate, trials); p > missChance {
		return fmt.Sprintf("rate %.4f misses all of at least %.0f %s with chance %.4f (the swarm allows %v)", rate, trials, what, p, missChance)
	}
	return ""
}

// eventRate draws the rate of a fault that strikes events.
func eventRate(r *rand.Rand, sc *Scenario, lo, hi float64) float64 {
	return rateFor(r, lo, hi, eventsAtLeast(sc.World))
}

// eventRateStrikes is the rule of a fault that strikes a share of the
// events (def when it sets no rate).
func eventRateStrikes(def float64) func(Fault, *Scenario) string {
	return func(f Fault, sc *Scenario) string {
		return missed(orRate(f.Rate, def), eventsAtLeast(sc.World), "events")
	}
}

// apiStrikes is the rule of a FakeStore fault drawn per request: every
// Every-th request, or a rate, over the fault phase's requests.
func apiStrikes(f Fault, sc *Scenario) string {
	if f.At != nil || f.For != 0 {
		return "a window may hold no request"
	}
	n := fakestoreRequests(sc)
	if f.Every > 0 {
		if f.Every > n {
			return fmt.Sprintf("every %d requests: the fault phase makes at least %d", f.Every, n)
		}
		return ""
	}
	return missed(f.Rate, float64(n), "FakeStore requests")
}

// coversBatch is the rule of a FakeStore fault with a window (default from
// def for d): the window must hold the start of a daily batch of the fault
// phase (day N 00:05, for N from 2 to the day after the last) that no
// api_down holds, since a request api_down answers reaches no other fault.
func coversBatch(f Fault, sc *Scenario, def Moment, d time.Duration) string {
	at := def
	if f.At != nil {
		at = *f.At
	}
	if f.For > 0 {
		d = time.Duration(f.For)
	}
	from := at.sinceStart()
	for day := 2; day <= sc.World.Days+1; day++ {
		batch := Moment{Day: day, Offset: pipeline.IngestDelay}.sinceStart()
		if from <= batch && batch < from+d && (f.Kind == APIDown || !apiDownAt(sc, batch)) {
			return ""
		}
	}
	return fmt.Sprintf("the window %s for %s holds no daily batch that api_down leaves open", at, d)
}

// has reports whether sc has a fault of kind k.
func has(sc *Scenario, k Kind) bool {
	return slices.ContainsFunc(sc.Faults, func(f Fault) bool { return f.Kind == k })
}

// afterUsers is the rule of a fault that needs the batch's request of
// endpoint, which the ingestion asks after the users (products) or after
// users and products (carts): a torn RAW write of what it fetched before
// (partial_write) fails the date before the request is made.
func afterUsers(endpoint string, sc *Scenario) string {
	if endpoint != "/users" && has(sc, PartialWrite) {
		return fmt.Sprintf("a RAW write torn by partial_write may fail the batch before it asks for %s", endpoint)
	}
	return ""
}

// apiDownAt reports whether an api_down of sc holds the batch that starts
// batch after the world's start.
func apiDownAt(sc *Scenario, batch time.Duration) bool {
	for _, f := range sc.Faults {
		if f.Kind != APIDown {
			continue
		}
		at, d := Moment{Day: 2}, time.Hour
		if f.At != nil {
			at = *f.At
		}
		if f.For > 0 {
			d = time.Duration(f.For)
		}
		if from := at.sinceStart(); from <= batch && batch < from+d {
			return true
		}
	}
	return false
}

// readStrikes is the rule of a fault that needs records to read
// (stale_consumer, raw_write_race): from At to the end of the fault phase
// there must be hours enough with the fleet online, since it strikes in
// the first one that has records.
func readStrikes(f Fault, sc *Scenario) string {
	at := Moment{Day: 1, Offset: 14 * time.Hour}
	if f.At != nil {
		at = *f.At
	}
	end := time.Duration(sc.World.Days) * 24 * time.Hour
	online := 0
	for h := at.sinceStart().Truncate(time.Hour); h < end; h += time.Hour {
		if !offlineAt(sc, h) {
			online++
		}
	}
	if online < 4 {
		return fmt.Sprintf("%d hours with the fleet online from %s to the end of the fault phase, fewer than 4", online, at)
	}
	return ""
}

// offlineAt reports whether a late_burst of sc holds the fleet offline in
// the hour that starts h after the world's start.
func offlineAt(sc *Scenario, h time.Duration) bool {
	for _, f := range sc.Faults {
		if f.Kind != LateBurst {
			continue
		}
		from, d := (Moment{Day: 1, Offset: 12 * time.Hour}).sinceStart(), 6*time.Hour
		if f.At != nil {
			from = f.At.sinceStart()
		}
		if f.For > 0 {
			d = time.Duration(f.For)
		}
		if from < h+time.Hour && h < from+d {
			return true
		}
	}
	return false
}

// sinceStart is how long after the world's start m falls.
func (m Moment) sinceStart() time.Duration {
	return time.Duration(m.Day-1)*24*time.Hour + m.Offset
}

// SwarmOptions are how a swarm runs.
type SwarmOptions struct {
	// FirstSeed and Seeds: the swarm runs seeds FirstSeed, FirstSeed+1, ...
	FirstSeed uint64
	Seeds     int
	// Run is passed to every scenario run (Dir must be empty).
	Run RunOptions
	// Done, if set, is called after each seed with its report, in seed
	// order whatever order the seeds finish in.
	Done func(*Report)
	// Parallel is how many seeds run at once (1 if not positive). Each
	// seed runs in its own directory, on its own endpoints and clock, so
	// running several at once changes no report.
	Parallel int
}

// Swarm draws and runs a scenario for each seed, Parallel at a time, and
// returns their reports in seed order. An error is a run that could not be
// set up: the seeds after it are not reported, and Swarm returns once the
// runs already started have stopped.
func Swarm(ctx context.Context, o SwarmOptions) ([]*Report, error) {
	if o.Seeds < 1 {
		return nil, fmt.Errorf("%w: swarm of %d seeds", ErrInvalidScenario, o.Seeds)
	}
	if o.Run.Dir != "" {
		return nil, fmt.Errorf("%w: a swarm runs each seed in its own directory", ErrInvalidScenario)
	}
	type result struct {
		rep *Report
		err error
	}
	var wg sync.WaitGroup
	defer wg.Wait() // second: the runs already started have stopped
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // first: no seed starts after Swarm returns
	results := make([]chan result, o.Seeds)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	// A fixed pool of workers takes the seeds in order; every result has
	// a buffered channel of its own, so a worker never waits on the reader
	// and the reader takes the reports in seed order.
	seeds := make(chan int)
	go func() {
		defer close(seeds)
		for i := range results {
			select {
			case seeds <- i:
			case <-ctx.Done():
				for ; i < len(results); i++ {
					results[i] <- result{err: ctx.Err()}
				}
				return
			}
		}
	}()
	for range max(1, o.Parallel) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range seeds {
				rep, err := Run(ctx, Draw(o.FirstSeed+uint64(i)), o.Run)
				results[i] <- result{rep, err}
			}
		}()
	}
	var reps []*Report
	for i, ch := range results {
		r := <-ch
		if r.err != nil {
			return reps, fmt.Errorf("seed %d: %w", o.FirstSeed+uint64(i), r.err)
		}
		reps = append(reps, r.rep)
		if o.Done != nil {
			o.Done(r.rep)
		}
	}
	return reps, nil
}

// MinFiredRate is the share of the faults a swarm draws that must fire: a
// fault that never fires proves nothing, and the swarm draws each only
// where it can strike.
const MinFiredRate = 0.99

// SwarmSummary is what a swarm's seeds found, over all of them.
type SwarmSummary struct {
	Seeds  int `json:"seeds"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Drawn counts the faults drawn, Fired those of them that fired at
	// least once in their seed's run; FiredRate is Fired/Drawn (1 when
	// nothing was drawn).
	Drawn     int     `json:"faults_drawn"`
	Fired     int     `json:"faults_fired"`
	FiredRate float64 `json:"fired_share"`
	// Kinds: what each kind drawn did, sorted by kind.
	Kinds []KindSummary `json:"kinds"`
	// NotFired: the faults drawn that never fired, by seed.
	NotFired []SeedFault `json:"not_fired,omitempty"`
}

// KindSummary is what one fault kind did over a swarm.
type KindSummary struct {
	Kind    Kind `json:"kind"`
	Drawn   int  `json:"drawn"`    // seeds that drew it
	FiredIn int  `json:"fired_in"` // of those, seeds where it fired
	Firings int  `json:"firings"`  // its firings over every seed
}

// SeedFault names a fault of one seed.
type SeedFault struct {
	Seed uint64 `json:"seed"`
	Kind Kind   `json:"kind"`
}

// Summarize sums the reports of a swarm.
func Summarize(reps []*Report) SwarmSummary {
	s := SwarmSummary{Seeds: len(reps)}
	byKind := map[Kind]*KindSummary{}
	for _, rep := range reps {
		if rep.OK {
			s.Passed++
		} else {
			s.Failed++
		}
		for _, f := range rep.Faults {
			k := byKind[f.Kind]
			if k == nil {
				k = &KindSummary{Kind: f.Kind}
				byKind[f.Kind] = k
			}
			s.Drawn++
			k.Drawn++
			k.Firings += f.Fired
			if f.Fired > 0 {
				s.Fired++
				k.FiredIn++
			} else {
				s.NotFired = append(s.NotFired, SeedFault{Seed: rep.Seed, Kind: f.Kind})
			}
		}
	}
	s.FiredRate = 1
	if s.Drawn > 0 {
		s.FiredRate = float64(s.Fired) / float64(s.Drawn)
	}
	for _, k := range byKind {
		s.Kinds = append(s.Kinds, *k)
	}
	sort.Slice(s.Kinds, func(i, j int) bool { return s.Kinds[i].Kind < s.Kinds[j].Kind })
	return s
}

// NotFiredText names the faults that did not fire, by kind with their
// seeds ("full_refresh (seeds 16, 34), hung_api (seed 25)"), or "none".
func (s SwarmSummary) NotFiredText() string {
	if len(s.NotFired) == 0 {
		return "none"
	}
	seeds := map[Kind][]string{}
	var order []Kind
	for _, nf := range s.NotFired {
		if _, ok := seeds[nf.Kind]; !ok {
			order = append(order, nf.Kind)
		}
		seeds[nf.Kind] = append(seeds[nf.Kind], fmt.Sprint(nf.Seed))
	}
	slices.Sort(order)
	var parts []string
	for _, k := range order {
		word := "seed"
		if len(seeds[k]) > 1 {
			word = "seeds"
		}
		parts = append(parts, fmt.Sprintf("%s (%s %s)", k, word, strings.Join(seeds[k], ", ")))
	}
	return strings.Join(parts, ", ")
}
