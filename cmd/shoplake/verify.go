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

// verifyOptions are the flags of shoplake verify.
type verifyOptions struct {
	dataDir     string
	dsn         string
	prefix      string
	noWarehouse bool
	asJSON      bool
}

func newVerifyCmd(g *globalFlags) *cobra.Command {
	var opts verifyOptions
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Read every object of the lake and check it against its recorded sha256, the lake's manifests and the warehouse's load ledger",
		Long: `verify reads every object under --prefix (the whole lake by default: RAW,
QUARANTINE, STAGING, CURATED) whole and checks its body against the sha256
recorded when shoplake wrote it (x-amz-meta-sha256) and, for each object the
warehouse loaded, against the sha256 the warehouse recorded at load
(meta.loaded_objects). It checks what the lake's own documents promise: the
FakeStore commits, the staging manifests (staging/_staged/) and the CURATED
export manifests (curated/_exports/) are valid, and every object one names
is there with the sha256 and size it recorded. It reports, with counts per
zone:

  corrupt  the body differs from the sha256 recorded at write, from the one
           the warehouse loaded, or from the one a manifest recorded; or a
           commit or manifest is not a valid one
  missing  the warehouse loaded it, or a commit or manifest names it, and it
           is gone from the lake
  foreign  no sha256 recorded: shoplake did not write it (another tool
           uploaded it, or a file was dropped into the lake folder)

and exits non-zero when it finds any. It also counts, without failing, the
RAW objects not staged yet (no staging manifest names them: the next load
stages them) and lists the orphans: STAGING, transform QUARANTINE and
CURATED files no manifest names, left by a staging or an export that
stopped before writing its manifest. It changes nothing.

The lake is the configuration's: in mode local the data directory's, in mode
aws the configured bucket. The warehouse is the data directory's DuckDB file
(or --postgres); without one, or with --no-warehouse, only the lake is
checked and nothing can be found missing. Progress goes to stderr on lakes
of 1,000 objects or more.`,
		Example: "  shoplake verify\n  shoplake verify --prefix raw/ --json --no-warehouse",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			needs := config.NeedLake
			if !opts.noWarehouse {
				needs |= warehouseNeeds(opts.dsn)
			}
			cfg, err := g.loadFor(cmd, opts.dataDir, needs)
			if err != nil {
				return err
			}
			return runVerify(cmd, cfg, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake and warehouse.duckdb are")
	fs.StringVar(&opts.dsn, "postgres", "", "compare with the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file (overrides warehouse.engine and warehouse.dsn)")
	fs.StringVar(&opts.prefix, "prefix", "", "the part of the lake to read (raw/, staging/, curated/...; the whole lake when empty)")
	fs.BoolVar(&opts.noWarehouse, "no-warehouse", false, "check the lake alone, not against the warehouse's load ledger")
	fs.BoolVar(&opts.asJSON, "json", false, "print the report as JSON")
	return cmd
}

// verifyReport is the report (--json).
type verifyReport struct {
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	// Warehouse names the warehouse compared, or says why none was.
	Warehouse string `json:"warehouse"`
	lake.Report
}

func runVerify(cmd *cobra.Command, cfg config.Config, opts verifyOptions) error {
	ctx := cmd.Context()
	errw := cmd.ErrOrStderr()
	rep := verifyReport{Warehouse: "none (--no-warehouse): lake only"}
	vopts := lake.VerifyOptions{Prefix: opts.prefix, Progress: progress(errw, 1000)}
	if !opts.noWarehouse {
		loaded, label, err := loadedObjects(ctx, cfg, opts.dsn)
		switch {
		case errors.Is(err, os.ErrNotExist):
			rep.Warehouse = "none (no " + label + "): lake only"
		case err != nil:
			return fmt.Errorf("%w (--no-warehouse verifies the lake alone)", err)
		default:
			vopts.Loaded, rep.Warehouse = loaded, label
		}
	}
	// The lake: in mode local the data directory's, served in-process.
	if err := requireDataDir(cfg, cfg.S3.Endpoint, "no lake to verify; run shoplake demo, or shoplake ingest and shoplake transform, first"); err != nil {
		return err
	}
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clock.NewSim(time.Unix(0, 0).UTC())})
	if err != nil {
		return err
	}
	defer env.Close()
	if err := requireBucket(ctx, env, cfg.Mode); err != nil {
		return err
	}
	rep.Endpoint, rep.Bucket = env.Endpoints["s3"], env.Lake.Bucket()
	rep.Report, err = lake.Verify(ctx, env.Lake, vopts)
	if err != nil {
		return err
	}
	if err := report(cmd.OutOrStdout(), opts.asJSON, rep, printVerify); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("verify %s: %s", lake.Where(rep.Prefix), verifyCounts(rep.Report))
	}
	return nil
}

