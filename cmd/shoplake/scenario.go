package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"
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
