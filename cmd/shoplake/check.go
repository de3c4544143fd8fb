package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

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
		Short: "Show the data-quality check results of the latest transform run",
		Long: `check prints the data-quality results that shoplake transform recorded
(meta.check_results): each check, its severity (blocking or warning), its
status (pass, warn, fail, skipped), how many rows offend and examples.

The exit status is 1 when the run shown was blocked by a failing blocking
check (its data was not promoted), 0 otherwise.`,
		Example: "  shoplake check\n  shoplake check --run 12 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("data-dir") {
				cfg.DataDir = dataDir
			}
			needs := config.NeedWarehouse
			if dsn != "" {
				needs = 0 // the warehouse is the DSN's
			}
			if err := cfg.Check("shoplake check", needs); err != nil {
				return err
			}
			wh, err := openWarehouse(cmd.Context(), cfg, dsn)
			if err != nil {
				return err
			}
			defer wh.Close()
			res, err := wh.CheckResults(cmd.Context(), run)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else if res.RunID == 0 {
				fmt.Fprintln(out, "no transform run recorded yet: run shoplake transform")
			} else {
				fmt.Fprintf(out, "run %d (%s): %s\n", res.RunID, res.Mode, res.Status)
				printChecks(out, res.Results)
			}
			if res.Status == "blocked" {
				return fmt.Errorf("run %d was blocked by a failing blocking check: nothing of it was promoted", res.RunID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "where warehouse.duckdb is")
	cmd.Flags().StringVar(&dsn, "postgres", "", "read the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file")
	cmd.Flags().Int64Var(&run, "run", 0, "the transform run to show (default: the latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
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
