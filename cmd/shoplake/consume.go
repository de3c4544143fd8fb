package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/stream"
)

// consumeOptions are the flags of shoplake consume.
type consumeOptions struct {
	follow   bool
	interval time.Duration
	owner    string
	dataDir  string
	asJSON   bool
	wait     waitFlag
	jitter   jitterFlag
	metrics  metricsFlags
	// clock is the command's clock: clock.Real, or a simulated one in tests.
	clock clock.Clock
}

func newConsumeCmd(g *globalFlags) *cobra.Command { return newConsumeCmdOn(g, clock.Real{}) }

// newConsumeCmdOn is shoplake consume on clk: every wait (between passes,
// for a lease) and every lease expiry is on it.
func newConsumeCmdOn(g *globalFlags, clk clock.Clock) *cobra.Command {
	opts := consumeOptions{clock: clk}
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Drain the clickstream into RAW, once or until interrupted",
		Long: `consume reads every shard of the configured Kinesis stream from its
checkpoint, writes micro-batches of valid events to RAW
(raw/events/dt=/hr=/<stream>-<shard>-<first>-<last>.ndjson.gz) and invalid
records to QUARANTINE with their reason, drops duplicates within a bounded
window, and checkpoints each batch once it is durable. Checkpoints are leases
in the lake (checkpoints/<group>/<stream>/<shard>.json): a shard another
live consumer holds is skipped, and a consumer whose lease was taken stops.

Without --follow it drains once, until every shard is caught up; with
--follow it drains again every --interval until interrupted, and releases its
leases on the way out.

Leases last a minute unless their holder renews them (every pass does). When
another consumer holds every shard, consume says who holds them and until
when, and exits non-zero: nothing was read. With --wait it instead tries again
every --interval until it holds at least one shard, then drains: --wait alone
waits until interrupted, --wait=10m at most ten minutes (then exits non-zero).
With --follow, a pass that leases nothing (another consumer is working) is
reported and is not an error.

Throttled or failed reads are retried with backoff whose jitter comes from a
seed drawn per process (logged with -v, reported as jitter_seed);
--jitter-seed N replays a run's waits.

In mode local without kinesis.endpoint, the stream is the one kept under
<data-dir>/kinesis by the local Kinesis server; with an endpoint (a
` + "`shoplake serve`" + `, LocalStack) or in mode aws, it is that endpoint's.`,
		Example: "  shoplake consume --json\n" +
			"  shoplake consume --wait=5m\n" +
			"  SHOPLAKE_KINESIS_ENDPOINT=http://127.0.0.1:4567 SHOPLAKE_S3_ENDPOINT=http://127.0.0.1:4566 shoplake consume --follow",
		Args: func(cmd *cobra.Command, args []string) error {
			if _, err := time.ParseDuration(firstOf(args)); err == nil && cmd.Flags().Changed("wait") {
				return fmt.Errorf("unexpected argument %q: give --wait its duration with '=': --wait=%s", args[0], args[0])
			}
			return cobra.NoArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadFor(cmd, opts.dataDir, config.NeedLake|config.NeedStream)
			if err != nil {
				return err
			}
			if opts.interval <= 0 {
				return fmt.Errorf("--interval %s: want a positive duration", opts.interval)
			}
			if err := requireDataDir(cfg, cfg.Kinesis.Endpoint, "no stream "+cfg.Kinesis.Stream+" to consume: run shoplake setup (then shoplake produce)"); err != nil {
				return err
			}
			return runConsume(cmd, g, cfg, opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.follow, "follow", false, "keep draining until interrupted")
	fs.DurationVar(&opts.interval, "interval", 5*time.Second, "wait between drains with --follow")
	fs.StringVar(&opts.owner, "owner", defaultOwner(), "this consumer's name in the shard leases")
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake (and, in mode local, the stream) is")
	fs.BoolVar(&opts.asJSON, "json", false, "print the summary as JSON")
	fs.Var(&opts.wait, "wait", "when another consumer holds every shard, wait for a lease: until interrupted, or at most the duration given (--wait=5m)")
	fs.Lookup("wait").NoOptDefVal = waitForever
	opts.jitter.register(fs)
	opts.metrics.registerServe(fs)
	return cmd
}

// waitForever is --wait without a duration.
const waitForever = "forever"

// waitFlag is --wait[=DURATION]: absent, no wait; alone, wait until
// interrupted; with a duration, wait at most that long.
type waitFlag struct {
	on  bool
	max time.Duration // 0: no bound
}

func (w *waitFlag) String() string {
	switch {
	case !w.on:
		return ""
	case w.max == 0:
		return waitForever
	}
	return w.max.String()
}

func (w *waitFlag) Set(v string) error {
	if v == waitForever {
		w.on, w.max = true, 0
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration (--wait=5m), or --wait alone to wait until interrupted")
	}
	w.on, w.max = true, d
	return nil
}

func (w *waitFlag) Type() string { return "duration" }

func firstOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// defaultOwner names a consumer by host and process.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// consumeReport is the summary (--json).
type consumeReport struct {
	Stream    string            `json:"stream"`
	Endpoints map[string]string `json:"endpoints"`
	Owner     string            `json:"owner"`
	// JitterSeed is the seed of the backoff's jitter (--jitter-seed).
	JitterSeed uint64               `json:"jitter_seed,string"`
	Passes     int                  `json:"passes"`
	Totals     stream.ConsumeStats  `json:"totals"`
	Shards     []consumeShardReport `json:"shards"`
	// WaitedMS is how long the command waited for a shard lease held by
	// another consumer (--wait), 0 when it did not.
	WaitedMS int64  `json:"waited_ms"`
	Error    string `json:"error,omitempty"`
}

type consumeShardReport struct {
	ShardID    string `json:"shard_id"`
	Parent     string `json:"parent,omitempty"`
	Checkpoint string `json:"checkpoint"`
	Owner      string `json:"owner"`
	// Expires is when Owner's lease lapses unless renewed.
	Expires  time.Time `json:"expires,omitzero"`
	Finished bool      `json:"finished"`
}

func runConsume(cmd *cobra.Command, g *globalFlags, cfg config.Config, opts consumeOptions) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	log := g.logger(cmd.ErrOrStderr())
	clk := opts.clock
	jitterSeed, err := opts.jitter.resolve(cmd.Flags(), log)
	if err != nil {
		return err
	}
	exp, err := opts.metrics.start("shoplake-consume", cmd.ErrOrStderr(), log)
	if err != nil {
		return err
	}
	defer exp.finish(ctx)
	// In mode local, the streams persisted under the data directory (the
	// ones shoplake serve writes), served for the duration of the command.
	env, err := pipeline.Open(ctx, cfg, exp.apiOptions(pipeline.Local{Clock: clk, PersistStreams: true}))
	if err != nil {
		return err
	}
	defer env.Close()
	if err := requireStream(ctx, env, cfg.Kinesis.Stream); err != nil {
		return err
	}
	if err := requireBucket(ctx, env, cfg.Mode); err != nil {
		return err
	}
	cp := &stream.LakeCheckpointer{Store: env.Lake, Group: cfg.Kinesis.Group, Stream: cfg.Kinesis.Stream, Clock: clk}
	c := &stream.Consumer{
		Client: env.Kinesis, Stream: cfg.Kinesis.Stream, Store: env.Lake, Checkpointer: cp,
		Owner: opts.owner, Clock: clk, BatchRecords: cfg.Kinesis.BatchRecords, Log: log,
		Backoff: stream.Backoff{Jitter: rng.New(jitterSeed, "stream/consume")},
	}
	pipeline.ObserveConsumer(exp.m, cfg.Kinesis.Stream, c, clk)
	var zonesListed time.Time
	observe := func() {
		if exp.m == nil {
			return
		}
		c.OnBatch()
		// Listing the lake costs requests: once a minute at most.
		if zonesListed.IsZero() || clk.Now().Sub(zonesListed) >= time.Minute {
			zonesListed = clk.Now()
			if err := pipeline.ObserveStores(ctx, exp.m, env.Lake, nil); err != nil {
				log.Warn("metrics: lake zones not listed", "err", err)
			}
		}
	}
	rep := consumeReport{Stream: cfg.Kinesis.Stream, Endpoints: env.Endpoints, Owner: opts.owner, JitterSeed: jitterSeed}
	errw := cmd.ErrOrStderr()
	var runErr error
	// With --wait, the passes that lease nothing before the first that
	// leases a shard are polls, reported as progress rather than passes.
	waiting, began := opts.wait.on, clk.Now()
	var progressed time.Time
	for {
		st, err := c.Drain(ctx)
		observe()
		if err == nil {
			exp.m.CaughtUp(cfg.Kinesis.Stream, clk.Now())
		}
		rep.Totals.Add(st)
		leases := leaseStatus(st, c.Shards())
		none := err == nil && st.Leased == 0 && st.Held > 0
		if waiting && none {
			waited := clk.Now().Sub(began)
			rep.WaitedMS = waited.Milliseconds()
			if opts.wait.max > 0 && waited >= opts.wait.max {
				runErr = fmt.Errorf("waited %s for a shard lease: %s (%w)", opts.wait.max, leases, stream.ErrLeaseHeld)
				break
			}
			if progressed.IsZero() || clk.Now().Sub(progressed) >= waitProgressEvery {
				progressed = clk.Now()
				bound := "; until interrupted"
				if opts.wait.max > 0 {
					bound = " of " + opts.wait.max.String()
				}
				fmt.Fprintf(errw, "waiting for a shard lease (%s%s): %s\n", waited.Round(time.Second), bound, leases)
			}
			pause := opts.interval
			if opts.wait.max > 0 {
				pause = min(pause, opts.wait.max-waited)
			}
			if clk.Sleep(ctx, pause) != nil {
				runErr = fmt.Errorf("interrupted after waiting %s for a shard lease: %s (%w)", waited.Round(time.Second), leases, stream.ErrLeaseHeld)
				break
			}
			continue
		}
		if waiting && st.Leased > 0 {
			waiting = false
			if waited := clk.Now().Sub(began); waited > 0 {
				rep.WaitedMS = waited.Milliseconds()
			}
		}
		rep.Passes++
		fmt.Fprintf(errw, "pass %d: %d records: %d to RAW, %d quarantined, %d duplicates dropped; %d objects written, %d present; %s\n",
			rep.Passes, st.Records, st.Valid, st.Invalid, st.Duplicates, st.Objects, st.Existing, leases)
		if err != nil {
			if ctx.Err() == nil {
				runErr = err
			}
			break
		}
		if none && !opts.follow {
			// Another consumer is working; with --follow a pass like this
			// is reported above and the next one tries again.
			runErr = fmt.Errorf("%s (%w); nothing read. To take the shards over when their leases expire, run: %s",
				leases, stream.ErrLeaseHeld, waitCommand(cmd))
			break
		}
		if !opts.follow || clk.Sleep(ctx, opts.interval) != nil {
			break
		}
	}
	// Release the leases and report, even after an interrupt.
	bg := context.WithoutCancel(ctx)
	if err := c.Close(bg); err != nil {
		runErr = errors.Join(runErr, err)
	}
	rep.Shards = shardReports(bg, env.Kinesis, cp, cfg.Kinesis.Stream)
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	out := cmd.OutOrStdout()
	if err := report(out, opts.asJSON, rep, printConsume); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("consume %s: %w", cfg.Kinesis.Stream, runErr)
	}
	return nil
}

