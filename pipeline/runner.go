package pipeline

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
	"github.com/shoplake/shoplake/warehouse"
)

// ConsumerOwner names the runner's consumer in the checkpoint leases.
const ConsumerOwner = "shoplake-pipeline"

// IngestDelay is how long after midnight the batch ingestion of the day
// before runs, as an orchestrator would schedule it.
const IngestDelay = 5 * time.Minute

// Runner replays a simulated shop through the whole pipeline, one hour of
// clickstream and one day of batch at a time, on a simulated clock. Every
// timestamp and every random draw comes from the configuration's seed.
//
// What the client fleet sends is the world's events as a sim.Anomalizer
// delivers them (Options.Anomalies; with every rate at zero, the events
// themselves, byte for byte), each put on the stream when the clock passes
// its SendAt.
type Runner struct {
	Config config.Config
	World  *sim.World
	Clock  *clock.Sim
	Env    *Env

	opts     Options
	wh       *warehouse.Warehouse
	producer *stream.Producer
	consumer *stream.Consumer
	ingester *ingest.Ingester
	log      *slog.Logger
	totals   Totals

	anom     *sim.Anomalizer
	nextSend func() (sim.Delivery, bool)
	stopSend func()
	peeked   *sim.Delivery
}

// Options are what a run may change besides the configuration: the world's
// traffic, what the client fleet does to it, and wrappers around the real
// parts for fault injection. The zero Options is the demo's plain run.
type Options struct {
	Log *slog.Logger
	// World, if set, edits the world's configuration built from the
	// configuration (campaigns, rates) before the world is simulated.
	World func(*sim.Config)
	// KeepEvents keeps every event of the world in Runner.World.Events,
	// as the oracle and the scenarios' checks need. Without it the world
	// holds no event (sim.NewWorldWithoutEvents) and the runner draws
	// them from a generator as it sends them, so that a run's memory does
	// not grow with its events.
	KeepEvents bool
	// Anomalies is what the client fleet does to the events it sends:
	// duplicates, late and out-of-order sends, clocks ahead, malformed
	// records. The zero value sends every event once, on time.
	Anomalies sim.AnomalyConfig
	// OnDelivery, if set, is called for every record the fleet sends, just
	// before it is put on the stream.
	OnDelivery func(sim.Delivery)
	// Wrap and KinesisOptions are passed to the in-process endpoints (see
	// Local).
	Wrap           func(name string, h http.Handler) http.Handler
	KinesisOptions []kinesislocal.Option
	// Clock, if set, is the run's clock; it must read the world's start
	// (default: a new clock.Sim there).
	Clock *clock.Sim
	// Checkpointer, if set, wraps the checkpointer of every consumer the
	// runner makes (crash points between a RAW write and its checkpoint).
	Checkpointer func(stream.Checkpointer) stream.Checkpointer
	// ProduceChunk is how many records Produce hands the producer at a
	// time; 0 means DefaultProduceChunk.
	ProduceChunk int
	// OpenWarehouse, if set, opens the run's warehouse with the options
	// the runner would use, instead of the DuckDB file under DataDir: the
	// integration tests run scenarios on PostgreSQL with it.
	OpenWarehouse func(ctx context.Context, opts warehouse.Options) (*warehouse.Warehouse, error)
	// Metrics, if set, is told what every step did (metrics.Registry):
	// the producer's and the consumer's counts after each hour, the
	// batch's and the warehouse's after each build, and the lake's and
	// the warehouse's state read from where the data is after each day.
	Metrics *metrics.Registry
}

