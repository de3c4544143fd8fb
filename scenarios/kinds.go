package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// Kind names a fault a scenario can inject.
type Kind string

// The fault kinds. DESIGN.md's five come first.
const (
	APIDown            Kind = "api_down"
	DuplicateFile      Kind = "duplicate_file"
	LateEvents         Kind = "late_events"
	PartialWrite       Kind = "partial_write"
	CostGrowth         Kind = "cost_growth"
	ConsumerCrash      Kind = "consumer_crash"
	ProducerRetryDups  Kind = "producer_retry_duplicates"
	PoisonRecord       Kind = "poison_record"
	Reshard            Kind = "reshard"
	StaleConsumer      Kind = "stale_consumer"
	DuplicateSnapshot  Kind = "duplicate_snapshot"
	RawWriteRace       Kind = "raw_write_race"
	DuplicateMergeKeys Kind = "duplicate_merge_keys"
	LateBeyondLateness Kind = "late_beyond_lateness"
	FutureClock        Kind = "future_clock"
	SchemaDrift        Kind = "schema_drift"
	MalformedRecords   Kind = "malformed_records"
	RetryAfterStorm    Kind = "retry_after_storm"
	HungAPI            Kind = "hung_api"
	HostileStrings     Kind = "hostile_strings"
	OversizedRecords   Kind = "oversized_records"
	FullRefresh        Kind = "full_refresh"
	OutOfOrder         Kind = "out_of_order"
	ClientDuplicates   Kind = "client_duplicates"
	LateBurst          Kind = "late_burst"
	ConsumerDown       Kind = "consumer_down"
	// Issue 12's integrity faults.
	ConflictingDuplicates Kind = "conflicting_duplicates"
	ClockBehind           Kind = "clock_behind"
	ForeignObjects        Kind = "foreign_objects"
	EmptySnapshot         Kind = "empty_snapshot"
	IgnoreDateFilter      Kind = "ignore_date_filter"
)

// kindSpec is what a fault kind is and how it is installed in a run.
type kindSpec struct {
	about string
	// mayFail: the fault can make steps of the fault phase fail (a date
	// whose ingestion gives up, a drain that stops); the heal phase must
	// then catch them up.
	mayFail bool
	// group: at most one fault of a group per scenario (they set the same
	// knob of the client fleet).
	group string
	// uses: the fields of Fault, besides kind, that the kind reads.
	uses []string
	// install sets the fault up in x; it may return an edit of the world.
	install func(x *run, f Fault, i int) (func(*sim.Config), error)
	// fired, if set, counts the firings at the end of the run (for the
	// faults that the simulator counts itself).
	fired func(x *run) int
	// draw returns a random instance of the kind for the swarm's scenario
	// sc, or false if the swarm does not draw it there. It may enlarge the
	// world or change the stream as the kind needs (cost_growth: a bigger
	// world on quotas); Draw keeps the fault only if every fault of the
	// scenario can then still strike (see strikes).
	draw func(r *rand.Rand, sc *Scenario) (Fault, bool)
	// strikes, if set, says why f cannot fire in sc, "" if it can: the
	// rules the swarm draws by (a window inside the days where the thing
	// happens, shards to merge, a rate that strikes enough events of the
	// world). A drawn fault that does not fire proves nothing, so the
	// swarm keeps none that breaks them (Scenario.unfireable).
	strikes func(f Fault, sc *Scenario) string
	// check, if set, validates the kind's own parameters in a world of
	// days days.
	check func(f Fault, days int) []string
	// planted, if set, lists the RAW keys where the fault (the i-th of
	// the scenario) drops objects that shoplake did not write, on
	// purpose: raw_intact leaves them out (Observation.RawPlanted).
	planted func(x *run, f Fault, i int) []string
}

// Kinds returns every fault kind, sorted.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// About says what a fault kind does, in a sentence.
func About(k Kind) string { return kinds[k].about }

