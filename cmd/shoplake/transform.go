package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/warehouse"
)

// transformOptions are the flags of shoplake transform.
type transformOptions struct {
	metrics     metricsFlags
	dataDir     string
	dsn         string
	fullRefresh bool
	backfill    bool
	// backfillLimit: TransformOptions.BackfillLimit.
	backfillLimit int
	noLoad        bool
	noExport      bool
	asOf          string
	lateness      time.Duration
	maxEventAge   string
	acceptEmpty   []string
	asJSON        bool
}

func newTransformCmd(g *globalFlags) *cobra.Command {
	var (
		world worldFlags
		opts  transformOptions
	)
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "Load new RAW objects into STAGING, check them, promote them to CORE and rebuild the marts",
		Long: `transform is the warehouse step of the pipeline. It loads the RAW objects the
warehouse has not loaded yet (FakeStore objects only once an ingestion run
committed them) into STAGING, quarantining the records that do not type,
then promotes STAGING to CORE and rebuilds the marts, in one transaction.

By default the run is incremental: only the new staging rows are merged, and
only the mart partitions (dates) they touch are rebuilt. A watermark (the
latest event time minus --lateness) marks days final: late events for a final
day are kept and flagged, and the day is queued; the run rebuilds the oldest
--backfill-limit queued days, so the marts stay consistent, and the check
backfill_pending names the days left; --backfill rebuilds every queued day.
--full-refresh rebuilds everything from STAGING and gives the same tables as
the incremental runs. An event whose time is more than
--max-event-age before its arrival (a clock far behind) is quarantined at
load, as one more than an hour ahead is.

The data-quality checks run before the commit: a failing blocking check
stops the promotion (nothing moves, nothing is lost; exit status 1) and says
which check failed and why. shoplake check shows the results. A users or
products snapshot that comes back empty after one with rows blocks the run
(an upstream outage answering []); if the source really has none,
--accept-empty products (or users, carts) accepts it, recorded with the run.

After a promoted run the marts are exported to the lake's CURATED zone as
Parquet, for any query engine to read without the warehouse: one file per
mart at curated/<mart>/<sha256>.parquet, named by the numbered manifest
curated/_exports/<NNNNNNNN>.json with the run's as-of and check results. An
unchanged mart writes no file, and a run that changed no mart (same as-of)
writes no manifest: the newest export stands. Nothing in CURATED is
overwritten. --no-export skips it.`,
		Example: "  shoplake transform\n  shoplake transform --backfill\n  shoplake transform --full-refresh --json\n  shoplake transform --accept-empty products\n  shoplake transform --no-export",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, opts.dataDir)
			if err != nil {
				return err
			}
			world.apply(cmd.Flags(), &cfg)
			if opts.fullRefresh && opts.backfill {
				return errors.New("give --full-refresh or --backfill, not both")
			}
			if err := opts.validate(); err != nil {
				return err
			}
			needs := config.NeedEmailKey
			if opts.dsn == "" {
				needs |= config.NeedWarehouse
			}
			if !opts.noLoad || !opts.noExport {
				needs |= config.NeedLake
			}
			if !opts.noLoad {
				needs |= config.NeedLoad // engine redshift COPYs the lake's STAGING
			}
			if err := cfg.Check("shoplake transform", needs); err != nil {
				return err
			}
			// In mode local the lake, and the DuckDB warehouse, are the data
			// directory's: with no directory there is nothing to transform,
			// and opening them would leave an empty lake and warehouse. In
			// mode aws the lake is in S3 and the first transform creates
			// the warehouse in the directory.
			local := cfg.Mode == config.ModeLocal
			lakeHere := local && needs&config.NeedLake != 0 && cfg.S3.Endpoint == ""
			warehouseHere := local && cfg.WarehouseEngine(opts.dsn) == config.EngineDuckDB && !filepath.IsAbs(cfg.Warehouse.Path)
			if lakeHere || warehouseHere {
				if err := requireDataDir(cfg, "", "no lake and no warehouse yet, nothing to transform; "+
					"run shoplake ingest (batch) or shoplake setup, produce and consume (clickstream) first, or shoplake demo for a whole simulated run"); err != nil {
					return err
				}
			}
			return runTransform(cmd, g, cfg, opts)
		},
	}
	world.register(cmd.Flags())
	// transform reads the lake, whatever world put it there: the world's
	// flags change nothing. Kept so that old scripts still parse, hidden
	// and warned about.
	for _, name := range worldFlagNames(cmd.Flags(), &world) {
		oldFlag(cmd, name, "transform reads the lake whatever world made it: --"+name+" changes nothing")
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake and warehouse.duckdb are")
	fs.StringVar(&opts.dsn, "postgres", "", "use the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file (overrides warehouse.engine and warehouse.dsn)")
	fs.BoolVar(&opts.fullRefresh, "full-refresh", false, "rebuild CORE and every mart from all of STAGING")
	fs.BoolVar(&opts.backfill, "backfill", false, "rebuild every final day queued by late events, whatever --backfill-limit")
	fs.IntVar(&opts.backfillLimit, "backfill-limit", warehouse.DefaultBackfillLimit, "rebuild at most this many queued days (oldest first) in an incremental run")
	fs.BoolVar(&opts.noLoad, "no-load", false, "do not load RAW first: promote what STAGING holds")
	fs.BoolVar(&opts.noExport, "no-export", false, "do not export the marts to the lake's CURATED zone after a promoted run")
	fs.StringVar(&opts.asOf, "as-of", "", "exclusive end of the observed range, YYYY-MM-DD (default: the day after the latest date committed in the lake)")
	fs.DurationVar(&opts.lateness, "lateness", warehouse.DefaultAllowedLateness, "allowed lateness of events: the watermark is the latest event time minus this")
	fs.StringVar(&opts.maxEventAge, "max-event-age", warehouse.FormatAge(warehouse.DefaultMaxEventAge),
		"quarantine at load an event whose event_time is this long before its arrival (a clock behind), such as 7d or 36h")
	fs.StringArrayVar(&opts.acceptEmpty, "accept-empty", nil,
		"accept an empty snapshot of this entity (users, products or carts) after one with rows; repeatable")
	fs.BoolVar(&opts.asJSON, "json", false, "print the result as JSON")
	opts.metrics.registerBatch(fs)
	return cmd
}

