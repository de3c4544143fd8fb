package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/scenarios"
)

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