// Totals counts every event through every stage of a run, as Jepsen's
// total-queue does: what was generated, sent and acknowledged by the
// stream, written to RAW and QUARANTINE, and what CORE holds.
type Totals struct {
	Generated int `json:"generated"`
	// Sent counts the records the fleet sent: Generated plus duplicates
	// and extra malformed records, minus events still to be sent.
	Sent         int `json:"sent"`
	Acknowledged int `json:"acknowledged"`
	// Rejected counts records the producer refused before sending (over
	// 1 MiB, bad partition key).
	Rejected int `json:"rejected"`
	// Unanswered counts the records the producer sent again after a call
	// that got no answer: each may be on the stream twice
	// (stream.PutStats.Unanswered).
	Unanswered  int `json:"resent_unanswered"`
	InRaw       int `json:"in_raw"`
	Quarantined int `json:"quarantined"`
	// Duplicates counts the records the consumer's dedup window dropped
	// (extra copies of events already in RAW).
	Duplicates   int `json:"duplicates_dropped"`
	RawObjects   int `json:"raw_event_objects_written"`
	RawExisting  int `json:"raw_event_objects_present"`
	IngestWrites int `json:"raw_batch_objects_written"`
	IngestSkips  int `json:"raw_batch_objects_present"`
	// CuratedExports counts the exports of the marts to CURATED that
	// wrote a manifest, CuratedFiles the mart files they wrote (an
	// unchanged mart's file is in the lake already).
	CuratedExports int `json:"curated_exports_written"`
	CuratedFiles   int `json:"curated_files_written"`
}

// DayReport says what one simulated day did.
type DayReport struct {
	Day       int // 1-based
	Date      time.Time
	Events    int
	Put       stream.PutStats
	Consume   stream.ConsumeStats
	Ingest    ingest.Result
	Load      warehouse.LoadStats
	Transform warehouse.TransformStats
	// Export is the export of the marts after a promoted transform (zero
	// when the run was not promoted).
	Export warehouse.ExportStats
}

// NewRunner builds the world of cfg (which must be valid and in mode
// local), checks the data directory belongs to it, opens the endpoints, the
// stream and the warehouse. log may be nil.
func NewRunner(ctx context.Context, cfg config.Config, log *slog.Logger) (*Runner, error) {
	return NewRunnerWith(ctx, cfg, Options{Log: log})
}

// NewRunnerWith is NewRunner with Options.
func NewRunnerWith(ctx context.Context, cfg config.Config, opts Options) (*Runner, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wcfg, err := WorldConfig(cfg)
	if err != nil {
		return nil, err
	}
	if opts.World != nil {
		opts.World(&wcfg)
	}
	newWorld := sim.NewWorldWithoutEvents
	if opts.KeepEvents {
		newWorld = sim.NewWorld
	}
	world, err := newWorld(wcfg)
	if err != nil {
		return nil, fmt.Errorf("simulate world: %w", err)
	}
	// The oracle reports orders as the batches saw them, in the business
	// time zone.
	world.Lookback = cfg.FakeStore.LookbackDays
	if world.Zone, err = cfg.BusinessZone(); err != nil {
		return nil, err
	}
	events := slices.Values(world.Events)
	if !opts.KeepEvents {
		// The events are drawn again as they are sent, from a generator
		// of the same configuration: the same events, never all held.
		g, err := sim.NewGenerator(world.Config)
		if err != nil {
			return nil, fmt.Errorf("simulate world: %w", err)
		}
		events = g.Events
	}
	anom, err := sim.NewAnomalizer(cfg.Seed, opts.Anomalies)
	if err != nil {
		return nil, err
	}
	if err := CheckManifest(cfg); err != nil {
		return nil, err
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.NewSim(wcfg.Start)
	}
	local := Local{World: world, Clock: clk, KinesisOptions: opts.KinesisOptions, Wrap: opts.Wrap}
	if opts.Metrics != nil {
		local.APIOptions = append(local.APIOptions, opts.Metrics.AWSAPIOption())
	}
	env, err := Open(ctx, cfg, local)
	if err != nil {
		return nil, err
	}
	r := &Runner{Config: cfg, World: world, Clock: clk, Env: env, log: log, opts: opts, anom: anom}
	r.nextSend, r.stopSend = iter.Pull(anom.Deliveries(events))
	if err := r.open(ctx); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	return r, nil
}

