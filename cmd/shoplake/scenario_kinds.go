package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/scenarios"
)

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