// validate refuses flag values that cannot be right, before anything runs.
// An --as-of before everything loaded is refused by the warehouse, which
// knows what is loaded.
func (o transformOptions) validate() error {
	switch {
	case o.lateness < 0:
		return fmt.Errorf("--lateness %s: the allowed lateness cannot be negative: give a positive duration, such as %s (the default) or 2h",
			o.lateness, shortDuration(warehouse.DefaultAllowedLateness))
	case o.lateness == 0:
		return fmt.Errorf("--lateness 0s: give a positive duration, such as %s (the default) or 1m for days final almost at once",
			shortDuration(warehouse.DefaultAllowedLateness))
	case o.backfillLimit < 1:
		return fmt.Errorf("--backfill-limit %d: give how many queued days an incremental run may rebuild, at least 1 (default %d); --backfill rebuilds them all",
			o.backfillLimit, warehouse.DefaultBackfillLimit)
	}
	age, err := parseAge(o.maxEventAge)
	if err != nil {
		return fmt.Errorf("--max-event-age %q: %w", o.maxEventAge, err)
	}
	if age <= o.lateness {
		return fmt.Errorf("--max-event-age %s: must exceed the allowed lateness %s, or events inside the lateness would be quarantined",
			o.maxEventAge, shortDuration(o.lateness))
	}
	for _, e := range o.acceptEmpty {
		if !slices.Contains(warehouse.VolumeEntities, e) {
			return fmt.Errorf("--accept-empty %q: give one of %s", e, strings.Join(warehouse.VolumeEntities, ", "))
		}
	}
	if o.asOf != "" {
		if _, err := time.Parse(time.DateOnly, o.asOf); err != nil {
			return fmt.Errorf("--as-of %q: want a date YYYY-MM-DD", o.asOf)
		}
	}
	return nil
}

// parseAge reads a maximum age: a number of days ("7d") or a positive Go
// duration ("36h").
func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, errors.New("want a number of days, such as 7d, or a duration, such as 36h")
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("want a number of days, such as 7d, or a duration, such as 36h")
		}
	}
	if d <= 0 {
		return 0, errors.New("the maximum age must be positive, such as 7d (the default)")
	}
	return d, nil
}