// waitProgressEvery is how often --wait reports that it is still waiting.
const waitProgressEvery = 30 * time.Second

// leaseStatus says how many shards the pass leased and, for the others,
// which consumer holds them until when: "0 of 4 shards leased: held by
// host-12 until 2026-01-05T10:01:00Z", "2 of 4 shards leased; 2 held by
// host-12 until ...", "4 of 4 shards leased".
func leaseStatus(st stream.ConsumeStats, shards []stream.ShardState) string {
	s := fmt.Sprintf("%d of %d shards leased", st.Leased, st.Shards)
	if st.Held == 0 {
		return s
	}
	// Each holder with the latest expiry of its leases: when all of its
	// shards are free unless it renews them.
	until := map[string]time.Time{}
	var owners []string
	for _, sh := range shards {
		if sh.HeldBy == "" {
			continue
		}
		if _, ok := until[sh.HeldBy]; !ok {
			owners = append(owners, sh.HeldBy)
		}
		if sh.HeldUntil.After(until[sh.HeldBy]) {
			until[sh.HeldBy] = sh.HeldUntil
		}
	}
	sort.Strings(owners)
	held := make([]string, len(owners))
	for i, o := range owners {
		held[i] = fmt.Sprintf("%s until %s", o, until[o].UTC().Format(time.RFC3339))
	}
	if st.Leased == 0 {
		return s + ": held by " + strings.Join(held, ", ")
	}
	return fmt.Sprintf("%s; %d held by %s", s, st.Held, strings.Join(held, ", "))
}