// problems lists what is wrong with f in a world of days days.
func (f Fault) problems(days int) []string {
	spec, ok := kinds[f.Kind]
	if !ok {
		names := make([]string, 0, len(kinds))
		for _, k := range Kinds() {
			names = append(names, string(k))
		}
		return []string{fmt.Sprintf("unknown kind; the kinds are %s", strings.Join(names, ", "))}
	}
	var probs []string
	set := map[string]bool{
		"at": f.At != nil, "for": f.For != 0, "rate": f.Rate != 0, "every": f.Every != 0, "count": f.Count != 0,
		"delay": f.Delay != nil, "status": f.Status != 0, "retry_after": f.RetryAfter != 0, "endpoint": f.Endpoint != "",
		"variant": f.Variant != "", "multiplier": f.Multiplier != 0,
	}
	var unused []string
	for field, isSet := range set {
		if isSet && !slices.Contains(spec.uses, field) {
			unused = append(unused, field)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		probs = append(probs, fmt.Sprintf("%s does not use %s (it uses: %s)", f.Kind, strings.Join(unused, ", "), strings.Join(spec.uses, ", ")))
	}
	if !(f.Rate >= 0 && f.Rate <= 1) {
		probs = append(probs, fmt.Sprintf("rate %v is outside [0,1]", f.Rate))
	}
	if f.Every < 0 || f.Count < 0 || f.For < 0 || f.RetryAfter < 0 || f.Multiplier < 0 {
		probs = append(probs, "every, count, for, retry_after and multiplier must not be negative")
	}
	if f.At != nil && f.At.Day > days {
		probs = append(probs, fmt.Sprintf("at %s is after the world's last day (%d)", f.At, days))
	}
	if spec.check != nil {
		probs = append(probs, spec.check(f, days)...)
	}
	return probs
}

// groupProblems lists the faults of a scenario that set the same knob.
func groupProblems(faults []Fault) []string {
	seen := map[string]Kind{}
	var probs []string
	for _, f := range faults {
		g := kinds[f.Kind].group
		if g == "" {
			continue
		}
		if other, ok := seen[g]; ok {
			probs = append(probs, fmt.Sprintf("%s and %s cannot be combined: both set the client fleet's %s", other, f.Kind, g))
		}
		seen[g] = f.Kind
	}
	return probs
}

// errCrash is what an injected consumer crash returns from a checkpoint.
var errCrash = errors.New("injected crash: the consumer died after writing RAW, before its checkpoint")

// kinds is the registry of fault kinds: this file's init registers most,
// and each kinds_*.go file registers its family (register).
var kinds = map[Kind]kindSpec{}

// register adds specs to the registry; a kind registered twice is a bug.
func register(specs map[Kind]kindSpec) {
	for k, spec := range specs {
		if _, dup := kinds[k]; dup {
			panic("scenarios: fault kind " + string(k) + " registered twice")
		}
		kinds[k] = spec
	}
}

func init() {
	register(map[Kind]kindSpec{
		APIDown: {
			about:   "the FakeStore API stops answering (hangs, or answers \"status\") from \"at\" for \"for\" (default: day 2 00:00 for 1h, the first daily batch); the date fails and is rerun",
			mayFail: true, uses: []string{"at", "for", "status"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from := x.at(f, Moment{Day: 2})
				d := time.Hour
				if f.For > 0 {
					d = time.Duration(f.For)
				}
				rule := sim.FaultRule{Endpoint: "*", Kind: sim.FaultHang, From: from, Until: from.Add(d)}
				if f.Status != 0 {
					rule.Kind, rule.Status = sim.Fault5xx, f.Status
				}
				return nil, x.apiFaults(f.Kind, i, rule)
			},
			check: func(f Fault, _ int) []string {
				if f.Status != 0 && (f.Status < 500 || f.Status > 504 || f.Status == 501) {
					return []string{fmt.Sprintf("status %d is not 500, 502, 503 or 504", f.Status)}
				}
				return nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				days := sc.World.Days
				if days < 2 {
					return Fault{}, false
				}
				f := Fault{Kind: APIDown, At: &Moment{Day: 2 + r.IntN(days-1)}, For: Duration(time.Duration(1+r.IntN(3)) * time.Hour)}
				if r.IntN(2) == 0 {
					f.Status = []int{500, 502, 503, 504}[r.IntN(4)]
				}
				return f, true
			},
			strikes: func(f Fault, sc *Scenario) string { return coversBatch(f, sc, Moment{Day: 2}, time.Hour) },
		},
		HungAPI: {
			about:   "a share \"rate\" (default 0.1) of FakeStore requests, or every \"every\"-th one, never answer; the client's request timeout abandons them and retries; \"at\" and \"for\" limit it to a window, \"endpoint\" to one endpoint",
			mayFail: true, uses: []string{"at", "for", "rate", "every", "endpoint"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from, until := x.window(f)
				return nil, x.apiFaults(f.Kind, i, everyOrRate(f, sim.FaultRule{Endpoint: orStar(f.Endpoint), Kind: sim.FaultHang, Probability: orRate(f.Rate, 0.1), From: from, Until: until}))
			},
			check: everyOrRateCheck,
			// Every 2nd to 4th request: it strikes whatever the world, and
			// never twice in a row, so the retries ride it out.
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: HungAPI, Every: 2 + r.IntN(3)}, true
			},
			strikes: apiStrikes,
		},
		RetryAfterStorm: {
			about:   "a share \"rate\" (default 0.5) of FakeStore requests, or every \"every\"-th one, are answered 429 with Retry-After \"retry_after\" (default 2s); the client waits as told, within its budget; \"at\" and \"for\" limit it to a window, \"endpoint\" to one endpoint",
			mayFail: true, uses: []string{"at", "for", "rate", "every", "retry_after", "endpoint"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from, until := x.window(f)
				ra := time.Duration(f.RetryAfter)
				if ra == 0 {
					ra = 2 * time.Second
				}
				return nil, x.apiFaults(f.Kind, i, everyOrRate(f, sim.FaultRule{Endpoint: orStar(f.Endpoint), Kind: sim.Fault429, Probability: orRate(f.Rate, 0.5), RetryAfter: ra, From: from, Until: until}))
			},
			check: everyOrRateCheck,
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: RetryAfterStorm, Every: 2 + r.IntN(3), RetryAfter: Duration(time.Duration(1+r.IntN(5)) * time.Second)}, true
			},
			strikes: apiStrikes,
		},
		SchemaDrift: {
			about:   "the FakeStore API drifts from its schema from \"at\" for \"for\" (default day 2 00:00 for 1h): prices as strings (variant price_string) or a missing id (missing_field); the date fails, naming the endpoint, and is rerun once the API is fixed; \"endpoint\" limits it to one endpoint",
			mayFail: true, uses: []string{"at", "for", "variant", "endpoint"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from := x.at(f, Moment{Day: 2})
				d := time.Hour
				if f.For > 0 {
					d = time.Duration(f.For)
				}
				rule := sim.FaultRule{Endpoint: "/products", Kind: sim.FaultPriceString, Probability: 1, From: from, Until: from.Add(d)}
				if f.Variant == "missing_field" {
					rule = sim.FaultRule{Endpoint: "/carts", Kind: sim.FaultMissingField, Field: "id", Probability: 1, From: from, Until: from.Add(d)}
				}
				if f.Endpoint != "" {
					rule.Endpoint = f.Endpoint
				}
				return nil, x.apiFaults(f.Kind, i, rule)
			},
			check: variants("price_string", "missing_field"),
			// A missing id is drawn on /users or /products, which always
			// serve rows: a date may have no carts to drop an id from.
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				days := sc.World.Days
				if days < 2 {
					return Fault{}, false
				}
				f := Fault{Kind: SchemaDrift, At: &Moment{Day: 2 + r.IntN(days-1)}, Variant: []string{"price_string", "missing_field"}[r.IntN(2)]}
				if f.Variant == "missing_field" {
					f.Endpoint = []string{"/users", "/products"}[r.IntN(2)]
				}
				return f, true
			},
			strikes: func(f Fault, sc *Scenario) string {
				if f.Variant == "missing_field" && (f.Endpoint == "" || f.Endpoint == "/carts") {
					return "a date may have no carts to drop an id from"
				}
				for _, g := range sc.Faults {
					if g.Kind == EmptySnapshot && "/"+emptyEntity(g) == driftEndpoint(f) {
						return "an empty snapshot of the same endpoint may answer first"
					}
				}
				if why := afterUsers(driftEndpoint(f), sc); why != "" {
					return why
				}
				return coversBatch(f, sc, Moment{Day: 2}, time.Hour)
			},
		},
		HostileStrings: {
			about: "a share \"rate\" (default 0.3) of product titles and categories are hostile strings (quotes, ../, SQL, control characters); they load as data",
			uses:  []string{"rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				rate := orRate(f.Rate, 0.3)
				return func(c *sim.Config) { c.HostileRate = rate }, nil
			},
			fired: func(x *run) int { return x.r.World.Stats.HostileProducts },
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: HostileStrings, Rate: 0.3 + 0.5*r.Float64()}, true
			},
			// Drawn per product: the chance that none of them is hostile
			// must be below a thousandth.
			strikes: func(f Fault, sc *Scenario) string {
				products := sc.World.Products
				if products == 0 {
					products = defaultProducts
				}
				rate := orRate(f.Rate, 0.3)
				if p := math.Pow(1-rate, float64(products)); p > missChance {
					return fmt.Sprintf("rate %.3f leaves all %d products clean with chance %.4f", rate, products, p)
				}
				return ""
			},
		},
		DuplicateMergeKeys: {
			about: "the same business key twice in one MERGE batch: FakeStore lists repeat some carts and products (share \"rate\", default 0.2), and events resent 30m to 3h later reach RAW twice because every hour's consumer starts with an empty dedup window (as Lambda invocations do)",
			group: "duplicates", uses: []string{"rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				rate := orRate(f.Rate, 0.2)
				if err := x.apiFaults(f.Kind, i, sim.FaultRule{Endpoint: "*", Kind: sim.FaultDuplicateIDs, Probability: 1, Share: rate}); err != nil {
					return nil, err
				}
				a := &x.popts.Anomalies
				a.DuplicateRate, a.DuplicateCopies = rate, 2
				a.DuplicateGap = sim.DelayDist{Kind: sim.DelayUniform, Min: 30 * time.Minute, Max: 3 * time.Hour}
				x.everyHour = append(x.everyHour, func(context.Context) error { x.r.RestartConsumer(); return nil })
				x.counters = append(x.counters, counter{f.Kind, func() int { return x.r.Anomalies().Duplicates }})
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: DuplicateMergeKeys, Rate: 0.05 + 0.2*r.Float64()}, true
			},
		},
		DuplicateSnapshot: {
			about: "the batch of a date runs twice (an orchestrator's retry) right after it succeeded, on day \"at\" (default day 2), or the first day after it whose batch succeeds: the same content is skipped, nothing is written twice",
			uses:  []string{"at"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				onFirstDay(x, f, false, func(ctx context.Context, date time.Time, ingested bool) (bool, error) {
					if !ingested || !x.active() {
						return false, nil
					}
					before := map[string]bool{}
					for _, o := range x.lastIngest.Objects {
						before[o.SHA256] = true
					}
					res, err := x.r.Ingest(ctx, date)
					if err != nil {
						return true, err
					}
					// Content served again must be skipped; another fault
					// may make the source serve other bytes (a list with
					// other duplicates), which is a new snapshot.
					for _, o := range res.Objects {
						if before[o.SHA256] && o.Written {
							x.violate("duplicate_snapshot: ingesting %s again rewrote %s, whose content was already in RAW", date.Format(time.DateOnly), o.Key)
						}
						if before[o.SHA256] {
							x.fire(f.Kind, 1)
						}
					}
					return true, nil
				})
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: DuplicateSnapshot, At: &Moment{Day: 1 + r.IntN(sc.World.Days)}}, true
			},
		},
		DuplicateFile: {
			about: "files arrive twice in RAW at \"at\" (default day 1 12:00): \"count\" (default 3) event batches are copied into the next arrival hour, and a FakeStore file into another date's partition; the copies are loaded (events) or ignored (uncommitted FakeStore files) and CORE is unchanged",
			uses:  []string{"at", "count"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				n := f.Count
				if n == 0 {
					n = 3
				}
				x.actions = append(x.actions, action{at: x.at(f, Moment{Day: 1, Offset: 12 * time.Hour}), kind: f.Kind, do: func(ctx context.Context) error {
					copied, err := duplicateFiles(ctx, x.r.Env.Lake, n)
					x.fire(f.Kind, copied)
					return err
				}})
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: DuplicateFile, At: &Moment{Day: 1 + r.IntN(sc.World.Days), Offset: time.Duration(4+r.IntN(20)) * time.Hour}, Count: 1 + r.IntN(5)}, true
			},
		},
		LateEvents: {
			about: "a share \"rate\" (default 0.1) of events is sent late, after a delay drawn uniformly from \"delay\" (default 10m..20h), within the allowed lateness (24h): their days are rebuilt by the next runs",
			group: "lateness", uses: []string{"rate", "delay"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				d := orRange(f.Delay, 10*time.Minute, 20*time.Hour)
				a := &x.popts.Anomalies
				a.LateRate, a.LateDelay = orRate(f.Rate, 0.1), sim.DelayDist{Kind: sim.DelayUniform, Min: d.Min, Max: d.Max}
				a.LateThreshold = warehouse.DefaultAllowedLateness
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Late },
			check: func(f Fault, _ int) []string {
				if f.Delay != nil && f.Delay.Max > warehouse.DefaultAllowedLateness {
					return []string{fmt.Sprintf("delay %s..%s goes beyond the allowed lateness %s: use late_beyond_lateness", f.Delay.Min, f.Delay.Max, warehouse.DefaultAllowedLateness)}
				}
				return nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: LateEvents, Rate: eventRate(r, sc, 0.02, 0.17), Delay: &DurationRange{Min: time.Minute, Max: time.Duration(1+r.IntN(23)) * time.Hour}}, true
			},
			strikes: eventRateStrikes(0.1),
		},
		LateBeyondLateness: {
			about: "a share \"rate\" (default 0.03) of events is sent after their day is final, \"delay\" (default 50h..72h) after they happened (a day is final once an event a day past its end has been built, which the daily builds see up to two days after the day): they are kept, flagged, their days queued and backfilled",
			group: "lateness", uses: []string{"rate", "delay"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				d := orRange(f.Delay, 50*time.Hour, 72*time.Hour)
				a := &x.popts.Anomalies
				a.LateRate, a.LateDelay = orRate(f.Rate, 0.03), sim.DelayDist{Kind: sim.DelayUniform, Min: d.Min, Max: d.Max}
				a.LateThreshold = warehouse.DefaultAllowedLateness
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().LateBeyondThreshold },
			check: func(f Fault, _ int) []string {
				if f.Delay != nil && f.Delay.Min <= warehouse.DefaultAllowedLateness+time.Hour {
					return []string{fmt.Sprintf("delay must start beyond the allowed lateness plus an hour (%s)", warehouse.DefaultAllowedLateness+time.Hour)}
				}
				// Older at arrival than the maximum age, an event is
				// quarantined as a clock behind, not kept as late data.
				if f.Delay != nil && f.Delay.Max >= warehouse.DefaultMaxEventAge {
					return []string{fmt.Sprintf("delay must end before the maximum event age (%s): older events are quarantined (a clock behind)", warehouse.FormatAge(warehouse.DefaultMaxEventAge))}
				}
				return nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: LateBeyondLateness, Rate: eventRate(r, sc, 0.01, 0.06)}, true
			},
			strikes: eventRateStrikes(0.03),
		},
		OutOfOrder: {
			about: "a share \"rate\" (default 0.1) of events is held back and sent after the next event of its session",
			uses:  []string{"rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				x.popts.Anomalies.OutOfOrderRate = orRate(f.Rate, 0.1)
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().OutOfOrder },
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: OutOfOrder, Rate: eventRate(r, sc, 0.05, 0.25)}, true
			},
			strikes: eventRateStrikes(0.1),
		},
		FutureClock: {
			about: "a share \"rate\" (default 0.05) of clients have clocks ahead by a skew drawn from \"delay\" (default 5m..50m): within the warehouse's tolerance (1h) the event is kept as sent; a range from 2h30m on is quarantined (a clock ahead)",
			uses:  []string{"rate", "delay"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				d := orRange(f.Delay, 5*time.Minute, 50*time.Minute)
				a := &x.popts.Anomalies
				a.FutureClockRate, a.FutureSkew = orRate(f.Rate, 0.05), sim.DelayDist{Kind: sim.DelayUniform, Min: d.Min, Max: d.Max}
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Future },
			check: func(f Fault, _ int) []string {
				// Records are put at the end of their hour: a skew of up to
				// 50m is always within the tolerance, one of 2h30m or more
				// always beyond it.
				if f.Delay != nil && !(f.Delay.Max <= futureKeptMax || f.Delay.Min >= futureQuarantinedMin) {
					return []string{fmt.Sprintf("delay %s..%s must lie within ..%s (kept) or %s.. (quarantined): between them the outcome depends on the second the record arrives", f.Delay.Min, f.Delay.Max, futureKeptMax, futureQuarantinedMin)}
				}
				if f.Delay != nil && f.Delay.Min == 0 {
					return []string{"delay must start above 0"}
				}
				return nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				f := Fault{Kind: FutureClock, Rate: eventRate(r, sc, 0.02, 0.1)}
				if r.IntN(2) == 0 {
					f.Delay = &DurationRange{Min: 3 * time.Hour, Max: 48 * time.Hour}
				}
				return f, true
			},
			strikes: eventRateStrikes(0.05),
		},
		ClientDuplicates: {
			about: "a share \"rate\" (default 0.1) of events is sent twice or three times, seconds apart; the consumer's dedup window drops the copies",
			group: "duplicates", uses: []string{"rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				a := &x.popts.Anomalies
				a.DuplicateRate, a.DuplicateCopies = orRate(f.Rate, 0.1), 2
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Duplicates },
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: ClientDuplicates, Rate: eventRate(r, sc, 0.05, 0.25)}, true
			},
			strikes: eventRateStrikes(0.1),
		},
		PoisonRecord: {
			about: "a share \"rate\" (default 0.01) of records is poison (invalid JSON, an unknown event type): each is quarantined with its reason, shard and sequence number, and never blocks its shard",
			group: "malformed", uses: []string{"rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				a := &x.popts.Anomalies
				a.MalformedRate, a.MalformedKinds = orRate(f.Rate, 0.01), []sim.MalformedKind{sim.MalformedInvalidJSON, sim.MalformedUnknownEventType}
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Malformed },
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: PoisonRecord, Rate: eventRate(r, sc, 0.005, 0.025)}, true
			},
			strikes: eventRateStrikes(0.01),
		},
		MalformedRecords: {
			about: "a share \"rate\" (default 0.03) of records is malformed (\"variant\": kinds among invalid_json, missing_field, wrong_type, unknown_event_type, comma-separated, default all four; add \"replaces\" for records that replace their event instead of coming in addition)",
			group: "malformed", uses: []string{"rate", "variant"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				a := &x.popts.Anomalies
				a.MalformedRate = orRate(f.Rate, 0.03)
				a.MalformedKinds = []sim.MalformedKind{sim.MalformedInvalidJSON, sim.MalformedMissingField, sim.MalformedWrongType, sim.MalformedUnknownEventType}
				if f.Variant != "" {
					a.MalformedKinds = nil
					for _, v := range strings.Split(f.Variant, ",") {
						if v = strings.TrimSpace(v); v == "replaces" {
							a.MalformedReplaces = true
						} else {
							a.MalformedKinds = append(a.MalformedKinds, sim.MalformedKind(v))
						}
					}
				}
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Malformed },
			check: func(f Fault, _ int) []string {
				if f.Variant == "" {
					return nil
				}
				var probs []string
				for _, v := range strings.Split(f.Variant, ",") {
					v = strings.TrimSpace(v)
					if v != "replaces" && !slices.Contains([]string{"invalid_json", "missing_field", "wrong_type", "unknown_event_type"}, v) {
						probs = append(probs, fmt.Sprintf("variant %q is not invalid_json, missing_field, wrong_type, unknown_event_type or replaces (oversized records are oversized_records)", v))
					}
				}
				return probs
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				f := Fault{Kind: MalformedRecords, Rate: eventRate(r, sc, 0.01, 0.06)}
				if r.IntN(3) == 0 {
					f.Variant = "invalid_json,missing_field,wrong_type,unknown_event_type,replaces"
				}
				return f, true
			},
			strikes: eventRateStrikes(0.03),
		},
		OversizedRecords: {
			about: "a share \"rate\" (default 0.01) of clients send records over Kinesis's 1 MiB limit: the producer refuses each one, counted with its reason; none reaches the stream",
			group: "malformed", uses: []string{"rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				a := &x.popts.Anomalies
				a.MalformedRate, a.MalformedKinds = orRate(f.Rate, 0.01), []sim.MalformedKind{sim.MalformedOversized}
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Malformed },
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: OversizedRecords, Rate: eventRate(r, sc, 0.002, 0.007)}, true
			},
			strikes: eventRateStrikes(0.01),
		},
		ProducerRetryDups: {
			about:   "a share \"rate\" (default 0.2) of PutRecords calls succeed on the stream but their answer is lost (500 InternalFailure); the producer retries and the stream holds the records twice (at rate 1 the producer gives up: the records are indeterminate, and in the stream); \"at\" and \"for\" limit it to a window",
			mayFail: true, uses: []string{"at", "for", "rate"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from, until := x.window(f)
				l := &lostAnswers{x: x, kind: f.Kind, rate: orRate(f.Rate, 0.2), from: from, until: until, rnd: rng.New(x.sc.Seed, fmt.Sprintf("scenarios/fault/%d", i))}
				x.wrap("kinesis", l.wrap)
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: ProducerRetryDups, Rate: 0.2 + 0.2*r.Float64()}, true
			},
			// Drawn per PutRecords call, about one an hour with records.
			strikes: func(f Fault, sc *Scenario) string {
				if f.At != nil || f.For != 0 {
					return "a window may hold no PutRecords call"
				}
				calls := min(float64(24*sc.World.Days), eventsAtLeast(sc.World)/2)
				if p := math.Pow(1-orRate(f.Rate, 0.2), calls); p > missChance {
					return fmt.Sprintf("rate %.3f over about %.0f PutRecords calls loses no answer with chance %.4f", f.Rate, calls, p)
				}
				return ""
			},
		},
		ConsumerCrash: {
			about: "the consumer dies after writing a batch to RAW and before its checkpoint, on every \"every\"-th checkpoint (default 5), at most \"count\" times (default 3); its restart re-reads the batch, finds it in RAW and loses nothing; \"at\" and \"for\" limit it to a window",
			uses:  []string{"at", "for", "every", "count"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from, until := x.window(f)
				c := &crashes{x: x, kind: f.Kind, every: orInt(f.Every, 5), left: orInt(f.Count, 3), from: from, until: until}
				x.cpWrap = append(x.cpWrap, c.wrap)
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: ConsumerCrash, Every: 2 + r.IntN(8), Count: 1 + r.IntN(5)}, true
			},
			// A drain checkpoints at least once an hour with records.
			strikes: func(f Fault, sc *Scenario) string {
				if f.At != nil || f.For != 0 {
					return "a window may hold no checkpoint"
				}
				if every := orInt(f.Every, 5); float64(every) > min(float64(12*sc.World.Days), eventsAtLeast(sc.World)/4) {
					return fmt.Sprintf("every %d checkpoints: the world may not checkpoint that often", every)
				}
				return ""
			},
		},
		StaleConsumer: {
			about: "at \"at\" (default day 1 10:00), or the first hour after it with records to read, the consumer reads a batch and stalls past its lease; a second consumer takes the shards over and drains them; the first one resumes, writes its batch (already there) and its checkpoint is refused (ErrLeaseLost)",
			uses:  []string{"at"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				untilStruck(x, x.at(f, Moment{Day: 1, Offset: 10 * time.Hour}), func(ctx context.Context) (bool, error) {
					return staleConsumer(ctx, x, f.Kind)
				})
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: StaleConsumer, At: &Moment{Day: 1 + r.IntN(sc.World.Days), Offset: time.Duration(6+r.IntN(13)) * time.Hour}}, true
			},
			strikes: readStrikes,
		},
		RawWriteRace: {
			about: "at \"at\" (default day 1 14:00), or the first hour after it with records to read, two consumers read the same batch and write it at the same time: one conditional put wins, the other finds the object there; the RAW key is written once",
			uses:  []string{"at"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				untilStruck(x, x.at(f, Moment{Day: 1, Offset: 14 * time.Hour}), func(ctx context.Context) (bool, error) {
					return rawWriteRace(ctx, x, f.Kind)
				})
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: RawWriteRace, At: &Moment{Day: 1 + r.IntN(sc.World.Days), Offset: time.Duration(6+r.IntN(13)) * time.Hour}}, true
			},
			strikes: func(f Fault, sc *Scenario) string {
				if has(sc, PartialWrite) {
					return "a racing write torn by partial_write would fail the race's own check"
				}
				return readStrikes(f, sc)
			},
		},
		Reshard: {
			about: "at \"at\" (default day 1 08:00) a shard is split in two (variant split, the default) or two adjacent shards are merged (variant merge); parents are read to their end before their children",
			uses:  []string{"at", "variant"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				x.actions = append(x.actions, action{at: x.at(f, Moment{Day: 1, Offset: 8 * time.Hour}), kind: f.Kind, do: func(ctx context.Context) error {
					did, err := reshard(ctx, x.r.Env.Kinesis, x.cfg.Kinesis.Stream, f.Variant == "merge")
					if did {
						x.fire(f.Kind, 1)
					}
					return err
				}})
				return nil, nil
			},
			check: variants("split", "merge"),
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				f := Fault{Kind: Reshard, At: &Moment{Day: 1 + r.IntN(sc.World.Days), Offset: time.Duration(r.IntN(24)) * time.Hour}, Variant: "split"}
				if shards(sc) > 1 && r.IntN(2) == 0 {
					f.Variant = "merge"
				}
				return f, true
			},
			strikes: func(f Fault, sc *Scenario) string {
				if f.Variant == "merge" && shards(sc) < 2 {
					return "a merge needs two shards"
				}
				return ""
			},
		},
		PartialWrite: {
			about:   "a share \"rate\" (default 0.05) of RAW writes, at most \"count\" (default 5), are damaged in transit: cut short (variant torn) or altered (bad_checksum, the default); the S3 endpoint refuses them by their Content-MD5, nothing partial is ever visible, and the write is replayed; \"at\" and \"for\" limit it to a window",
			mayFail: true, uses: []string{"at", "for", "rate", "count", "variant"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from, until := x.window(f)
				t := &tears{x: x, kind: f.Kind, torn: f.Variant == "torn", rate: orRate(f.Rate, 0.05), left: orInt(f.Count, 5), from: from, until: until, prefix: x.cfg.S3.Prefix, rnd: rng.New(x.sc.Seed, fmt.Sprintf("scenarios/fault/%d", i))}
				// Outside the journal: the journal sees only what the server
				// accepted.
				x.wrap("s3", t.wrap)
				return nil, nil
			},
			check: variants("torn", "bad_checksum"),
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: PartialWrite, Rate: rateFor(r, 0.1, 0.3, rawWrites(sc)), Count: 1 + r.IntN(4), Variant: []string{"torn", "bad_checksum"}[r.IntN(2)]}, true
			},
			// Drawn per RAW write of the fault phase.
			strikes: func(f Fault, sc *Scenario) string {
				if f.At != nil || f.For != 0 {
					return "a window may hold no RAW write"
				}
				return missed(orRate(f.Rate, 0.05), rawWrites(sc), "RAW writes")
			},
		},
		CostGrowth: {
			about: "a campaign multiplies traffic by \"multiplier\" (default 25) from \"at\" for \"for\" (default day 2 10:00 for 4h) on a stream held to AWS's shard quotas: the metrics that detect it (records per shard, throttles, bytes stored) cross their alert thresholds, and nothing is lost",
			uses:  []string{"at", "for", "multiplier"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				at := x.at(f, Moment{Day: 2, Offset: 10 * time.Hour})
				d := 4 * time.Hour
				if f.For > 0 {
					d = time.Duration(f.For)
				}
				m := f.Multiplier
				if m == 0 {
					m = 25
				}
				return func(c *sim.Config) {
					c.Campaigns = append(c.Campaigns, sim.Campaign{Start: at, Duration: d, Multiplier: m})
				}, nil
			},
			fired: func(x *run) int { return int(x.r.World.Stats.CampaignSessions) },
			check: func(f Fault, _ int) []string {
				if f.At != nil && f.At.Day < 2 {
					return []string{"the spike must start on day 2 or later: day 1 is the baseline the alerts compare with"}
				}
				return nil
			},
			// A campaign is worth drawing on a stream held to its quotas and
			// a shop big enough to load it: 150 to 250 users at least.
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				days := sc.World.Days
				if days < 2 {
					return Fault{}, false
				}
				sc.Stream.Quotas = true
				sc.World.Users = max(sc.World.Users, 150+r.IntN(101))
				return Fault{Kind: CostGrowth, At: &Moment{Day: 2 + r.IntN(days-1), Offset: time.Duration(8+r.IntN(7)) * time.Hour},
					For: Duration(time.Duration(2+r.IntN(3)) * time.Hour), Multiplier: float64(10 + r.IntN(31))}, true
			},
			strikes: func(f Fault, sc *Scenario) string {
				if !sc.Stream.Quotas {
					return "a stream without quotas throttles nothing"
				}
				return ""
			},
		},
		LateBurst: {
			about: "the client fleet goes offline from \"at\" for \"for\" (default day 1 12:00 for 6h), keeping what it records, and sends it all in one burst when it is back: a whole window of events arrives late at once",
			uses:  []string{"at", "for"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from := x.at(f, Moment{Day: 1, Offset: 12 * time.Hour})
				d := 6 * time.Hour
				if f.For > 0 {
					d = time.Duration(f.For)
				}
				x.offline = append(x.offline, offline{kind: f.Kind, from: from, until: from.Add(d)})
				return nil, nil
			},
			// The fleet must be back within the fault phase: a burst sent in
			// the heal phase is not the fault's.
			draw:    drawWindow(LateBurst, 12),
			strikes: windowStrikes(Moment{Day: 1, Offset: 12 * time.Hour}, 6*time.Hour, "the fleet is back only after the fault phase"),
		},
		ConsumerDown: {
			about: "the stream's consumer is down from \"at\" for \"for\" (default day 1 12:00 for 4h): the fleet keeps sending, the records wait on the stream, and the consumer drains the backlog when it is back; nothing is lost, and the consumer-stalled alert fires",
			uses:  []string{"at", "for"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from := x.at(f, Moment{Day: 1, Offset: 12 * time.Hour})
				d := 4 * time.Hour
				if f.For > 0 {
					d = time.Duration(f.For)
				}
				x.consumerDown = append(x.consumerDown, offline{kind: f.Kind, from: from, until: from.Add(d)})
				return nil, nil
			},
			// Not drawn by the swarm: a drawn window may cross a day's
			// build, whose marts the runner compares with the oracle's
			// (marts_every_build) as if the consumer had drained every
			// hour; and drawing it changes every seed's draws, which the
			// fixed seeds of CI's soak have been proved on.
			strikes: windowStrikes(Moment{Day: 1, Offset: 12 * time.Hour}, 4*time.Hour, "the consumer is back only after the fault phase"),
			check: func(f Fault, days int) []string {
				at, d := Moment{Day: 1, Offset: 12 * time.Hour}, 4*time.Hour
				if f.At != nil {
					at = *f.At
				}
				if f.For > 0 {
					d = time.Duration(f.For)
				}
				if at.Offset+d > 24*time.Hour {
					return []string{"the consumer must be back by the end of its day (at + for within the day): the day's build compares the marts with every event sent that day"}
				}
				return nil
			},
		},
		FullRefresh: {
			about: "after the build of day \"at\" (default day 2), or of the first day after it whose build promotes, the warehouse is rebuilt from STAGING with a full refresh; it must give the same tables, and the incremental runs that follow go on from it",
			uses:  []string{"at"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				onFirstDay(x, f, true, func(ctx context.Context, date time.Time, _ bool) (bool, error) {
					if !x.active() || x.lastTransform.Status != warehouse.StatusPromoted {
						return false, nil
					}
					return true, fullRefresh(ctx, x, f.Kind, date)
				})
				return nil, nil
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				return Fault{Kind: FullRefresh, At: &Moment{Day: 1 + r.IntN(sc.World.Days)}}, true
			},
		},
	})
}