// shortDuration renders d without zero minutes and seconds: "24h".
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// openWarehouse opens the warehouse a command uses: the PostgreSQL
// warehouse at flag (its --postgres DSN) when given, else the one the
// configuration names (warehouse.engine: the DuckDB file of cfg, or the
// PostgreSQL or Redshift database at warehouse.dsn). Attempts are dated by
// the wall clock. Each of set may change the options first.
func openWarehouse(ctx context.Context, cfg config.Config, flag string, set ...func(*warehouse.Options)) (*warehouse.Warehouse, error) {
	zone, err := cfg.BusinessZone()
	if err != nil {
		return nil, err
	}
	opts := warehouse.Options{EmailHashKey: cfg.EmailHashKey(), Clock: clock.Real{}, DuckDBMemoryLimit: cfg.Warehouse.DuckDBMemoryLimit, TimeZone: zone}
	for _, f := range set {
		f(&opts)
	}
	if w, ok, err := openServer(ctx, cfg, flag, opts); ok {
		return w, err
	}
	path := cfg.Warehouse.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.DataDir, path)
	}
	w, err := warehouse.Open(ctx, path, opts)
	if errors.Is(err, warehouse.ErrNotDuckDB) {
		return nil, notDuckDB(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open warehouse %s: %w", path, err)
	}
	return w, nil
}

// openServer opens the warehouse of flag (a --postgres DSN) or of cfg when
// it is a database server (engine postgres or redshift); ok is false for
// the DuckDB file, which the caller opens.
func openServer(ctx context.Context, cfg config.Config, flag string, opts warehouse.Options) (w *warehouse.Warehouse, ok bool, err error) {
	engine, dsn := cfg.WarehouseEngine(flag), cfg.WarehouseDSN(flag)
	switch engine {
	case config.EnginePostgres:
		w, err = warehouse.OpenPostgres(ctx, dsn, opts)
	case config.EngineRedshift:
		w, err = warehouse.OpenRedshift(ctx, dsn, opts, warehouse.RedshiftOptions{
			IAMRole: cfg.Warehouse.Redshift.IAMRole, Bucket: cfg.S3.Bucket, Prefix: cfg.S3.Prefix})
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("open %s warehouse: %w", engine, err)
	}
	return w, true, nil
}

// transformReport is the --json output.
type transformReport struct {
	Load      *warehouse.LoadStats     `json:"load,omitempty"`
	Transform warehouse.TransformStats `json:"transform"`
	AsOf      *time.Time               `json:"as_of"`
	// Accounting is what the run's staging rows left out of CORE, read
	// from the tables after the run.
	Accounting *warehouse.RunAccounting `json:"accounting,omitempty"`
	// Export is the export of the marts to CURATED after a promoted run;
	// absent with --no-export or when the run was not promoted.
	Export *warehouse.ExportStats `json:"export,omitempty"`
}

