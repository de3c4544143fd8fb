package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
)

// pruneOptions are the flags of shoplake prune.
type pruneOptions struct {
	dataDir     string
	dsn         string
	now         string
	dryRun      bool
	noWarehouse bool
	asJSON      bool
	retention   lake.Retention
}

func newPruneCmd(g *globalFlags) *cobra.Command {
	opts := pruneOptions{retention: lake.DefaultRetention()}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Apply the retention policy of each zone to the lake (--dry-run lists what would go)",
		Long: `prune applies the lake's retention policy (lake.Retention, the same as the
bucket's lifecycle rules in deploy/aws/template.yaml) as of --now, and
deletes what it lets go; --dry-run lists it and deletes nothing. Ages count
from the end of an object's dt= partition.

  RAW         kept by default (the bucket tiers it to STANDARD_IA and the
              archive class, and never expires it). With --raw-days N, an
              object N days old goes only once its records are safe
              downstream: a valid staging manifest names it with the bytes
              it holds and every file of that staging is in the lake; a
              FakeStore object is named by a commit; the warehouse loaded it
              (unless --no-warehouse). An object not committed or not staged
              yet always stays. What goes is first written to a prune record
              (raw/_pruned/), from which a warehouse rebuilt from the lake
              loads it out of STAGING and verify knows it was pruned.
  QUARANTINE  the stream's dead letters (quarantine/events/) expire after
              --quarantine-days. The transform's QUARANTINE files belong to
              the staging that names them and stay.
  CURATED     every export is kept unless --curated-keep N: then the newest
              N valid exports and the mart files they name stay.
  STAGING     never pruned: it is the rebuild source of every warehouse;
              neither are the commits, the staging manifests, the prune
              records and the checkpoints.

Do not run it while a transform writes STAGING or CURATED. The lake is the
configuration's (the data directory's in mode local, the bucket in mode aws).`,
		Example: "  shoplake prune --dry-run\n  shoplake prune --raw-days 400 --curated-keep 30 --dry-run --json\n  shoplake prune --now 2027-01-01 --raw-days 365",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadFor(cmd, opts.dataDir, config.NeedLake)
			if err != nil {
				return err
			}
			now := clock.Real{}.Now()
			if opts.now != "" {
				if now, err = parseNow(opts.now); err != nil {
					return err
				}
			}
			return runPrune(cmd, cfg, opts, now)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake and warehouse.duckdb are")
	fs.StringVar(&opts.dsn, "postgres", "", "take the load ledger from the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file")
	fs.StringVar(&opts.now, "now", "", "the prune's clock: an RFC 3339 time or a date YYYY-MM-DD (default: the wall clock)")
	fs.BoolVar(&opts.dryRun, "dry-run", false, "list what would be deleted; delete nothing")
	fs.BoolVar(&opts.noWarehouse, "no-warehouse", false, "prune RAW without asking the warehouse whether it loaded the objects (STAGING still must hold them)")
	fs.BoolVar(&opts.asJSON, "json", false, "print the plan (and what was done) as JSON")
	fs.IntVar(&opts.retention.RawExpireDays, "raw-days", opts.retention.RawExpireDays, "delete RAW objects this many days old once staged, committed and loaded (0: never)")
	fs.IntVar(&opts.retention.QuarantineExpireDays, "quarantine-days", opts.retention.QuarantineExpireDays, "delete the stream's dead letters this many days old (0: never)")
	fs.IntVar(&opts.retention.CuratedKeepExports, "curated-keep", opts.retention.CuratedKeepExports, "keep the newest this many CURATED exports and the files they name (0: all)")
	return cmd
}

// parseNow reads --now: an RFC 3339 time, or a date (its midnight UTC).
func parseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(lake.DateFormat, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--now %q: want an RFC 3339 time (2027-01-01T00:00:00Z) or a date (2027-01-01)", s)
}

// pruneReport is the report (--json).
type pruneReport struct {
	Bucket    string `json:"bucket"`
	Endpoint  string `json:"endpoint"`
	Warehouse string `json:"warehouse"`
	DryRun    bool   `json:"dry_run"`
	lake.PrunePlan
	// Result is what was deleted (nil with --dry-run).
	Result *lake.PruneResult `json:"result,omitempty"`
}

