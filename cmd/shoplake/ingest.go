package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/pipeline"
)

// ingestOptions are the flags of shoplake ingest.
type ingestOptions struct {
	date, from, to string
	source         string
	dataDir        string
	dsn            string
	asJSON         bool
	jitter         jitterFlag
	filterCarts    bool
	metrics        metricsFlags
}

func newIngestCmd(g *globalFlags) *cobra.Command {
	var (
		world worldFlags
		opts  ingestOptions
	)
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Ingest logical dates from a FakeStore-compatible API into RAW",
		Long: `ingest pulls the users and products snapshots and the carts of each logical
date from a FakeStore-compatible API into the lake's RAW zone, and commits
each date's objects together by a commit in the lake, written last, so
that nothing partial is ever loaded. Each run's history (its attempt, its
outcome, the objects it saw) is kept in the lake too, under raw/_runs/:
ingest needs no warehouse. It retries what is worth retrying
(5xx, 429 with Retry-After, timeouts, resets, truncated bodies) with jittered
backoff, within a retry budget per date and behind a circuit breaker. The
jitter is drawn from a seed of its own per process (logged with -v, printed
in the summary and in --json as jitter_seed), so that ingesters run in
parallel do not retry in lockstep; --jitter-seed N replays a run's waits.

--date ingests one date; --from and --to backfill a range (inclusive).
Dates already committed with the same content are reported "unchanged".
The source is --source, else the configuration's fakestore.base_url, else
(mode local) the simulated shop's API, started in-process.

The exit status is 0 only when every date is complete (committed or
unchanged); a failed date is safe to rerun.`,
		Example: "  shoplake ingest --date 2026-01-05\n" +
			"  shoplake ingest --from 2026-01-05 --to 2026-01-11 --json\n" +
			"  shoplake ingest --date 2020-03-01 --source https://fakestoreapi.com",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, opts.dataDir)
			if err != nil {
				return err
			}
			world.apply(cmd.Flags(), &cfg)
			if opts.source != "" {
				cfg.FakeStore.BaseURL = opts.source
			}
			from, to, err := opts.dates()
			if err != nil {
				return err
			}
			needs := config.NeedLake | config.NeedSource
			if cfg.Mode == config.ModeLocal && cfg.FakeStore.BaseURL == "" {
				needs |= config.NeedWorld // the in-process FakeStore serves the simulated shop
			}
			if err := cfg.Check("shoplake ingest", needs); err != nil {
				return err
			}
			return runIngest(cmd, g, cfg, from, to, opts)
		},
	}
	world.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&opts.date, "date", "", "the logical date to ingest (YYYY-MM-DD, UTC)")
	fs.StringVar(&opts.from, "from", "", "first date of a backfill (inclusive)")
	fs.StringVar(&opts.to, "to", "", "last date of a backfill (inclusive)")
	fs.StringVar(&opts.source, "source", "", "base URL of a FakeStore-compatible API (default: fakestore.base_url, or the simulator in mode local)")
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "where the local lake is")
	fs.StringVar(&opts.dsn, "postgres", "", "no effect: the ingestion history is kept in the lake")
	_ = fs.MarkDeprecated("postgres", "ingest keeps its runs' history in the lake (raw/_runs/) and needs no warehouse")
	fs.BoolVar(&opts.asJSON, "json", false, "print the results as JSON")
	fs.BoolVar(&opts.filterCarts, "filter-carts-by-date", false,
		"the source ignores startdate/enddate: keep the carts dated within each logical date and count the others, instead of failing the date")
	opts.jitter.register(fs)
	opts.metrics.registerBatch(fs)
	return cmd
}

// dates returns the range the flags name.
func (o ingestOptions) dates() (time.Time, time.Time, error) {
	parse := func(flag, v string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, fmt.Errorf("--%s %q: want a date YYYY-MM-DD", flag, v)
		}
		return t, nil
	}
	switch {
	case o.date != "" && (o.from != "" || o.to != ""):
		return time.Time{}, time.Time{}, errors.New("give either --date or --from and --to, not both")
	case o.date != "":
		d, err := parse("date", o.date)
		return d, d, err
	case o.from == "" || o.to == "":
		return time.Time{}, time.Time{}, errors.New("give --date D, or --from D1 --to D2")
	}
	from, err := parse("from", o.from)
	if err != nil {
		return from, from, err
	}
	to, err := parse("to", o.to)
	if err != nil {
		return from, to, err
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("--from %s is after --to %s", o.from, o.to)
	}
	return from, to, nil
}

// ingestReport is the --json output.
type ingestReport struct {
	Source string `json:"source"`
	// JitterSeed is the seed of the run's retry jitter (--jitter-seed).
	JitterSeed uint64 `json:"jitter_seed,string"`
	Complete   bool   `json:"complete"`
	// FilterCartsByDate records --filter-carts-by-date: carts outside
	// their date were dropped (Object.OutsideDate), not refused.
	FilterCartsByDate bool            `json:"filter_carts_by_date,omitempty"`
	Dates             []ingest.Result `json:"dates"`
}

