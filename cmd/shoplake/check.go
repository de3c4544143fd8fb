package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/warehouse"
)

func newCheckCmd(g *globalFlags) *cobra.Command {
	var (
		dataDir string
		dsn     string
		run     int64
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Show the latest transform attempt and its data-quality check results",
		Long: `check prints the latest attempt of shoplake transform, as recorded in the
warehouse (meta.transform_runs): promoted, blocked (a blocking check failed:
nothing was promoted), or failed (the load or the transform returned an
error: nothing was promoted), with the error, when it ended, and since when
nothing has been promoted; then the data-quality results of the run
(meta.check_results): each check, its severity (blocking or warning), its
status (pass, warn, fail, skipped), how many rows offend and examples.

check only reads: it opens the warehouse read-only and migrates nothing, so
it works on a warehouse it may not write and beside other readers. DuckDB
lets one process write a file or several read it, not both: while a
transform runs, check says so and exits 1.

The exit status is 1 when the run shown (the latest, or --run N) was not
promoted (failed or blocked), or when there is no run N; 0 otherwise, and
when no run is recorded yet.`,
		Example: "  shoplake check\n  shoplake check --run 12 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("run") && run <= 0 {
				return fmt.Errorf("--run %d: a run id is a positive number (runs count from 1); leave --run out for the latest run", run)
			}
			cfg, err := g.loadFor(cmd, dataDir, warehouseNeeds(dsn))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			wh, err := openWarehouseReadOnly(cmd.Context(), cfg, dsn)
			if errors.Is(err, os.ErrNotExist) {
				if asJSON {
					return report(out, true, warehouse.CheckRun{}, nil)
				}
				fmt.Fprintf(out, "no transform run recorded yet: no warehouse at %s; run shoplake transform after shoplake ingest (or produce and consume), or shoplake demo for a whole simulated run\n", warehousePath(cfg))
				return nil
			}
			if err != nil {
				return err
			}
			defer wh.Close()
			res, err := wh.CheckResults(cmd.Context(), run)
			if err != nil {
				return err
			}
			rep := checkReport{CheckRun: res}
			if res.RunID != 0 {
				acc, err := wh.Accounting(cmd.Context())
				if err != nil {
					return err
				}
				rep.Accounting = &acc
			}
			if err := report(out, asJSON, rep, printCheckReport); err != nil {
				return err
			}
			return checkStatus(res)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "where warehouse.duckdb is")
	cmd.Flags().StringVar(&dsn, "postgres", "", "read the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file (overrides warehouse.engine and warehouse.dsn)")
	cmd.Flags().Int64Var(&run, "run", 0, "the transform run to show (default: the latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}

// openWarehouseReadOnly opens the warehouse as openWarehouse does, but
// read-only (warehouse.Options.ReadOnly): no migration, no write. A missing
// DuckDB file is an error wrapping os.ErrNotExist; a file another process
// is writing gets a plain answer.
func openWarehouseReadOnly(ctx context.Context, cfg config.Config, flag string) (*warehouse.Warehouse, error) {
	opts := warehouse.Options{ReadOnly: true, DuckDBMemoryLimit: cfg.Warehouse.DuckDBMemoryLimit}
	if w, ok, err := openServer(ctx, cfg, flag, opts); ok {
		return w, err
	}
	path := warehousePath(cfg)
	w, err := warehouse.Open(ctx, path, opts)
	if errors.Is(err, warehouse.ErrBusy) {
		return nil, fmt.Errorf("warehouse %s: %w (a transform?): try again when it finishes", path, warehouse.ErrBusy)
	}
	if errors.Is(err, warehouse.ErrNotDuckDB) {
		return nil, notDuckDB(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open warehouse %s: %w", path, err)
	}
	return w, nil
}

// loadedObjects reads the RAW objects the warehouse loaded
// (meta.loaded_objects, key to SHA-256), read-only, for prune and verify.
// label names the warehouse: the DuckDB file's path, or the engine. A
// DuckDB file that does not exist is an error wrapping os.ErrNotExist
// (openWarehouseReadOnly's), and nothing is created.
func loadedObjects(ctx context.Context, cfg config.Config, dsn string) (loaded map[string]string, label string, err error) {
	label = warehousePath(cfg)
	if e := cfg.WarehouseEngine(dsn); e != config.EngineDuckDB {
		label = e
	}
	wh, err := openWarehouseReadOnly(ctx, cfg, dsn)
	if err != nil {
		return nil, label, err
	}
	defer wh.Close()
	loaded, err = wh.LoadedObjects(ctx)
	return loaded, label, err
}

// notDuckDB is the error of a warehouse file DuckDB cannot read, and what
// to do: the lake holds everything the warehouse is rebuilt from.
func notDuckDB(path string) error {
	return fmt.Errorf("warehouse %s: %w (empty, cut short, or another file): move it away, then shoplake transform rebuilds the warehouse from the lake",
		path, warehouse.ErrNotDuckDB)
}

// warehousePath is the DuckDB file of cfg.
func warehousePath(cfg config.Config) string {
	if filepath.IsAbs(cfg.Warehouse.Path) {
		return cfg.Warehouse.Path
	}
	return filepath.Join(cfg.DataDir, cfg.Warehouse.Path)
}

// checkReport is what check prints, and its --json form: the run, and
// what the warehouse kept out of CORE.
type checkReport struct {
	warehouse.CheckRun
	// Accounting is where the records the warehouse received are, read
	// from its tables now (every run's, not only the one shown); nil when
	// no run is recorded.
	Accounting *warehouse.Accounting `json:"accounting,omitempty"`
}

// printCheckReport prints the run and its checks, then what the warehouse
// kept out of CORE.
func printCheckReport(w io.Writer, r checkReport) {
	printCheckRun(w, r.CheckRun, r.Accounting)
}

// printCheckRun prints a recorded run: what it was, how it ended, since when
// nothing is promoted, and its check results; then, when a is not nil, what
// the warehouse kept out of CORE.
func printCheckRun(w io.Writer, r warehouse.CheckRun, a *warehouse.Accounting) {
	if r.RunID == 0 {
		fmt.Fprintln(w, "no transform run recorded yet: run shoplake transform")
		return
	}
	switch r.Status {
	case warehouse.StatusFailed:
		fmt.Fprintf(w, "run %d (%s): failed in %s%s\n", r.RunID, r.Mode, r.Phase, at(r.FinishedAt))
		fmt.Fprintf(w, "error: %s\n", r.Error)
	default:
		fmt.Fprintf(w, "run %d (%s): %s%s\n", r.RunID, r.Mode, r.Status, at(r.FinishedAt))
	}
	if !r.OK() {
		fmt.Fprintln(w, notPromoted(r))
	}
	if len(r.Results) == 0 && r.Status == warehouse.StatusFailed {
		fmt.Fprintln(w, "no check results: the run failed before its checks were recorded")
	}
	printChecks(w, r.Results)
	if a != nil {
		printKeptOut(w, *a)
	}
}

// printKeptOut prints what the warehouse holds outside CORE, over every
// run: records quarantined at load, event conflicts, rejected source rows,
// RAW objects set aside.
func printKeptOut(w io.Writer, a warehouse.Accounting) {
	e := a.Events
	fmt.Fprintf(w, "kept out of CORE: quarantined at load %s events and %s source rows; %d events with conflicting versions (%d superseded); "+
		"rejected rows %s; RAW objects set aside %d\n",
		total(e.Quarantined, e.QuarantinedBy), total(a.QuarantinedSourceRows(), sourceRows(a.QuarantinedAtLoad)),
		e.Conflicting, e.Superseded, total(a.RejectedRows(), a.Rejected), a.QuarantinedObjects)
}

// checkStatus is the error (exit status 1) of a run that was not promoted:
// which way it failed, and since when nothing is promoted.
func checkStatus(r warehouse.CheckRun) error {
	switch r.Status {
	case warehouse.StatusFailed:
		return fmt.Errorf("run %d failed in %s%s: %s", r.RunID, r.Phase, at(r.FinishedAt), notPromoted(r))
	case warehouse.StatusBlocked:
		var names []string
		for _, c := range r.Results {
			if c.Status == "fail" {
				names = append(names, c.Name)
			}
		}
		return fmt.Errorf("run %d was blocked by a failing blocking check (%s)%s: nothing of it was promoted; %s",
			r.RunID, strings.Join(names, ", "), at(r.FinishedAt), notPromoted(r))
	}
	return nil
}

// notPromoted says since which run (and when) nothing has been promoted,
// and which run was the last promoted one.
func notPromoted(r warehouse.CheckRun) string {
	var s string
	if p := r.NotPromotedSince; p != nil && p.RunID != r.RunID {
		s = fmt.Sprintf("nothing promoted since run %d%s; ", p.RunID, at(p.FinishedAt))
	}
	if p := r.LastPromoted; p != nil {
		return s + fmt.Sprintf("the last promoted run is run %d%s", p.RunID, at(p.FinishedAt))
	}
	return s + "no run was ever promoted"
}

// at is " at <time>", or "" when the time was not recorded.
func at(t *time.Time) string {
	if t == nil {
		return ""
	}
	return " at " + t.UTC().Format(time.RFC3339)
}

func printChecks(w io.Writer, rs []warehouse.CheckResult) {
	if len(rs) == 0 {
		return
	}
	t := &table{head: []string{"check", "severity", "status", "rows", "detail"}, right: []bool{false, false, false, true, false}}
	for _, r := range rs {
		detail := strings.ReplaceAll(r.Detail, "\n", " ")
		if r := []rune(detail); len(r) > 140 {
			detail = string(r[:137]) + "..."
		}
		t.add(r.Name, string(r.Severity), r.Status, fmt.Sprint(r.Failures), detail)
	}
	t.print(w)
}