func (r *Runner) open(ctx context.Context) error {
	cfg := r.Config
	if err := r.Env.Lake.EnsureBucket(ctx); err != nil {
		return err
	}
	cp := &stream.LakeCheckpointer{Store: r.Env.Lake, Group: cfg.Kinesis.Group, Stream: cfg.Kinesis.Stream, Clock: r.Clock}
	created, err := stream.EnsureStream(ctx, r.Env.Kinesis, r.Clock, cfg.Kinesis.Stream, cfg.Kinesis.Shards)
	if err != nil {
		return err
	}
	if created {
		// A new stream restarts its sequence numbers: checkpoints of an
		// earlier incarnation would skip records. RAW keys come from the
		// stream position, so re-reading rewrites nothing.
		if err := cp.Reset(ctx); err != nil {
			return err
		}
	}
	whPath := cfg.Warehouse.Path
	if !filepath.IsAbs(whPath) {
		whPath = filepath.Join(cfg.DataDir, whPath)
	}
	zone, err := cfg.BusinessZone()
	if err != nil {
		return err
	}
	whOpts := warehouse.Options{EmailHashKey: cfg.EmailHashKey(), Clock: r.Clock, DuckDBMemoryLimit: cfg.Warehouse.DuckDBMemoryLimit, TimeZone: zone}
	if r.opts.OpenWarehouse != nil {
		whPath = "the warehouse of Options.OpenWarehouse"
		r.wh, err = r.opts.OpenWarehouse(ctx, whOpts)
	} else {
		r.wh, err = warehouse.Open(ctx, whPath, whOpts)
	}
	if err != nil {
		return fmt.Errorf("open warehouse %s: %w", whPath, err)
	}
	r.producer = &stream.Producer{Client: r.Env.Kinesis, Stream: cfg.Kinesis.Stream, Clock: r.Clock}
	// The runner is the group's only consumer: it holds every shard's lease
	// (renewed at each hour's drain, an hour after the last on the clock).
	r.consumer = r.NewConsumer(ConsumerOwner)
	policy := ingest.DefaultPolicy()
	policy.RequestTimeout = cfg.FakeStore.Timeout
	client, err := ingest.NewClient(r.Env.HTTP, r.Env.FakeStoreURL, r.Clock, rng.New(cfg.Seed, "ingest/retry"), policy, 0, r.log)
	if err != nil {
		return err
	}
	if r.opts.Metrics != nil {
		client.Observe(r.opts.Metrics.SourceObserver(SourceFakeStore))
	}
	r.ingester = &ingest.Ingester{Client: client, Store: r.Env.Lake, Ledger: &ingest.LakeLedger{Store: r.Env.Lake}, Log: r.log, PageSize: cfg.FakeStore.PageSize, LookbackDays: cfg.FakeStore.LookbackDays}
	return nil
}

// NewConsumer returns a consumer of the run's stream in the run's
// checkpoint group, writing to the run's lake, under owner: the runner's
// own (ConsumerOwner), or a rival one (a second host, a stale process).
func (r *Runner) NewConsumer(owner string) *stream.Consumer {
	cfg := r.Config
	var cp stream.Checkpointer = &stream.LakeCheckpointer{Store: r.Env.Lake, Group: cfg.Kinesis.Group, Stream: cfg.Kinesis.Stream, Clock: r.Clock}
	if r.opts.Checkpointer != nil {
		cp = r.opts.Checkpointer(cp)
	}
	return &stream.Consumer{
		Client: r.Env.Kinesis, Stream: cfg.Kinesis.Stream, Store: r.Env.Lake,
		Checkpointer: cp, Owner: owner, Clock: r.Clock,
		BatchRecords: cfg.Kinesis.BatchRecords, Log: r.log,
	}
}

// Consumer returns the runner's consumer.
func (r *Runner) Consumer() *stream.Consumer { return r.consumer }

// RestartConsumer replaces the runner's consumer by a new one under the
// same owner, as a supervisor restarts a process that died: the dead one
// releases nothing, and the new one starts from the checkpoints with an
// empty dedup window.
func (r *Runner) RestartConsumer() { r.consumer = r.NewConsumer(ConsumerOwner) }

// Warehouse returns the run's warehouse.
func (r *Runner) Warehouse() *warehouse.Warehouse { return r.wh }

