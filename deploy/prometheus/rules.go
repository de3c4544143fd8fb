// Package prometheus holds shoplake's Prometheus alerting rules
// (alerts.yaml), embedded so that the scenario runner evaluates the very
// file an operator deploys.
package prometheus

import _ "embed"

// Alerts is alerts.yaml, as deployed.
//
//go:embed alerts.yaml
var Alerts []byte
