package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/shoplake/shoplake/internal/config"
)

func newConfigCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets redacted) and the variables that override it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			b, err := yaml.Marshal(cfg.Redacted())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprint(out, string(b))
			fmt.Fprintf(out, "\n# environment overrides: %s\n", strings.Join(config.EnvNames(), " "))
			if err := cfg.Validate(); err != nil {
				return err
			}
			return nil
		},
	}
}