// waitCommand is the command line that ran, with --wait added: the flags
// given, in name order.
func waitCommand(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch {
		case f.Name == "wait" || f.Name == "json":
		case f.Value.Type() == "bool" && f.Value.String() == "true":
			parts = append(parts, "--"+f.Name)
		default:
			parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
		}
	})
	return strings.Join(append(parts, "--wait"), " ")
}

// shellQuote quotes v for a POSIX shell if it needs it.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// shardReports lists the shards with their checkpoints (best effort: a
// failure leaves the list short).
func shardReports(ctx context.Context, api *kinesis.Client, cp stream.Checkpointer, name string) []consumeShardReport {
	out, err := api.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		return nil
	}
	var reps []consumeShardReport
	for _, sh := range out.Shards {
		l, err := cp.Get(ctx, aws.ToString(sh.ShardId))
		if err != nil {
			continue
		}
		r := consumeShardReport{ShardID: aws.ToString(sh.ShardId), Parent: aws.ToString(sh.ParentShardId),
			Checkpoint: l.SequenceNumber, Owner: l.Owner, Finished: l.ShardEnd}
		if l.Owner != "" {
			r.Expires = l.Expires
		}
		reps = append(reps, r)
	}
	return reps
}

func printConsume(w io.Writer, rep consumeReport) {
	t := rep.Totals
	fmt.Fprintf(w, "stream %s (%s), owner %s, %d pass(es)\n", rep.Stream, rep.Endpoints["kinesis"], rep.Owner, rep.Passes)
	fmt.Fprintf(w, "records %d: %d to RAW, %d quarantined, %d duplicates dropped\n", t.Records, t.Valid, t.Invalid, t.Duplicates)
	if t.Conflicts > 0 {
		fmt.Fprintf(w, "conflicts %d: event ids seen before with a different payload, both versions in RAW (the warehouse keeps the earliest arrival; see check events_unique_payload)\n", t.Conflicts)
	}
	fmt.Fprintf(w, "objects %d written, %d already present; %d checkpoints; %d throttled calls\n\n", t.Objects, t.Existing, t.Checkpoints, t.Throttled)
	tb := &table{head: []string{"shard", "parent", "finished", "owner", "checkpoint"}, right: []bool{false, false, false, false, false}}
	for _, s := range rep.Shards {
		fin := "no"
		if s.Finished {
			fin = "yes"
		}
		owner := s.Owner
		if owner == "" {
			owner = "-"
		}
		parent := s.Parent
		if parent == "" {
			parent = "-"
		}
		cpt := s.Checkpoint
		if cpt == "" {
			cpt = "(none)"
		}
		tb.add(s.ShardID, parent, fin, owner, cpt)
	}
	tb.print(w)
	if rep.Error != "" {
		fmt.Fprintf(w, "\nerror: %s\n", rep.Error)
	}
}