// progress returns a Progress callback that writes to w every `every`
// objects and at the end, on lakes of at least `every` objects.
func progress(w io.Writer, every int) func(done, total int) {
	return func(done, total int) {
		if total >= every && (done%every == 0 || done == total) {
			fmt.Fprintf(w, "verify: %d/%d objects read\n", done, total)
		}
	}
}

func verifyCounts(r lake.Report) string {
	return fmt.Sprintf("%d corrupt, %d missing, %d foreign", len(r.Corrupt), len(r.Missing), len(r.Foreign))
}

func printVerify(w io.Writer, rep verifyReport) {
	fmt.Fprintf(w, "verify %s in bucket %s (%s); warehouse: %s\n", lake.Where(rep.Prefix), rep.Bucket, rep.Endpoint, rep.Warehouse)
	fmt.Fprintf(w, "%d objects read (%d bytes): %s\n", rep.Objects, rep.Bytes, verifyCounts(rep.Report))
	if rep.Staged+rep.NotStaged+rep.Exports+len(rep.Orphans) > 0 {
		fmt.Fprintf(w, "manifests: %d RAW objects staged, %d not staged yet; %d exports; %d orphans (files no manifest names)\n",
			rep.Staged, rep.NotStaged, rep.Exports, len(rep.Orphans))
	}
	if rep.Pruned > 0 {
		fmt.Fprintf(w, "pruned: %d RAW objects deleted by shoplake prune, their records in STAGING (raw/_pruned/ names them)\n", rep.Pruned)
	}
	if len(rep.Zones) > 0 {
		tb := &table{head: []string{"zone", "objects", "bytes", "ok", "corrupt", "missing", "foreign", "not staged", "orphans"},
			right: []bool{false, true, true, true, true, true, true, true, true}}
		for _, z := range rep.Zones {
			tb.add(z.Zone, fmt.Sprint(z.Objects), fmt.Sprint(z.Bytes), fmt.Sprint(z.OK), fmt.Sprint(z.Corrupt), fmt.Sprint(z.Missing), fmt.Sprint(z.Foreign),
				fmt.Sprint(z.NotStaged), fmt.Sprint(z.Orphans))
		}
		fmt.Fprintln(w)
		tb.print(w)
	}
	for _, group := range []struct {
		name string
		fs   []lake.Finding
	}{{"corrupt", rep.Corrupt}, {"missing", rep.Missing}, {"foreign", rep.Foreign}, {"orphans (not a fault: the next load or export writes their manifest)", rep.Orphans}} {
		if len(group.fs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", group.name)
		for _, f := range group.fs {
			fmt.Fprintf(w, "  %s: %s%s\n", f.Key, f.Reason, findingDetail(f))
		}
	}
	if !rep.OK() {
		fmt.Fprintln(w, "\nRestore a corrupt or missing object from a copy (a stream object is rewritten by a replay of its shard),")
		fmt.Fprintln(w, "and move a foreign one out of the lake, or write it through shoplake. A corrupt or missing STAGING")
		fmt.Fprintln(w, "or CURATED object is derived: delete its manifest and the files it names, and the next load or")
		fmt.Fprintln(w, "export derives them again from RAW or the warehouse.")
	}
}

// findingDetail gives a finding's sizes and sha256s, shortened.
func findingDetail(f lake.Finding) string {
	short := func(s string) string { return s[:min(len(s), 12)] }
	switch {
	case f.Reason == lake.ReasonMissing:
		return fmt.Sprintf(" (loaded sha256 %s)", short(f.Loaded))
	case f.Reason == lake.ReasonOrphan:
		return fmt.Sprintf(" (%d bytes, sha256 %s)", f.Size, short(f.SHA256))
	case f.SHA256 == "" && f.Recorded != "":
		// Missing, named by a commit or a manifest.
		return fmt.Sprintf(" (recorded sha256 %s)", short(f.Recorded))
	case f.SHA256 == "":
		// A document that is not a valid one.
		return fmt.Sprintf(" (%d bytes)", f.Size)
	case f.Reason == lake.ReasonForeign:
		return fmt.Sprintf(" (%d bytes, sha256 %s)", f.Size, short(f.SHA256))
	case f.Reason == lake.ReasonChanged:
		return fmt.Sprintf(" (%d bytes, sha256 %s, loaded %s)", f.Size, short(f.SHA256), short(f.Loaded))
	}
	return fmt.Sprintf(" (%d bytes, sha256 %s, recorded %s)", f.Size, short(f.SHA256), short(f.Recorded))
}
