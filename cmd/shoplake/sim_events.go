package main

import (
	"bufio"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
)

func newSimEventsCmd(g *globalFlags) *cobra.Command {
	var world worldFlags
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Write the simulated clickstream to stdout as NDJSON",
		Long: `events writes every event of the simulated world, one JSON object per line in
event-time order, in the event contract of schema version 1 (the payload a
producer puts on the stream).`,
		Example: "  shoplake sim events --users 100 --days 1 | head",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			world.apply(cmd.Flags(), &cfg)
			if err := cfg.Validate(); err != nil {
				return err
			}
			wcfg, err := pipeline.WorldConfig(cfg)
			if err != nil {
				return err
			}
			w, err := sim.NewWorld(wcfg)
			if err != nil {
				return err
			}
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<20)
			enc := json.NewEncoder(out)
			for i := range w.Events {
				if err := enc.Encode(&w.Events[i]); err != nil {
					return fmt.Errorf("write event %d: %w", i, err)
				}
			}
			return out.Flush()
		},
	}
	world.register(cmd.Flags())
	return cmd
}