func runIngest(cmd *cobra.Command, g *globalFlags, cfg config.Config, from, to time.Time, opts ingestOptions) error {
	ctx := cmd.Context()
	errw := cmd.ErrOrStderr()
	log := g.logger(errw)
	asJSON := opts.asJSON
	// The retry jitter of this process, not of the configuration's seed:
	// see jitterFlag.
	jitterSeed, err := opts.jitter.resolve(cmd.Flags(), log)
	if err != nil {
		return err
	}
	// The in-process FakeStore (mode local, no base URL) serves the
	// simulated shop as of each date's ingestion time, as the demo's
	// pipeline does, so both write the same RAW objects into one data
	// directory; the client waits in real time.
	simClock := clock.NewSim(from.Add(24*time.Hour + pipeline.IngestDelay))
	local, err := pipeline.LocalSource(cfg, simClock)
	if err != nil {
		return err
	}
	localSim := local.World != nil
	exp, err := opts.metrics.start("shoplake-ingest", errw, log)
	if err != nil {
		return err
	}
	env, err := pipeline.Open(ctx, cfg, exp.apiOptions(local))
	if err != nil {
		return errors.Join(err, exp.finish(ctx))
	}
	defer env.Close()
	if err := requireBucket(ctx, env, cfg.Mode); err != nil {
		return err
	}
	policy := ingest.DefaultPolicy()
	policy.RequestTimeout = cfg.FakeStore.Timeout
	client, err := ingest.NewClient(env.HTTP, env.FakeStoreURL, clock.Real{}, rng.New(jitterSeed, "ingest/retry"), policy, 0, log)
	if err != nil {
		return err
	}
	client.Observe(exp.m.SourceObserver(pipeline.SourceFakeStore))
	in := &ingest.Ingester{Client: client, Store: env.Lake, Ledger: &ingest.LakeLedger{Store: env.Lake}, Log: log, FilterCartsByDate: opts.filterCarts, PageSize: cfg.FakeStore.PageSize, LookbackDays: cfg.FakeStore.LookbackDays}
	if localSim {
		in.BeforeDate = func(d time.Time) error {
			if at := d.Add(24*time.Hour + pipeline.IngestDelay); simClock.Now().Before(at) {
				return simClock.Set(at)
			}
			return nil
		}
	}
	began := time.Now()
	results, runErr := in.Backfill(ctx, from, to)
	var metricsErr error
	if exp.m != nil {
		exp.m.Step("ingest", time.Since(began))
		for _, r := range results {
			exp.m.Ingested(pipeline.SourceFakeStore, time.Now(), r, client.Breaker().State())
		}
		if err := pipeline.ObserveStores(ctx, exp.m, env.Lake, nil); err != nil {
			log.Warn("metrics: lake zones not listed", "err", err)
		}
		metricsErr = exp.finish(ctx)
	}

	rep := ingestReport{Source: env.Endpoints["fakestore"], JitterSeed: jitterSeed, Complete: runErr == nil,
		FilterCartsByDate: opts.filterCarts, Dates: results}
	out := cmd.OutOrStdout()
	if err := report(out, asJSON, rep, printIngest); err != nil {
		return err
	}
	if runErr != nil {
		failed := 0
		for _, r := range results {
			if !r.Status.Complete() {
				failed++
			}
		}
		if n := int(to.Sub(from).Hours()/24) + 1; len(results) < n {
			failed += n - len(results)
		}
		return errors.Join(fmt.Errorf("ingest: %d of %d dates incomplete (nothing of theirs was committed; rerun them): %w",
			failed, int(to.Sub(from).Hours()/24)+1, runErr), metricsErr)
	}
	return metricsErr
}

func printIngest(w io.Writer, rep ingestReport) {
	fmt.Fprintf(w, "source %s, retry jitter seed %d\n", rep.Source, rep.JitterSeed)
	if rep.FilterCartsByDate {
		fmt.Fprintln(w, "carts filtered to their logical date (--filter-carts-by-date): \"carts\" counts those kept, \"+N other dates\" those dropped")
	}
	// superseded: the earlier runs of the date that this run found still
	// running (their process died) and closed as failed.
	t := &table{
		head:  []string{"date", "status", "run", "try", "new", "users", "products", "carts", "dup ids", "requests", "retries", "waited", "superseded", "error"},
		right: []bool{false, false, true, true, true, true, true, true, true, true, true, true, false, false},
	}
	for _, r := range rep.Dates {
		rows := map[string]string{"users": "-", "products": "-", "carts": "-"}
		dups := 0
		for _, o := range r.Objects {
			rows[o.Entity] = fmt.Sprint(o.Rows)
			if o.OutsideDate > 0 {
				rows[o.Entity] += fmt.Sprintf(" +%d other dates", o.OutsideDate)
			}
			dups += o.DuplicateIDs
		}
		errText := r.Error
		if len(errText) > 120 {
			errText = errText[:117] + "..."
		}
		t.add(r.Date.Format(time.DateOnly), string(r.Status), fmt.Sprint(r.RunID), fmt.Sprint(r.Attempt),
			fmt.Sprintf("%d/%d", r.Written(), len(r.Objects)), rows["users"], rows["products"], rows["carts"],
			fmt.Sprint(dups), fmt.Sprint(r.Requests), fmt.Sprint(r.Retries), r.Waited.Round(time.Millisecond).String(),
			supersededRuns(r.Superseded), strings.ReplaceAll(errText, "\n", " "))
	}
	t.print(w)
}

// supersededRuns lists the runs a run closed as superseded ("run 3, 5"),
// "-" for none.
func supersededRuns(ids []int64) string {
	if len(ids) == 0 {
		return "-"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "run " + strings.Join(s, ", ")
}
