package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/metrics/alerts"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
	"github.com/shoplake/shoplake/warehouse"
)

// RunOptions are how one scenario runs, beyond the file.
type RunOptions struct {
	// Dir is the data directory (lake, streams, warehouse). Empty: a
	// temporary directory, removed after the run.
	Dir string
	// Seed, if set, replaces the scenario's seed.
	Seed *uint64
	// Log receives the pipeline's log (default: discarded).
	Log *slog.Logger
	// Progress, if set, is told what the run is doing, a line at a time.
	Progress func(string)
	// Hooks run at given moments of the fault phase, after the hour's
	// records are put and before they are drained: tests use them to
	// break the pipeline on purpose and prove the checkers catch it.
	Hooks []Hook
	// NoDeterminism skips the second run of scenarios that expect
	// determinism.
	NoDeterminism bool
	// Wall measures Report.Duration, the run's cost in real time (default
	// clock.Real). Nothing the run does reads it: the run's own time is
	// its simulated clock.
	Wall clock.Clock
	// BackfillLimit is the backfill limit of the run's incremental builds
	// (warehouse.TransformOptions.BackfillLimit; 0: the warehouse's
	// default). Tests lower it to leave days stale on purpose.
	BackfillLimit int
	// OpenWarehouse, if set, opens each run's warehouse
	// (pipeline.Options.OpenWarehouse): a second run for determinism calls
	// it again, for a warehouse of its own.
	OpenWarehouse func(ctx context.Context, opts warehouse.Options) (*warehouse.Warehouse, error)
}

// Hook is a step a test adds to a run: Do runs once, in the hour that
// contains At.
type Hook struct {
	At   Moment
	Name string
	Do   func(ctx context.Context, r *pipeline.Runner) error
}

// StepError is a step of a run that failed.
type StepError struct {
	Phase string `json:"phase"` // "fault" or "heal"
	Step  string `json:"step"`  // "ingest 2026-01-06", "drain 2026-01-05T10:00Z", ...
	Err   string `json:"error"`
}

// run is one scenario run in progress: the Runner, what the faults
// installed and what was observed.
type run struct {
	sc    Scenario
	opts  RunOptions
	cfg   config.Config
	clock *clock.Sim
	start time.Time // the world's first midnight
	end   time.Time // the end of the fault phase: start + days

	popts     pipeline.Options
	series    *metrics.Registry // the pipeline's series, as a scrape would read them
	rec       *alerts.Recorder  // samples of metrics after every tick, for the alert rules
	wrappers  map[string][]func(http.Handler) http.Handler
	cpWrap    []func(stream.Checkpointer) stream.Checkpointer
	actions   []action
	afterDay  []dayAction
	everyHour []func(ctx context.Context) error

	r           *pipeline.Runner
	healed      atomic.Bool
	failedDates []time.Time   // dates whose ingestion failed in the fault phase
	lastIngest  ingest.Result // the fault phase's last daily ingestion
	// lastLoad and lastTransform: the last build's.
	lastLoad      warehouse.LoadStats
	lastTransform warehouse.TransformStats
	lastAsOf      time.Time

	counters []counter // firings the simulator counts, read at the end
	// quarantined counts the records of each QUARANTINE object by reason
	// kind; objects are immutable, so each is read once.
	quarantined  map[string]map[string]int
	offline      []offline // windows when the client fleet holds its records
	consumerDown []offline // windows when the stream's consumer does not run (consumer_down)

	mu     sync.Mutex
	fired  map[Kind]int
	broken []string // invariants a fault's own check saw broken
	steps  []StepError
	late   int64
	queued int64
	// builds counts the builds compared with the oracle (compareBuild);
	// buildDiffs what differed.
	builds     int
	buildDiffs []BuildDiff
	hours      []HourMetrics
	journal    *s3Journal
	cps        *checkpointJournal
	sent       *deliveryLog
	// raw reads RAW's events objects once each, for the oracle's
	// versions (versions.go).
	raw *rawObjects
}