// Totals returns the counts so far.
func (r *Runner) Totals() Totals { return r.totals }

// Close releases the consumer's leases, closes the warehouse and stops the
// endpoints.
func (r *Runner) Close() error {
	var errs []error
	if r.stopSend != nil {
		r.stopSend()
	}
	if r.consumer != nil {
		errs = append(errs, r.consumer.Close(context.Background()))
	}
	if r.wh != nil {
		errs = append(errs, r.wh.Close())
	}
	errs = append(errs, r.Env.Close())
	return errors.Join(errs...)
}

// StreamHour moves the clock to the end of the hour starting at from (if
// it is earlier), puts on the stream what the fleet sends before then, and
// drains every shard to RAW.
func (r *Runner) StreamHour(ctx context.Context, from time.Time, day *DayReport) error {
	to := from.Add(time.Hour)
	if r.Clock.Now().Before(to) {
		if err := r.Clock.Set(to); err != nil {
			return err
		}
	}
	n := r.World.EventCount(from, to)
	day.Events += n
	r.totals.Generated += n
	began := r.Clock.Now()
	put, err := r.Produce(ctx, to)
	r.opts.Metrics.Step("produce", r.Clock.Now().Sub(began))
	day.Put.Add(put)
	if err != nil {
		return fmt.Errorf("produce %s: %w", from.Format(time.RFC3339), err)
	}
	began = r.Clock.Now()
	cons, err := r.Drain(ctx)
	r.opts.Metrics.Step("consume", r.Clock.Now().Sub(began))
	day.Consume.Add(cons)
	if err != nil {
		return fmt.Errorf("consume %s: %w", from.Format(time.RFC3339), err)
	}
	return nil
}

// DefaultProduceChunk is how many records Produce hands the producer at a
// time: an hour of a large shop (400,000 records in a day of ten million)
// is not held whole. A multiple of stream.MaxBatchRecords, so that the
// calls are those of one PutRecords over the hour unless the byte limit of
// a call cuts a batch short.
const DefaultProduceChunk = 20 * stream.MaxBatchRecords

// Produce puts on the stream every record the fleet sends before until
// (SendAt < until) and has not sent yet, Options.ProduceChunk records at a
// time.
// When a part fails (or the fleet fails to make a record), the rest of the
// hour is still drawn from the fleet and counted as attempted, not sent
// (stream.Unsent), as one call over the whole hour would have counted it;
// the error is returned at the end.
func (r *Runner) Produce(ctx context.Context, until time.Time) (stream.PutStats, error) {
	var put stream.PutStats
	var putErr error
	chunk := r.opts.ProduceChunk
	if chunk <= 0 {
		chunk = DefaultProduceChunk
	}
	recs := make([]stream.Record, 0, min(chunk, 1024))
	flush := func() {
		if len(recs) == 0 {
			return
		}
		if err := r.anom.Err(); err != nil && putErr == nil {
			putErr = fmt.Errorf("client fleet: %w", err)
		}
		if putErr != nil {
			put.Add(stream.Unsent(recs))
		} else {
			st, err := r.producer.PutRecords(ctx, recs)
			put.Add(st)
			putErr = err
		}
		recs = recs[:0]
	}
	for {
		d, ok := r.peek()
		if !ok || !d.SendAt.Before(until) {
			break
		}
		r.peeked = nil
		if r.opts.OnDelivery != nil {
			r.opts.OnDelivery(d)
		}
		recs = append(recs, stream.Record{Data: d.Data, PartitionKey: d.PartitionKey})
		if len(recs) == chunk {
			flush()
		}
	}
	flush()
	if err := r.anom.Err(); err != nil && putErr == nil {
		putErr = fmt.Errorf("client fleet: %w", err)
	}
	r.opts.Metrics.Put(r.Config.Kinesis.Stream, r.Clock.Now(), put)
	r.totals.Sent += put.Attempted
	r.totals.Acknowledged += put.Acknowledged
	r.totals.Rejected += put.Rejected
	r.totals.Unanswered += put.Unanswered
	return put, putErr
}