// Thresholds of FutureClock's skews (see its check).
const (
	futureKeptMax        = 50 * time.Minute
	futureQuarantinedMin = 150 * time.Minute
)

func variants(vs ...string) func(Fault, int) []string {
	return func(f Fault, _ int) []string {
		if f.Variant != "" && !slices.Contains(vs, f.Variant) {
			return []string{fmt.Sprintf("variant %q is not one of %s", f.Variant, strings.Join(vs, ", "))}
		}
		return nil
	}
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func orRate(r, def float64) float64 {
	if r == 0 {
		return def
	}
	return r
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

func orRange(r *DurationRange, lo, hi time.Duration) DurationRange {
	if r == nil {
		return DurationRange{Min: lo, Max: hi}
	}
	return *r
}

// everyOrRate makes rule fire on every f.Every-th matching request instead
// of by probability when the fault sets Every.
func everyOrRate(f Fault, rule sim.FaultRule) sim.FaultRule {
	if f.Every > 0 {
		rule.Every, rule.Probability = f.Every, 0
	}
	return rule
}

// everyOrRateCheck refuses a fault that sets both Every and Rate.
func everyOrRateCheck(f Fault, _ int) []string {
	if f.Every > 0 && f.Rate > 0 {
		return []string{"set every or rate, not both"}
	}
	return nil
}

// untilStruck runs try in the hour that contains at and, until it reports
// that it struck, in every hour after it of the fault phase (after the
// hour's records are put and before they are drained, as actions run): a
// fault that needs records to read strikes in the first hour that has
// some. An error ends the tries.
func untilStruck(x *run, at time.Time, try func(ctx context.Context) (bool, error)) {
	done := false
	x.everyHour = append(x.everyHour, func(ctx context.Context) error {
		if done || !at.Before(x.clock.Now()) {
			return nil
		}
		struck, err := try(ctx)
		done = struck || err != nil
		return err
	})
}

// onFirstDay runs do after the batch of day f.At (default day 2), or with
// afterBuild after its build, and after those of the days that follow in
// the fault phase, until do reports that it acted: a fault that needs a
// date whose batch or build succeeded acts on the first one from At on.
func onFirstDay(x *run, f Fault, afterBuild bool, do func(ctx context.Context, date time.Time, ingested bool) (bool, error)) {
	day := 2
	if f.At != nil {
		day = f.At.Day
	}
	done := false
	for d := day - 1; d < x.sc.World.Days; d++ {
		x.afterDay = append(x.afterDay, dayAction{day: d, afterBuild: afterBuild, do: func(ctx context.Context, date time.Time, ingested bool) error {
			if done {
				return nil
			}
			acted, err := do(ctx, date, ingested)
			done = acted
			return err
		}})
	}
}

// apiFaults puts a sim.Faults with rule in front of the FakeStore server,
// active in the fault phase only, and counts its firings as kind's.
func (x *run) apiFaults(kind Kind, i int, rule sim.FaultRule) error {
	faults, err := sim.NewFaults(x.sc.Seed+uint64(i)+1, x.clock, []sim.FaultRule{rule})
	if err != nil {
		return err
	}
	x.wrap("fakestore", func(h http.Handler) http.Handler {
		faulty := faults.Wrap(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if x.active() {
				faulty.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	x.counters = append(x.counters, counter{kind, func() int {
		n := 0
		for _, c := range faults.Counts() {
			n += c
		}
		return n
	}})
	return nil
}

// duplicateFiles copies up to n RAW event objects into the next arrival
// hour, and one FakeStore object into the partition of the day before, as
// an upstream that delivers a file twice would. It returns how many copies
// it wrote.
func duplicateFiles(ctx context.Context, store *lake.S3Store, n int) (int, error) {
	infos, err := store.List(ctx, lake.RawEvents)
	if err != nil {
		return 0, err
	}
	copied := 0
	for _, info := range infos {
		if copied == n {
			break
		}
		dst, ok := nextHourKey(info.Key)
		if !ok {
			continue
		}
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			return copied, err
		}
		if err := store.PutIfAbsent(ctx, dst, body); err != nil {
			if errors.Is(err, lake.ErrExists) {
				continue
			}
			return copied, err
		}
		copied++
	}
	fs, err := store.List(ctx, lake.RawFakestore)
	if err != nil {
		return copied, err
	}
	for _, info := range fs {
		dst, ok := dayBeforeKey(info.Key)
		if !ok {
			continue
		}
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			return copied, err
		}
		if err := store.PutIfAbsent(ctx, dst, body); err == nil {
			copied++
			break
		} else if !errors.Is(err, lake.ErrExists) {
			return copied, err
		}
	}
	return copied, nil
}

// nextHourKey moves raw/events/dt=D/hr=H/name to the next hour.
func nextHourKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, lake.RawEvents)
	if !ok {
		return "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "dt=") || !strings.HasPrefix(parts[1], "hr=") {
		return "", false
	}
	t, err := time.Parse("2006-01-02 15", strings.TrimPrefix(parts[0], "dt=")+" "+strings.TrimPrefix(parts[1], "hr="))
	if err != nil {
		return "", false
	}
	t = t.Add(time.Hour)
	return fmt.Sprintf("%sdt=%s/hr=%02d/%s", lake.RawEvents, t.Format(lake.DateFormat), t.Hour(), parts[2]), true
}

// dayBeforeKey moves raw/fakestore/<entity>/dt=D/name to dt=D-1.
func dayBeforeKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, lake.RawFakestore)
	if !ok {
		return "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || !strings.HasPrefix(parts[1], "dt=") {
		return "", false
	}
	t, err := time.Parse(lake.DateFormat, strings.TrimPrefix(parts[1], "dt="))
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%s%s/dt=%s/%s", lake.RawFakestore, parts[0], t.AddDate(0, 0, -1).Format(lake.DateFormat), parts[2]), true
}

