package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
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
}

func newConsumeCmd(g *globalFlags) *cobra.Command {
	var opts consumeOptions
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

In mode local without kinesis.endpoint, the stream is the one kept under
<data-dir>/kinesis by the local Kinesis server; with an endpoint (a
` + "`shoplake serve`" + `, LocalStack) or in mode aws, it is that endpoint's.`,
		Example: "  shoplake consume --json\n" +
			"  SHOPLAKE_KINESIS_ENDPOINT=http://127.0.0.1:4567 SHOPLAKE_S3_ENDPOINT=http://127.0.0.1:4566 shoplake consume --follow",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("data-dir") {
				cfg.DataDir = opts.dataDir
			}
			if err := cfg.Check("shoplake consume", config.NeedLake|config.NeedStream); err != nil {
				return err
			}
			if opts.interval <= 0 {
				return fmt.Errorf("--interval %s: want a positive duration", opts.interval)
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
	return cmd
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
	Stream    string               `json:"stream"`
	Endpoints map[string]string    `json:"endpoints"`
	Owner     string               `json:"owner"`
	Passes    int                  `json:"passes"`
	Totals    stream.ConsumeStats  `json:"totals"`
	Shards    []consumeShardReport `json:"shards"`
	Error     string               `json:"error,omitempty"`
}

type consumeShardReport struct {
	ShardID    string `json:"shard_id"`
	Parent     string `json:"parent,omitempty"`
	Checkpoint string `json:"checkpoint"`
	Owner      string `json:"owner"`
	Finished   bool   `json:"finished"`
}

func runConsume(cmd *cobra.Command, g *globalFlags, cfg config.Config, opts consumeOptions) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	log := g.logger(cmd.ErrOrStderr())
	clk := clock.Real{}
	// In mode local, the streams persisted under the data directory (the
	// ones shoplake serve writes), served for the duration of the command.
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clk, PersistStreams: true})
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
	}
	rep := consumeReport{Stream: cfg.Kinesis.Stream, Endpoints: env.Endpoints, Owner: opts.owner}
	errw := cmd.ErrOrStderr()
	var runErr error
	for {
		st, err := c.Drain(ctx)
		rep.Passes++
		rep.Totals.Add(st)
		fmt.Fprintf(errw, "pass %d: %d records: %d to RAW, %d quarantined, %d duplicates dropped; %d objects written, %d present; %d/%d shards leased\n",
			rep.Passes, st.Records, st.Valid, st.Invalid, st.Duplicates, st.Objects, st.Existing, st.Leased, st.Shards)
		if err != nil {
			if ctx.Err() == nil {
				runErr = err
			}
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
		reps = append(reps, consumeShardReport{ShardID: aws.ToString(sh.ShardId), Parent: aws.ToString(sh.ParentShardId),
			Checkpoint: l.SequenceNumber, Owner: l.Owner, Finished: l.ShardEnd})
	}
	return reps
}

func printConsume(w io.Writer, rep consumeReport) {
	t := rep.Totals
	fmt.Fprintf(w, "stream %s (%s), owner %s, %d pass(es)\n", rep.Stream, rep.Endpoints["kinesis"], rep.Owner, rep.Passes)
	fmt.Fprintf(w, "records %d: %d to RAW, %d quarantined, %d duplicates dropped\n", t.Records, t.Valid, t.Invalid, t.Duplicates)
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