// peek returns the next record the fleet will send, if any.
func (r *Runner) peek() (sim.Delivery, bool) {
	if r.peeked != nil {
		return *r.peeked, true
	}
	d, ok := r.nextSend()
	if !ok {
		return sim.Delivery{}, false
	}
	r.peeked = &d
	return d, true
}

// NextSend returns when the fleet sends its next record; false when it has
// sent everything.
func (r *Runner) NextSend() (time.Time, bool) {
	d, ok := r.peek()
	return d.SendAt, ok
}

// Anomalies counts what the fleet did to the records sent so far.
func (r *Runner) Anomalies() sim.AnomalyCounts { return r.anom.Counts() }

// Drain runs the consumer once over every shard (see stream.Consumer.Drain).
func (r *Runner) Drain(ctx context.Context) (stream.ConsumeStats, error) {
	cons, err := r.consumer.Drain(ctx)
	r.opts.Metrics.Consumed(r.Config.Kinesis.Stream, cons)
	r.opts.Metrics.Shards(r.Config.Kinesis.Stream, r.Clock.Now(), r.consumer.Shards())
	if err == nil {
		r.opts.Metrics.CaughtUp(r.Config.Kinesis.Stream, r.Clock.Now())
	}
	r.totals.InRaw += cons.Valid
	r.totals.Quarantined += cons.Invalid
	r.totals.Duplicates += cons.Duplicates
	r.totals.RawObjects += cons.Objects
	r.totals.RawExisting += cons.Existing
	return cons, err
}

// CloseDay runs the batch side of the day starting at date: ingestion of
// that logical date shortly after midnight (or now, if the clock is already
// later: a rerun), then the warehouse's load and transform.
//
// If the ingestion fails (the API is down past the retry policy's
// patience), CloseDay returns its error before loading anything: the date's
// RAW objects stay uncommitted and invisible, CORE and MARTS do not move.
// Calling CloseDay again for the same date is the rerun that completes it.
func (r *Runner) CloseDay(ctx context.Context, date time.Time, day *DayReport) error {
	if at := date.Add(24*time.Hour + IngestDelay); r.Clock.Now().Before(at) {
		if err := r.Clock.Set(at); err != nil {
			return err
		}
	}
	res, err := r.Ingest(ctx, date)
	day.Ingest = res
	if err != nil {
		return err
	}
	b, err := r.build(ctx, warehouse.TransformOptions{AsOf: date.Add(24 * time.Hour)})
	day.Load, day.Transform, day.Export = b.load, b.transform, b.export
	return err
}

// Ingest runs the batch ingestion of one logical date.
func (r *Runner) Ingest(ctx context.Context, date time.Time) (ingest.Result, error) {
	res, err := r.ingester.IngestDate(ctx, date)
	r.opts.Metrics.Ingested(SourceFakeStore, r.Clock.Now(), res, r.ingester.Client.Breaker().State())
	r.totals.IngestWrites += res.Written()
	r.totals.IngestSkips += len(res.Objects) - res.Written()
	return res, err
}

// Build loads what RAW holds that the warehouse has not loaded, then
// transforms with opts and, when the run is promoted, exports the marts to
// the lake's CURATED zone (warehouse.ExportMarts; counted in Totals). A
// failed load is recorded as a failed run (phase load), as Transform
// records its own failures; a run that is not promoted exports nothing. A
// failed export is an error after a promoted run: CORE and MARTS moved,
// and the next Build exports them.
func (r *Runner) Build(ctx context.Context, opts warehouse.TransformOptions) (warehouse.LoadStats, warehouse.TransformStats, error) {
	b, err := r.build(ctx, opts)
	return b.load, b.transform, err
}

// built is what one build did.
type built struct {
	load      warehouse.LoadStats
	transform warehouse.TransformStats
	export    warehouse.ExportStats
}