// staleConsumer: the runner's consumer reads a batch and stalls past its
// lease; a rival drains the stream; the stale one resumes. It reports
// whether it struck: not if there was nothing to read.
func staleConsumer(ctx context.Context, x *run, kind Kind) (bool, error) {
	stale := x.r.Consumer()
	if err := stale.Connect(ctx); err != nil {
		return false, err
	}
	b, err := stale.Read(ctx)
	if errors.Is(err, io.EOF) {
		return false, nil // nothing to read this hour
	}
	if err != nil {
		return false, err
	}
	x.clock.Advance(2 * stream.DefaultLeaseDuration)
	x.fire(kind, 1) // stalled past its lease: what follows is the pipeline's answer
	// The rival runs under a supervisor too: an injected crash
	// (consumer_crash) restarts it, and the restart reads the batch again,
	// as drain does for the runner's consumer.
	rival := x.r.NewConsumer("rival-host")
	for attempt := 1; ; attempt++ {
		_, err := rival.Drain(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, errCrash) || attempt == 10 {
			return true, fmt.Errorf("rival consumer: %w", err)
		}
		rival = x.r.NewConsumer("rival-host") // the crashed one released nothing
	}
	if err := stale.Write(ctx, b); err != nil {
		return true, fmt.Errorf("stale consumer's write: %w", err)
	}
	err = stale.Ack(ctx, b)
	if !errors.Is(err, stream.ErrLeaseLost) {
		x.violate("stale_consumer: a consumer whose lease was taken acknowledged %s %s-%s (err %v), want ErrLeaseLost", b.ShardID, b.First, b.Last, err)
	}
	x.r.RestartConsumer()
	return true, rival.Close(ctx)
}

