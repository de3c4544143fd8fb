package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/scenarios"
)

func newScenarioCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Run failure scenarios against the local pipeline and check its invariants",
		Long: `A scenario file (YAML) describes a seeded world (users, days, traffic), the
stream, the faults to inject and what the run must observe (expect:).
scenarios/testdata holds one file per fault kind.

A run has two phases. In the fault phase the world's days are replayed hour
by hour with the faults on; steps may fail, as they would in production. In
the heal phase the faults are off and the pipeline catches up: late records
are streamed, failed dates rerun, the warehouse built and backfilled. Then
every invariant is checked (no event lost or doubled, RAW never overwritten,
the marts equal to an oracle, ...) and the report says PASS or FAIL, with
the command that replays the run, seed included.

The swarm draws random scenarios from consecutive seeds. docs/TESTING.md
documents the file format, the fault kinds and the invariants.`,
		Example: "  shoplake scenario run scenarios/testdata/*.yaml\n  shoplake scenario swarm --seeds 50\n  shoplake scenario kinds",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newScenarioRunCmd(g), newScenarioSwarmCmd(g), newScenarioKindsCmd())
	return cmd
}

// pipelineLog is the log of the runs' pipelines: on stderr with --verbose,
// else discarded (faults make the pipeline warn on purpose).
func (g *globalFlags) pipelineLog(w io.Writer) *slog.Logger {
	if !g.verbose {
		return nil
	}
	return g.logger(w)
}

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
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if dir != "" && len(files) > 1 {
				return fmt.Errorf("--data-dir keeps the data directory of one scenario: give one FILE, not %d", len(files))
			}
			var scs []scenarios.Scenario
			for _, f := range files {
				sc, err := scenarios.Load(f)
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

func newScenarioSwarmCmd(g *globalFlags) *cobra.Command {
	var (
		seeds     int
		firstSeed uint64
		asJSON    bool
		save      string
		minFired  float64
		parallel  int
	)
	cmd := &cobra.Command{
		Use:   "swarm",
		Short: "Draw and run a random scenario from each of consecutive seeds",
		Long: `swarm draws a scenario from each seed (a small world, one to four shards and
one to four fault kinds with random parameters, each only where it can
strike: the same seed draws the same scenario) and runs it. It prints a line
per seed (PASS or FAIL, the faults drawn and how often each fired; a
failure's whole report), then a summary: the faults drawn and how many
fired, the ones that did not, and each kind.

A fault that never fires proves nothing: the exit status is 1 if any seed
failed, or if fewer than --min-fired percent of the faults drawn fired.
stderr then gives the command that replays each failed seed. --save-dir writes
each failed seed's scenario to a file that shoplake scenario run reads.
--json prints {"summary": ..., "reports": [...]} on stdout.`,
		Example: "  shoplake scenario swarm\n  shoplake scenario swarm --seeds 200 --first-seed 1000 --save-dir /tmp/failed",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seeds < 1 {
				return fmt.Errorf("--seeds %d: run at least one seed", seeds)
			}
			if minFired < 0 || minFired > 100 {
				return fmt.Errorf("--min-fired %v: a percentage, from 0 to 100", minFired)
			}
			if parallel < 1 {
				return fmt.Errorf("--parallel %d: run at least one seed at a time", parallel)
			}
			return runSwarm(cmd, g, firstSeed, seeds, parallel, save, asJSON, minFired/100)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&seeds, "seeds", 20, "how many seeds to run")
	fs.Uint64Var(&firstSeed, "first-seed", 1, "the first seed; the others follow it")
	fs.BoolVar(&asJSON, "json", false, "print the summary and the reports as one JSON object instead of the lines (which go to stderr)")
	fs.StringVar(&save, "save-dir", "", "write the scenario of each failed seed to this directory as swarm-SEED.yaml")
	// --save was this flag's name before it and tui's agreed on --save-dir.
	fs.StringVar(&save, "save", "", "")
	oldFlag(cmd, "save", "--save is now --save-dir")
	fs.Float64Var(&minFired, "min-fired", 100*scenarios.MinFiredRate, "the percentage of the faults drawn that must fire (0: report only)")
	fs.IntVar(&parallel, "parallel", runtime.NumCPU(), "how many seeds run at once (the lines still come in seed order)")
	return cmd
}

// swarmJSON is the --json output of scenario swarm.
type swarmJSON struct {
	Summary scenarios.SwarmSummary `json:"summary"`
	Reports []*scenarios.Report    `json:"reports"`
}

func runSwarm(cmd *cobra.Command, g *globalFlags, first uint64, seeds, parallel int, save string, asJSON bool, minFired float64) error {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	lines := out // the per-seed lines and the summary
	if asJSON {
		lines = errw
	}
	began := time.Now() // wall clock for the summary only
	var failed []*scenarios.Report
	saved := map[uint64]string{}
	var saveErr error
	done := func(rep *scenarios.Report) {
		var fs []string
		for _, f := range rep.Faults {
			fs = append(fs, fmt.Sprintf("%s×%d", f.Kind, f.Fired))
		}
		if len(fs) == 0 {
			fs = []string{"none"}
		}
		verdict := "PASS"
		if !rep.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(lines, "%s %s  seed %d  %s  faults: %s\n", verdict, rep.Scenario, rep.Seed, rep.Duration.Round(time.Millisecond), strings.Join(fs, ", "))
		if rep.OK {
			return
		}
		failed = append(failed, rep)
		// The whole report, but for what the line above says.
		var b bytes.Buffer
		rep.WriteText(&b)
		_, body, _ := strings.Cut(b.String(), "\n")
		if strings.HasPrefix(body, "  faults fired: ") {
			_, body, _ = strings.Cut(body, "\n")
		}
		fmt.Fprint(lines, body)
		if save != "" {
			path, err := saveDrawn(save, rep.Seed)
			if err != nil {
				saveErr = errors.Join(saveErr, err)
				fmt.Fprintf(errw, "shoplake: %v\n", err)
				return
			}
			saved[rep.Seed] = path
			fmt.Fprintf(lines, "  saved: %s\n", path)
		}
	}
	reps, err := scenarios.Swarm(cmd.Context(), scenarios.SwarmOptions{
		FirstSeed: first,
		Seeds:     seeds,
		Parallel:  parallel,
		Run:       scenarios.RunOptions{Log: g.pipelineLog(errw)},
		Done:      done,
	})
	if err != nil {
		return err
	}
	sum := scenarios.Summarize(reps)
	if asJSON {
		if err := writeJSON(out, swarmJSON{Summary: sum, Reports: reps}); err != nil {
			return err
		}
	}
	printSwarmSummary(lines, sum, time.Since(began))
	var errs []error
	if len(failed) > 0 {
		for _, rep := range failed {
			fmt.Fprintf(errw, "seed %d failed; replay: %s\n", rep.Seed, rep.Replay)
			if path, ok := saved[rep.Seed]; ok {
				fmt.Fprintf(errw, "  or: shoplake scenario run %s\n", path)
			}
		}
		errs = append(errs, fmt.Errorf("%d of %d seeds failed", len(failed), len(reps)))
	}
	if sum.FiredRate < minFired {
		errs = append(errs, fmt.Errorf("%d of %d faults drawn fired (%s), fewer than the %s required: a fault drawn where it cannot strike proves nothing; not fired: %s",
			sum.Fired, sum.Drawn, ratePercent(sum.FiredRate), ratePercent(minFired), sum.NotFiredText()))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return saveErr
}

// ratePercent writes a rate as a percentage with one decimal ("99.2%").
func ratePercent(rate float64) string { return fmt.Sprintf("%.1f%%", 100*rate) }

// saveDrawn writes the scenario the swarm drew for seed to
// dir/swarm-<seed>.yaml and returns the file's path.
func saveDrawn(dir string, seed uint64) (string, error) {
	sc := scenarios.Draw(seed)
	b, err := scenarios.Marshal(sc)
	if err != nil {
		return "", fmt.Errorf("save seed %d: %w", seed, err)
	}
	head := fmt.Sprintf("# Drawn by shoplake scenario swarm from seed %d; rerun with:\n#   shoplake scenario run %s\n",
		seed, filepath.Join(dir, sc.Name+".yaml"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("save seed %d: %w", seed, err)
	}
	path := filepath.Join(dir, sc.Name+".yaml")
	if err := os.WriteFile(path, append([]byte(head), b...), 0o644); err != nil {
		return "", fmt.Errorf("save seed %d: %w", seed, err)
	}
	return path, nil
}

func printSwarmSummary(w io.Writer, sum scenarios.SwarmSummary, wall time.Duration) {
	fmt.Fprintf(w, "\nSWARM: seeds run %d, passed %d, failed %d; faults drawn %d, fired %d (%s); wall time %s\n",
		sum.Seeds, sum.Passed, sum.Failed, sum.Drawn, sum.Fired, ratePercent(sum.FiredRate), wall.Round(time.Millisecond))
	if len(sum.Kinds) == 0 {
		return
	}
	fmt.Fprintf(w, "not fired: %s\n", sum.NotFiredText())
	t := &table{head: []string{"kind", "drawn", "fired in", "firings"}, right: []bool{false, true, true, true}}
	for _, k := range sum.Kinds {
		t.add(string(k.Kind), fmt.Sprint(k.Drawn), fmt.Sprint(k.FiredIn), fmt.Sprint(k.Firings))
	}
	t.print(w)
}

// kindHelp is a fault kind in the --json output of scenario kinds.
type kindHelp struct {
	Kind  scenarios.Kind `json:"kind"`
	About string         `json:"about"`
}

func newScenarioKindsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "kinds",
		Short: "List the fault kinds a scenario can inject and the cost alerts it can expect",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			var ks []kindHelp
			for _, k := range scenarios.Kinds() {
				ks = append(ks, kindHelp{Kind: k, About: scenarios.About(k)})
			}
			if asJSON {
				return writeJSON(out, ks)
			}
			t := &table{head: []string{"kind", "what it does"}, right: []bool{false, false}}
			for _, k := range ks {
				t.add(string(k.Kind), k.About)
			}
			t.print(out)
			fmt.Fprintln(out, "\nALERTS (expect: alerts:, from deploy/prometheus/alerts.yaml; docs/RUNBOOK.md says what to do)")
			a := &table{head: []string{"alert", "severity", "what it means"}, right: []bool{false, false, false}}
			for _, line := range strings.Split(strings.TrimSpace(scenarios.AlertHelp()), "\n") {
				a.add(strings.SplitN(line, "\t", 3)...)
			}
			a.print(out)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the kinds as JSON")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