func (r *Runner) build(ctx context.Context, opts warehouse.TransformOptions) (built, error) {
	var b built
	var err error
	defer func() {
		if oerr := r.observeBuild(ctx, b, err); oerr != nil {
			r.log.Warn("metrics not updated", "err", oerr)
		}
	}()
	b.load, err = r.wh.Load(ctx, r.Env.Lake)
	if err != nil {
		if _, rerr := r.wh.RecordLoadFailure(context.WithoutCancel(ctx), opts, err); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return b, err
	}
	if b.transform, err = r.wh.Transform(ctx, opts); err != nil || b.transform.Status != warehouse.StatusPromoted {
		return b, err
	}
	if b.export, err = r.wh.ExportMarts(ctx, r.Env.Lake, warehouse.ExportOptions{}); err != nil {
		return b, fmt.Errorf("run %d promoted; %w", b.transform.RunID, err)
	}
	if b.export.Written {
		r.totals.CuratedExports++
	}
	r.totals.CuratedFiles += b.export.FilesWritten
	return b, nil
}

// observeBuild tells the metrics what a build did and what the lake and
// the warehouse hold after it.
func (r *Runner) observeBuild(ctx context.Context, b built, err error) error {
	if r.opts.Metrics == nil {
		return nil
	}
	r.opts.Metrics.Loaded(b.load)
	t := b.transform
	if t.Status == "" && err != nil {
		t.Status = "failed" // the load failed, or the run did not say
	}
	if t.Status != "" {
		r.opts.Metrics.Transformed(r.Clock.Now(), t)
	}
	return ObserveStores(context.WithoutCancel(ctx), r.opts.Metrics, r.Env.Lake, r.wh)
}

// RunDay replays day n (0-based) of the world: 24 hours of clickstream,
// then the day's batch and warehouse run.
func (r *Runner) RunDay(ctx context.Context, n int) (DayReport, error) {
	date := r.World.Config.Start.AddDate(0, 0, n)
	day := DayReport{Day: n + 1, Date: date}
	for h := 0; h < 24; h++ {
		if err := r.StreamHour(ctx, date.Add(time.Duration(h)*time.Hour), &day); err != nil {
			return day, err
		}
	}
	if err := r.CloseDay(ctx, date, &day); err != nil {
		return day, err
	}
	return day, nil
}

// Opening takes the opening snapshot, as an initial full load does: the
// batch of the day before Start, ingested at Start + IngestDelay, then
// loaded and transformed. Without it a price in force on the first day and
// changed at the next midnight would never be observed, since the first
// daily snapshot is taken after that midnight. Its DayReport has Day 0.
func (r *Runner) Opening(ctx context.Context) (DayReport, error) {
	date := r.World.Config.Start.AddDate(0, 0, -1)
	day := DayReport{Day: 0, Date: date}
	return day, r.CloseDay(ctx, date, &day)
}

// Run takes the opening snapshot and replays every day, calling progress after each.
func (r *Runner) Run(ctx context.Context, progress func(DayReport)) ([]DayReport, error) {
	open, err := r.Opening(ctx)
	days := []DayReport{open}
	if err != nil {
		return days, fmt.Errorf("opening snapshot (%s): %w", open.Date.Format("2006-01-02"), err)
	}
	if progress != nil {
		progress(open)
	}
	for n := 0; n < r.World.Config.Days; n++ {
		d, err := r.RunDay(ctx, n)
		days = append(days, d)
		if err != nil {
			return days, fmt.Errorf("day %d (%s): %w", n+1, d.Date.Format("2006-01-02"), err)
		}
		if progress != nil {
			progress(d)
		}
	}
	return days, nil
}

// WorldConfig is the simulated world that cfg describes.
func WorldConfig(cfg config.Config) (sim.Config, error) {
	start, err := cfg.StartDate()
	if err != nil {
		return sim.Config{}, fmt.Errorf("sim.start %q: %w", cfg.Sim.Start, err)
	}
	w := sim.Config{
		Seed: cfg.Seed, Start: start, Days: cfg.Sim.Days, Users: cfg.Sim.Users, Products: cfg.Sim.Products,
		Traffic: cfg.Sim.Traffic, HostileRate: cfg.Sim.HostileRate,
	}
	if cfg.Sim.Realistic {
		w = w.Realistic()
	}
	return w, nil
}