// rawWriteRace: two consumers read the same batch and write it at once. It
// reports whether it struck: not if there was nothing to read.
func rawWriteRace(ctx context.Context, x *run, kind Kind) (bool, error) {
	first := x.r.Consumer()
	if err := first.Connect(ctx); err != nil {
		return false, err
	}
	a, err := first.Read(ctx)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	x.clock.Advance(2 * stream.DefaultLeaseDuration)
	second := x.r.NewConsumer("racing-host")
	if err := second.Connect(ctx); err != nil {
		return true, err
	}
	b, err := second.Read(ctx)
	if err != nil {
		return true, fmt.Errorf("second consumer's read: %w", err)
	}
	if a.ShardID != b.ShardID || a.First != b.First || a.Last != b.Last {
		x.violate("raw_write_race: two consumers from one checkpoint cut different batches: %s %s-%s and %s %s-%s", a.ShardID, a.First, a.Last, b.ShardID, b.First, b.Last)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = first.Write(ctx, a) }()
	go func() { defer wg.Done(); errs[1] = second.Write(ctx, b) }()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		x.violate("raw_write_race: a racing write failed: %v", err)
	}
	x.fire(kind, 1)
	if err := second.Ack(ctx, b); err != nil {
		return true, fmt.Errorf("winning consumer's checkpoint: %w", err)
	}
	if err := first.Ack(ctx, a); !errors.Is(err, stream.ErrLeaseLost) {
		x.violate("raw_write_race: the consumer that lost its lease acknowledged (err %v), want ErrLeaseLost", err)
	}
	if _, err := second.Drain(ctx); err != nil {
		return true, err
	}
	x.r.RestartConsumer()
	return true, second.Close(ctx)
}