func runTransform(cmd *cobra.Command, g *globalFlags, cfg config.Config, opts transformOptions) (retErr error) {
	ctx := cmd.Context()
	maxAge, err := parseAge(opts.maxEventAge)
	if err != nil {
		return fmt.Errorf("--max-event-age %q: %w", opts.maxEventAge, err)
	}
	wh, err := openWarehouse(ctx, cfg, opts.dsn, func(o *warehouse.Options) { o.MaxEventAge = maxAge })
	if err != nil {
		return err
	}
	defer wh.Close()
	var rep transformReport
	topts := warehouse.TransformOptions{Mode: warehouse.Incremental, AllowedLateness: opts.lateness, AcceptEmpty: opts.acceptEmpty,
		BackfillLimit: opts.backfillLimit}
	switch {
	case opts.fullRefresh:
		topts.Mode = warehouse.FullRefresh
	case opts.backfill:
		topts.Mode = warehouse.Backfill
	}
	if opts.asOf != "" {
		d, err := time.Parse(time.DateOnly, opts.asOf)
		if err != nil {
			return fmt.Errorf("--as-of %q: want a date YYYY-MM-DD", opts.asOf)
		}
		topts.AsOf = d
	}
	exp, err := opts.metrics.start("shoplake-transform", cmd.ErrOrStderr(), g.logger(cmd.ErrOrStderr()))
	if err != nil {
		return err
	}
	defer func() { retErr = errors.Join(retErr, exp.finish(ctx)) }()
	var env *pipeline.Env
	if !opts.noLoad || !opts.noExport {
		// The lake: in mode local the data directory's, served in-process.
		// This step calls no FakeStore, so none is started.
		local := pipeline.Local{Clock: clock.NewSim(time.Unix(0, 0).UTC())}
		if env, err = pipeline.Open(ctx, cfg, exp.apiOptions(local)); err != nil {
			return err
		}
		defer env.Close()
		if err := requireBucket(ctx, env, cfg.Mode); err != nil {
			return err
		}
	}
	switch {
	case opts.asOf != "":
	case env != nil:
		// The latest date committed in the lake, whatever warehouse
		// ingested it (or none).
		cs, err := lake.ReadCommits(ctx, env.Lake, time.Time{})
		if err != nil {
			return err
		}
		if d, ok := cs.Latest(); ok {
			topts.AsOf = d.Add(24 * time.Hour)
		}
	default:
		// No lake at all (--no-load --no-export): the ingestion ledger of
		// a warehouse that ingested before the runs' history moved to the
		// lake says which dates it ingested.
		if d, ok, err := wh.IngestLedger().LatestDate(ctx); err != nil {
			return err
		} else if ok {
			topts.AsOf = d.Add(24 * time.Hour)
		}
	}
	if !opts.noLoad {
		began := time.Now()
		ls, err := wh.Load(ctx, env.Lake)
		rep.Load = &ls
		exp.m.Loaded(ls)
		exp.m.Step("load", time.Since(began))
		if err != nil {
			exp.m.Transformed(time.Now(), warehouse.TransformStats{Status: warehouse.StatusFailed})
			// Recorded, so that shoplake check does not stay green while
			// nothing loads.
			run, rerr := wh.RecordLoadFailure(context.WithoutCancel(ctx), topts, err)
			if rerr != nil {
				return fmt.Errorf("load: %w", errors.Join(err, rerr))
			}
			return fmt.Errorf("load: %w (recorded as failed run %d: shoplake check shows it)", err, run)
		}
	}
	if !topts.AsOf.IsZero() {
		rep.AsOf = &topts.AsOf
	}
	began := time.Now()
	rep.Transform, err = wh.Transform(ctx, topts)
	exp.m.Step("transform", time.Since(began))
	if st := rep.Transform; st.Status != "" {
		exp.m.Transformed(time.Now(), st)
	} else if err != nil {
		exp.m.Transformed(time.Now(), warehouse.TransformStats{Status: warehouse.StatusFailed})
	}
	if exp.m != nil && env != nil {
		if oerr := pipeline.ObserveStores(context.WithoutCancel(ctx), exp.m, env.Lake, wh); oerr != nil {
			g.logger(cmd.ErrOrStderr()).Warn("metrics not updated", "err", oerr)
		}
	}
	if errors.Is(err, warehouse.ErrInvalidOption) && opts.asOf != "" {
		return fmt.Errorf("--as-of %s: %w (leave --as-of out for the default, the day after the latest ingested date)", opts.asOf, err)
	}
	out := cmd.OutOrStdout()
	if rep.Transform.RunID != 0 {
		acc, aerr := wh.RunAccounting(ctx, rep.Transform.RunID)
		if aerr != nil {
			return errors.Join(err, fmt.Errorf("read what run %d kept out of CORE: %w", rep.Transform.RunID, aerr))
		}
		rep.Accounting = &acc
		// The marts to CURATED, after a promoted run only: a blocked run
		// moved nothing. A failed export is reported after the run's.
		var exportErr error
		if err == nil && !opts.noExport && rep.Transform.Status == warehouse.StatusPromoted {
			st, eerr := wh.ExportMarts(ctx, env.Lake, warehouse.ExportOptions{})
			if eerr != nil {
				exportErr = fmt.Errorf("run %d promoted; %w (shoplake transform exports them again)", rep.Transform.RunID, eerr)
			} else {
				rep.Export = &st
			}
		}
		if err := report(out, opts.asJSON, rep, printTransform); err != nil {
			return err
		}
		if exportErr != nil {
			return exportErr
		}
	}
	return err
}

