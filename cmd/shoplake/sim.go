package main

import (
	"github.com/spf13/cobra"
)

func newSimCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Use the simulator on its own: serve its FakeStore API, write its events",
		Long: `The simulator is the ground truth of shoplake's tests and the source of its
demo. These commands expose it to other tools: a FakeStore-compatible API on a
loopback port, and the clickstream as NDJSON.`,
		// Runnable, as scenario is, so that a mistyped subcommand is an
		// error (exit 1), not the help with exit 0.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newSimServeCmd(g), newSimEventsCmd(g))
	return cmd
}
