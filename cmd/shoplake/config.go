package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/shoplake/shoplake/internal/config"
)

func newConfigCmd(g *globalFlags) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets redacted) and the variables that set it",
		Long: `config prints the configuration every command would use: the defaults, the
--config file over them, and the SHOPLAKE_* variables over both. Secrets are
redacted. Then it lists the SHOPLAKE_* variables set in this environment
(their values redacted where they hold a secret); --all-variables lists every
variable that can override a key.`,
		Args: cobra.NoArgs,
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
			set := setVariables(os.Environ())
			switch {
			case len(set) == 0:
				fmt.Fprintln(out, "\n# no SHOPLAKE_* variable is set")
			default:
				fmt.Fprintln(out, "\n# set in the environment:")
				for _, kv := range set {
					fmt.Fprintf(out, "#   %s\n", kv)
				}
			}
			if all {
				fmt.Fprintf(out, "# every variable: %s\n", strings.Join(config.EnvNames(), " "))
			} else {
				fmt.Fprintln(out, "# (shoplake config --all-variables lists every variable that overrides a key)")
			}
			return cfg.Validate()
		},
	}
	cmd.Flags().BoolVar(&all, "all-variables", false, "also list every SHOPLAKE_* variable that can override a key")
	return cmd
}

// setVariables returns the SHOPLAKE_* variables of environ that name a
// key, as NAME=value, sorted; a secret's value is redacted.
func setVariables(environ []string) []string {
	names := map[string]bool{}
	for _, n := range config.EnvNames() {
		names[n] = true
	}
	var out []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !names[k] {
			continue
		}
		if config.IsSecretVariable(k) && v != "" {
			v = "<redacted>"
		}
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