func printTransform(w io.Writer, rep transformReport) {
	if l := rep.Load; l != nil {
		fmt.Fprintf(w, "load: %d objects loaded, %d already loaded, %d not committed yet; %d records quarantined, %d repaired\n",
			l.ObjectsLoaded, l.ObjectsSkipped, l.ObjectsUncommitted, l.Quarantined, l.Repaired)
		if l.ObjectsLoaded > 0 {
			fmt.Fprintf(w, "staging: %d objects staged into the lake, %d read from the lake's STAGING\n", l.ObjectsStaged, l.StagingReused)
		}
		for _, n := range l.StagingNotUsed {
			fmt.Fprintf(w, "staging: %s: the lake's copy not used (%s); staged again from RAW\n", n.RawKey, n.Reason)
		}
		if n := l.ObjectsQuarantined + l.ObjectsHeld; n > 0 {
			fmt.Fprintf(w, "load: %d RAW objects quarantined (%d new, %d held from earlier loads): not loaded, see meta.quarantined_objects and shoplake verify\n",
				n, l.ObjectsQuarantined, l.ObjectsHeld)
		}
	}
	t := rep.Transform
	asOf, wm := "-", "-"
	if rep.AsOf != nil {
		asOf = rep.AsOf.Format(time.DateOnly)
	}
	if t.Watermark != nil {
		wm = t.Watermark.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "run %d (%s): %s; as of %s; staging load_seq %d..%d\n", t.RunID, t.Mode, t.Status, asOf, t.FromLoadSeq, t.ToLoadSeq)
	if t.Error != "" {
		fmt.Fprintf(w, "error: %s\n", t.Error)
	}
	fmt.Fprintf(w, "events in %d, late %d; days rebuilt %d (queued %d, backfilled %d, still queued %d); watermark %s\n",
		t.EventsIn, t.LateEvents, t.DaysRebuilt, t.DaysQueued, t.DaysBackfilled, t.DaysPending, wm)
	if t.DaysPending > 0 {
		fmt.Fprintf(w, "%d days stay stale in daily_kpis and session_funnel: run shoplake transform --backfill\n", t.DaysPending)
	}
	if a := rep.Accounting; a != nil {
		printRunAccounting(w, *a)
	}
	if len(t.Core) > 0 {
		core := &table{head: []string{"core", "inserted", "updated", "deleted", "unchanged"}, right: []bool{false, true, true, true, true}}
		for _, name := range sortedNames(t.Core) {
			s := t.Core[name]
			core.add(name, fmt.Sprint(s.Inserted), fmt.Sprint(s.Updated), fmt.Sprint(s.Deleted), fmt.Sprint(s.Unchanged))
		}
		core.print(w)
	}
	if len(t.Marts) > 0 {
		marts := &table{head: []string{"mart", "rows"}, right: []bool{false, true}}
		for _, name := range sortedNames(t.Marts) {
			marts.add(name, fmt.Sprint(t.Marts[name]))
		}
		marts.print(w)
	}
	printChecks(w, t.Checks)
	if e := rep.Export; e != nil {
		printExport(w, *e)
	}
}

// printExport prints the export of the marts to CURATED in one line, and
// the manifests it passed over.
func printExport(w io.Writer, e warehouse.ExportStats) {
	switch {
	case e.Written:
		fmt.Fprintf(w, "curated: export %d, %d of %d marts written (%s)\n", e.Export, e.FilesWritten, e.Marts, e.Key)
	case e.FilesWritten > 0:
		fmt.Fprintf(w, "curated: export %d unchanged; %d of its %d mart files were missing and written again (%s)\n", e.Export, e.FilesWritten, e.Marts, e.Key)
	default:
		fmt.Fprintf(w, "curated: export %d unchanged, nothing written (%d marts, %s)\n", e.Export, e.Marts, e.Key)
	}
	for _, s := range e.Skipped {
		fmt.Fprintf(w, "curated: passed over %s\n", s)
	}
}

// printRunAccounting prints what a run's staging rows left out of CORE:
// quarantined at load, event conflicts, rejected source rows.
func printRunAccounting(w io.Writer, a warehouse.RunAccounting) {
	fmt.Fprintf(w, "kept out of CORE, staging load_seq %d..%d: quarantined at load %s events and %s source rows",
		a.FromLoadSeq, a.ToLoadSeq, total(a.QuarantinedEvents(), a.QuarantinedEventsBy), total(a.QuarantinedSourceRows(), sourceRows(a.QuarantinedAtLoad)))
	if a.Repaired > 0 {
		fmt.Fprintf(w, " (%d more stored repaired)", a.Repaired)
	}
	fmt.Fprintf(w, "; %d events with conflicting versions (meta.event_conflicts)\n", a.ConflictingEvents)
	as := "this run's"
	if a.Status != warehouse.StatusPromoted {
		as = "the last promoted run's (this run changed nothing)"
	}
	fmt.Fprintf(w, "rejected rows: %s, %s (meta.rejected_rows)\n", total(a.RejectedRows(), a.Rejected), as)
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
