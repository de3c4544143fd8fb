package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/tui"
)

func newTUICmd(g *globalFlags) *cobra.Command {
	var (
		seed    uint64
		saveDir string
	)
	cmd := &cobra.Command{
		Use:   "tui [SCENARIO]",
		Short: "Replay a scenario (default: the demo) in a terminal UI, tick by tick",
		Long: `Replays a scenario file, or without one a three-day demo shop with a few
faults, on the simulated clock, one tick at a time (an hour of clickstream,
a day's batch, the heal phase, the checks), and shows what every stage
does: the stream's shards, the lake, the consumer and the warehouse, the
marts beside the oracle's, and the invariant checkers. A broken invariant
pauses the replay.

Press ? for the keys. i injects a fault at the current hour: the replay
restarts from its seed with the fault in its scenario and comes back; s
saves that scenario as a file that 'shoplake scenario run' replays exactly.
It works in an 80x24 terminal.`,
		Example: "  shoplake tui\n  shoplake tui scenarios/testdata/api_down.yaml --seed 7",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("give at most one SCENARIO file, not %d (shoplake scenario run runs several)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sc := scenarios.Demo()
			if len(args) == 1 {
				var err error
				if sc, err = loadScenario(args[0]); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("seed") {
				sc.Seed = seed
			}
			if err := sc.Validate(); err != nil {
				return err
			}
			if !isTerminal(cmd.InOrStdin()) || !isTerminal(cmd.OutOrStdout()) {
				return errors.New("tui needs a terminal: run it in one, with neither its input nor its output redirected; " +
					"without a terminal, shoplake scenario run FILE prints what a replay finds")
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			m := tui.New(ctx, sc, tui.Options{SaveDir: saveDir, Run: scenarios.RunOptions{Log: g.pipelineLog(cmd.ErrOrStderr())}})
			final, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx),
				tea.WithInput(cmd.InOrStdin()), tea.WithOutput(cmd.OutOrStdout())).Run()
			if fm, ok := final.(tui.Model); ok {
				err = errors.Join(err, fm.Close())
			}
			if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
				return fmt.Errorf("tui: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 0, "replace the scenario's seed")
	cmd.Flags().StringVar(&saveDir, "save-dir", ".", "where s saves the run as a scenario file")
	return cmd
}

// isTerminal reports whether f is a terminal: bubbletea needs one for its
// input and its output, or fails in its own words.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(file.Fd())
}
