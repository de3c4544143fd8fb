package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/scenarios"
)

// kindHelp is a fault kind in the --json output of scenario kinds.
type kindHelp struct {
	Kind  scenarios.Kind `json:"kind"`
	About string         `json:"about"`
}

// kindsJSON is the --json output of scenario kinds (docs/JSON.md's Kinds).
type kindsJSON struct {
	Kinds  []kindHelp        `json:"kinds"`
	Alerts []scenarios.Alert `json:"alerts"`
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
			alerts, err := scenarios.Alerts()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(out, kindsJSON{Kinds: ks, Alerts: alerts})
			}
			t := &table{head: []string{"kind", "what it does"}, right: []bool{false, false}}
			for _, k := range ks {
				t.add(string(k.Kind), k.About)
			}
			t.print(out)
			fmt.Fprintln(out, "\nALERTS (expect: alerts:, from deploy/prometheus/alerts.yaml; docs/RUNBOOK.md says what to do)")
			a := &table{head: []string{"alert", "severity", "what it means"}, right: []bool{false, false, false}}
			for _, al := range alerts {
				a.add(al.Name, al.Severity, al.About)
			}
			a.print(out)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the kinds as JSON")
	return cmd
}