// reshard splits the first open shard at the middle of its hash range, or
// merges the first two adjacent open shards. It reports whether it did.
func reshard(ctx context.Context, api *kinesis.Client, name string, merge bool) (bool, error) {
	out, err := api.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		return false, err
	}
	var open []types.Shard
	for _, s := range out.Shards {
		if s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil {
			open = append(open, s)
		}
	}
	hashKey := func(s *string) *big.Int { n, _ := new(big.Int).SetString(aws.ToString(s), 10); return n }
	sort.Slice(open, func(i, j int) bool {
		return hashKey(open[i].HashKeyRange.StartingHashKey).Cmp(hashKey(open[j].HashKeyRange.StartingHashKey)) < 0
	})
	if !merge {
		if len(open) == 0 {
			return false, nil
		}
		s := open[0]
		lo, hi := hashKey(s.HashKeyRange.StartingHashKey), hashKey(s.HashKeyRange.EndingHashKey)
		mid := new(big.Int).Add(lo, hi)
		mid.Rsh(mid, 1)
		mid.Add(mid, big.NewInt(1))
		_, err := api.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(name), ShardToSplit: s.ShardId, NewStartingHashKey: aws.String(mid.String())})
		return err == nil, err
	}
	for i := 0; i+1 < len(open); i++ {
		end := hashKey(open[i].HashKeyRange.EndingHashKey)
		if new(big.Int).Add(end, big.NewInt(1)).Cmp(hashKey(open[i+1].HashKeyRange.StartingHashKey)) == 0 {
			_, err := api.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(name), ShardToMerge: open[i].ShardId, AdjacentShardToMerge: open[i+1].ShardId})
			return err == nil, err
		}
	}
	return false, nil
}

