package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
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
type Runner struct {
	Config config.Config
	World  *sim.World
	Clock  *clock.Sim
	Env    *Env

	wh       *warehouse.Warehouse
	producer *stream.Producer
	consumer *stream.Consumer
	ingester *ingest.Ingester
	log      *slog.Logger
	totals   Totals
}

// Totals counts every event through every stage of a run, as Jepsen's
// total-queue does: what was generated, acknowledged by the stream, written
// to RAW and QUARANTINE, and what CORE holds.
type Totals struct {
	Generated    int `json:"generated"`
	Acknowledged int `json:"acknowledged"`
	InRaw        int `json:"in_raw"`
	Quarantined  int `json:"quarantined"`
	// Duplicates counts the records the consumer's dedup window dropped
	// (extra copies of events already in RAW).
	Duplicates   int `json:"duplicates_dropped"`
	RawObjects   int `json:"raw_event_objects_written"`
	RawExisting  int `json:"raw_event_objects_present"`
	IngestWrites int `json:"raw_batch_objects_written"`
	IngestSkips  int `json:"raw_batch_objects_present"`
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
}

// NewRunner builds the world of cfg (which must be valid and in mode
// local), checks the data directory belongs to it, opens the endpoints, the
// stream and the warehouse.
func NewRunner(ctx context.Context, cfg config.Config, log *slog.Logger) (*Runner, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wcfg, err := WorldConfig(cfg)
	if err != nil {
		return nil, err
	}
	world, err := sim.NewWorld(wcfg)
	if err != nil {
		return nil, fmt.Errorf("simulate world: %w", err)
	}
	if err := CheckManifest(cfg); err != nil {
		return nil, err
	}
	clk := clock.NewSim(wcfg.Start)
	env, err := Open(ctx, cfg, Local{World: world, Clock: clk})
	if err != nil {
		return nil, err
	}
	r := &Runner{Config: cfg, World: world, Clock: clk, Env: env, log: log}
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
	r.wh, err = warehouse.Open(ctx, whPath, warehouse.Options{EmailHashKey: cfg.EmailHashKey()})
	if err != nil {
		return fmt.Errorf("open warehouse %s: %w", whPath, err)
	}
	r.producer = &stream.Producer{Client: r.Env.Kinesis, Stream: cfg.Kinesis.Stream, Clock: r.Clock}
	// The runner is the group's only consumer: it holds every shard's lease
	// (renewed at each hour's drain, an hour after the last on the clock).
	r.consumer = &stream.Consumer{
		Client: r.Env.Kinesis, Stream: cfg.Kinesis.Stream, Store: r.Env.Lake,
		Checkpointer: cp, Owner: ConsumerOwner, Clock: r.Clock,
		BatchRecords: cfg.Kinesis.BatchRecords, Log: r.log,
	}
	policy := ingest.DefaultPolicy()
	policy.RequestTimeout = cfg.FakeStore.Timeout
	client, err := ingest.NewClient(r.Env.HTTP, r.Env.FakeStoreURL, r.Clock, rng.New(cfg.Seed, "ingest/retry"), policy, 0, r.log)
	if err != nil {
		return err
	}
	r.ingester = &ingest.Ingester{Client: client, Store: r.Env.Lake, Ledger: r.wh.IngestLedger(), Log: r.log}
	return nil
}

// Warehouse returns the run's warehouse.
func (r *Runner) Warehouse() *warehouse.Warehouse { return r.wh }

// Totals returns the counts so far.
func (r *Runner) Totals() Totals { return r.totals }

// Close releases the consumer's leases, closes the warehouse and stops the
// endpoints.
func (r *Runner) Close() error {
	var errs []error
	if r.consumer != nil {
		errs = append(errs, r.consumer.Close(context.Background()))
	}
	if r.wh != nil {
		errs = append(errs, r.wh.Close())
	}
	errs = append(errs, r.Env.Close())
	return errors.Join(errs...)
}

// StreamHour puts the events of the hour starting at from on the stream as
// the clock reaches the end of that hour, then drains every shard to RAW.
func (r *Runner) StreamHour(ctx context.Context, from time.Time, day *DayReport) error {
	to := from.Add(time.Hour)
	if err := r.Clock.Set(to); err != nil {
		return err
	}
	events := r.World.EventsBetween(from, to)
	day.Events += len(events)
	r.totals.Generated += len(events)
	put, err := r.producer.Put(ctx, events)
	day.Put.Add(put)
	r.totals.Acknowledged += put.Acknowledged
	if err != nil {
		return fmt.Errorf("produce %s: %w", from.Format(time.RFC3339), err)
	}
	cons, err := r.consumer.Drain(ctx)
	day.Consume.Add(cons)
	r.totals.InRaw += cons.Valid
	r.totals.Quarantined += cons.Invalid
	r.totals.Duplicates += cons.Duplicates
	r.totals.RawObjects += cons.Objects
	r.totals.RawExisting += cons.Existing
	if err != nil {
		return fmt.Errorf("consume %s: %w", from.Format(time.RFC3339), err)
	}
	return nil
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
	res, err := r.ingester.IngestDate(ctx, date)
	day.Ingest = res
	r.totals.IngestWrites += res.Written()
	r.totals.IngestSkips += len(res.Objects) - res.Written()
	if err != nil {
		return err
	}
	if day.Load, err = r.wh.Load(ctx, r.Env.Lake); err != nil {
		return err
	}
	if day.Transform, err = r.wh.Transform(ctx, warehouse.TransformOptions{AsOf: date.Add(24 * time.Hour)}); err != nil {
		return err
	}
	return nil
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
