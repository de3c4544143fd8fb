package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/scenarios"
)

func newScenarioRunCmd(g *globalFlags) *cobra.Command {
	var (
		seed          uint64
		dir           string
		asJSON        bool
		noDeterminism bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE...",
		Short: "Run scenario files and print what each found",
		Long: `run loads every scenario file first (a file that does not parse stops the
command before any run), then runs them one after the other, each in a
temporary data directory that is removed afterwards. Progress goes to
stderr, prefixed by the scenario's name; the reports go to stdout.

The exit status is 1 if any scenario failed; the last line on stderr then
gives the command that replays each failed one.`,
		Example: "  shoplake scenario run scenarios/testdata/api_down.yaml\n" +
			"  shoplake scenario run scenarios/testdata/*.yaml --json\n" +
			"  shoplake scenario run scenarios/testdata/late_events.yaml --seed 42 --data-dir /tmp/late",
		Args: func(_ *cobra.Command, files []string) error {
			if len(files) == 0 {
				return errors.New("give at least one scenario FILE, such as scenarios/testdata/baseline.yaml (shoplake scenario kinds lists the faults a file can inject)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if dir != "" && len(files) > 1 {
				return fmt.Errorf("--data-dir keeps the data directory of one scenario: give one FILE, not %d", len(files))
			}
			var scs []scenarios.Scenario
			for _, f := range files {
				sc, err := loadScenario(f)
				if err != nil {
					if !strings.Contains(err.Error(), f) {
						err = fmt.Errorf("%s: %w", f, err)
					}
					return err
				}
				scs = append(scs, sc)
			}
			errw := cmd.ErrOrStderr()
			opts := scenarios.RunOptions{Dir: dir, Log: g.pipelineLog(errw), NoDeterminism: noDeterminism}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			return runScenarios(cmd, scs, opts, asJSON)
		},
	}
	fs := cmd.Flags()
	fs.Uint64Var(&seed, "seed", 0, "run every file with this seed instead of its own")
	fs.StringVar(&dir, "data-dir", "", "keep the data directory (lake, streams, warehouse) here; one FILE only (default: a temporary one, removed)")
	// --dir was this flag's name before every command said --data-dir.
	fs.StringVar(&dir, "dir", "", "")
	oldFlag(cmd, "dir", "--dir is now --data-dir")
	fs.BoolVar(&asJSON, "json", false, "print the reports as one JSON array")
	fs.BoolVar(&noDeterminism, "no-determinism", false, "skip the second run of the scenarios that expect determinism")
	return cmd
}

func runScenarios(cmd *cobra.Command, scs []scenarios.Scenario, opts scenarios.RunOptions, asJSON bool) error {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	began := time.Now() // wall clock for the summary only
	reps := make([]*scenarios.Report, 0, len(scs))
	var replays []string
	for i, sc := range scs {
		o := opts
		name := sc.Name
		o.Progress = func(line string) { fmt.Fprintf(errw, "%s: %s\n", name, line) }
		rep, err := scenarios.Run(cmd.Context(), sc, o)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Path, err)
		}
		reps = append(reps, rep)
		if !rep.OK {
			replays = append(replays, rep.Replay)
		}
		if !asJSON {
			if i > 0 {
				fmt.Fprintln(out)
			}
			rep.WriteText(out)
		}
	}
	if asJSON {
		if err := writeJSON(out, reps); err != nil {
			return err
		}
	}
	if len(replays) > 0 {
		return fmt.Errorf("%d of %d scenarios failed; replay: %s", len(replays), len(reps), strings.Join(replays, "; "))
	}
	fmt.Fprintf(errw, "%d of %d scenarios passed in %s\n", len(reps), len(reps), time.Since(began).Round(time.Millisecond))
	return nil
}

// loadScenario loads the scenario file path; a file that cannot be read is
// named as the user gave it, without Go's "open ...".
func loadScenario(path string) (scenarios.Scenario, error) {
	sc, err := scenarios.Load(path)
	return sc, namedFileError("scenario file", path, err)
}