// counter reads how many times a fault fired, at the end of the run.
type counter struct {
	kind Kind
	n    func() int
}

// offline is a window [from, until) when the client fleet sends nothing:
// what it records then is sent when it is back (late_burst).
type offline struct {
	kind        Kind
	from, until time.Time
}

// produceUntil returns until which the fleet sends in the hour ending at
// to: to, unless it is offline then, in which case it sends only what is
// due before it went offline.
func (x *run) produceUntil(to time.Time) time.Time {
	for _, o := range x.offline {
		if x.active() && o.from.Before(to) && !to.After(o.until) {
			return o.from
		}
	}
	return to
}

// fireOffline counts an offline window as fired in the hour the fleet is
// back and sends what it held: the hour [from, to) that contains its end.
func (x *run) fireOffline(from, to time.Time) {
	for _, o := range x.offline {
		if x.active() && !o.until.Before(from) && o.until.Before(to) {
			x.fire(o.kind, 1)
		}
	}
}

// action is a step a fault or hook takes in the hour that contains at,
// after the hour's records are put and before they are drained.
type action struct {
	at   time.Time
	kind Kind
	do   func(ctx context.Context) error
}

// dayAction runs after the batch side of day (0-based) has run;
// ingested says whether its ingestion succeeded.
type dayAction struct {
	day        int
	afterBuild bool // after the day's build instead of after its ingestion
	do         func(ctx context.Context, date time.Time, ingested bool) error
}

// fire counts n firings of kind.
func (x *run) fire(kind Kind, n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.fired[kind] += n
}

// violate records an invariant broken where a fault saw it happen.
func (x *run) violate(format string, args ...any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.broken = append(x.broken, fmt.Sprintf(format, args...))
}

// active reports whether faults may fire: during the fault phase only.
func (x *run) active() bool { return !x.healed.Load() }

// wrap adds a handler wrapper for the in-process server name ("s3",
// "kinesis", "fakestore"). Wrappers added first are nearest the server.
func (x *run) wrap(name string, w func(http.Handler) http.Handler) {
	x.wrappers[name] = append(x.wrappers[name], w)
}

// window returns the fault's [from, until) on the clock: At (default the
// start of the run, opening snapshot included) to At+For (default the end
// of the fault phase).
func (x *run) window(f Fault) (time.Time, time.Time) {
	from := x.start.Add(-24 * time.Hour)
	if f.At != nil {
		from = f.At.Time(x.start)
	}
	until := x.end.Add(24*time.Hour + pipeline.IngestDelay + time.Hour)
	if f.For > 0 {
		until = from.Add(time.Duration(f.For))
	}
	return from, until
}

// at returns the fault's start, or def if it has none.
func (x *run) at(f Fault, def Moment) time.Time {
	if f.At != nil {
		return f.At.Time(x.start)
	}
	return def.Time(x.start)
}

// Run runs sc: it builds the world, installs the faults, replays the fault
// phase and the heal phase, and checks every invariant. The error is for a
// run that could not be set up; what the run found is in the Report.
func Run(ctx context.Context, sc Scenario, o RunOptions) (*Report, error) {
	if o.Seed != nil {
		sc.Seed = *o.Seed
		o.Seed = nil
	}
	wall := o.Wall
	if wall == nil {
		wall = clock.Real{}
	}
	began := wall.Now()
	rep, fp, err := runOnce(ctx, sc, o)
	if err != nil {
		return nil, err
	}
	if sc.Expect.Deterministic && !o.NoDeterminism {
		again := o
		again.Dir, again.Progress = "", nil
		_, fp2, err := runOnce(ctx, sc, again)
		if err != nil {
			return nil, fmt.Errorf("second run for determinism: %w", err)
		}
		rep.Checks = append(rep.Checks, checkSameFingerprint("deterministic", "a second run of the same seed", fp, fp2))
	}
	rep.Duration = wall.Now().Sub(began)
	rep.finish()
	return rep, nil
}