func runPrune(cmd *cobra.Command, cfg config.Config, opts pruneOptions, now time.Time) error {
	ctx := cmd.Context()
	// The flags' values in the flags' words; Validate names the policy's keys.
	for _, f := range []struct {
		flag, unit string
		v          int
	}{{"--raw-days", "days", opts.retention.RawExpireDays}, {"--quarantine-days", "days", opts.retention.QuarantineExpireDays},
		{"--curated-keep", "exports", opts.retention.CuratedKeepExports}} {
		if f.v < 0 {
			return fmt.Errorf("%s %d: want 0 (never) or more %s", f.flag, f.v, f.unit)
		}
	}
	if err := opts.retention.Validate(); err != nil {
		return err
	}
	rep := pruneReport{DryRun: opts.dryRun, Warehouse: "none (--no-warehouse): STAGING alone vouches for RAW"}
	if opts.retention.RawExpireDays == 0 {
		rep.Warehouse = "not read: RAW does not expire (see --raw-days)"
	}
	popts := lake.PruneOptions{Retention: opts.retention, Now: now}
	if !opts.noWarehouse && opts.retention.RawExpireDays > 0 {
		loaded, label, err := loadedObjects(ctx, cfg, opts.dsn)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("prune --raw-days: no warehouse at %s to say what it loaded (--no-warehouse prunes on STAGING's word alone)", label)
		}
		if err != nil {
			return fmt.Errorf("%w (--no-warehouse prunes on STAGING's word alone)", err)
		}
		popts.Loaded, rep.Warehouse = loaded, label
	}
	if err := requireDataDir(cfg, cfg.S3.Endpoint, "no lake, nothing to prune"); err != nil {
		return err
	}
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clock.NewSim(now)})
	if err != nil {
		return err
	}
	defer env.Close()
	if err := requireBucket(ctx, env, cfg.Mode); err != nil {
		return err
	}
	rep.Endpoint, rep.Bucket = env.Endpoints["s3"], env.Lake.Bucket()
	if rep.PrunePlan, err = lake.PlanPrune(ctx, env.Lake, popts); err != nil {
		return err
	}
	if !opts.dryRun {
		res, err := lake.Prune(ctx, env.Lake, rep.PrunePlan)
		rep.Result = &res
		if err != nil {
			_ = report(cmd.OutOrStdout(), opts.asJSON, rep, printPrune)
			return err
		}
	}
	return report(cmd.OutOrStdout(), opts.asJSON, rep, printPrune)
}

func printPrune(w io.Writer, rep pruneReport) {
	r := rep.Retention
	never := func(n int, unit string) string {
		if n <= 0 {
			return "never"
		}
		return fmt.Sprintf("%d %s", n, unit)
	}
	keep := "all"
	if r.CuratedKeepExports > 0 {
		keep = fmt.Sprintf("newest %d", r.CuratedKeepExports)
	}
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete (--dry-run: nothing deleted)"
	}
	fmt.Fprintf(w, "prune bucket %s (%s) as of %s; warehouse: %s\n", rep.Bucket, rep.Endpoint, rep.Now.Format(time.RFC3339), rep.Warehouse)
	fmt.Fprintf(w, "policy: RAW expires %s (once staged, committed, loaded); %s expires %s; CURATED keeps %s exports; STAGING kept\n",
		never(r.RawExpireDays, "days"), lake.QuarantineExpiring, never(r.QuarantineExpireDays, "days"), keep)
	var objects int
	var bytes int64
	for _, z := range rep.Zones {
		objects += z.Objects
		bytes += z.Bytes
	}
	fmt.Fprintf(w, "%s: %d objects, %d bytes\n", verb, objects, bytes)
	if len(rep.Zones) > 0 {
		tb := &table{head: []string{"zone", "objects", "bytes", "oldest", "newest"}, right: []bool{false, true, true, false, false}}
		for _, z := range rep.Zones {
			tb.add(z.Zone, fmt.Sprint(z.Objects), fmt.Sprint(z.Bytes), z.Oldest, z.Newest)
		}
		fmt.Fprintln(w)
		tb.print(w)
	}
	if len(rep.Kept) > 0 {
		fmt.Fprintln(w, "\nkept, though old enough:")
		tb := &table{head: []string{"zone", "objects", "bytes", "why"}, right: []bool{false, true, true, false}}
		for _, k := range rep.Kept {
			tb.add(k.Zone, fmt.Sprint(k.Objects), fmt.Sprint(k.Bytes), k.Reason)
		}
		tb.print(w)
	}
	if rep.Result != nil && rep.Result.Record != "" {
		fmt.Fprintf(w, "\nprune record: %s\n", rep.Result.Record)
	}
}