// fullRefresh rebuilds the warehouse with a full refresh and checks that it
// gives the tables the incremental runs built.
func fullRefresh(ctx context.Context, x *run, kind Kind, date time.Time) error {
	wh := x.r.Warehouse()
	before, err := wh.TableHashes(ctx)
	if err != nil {
		return err
	}
	if _, _, err := x.r.Build(ctx, warehouse.TransformOptions{AsOf: date.Add(24 * time.Hour), Mode: warehouse.FullRefresh}); err != nil {
		return err
	}
	after, err := wh.TableHashes(ctx)
	if err != nil {
		return err
	}
	if d := diffHashes(before, after); d != "" {
		x.violate("full_refresh: a full refresh changed tables the incremental runs built: %s", d)
	}
	x.fire(kind, 1)
	return nil
}

// drawWindow draws a fault of kind over a window of 1 to maxHours hours
// that starts on a day of the world and ends an hour before the fault
// phase does at the latest (false if none fits).
func drawWindow(kind Kind, maxHours int) func(r *rand.Rand, sc *Scenario) (Fault, bool) {
	return func(r *rand.Rand, sc *Scenario) (Fault, bool) {
		at := Moment{Day: 1 + r.IntN(sc.World.Days), Offset: time.Duration(r.IntN(20)) * time.Hour}
		d := time.Duration(1+r.IntN(maxHours)) * time.Hour
		end := time.Duration(sc.World.Days) * 24 * time.Hour
		if back := at.sinceStart() + d; back >= end {
			d = end - time.Hour - at.sinceStart()
		}
		return Fault{Kind: kind, At: &at, For: Duration(d)}, d > 0
	}
}

// windowStrikes says why a window fault (At, For; defaults defAt, defFor)
// cannot strike: its window ends after the fault phase (why).
func windowStrikes(defAt Moment, defFor time.Duration, why string) func(f Fault, sc *Scenario) string {
	return func(f Fault, sc *Scenario) string {
		at, d := defAt, defFor
		if f.At != nil {
			at = *f.At
		}
		if f.For > 0 {
			d = time.Duration(f.For)
		}
		if at.sinceStart()+d >= time.Duration(sc.World.Days)*24*time.Hour {
			return why
		}
		return ""
	}
}