func runOnce(ctx context.Context, sc Scenario, o RunOptions) (*Report, fingerprint, error) {
	p, err := Start(ctx, sc, o)
	if err != nil {
		return nil, fingerprint{}, err
	}
	defer p.Close()
	for !p.Done() {
		if err := p.Step(ctx); err != nil {
			return nil, fingerprint{}, err
		}
	}
	return p.report, p.fp, nil
}

// Replay is a scenario run one tick at a time, for a person watching it
// (the TUI) or a loop (Run). The ticks are: the opening snapshot; for each
// day, its 24 hours (the hour's records put, the faults' actions, a
// drain) and its close (the batch ingestion, then the warehouse build);
// the heal phase; the checks. Run is Start, Step until Done, Report.
type Replay struct {
	x       *run
	dir     string
	cleanup func()

	tick   int // ticks done
	next   int // the next action
	report *Report
	fp     fingerprint
}

// The kinds of tick.
const (
	TickOpening = "opening"
	TickHour    = "hour"
	TickClose   = "close"
	TickHeal    = "heal"
	TickCheck   = "check"
)

// Start sets sc up: the world, the faults, the endpoints, the pipeline.
// Nothing has run yet; Close releases it all.
func Start(ctx context.Context, sc Scenario, o RunOptions) (*Replay, error) {
	if o.Seed != nil {
		sc.Seed = *o.Seed
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	p := &Replay{dir: o.Dir, cleanup: func() {}}
	if p.dir == "" {
		tmp, err := os.MkdirTemp("", "shoplake-scenario-")
		if err != nil {
			return nil, err
		}
		p.dir, p.cleanup = tmp, func() { _ = os.RemoveAll(tmp) }
	}
	x, err := newRun(sc, o, p.dir)
	if err == nil {
		err = x.install()
	}
	if err != nil {
		p.cleanup()
		return nil, err
	}
	x.sent.replaces = x.popts.Anomalies.MalformedReplaces
	x.progress("world: %d users, %d days, seed %d; %d faults", sc.World.Users, sc.World.Days, sc.Seed, len(sc.Faults))
	if x.r, err = pipeline.NewRunnerWith(ctx, x.cfg, x.popts); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	x.raw = newRawObjects(x.r.Env.Lake)
	p.x = x
	return p, nil
}

// Close stops the pipeline and removes the data directory if Start made
// it.
func (p *Replay) Close() error {
	err := p.x.r.Close()
	p.cleanup()
	return err
}

// Ticks returns how many ticks have run and how many the replay has.
func (p *Replay) Ticks() (done, total int) { return p.tick, 1 + 25*p.x.sc.World.Days + 2 }

// Done reports whether every tick has run.
func (p *Replay) Done() bool { done, total := p.Ticks(); return done == total }

// Next describes the next tick: its kind and the simulated time it covers
// (the hour's start, the date closed); "" when done.
func (p *Replay) Next() (kind string, at time.Time) {
	t := p.tick
	switch days := p.x.sc.World.Days; {
	case t == 0:
		return TickOpening, p.x.start.AddDate(0, 0, -1)
	case t <= 25*days:
		d, h := (t-1)/25, (t-1)%25
		date := p.x.start.AddDate(0, 0, d)
		if h == 24 {
			return TickClose, date
		}
		return TickHour, date.Add(time.Duration(h) * time.Hour)
	case t == 25*days+1:
		return TickHeal, p.x.end
	case t == 25*days+2:
		return TickCheck, p.x.end
	}
	return "", time.Time{}
}

// Step runs the next tick. An error means the replay cannot go on (the
// context ended, the clock refused); failed pipeline steps are recorded,
// not returned.
func (p *Replay) Step(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	kind, at := p.Next()
	var err error
	switch kind {
	case TickOpening:
		p.x.opening(ctx)
	case TickHour:
		err = p.x.hour(ctx, at, &p.next)
	case TickClose:
		err = p.x.closeDay(ctx, at)
		p.x.progress("day %d/%d (%s) replayed", int(at.Sub(p.x.start)/(24*time.Hour))+1, p.x.sc.World.Days, at.Format(time.DateOnly))
	case TickHeal:
		p.x.healPhase(ctx)
	case TickCheck:
		p.report, p.fp, err = p.x.check(ctx)
		if err == nil {
			p.report.finish()
		}
	default:
		return errors.New("the replay is over")
	}
	if err != nil {
		return err
	}
	if kind == TickOpening || kind == TickHour || kind == TickClose {
		// What a scrape after the tick reads, until the next one. The
		// heal phase is not sampled: it jumps the clock past the world's
		// end to let late records in, hours in which no batch runs, and
		// the alerts are about the fault phase.
		if err := p.x.rec.Sample(p.x.r.Clock.Now()); err != nil {
			return err
		}
	}
	p.tick++
	return nil
}

// Report returns the report, once the check tick has run (nil before).
func (p *Replay) Report() *Report { return p.report }

// Runner returns the pipeline the replay drives.
func (p *Replay) Runner() *pipeline.Runner { return p.x.r }

// Scenario returns the scenario replayed (its seed set).
func (p *Replay) Scenario() Scenario { return p.x.sc }

// newRun prepares the configuration and the pipeline options of sc.
func newRun(sc Scenario, o RunOptions, dir string) (*run, error) {
	cfg := config.DefaultConfig()
	cfg.DataDir = dir
	cfg.Seed = sc.Seed
	cfg.Sim.Users, cfg.Sim.Days = sc.World.Users, sc.World.Days
	if sc.World.Products > 0 {
		cfg.Sim.Products = sc.World.Products
	}
	if sc.World.Traffic > 0 {
		cfg.Sim.Traffic = sc.World.Traffic
	}
	cfg.Sim.Realistic = sc.World.Realistic
	cfg.Warehouse.TimeZone = sc.World.TimeZone
	if sc.World.LookbackDays > 0 {
		cfg.FakeStore.LookbackDays = sc.World.LookbackDays
	}
	cfg.Sim.HostileRate = 0
	cfg.Kinesis.Shards = 2
	if sc.Stream.Shards > 0 {
		cfg.Kinesis.Shards = sc.Stream.Shards
	}
	// A hung request costs real time: keep the request timeout short.
	cfg.FakeStore.Timeout = 200 * time.Millisecond
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	wcfg, err := pipeline.WorldConfig(cfg)
	if err != nil {
		return nil, err
	}
	x := &run{
		sc: sc, opts: o, cfg: cfg, start: wcfg.Start, end: wcfg.Start.AddDate(0, 0, sc.World.Days),
		clock: clock.NewSim(wcfg.Start), wrappers: map[string][]func(http.Handler) http.Handler{},
		fired: map[Kind]int{}, journal: newS3Journal(cfg.S3.Prefix), cps: &checkpointJournal{last: map[string]string{}},
		sent: newDeliveryLog(),
	}
	var worldEdits []func(*sim.Config)
	if sc.World.RefundRate > 0 {
		worldEdits = append(worldEdits, func(c *sim.Config) { c.RefundRate = sc.World.RefundRate })
	}
	if sc.World.Lifecycle {
		worldEdits = append(worldEdits, func(c *sim.Config) {
			c.OrderLifecycle = true
			if c.PartialRefundRate == 0 {
				c.PartialRefundRate = sim.RealisticPartialRefund
			}
		})
	}
	for _, s := range sc.World.Spikes {
		s := s
		worldEdits = append(worldEdits, func(c *sim.Config) {
			c.Campaigns = append(c.Campaigns, sim.Campaign{Start: s.At.Time(c.Start), Duration: time.Duration(s.For), Multiplier: s.Multiplier})
		})
	}
	x.series = metrics.New()
	x.rec = alerts.NewRecorder(x.series.Gatherer())
	x.popts = pipeline.Options{
		Metrics: x.series,
		Log:     o.Log,
		Clock:   x.clock,
		World: func(c *sim.Config) {
			for _, e := range worldEdits {
				e(c)
			}
		},
		OnDelivery:    x.sent.add,
		KeepEvents:    true, // the oracle and the checks read every event
		OpenWarehouse: o.OpenWarehouse,
	}
	if sc.Stream.Quotas {
		x.popts.KinesisOptions = append(x.popts.KinesisOptions, kinesislocal.WithShardLimits(kinesislocal.AWSShardLimits()))
	}
	return x, nil
}

// install lets every fault of the scenario and every hook set itself up,
// then assembles the wrappers.
func (x *run) install() error {
	x.wrap("s3", x.journal.wrap)
	x.cpWrap = append(x.cpWrap, x.cps.wrap)
	var worldEdits []func(*sim.Config)
	for i, f := range x.sc.Faults {
		spec := kinds[f.Kind]
		edit, err := spec.install(x, f, i)
		if err != nil {
			return fmt.Errorf("scenario %s: faults[%d] (%s): %w", x.sc.Name, i, f.Kind, err)
		}
		if edit != nil {
			worldEdits = append(worldEdits, edit)
		}
	}
	prev := x.popts.World
	x.popts.World = func(c *sim.Config) {
		prev(c)
		for _, e := range worldEdits {
			e(c)
		}
	}
	for _, h := range x.opts.Hooks {
		h := h
		x.actions = append(x.actions, action{at: h.At.Time(x.start), kind: Kind("hook " + h.Name), do: func(ctx context.Context) error {
			return h.Do(ctx, x.r)
		}})
	}
	sort.SliceStable(x.actions, func(i, j int) bool { return x.actions[i].at.Before(x.actions[j].at) })
	wrappers := x.wrappers
	x.popts.Wrap = func(name string, h http.Handler) http.Handler {
		for _, w := range wrappers[name] {
			h = w(h)
		}
		return h
	}
	cps := x.cpWrap
	x.popts.Checkpointer = func(c stream.Checkpointer) stream.Checkpointer {
		for _, w := range cps {
			c = w(c)
		}
		return c
	}
	return nil
}

func (x *run) progress(format string, args ...any) {
	if x.opts.Progress != nil {
		x.opts.Progress(fmt.Sprintf(format, args...))
	}
}

// step records a failed step; nil errors are ignored.
func (x *run) step(phase, what string, err error) {
	if err == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.steps = append(x.steps, StepError{Phase: phase, Step: what, Err: err.Error()})
}

// opening takes the opening snapshot. A step that fails, here or in any
// tick of the fault phase, is recorded and the run goes on, as an
// orchestrator would: a failed date is rerun in the heal phase, a failed
// drain is retried by the next hour's.
func (x *run) opening(ctx context.Context) {
	open, err := x.r.Opening(ctx)
	if err != nil {
		x.step("fault", "opening snapshot "+open.Date.Format(time.DateOnly), err)
		x.failedDates = append(x.failedDates, open.Date)
	}
	x.countTransform(open.Transform)
}

// hour replays the hour from from: the fleet's records put, the actions
// due in the hour, a drain.
func (x *run) hour(ctx context.Context, from time.Time, next *int) error {
	to := from.Add(time.Hour)
	if x.clock.Now().Before(to) {
		if err := x.clock.Set(to); err != nil {
			return err
		}
	}
	x.fireOffline(from, to)
	put, err := x.r.Produce(ctx, x.produceUntil(to))
	x.step("fault", "produce "+from.Format("2006-01-02T15Z"), err)
	for *next < len(x.actions) && x.actions[*next].at.Before(to) {
		a := x.actions[*next]
		*next++
		x.step("fault", fmt.Sprintf("%s at %s", a.kind, a.at.Format("2006-01-02T15:04Z")), a.do(ctx))
	}
	for _, f := range x.everyHour {
		x.step("fault", "hourly "+from.Format("2006-01-02T15Z"), f(ctx))
	}
	var cons stream.ConsumeStats
	if down := x.consumerIsDown(from); down != "" {
		x.fire(down, 1) // an hour the records wait on the stream
	} else {
		cons = x.drain(ctx, "fault", from)
	}
	x.recordHour(from, put, cons)
	return nil
}

// consumerIsDown returns the kind of the consumer_down fault whose window
// holds the hour starting at from, "" if none does.
func (x *run) consumerIsDown(from time.Time) Kind {
	for _, o := range x.consumerDown {
		if x.active() && !from.Before(o.from) && from.Before(o.until) {
			return o.kind
		}
	}
	return ""
}

// closeDay runs the batch side of date: its ingestion just after
// midnight, the after-day actions, and the warehouse build if the
// ingestion succeeded.
func (x *run) closeDay(ctx context.Context, date time.Time) error {
	if at := date.Add(24*time.Hour + pipeline.IngestDelay); x.clock.Now().Before(at) {
		if err := x.clock.Set(at); err != nil {
			return err
		}
	}
	d := int(date.Sub(x.start) / (24 * time.Hour))
	res, err := x.r.Ingest(ctx, date)
	x.lastIngest = res
	x.step("fault", "ingest "+date.Format(time.DateOnly), err)
	ingested := err == nil
	if !ingested {
		x.failedDates = append(x.failedDates, date)
	}
	for _, a := range x.afterDay {
		if a.day == d && !a.afterBuild {
			x.step("fault", "after day "+date.Format(time.DateOnly), a.do(ctx, date, ingested))
		}
	}
	if ingested {
		load, tr, err := x.r.Build(ctx, warehouse.TransformOptions{AsOf: date.Add(24 * time.Hour), BackfillLimit: x.opts.BackfillLimit})
		x.step("fault", "build "+date.Format(time.DateOnly), err)
		x.countTransform(tr)
		x.lastLoad, x.lastTransform, x.lastAsOf = load, tr, date.Add(24*time.Hour)
		x.compareBuild(ctx, "build "+date.Format(time.DateOnly), x.lastAsOf, 0, x.failedDates)
		for _, a := range x.afterDay {
			if a.day == d && a.afterBuild {
				x.step("fault", "after build "+date.Format(time.DateOnly), a.do(ctx, date, true))
			}
		}
	}
	return nil
}

// drain drains the stream; a consumer that crashed or failed is restarted,
// as a supervisor would, and the drain retried (at most 10 times).
func (x *run) drain(ctx context.Context, phase string, hour time.Time) stream.ConsumeStats {
	var total stream.ConsumeStats
	for attempt := 0; attempt < 10; attempt++ {
		cons, err := x.r.Drain(ctx)
		total.Add(cons)
		if err == nil {
			return total
		}
		x.r.RestartConsumer()
		if errors.Is(err, errCrash) {
			continue // the crash was the fault; the restart is the recovery
		}
		x.step(phase, "drain "+hour.Format("2006-01-02T15Z"), err)
		return total
	}
	x.step(phase, "drain "+hour.Format("2006-01-02T15Z"), errors.New("the consumer crashed 10 times in a row"))
	return total
}

// healPhase stops every fault and lets the pipeline catch up: the records
// sent late are streamed, the failed dates rerun, and the warehouse built,
// with a backfill of the days queued.
func (x *run) healPhase(ctx context.Context) {
	x.healed.Store(true)
	r := x.r
	x.mu.Lock()
	faultSteps := len(x.steps)
	x.mu.Unlock()
	x.progress("heal: faults off, catching up")
	// The stream: what the fleet still has to send (late records), and
	// whatever a failed drain left.
	for {
		next, ok := r.NextSend()
		from := x.clock.Now().Truncate(time.Hour)
		if !ok {
			x.drain(ctx, "heal", from)
			break
		}
		if next.After(from.Add(time.Hour)) {
			from = next.Truncate(time.Hour)
		}
		to := from.Add(time.Hour)
		if err := x.clock.Set(to); err != nil {
			x.step("heal", "clock", err)
			return
		}
		put, err := r.Produce(ctx, to)
		x.step("heal", "produce "+from.Format("2006-01-02T15Z"), err)
		cons := x.drain(ctx, "heal", from)
		x.recordHour(from, put, cons)
	}
	for _, date := range x.failedDates {
		x.step("heal", "rerun ingest "+date.Format(time.DateOnly), x.ingestRetried(ctx, date))
	}
	load, tr, err := r.Build(ctx, warehouse.TransformOptions{AsOf: x.end, BackfillLimit: x.opts.BackfillLimit})
	x.step("heal", "build", err)
	x.countTransform(tr)
	x.lastLoad, x.lastTransform, x.lastAsOf = load, tr, x.end
	x.compareBuild(ctx, "heal build", x.end, faultSteps, nil)
	if tr.DaysPending > 0 {
		// More days queued than an incremental run rebuilds: the backfill
		// an operator runs on the check backfill_pending.
		load, tr, err := r.Build(ctx, warehouse.TransformOptions{AsOf: x.end, Mode: warehouse.Backfill})
		x.step("heal", "backfill", err)
		x.countTransform(tr)
		x.lastLoad, x.lastTransform = load, tr
	}
}

// Heal-phase retries of a failed date, as an orchestrator schedules them:
// the client's circuit breaker may still be open from the faults, and its
// retry budget spent.
const (
	healRetries    = 4
	healRetryDelay = 5 * time.Minute
)

// ingestRetried ingests date, retrying after healRetryDelay on the clock
// up to healRetries times; it returns the last error.
func (x *run) ingestRetried(ctx context.Context, date time.Time) error {
	var err error
	for attempt := 0; attempt <= healRetries; attempt++ {
		if attempt > 0 {
			x.clock.Advance(healRetryDelay)
		}
		if _, err = x.r.Ingest(ctx, date); err == nil {
			return nil
		}
	}
	return err
}

// countTransform adds a transform's late events and queued days.
func (x *run) countTransform(tr warehouse.TransformStats) {
	x.late += tr.LateEvents
	x.queued += tr.DaysQueued
}

// MarshalJSON encodes the hour with its put time in milliseconds (put_ms),
// as every duration of docs/JSON.md.
func (h HourMetrics) MarshalJSON() ([]byte, error) {
	type plain HourMetrics
	return json.Marshal(struct {
		plain
		PutMS int64 `json:"put_ms"`
	}{plain(h), int64(math.Round(h.PutSeconds * 1000))})
}

// HourMetrics is what one hour of the run put through the stream.
type HourMetrics struct {
	Hour    time.Time `json:"hour"`
	Records int       `json:"records"` // acknowledged by the stream
	// PutSeconds is how long the hour's records took to land: the
	// producer's backoff, at least one second (the producer sends an
	// hour's records as one burst).
	PutSeconds float64 `json:"-"`         // put_ms in JSON (MarshalJSON)
	Throttled  int     `json:"throttled"` // sends refused for the shards' quota
	Shards     int     `json:"shards"`    // open shards read
}

func (x *run) recordHour(from time.Time, put stream.PutStats, cons stream.ConsumeStats) {
	x.hours = append(x.hours, HourMetrics{Hour: from, Records: put.Acknowledged, PutSeconds: max(1, put.Waited.Seconds()), Throttled: put.Throttled, Shards: cons.Leased})
}
