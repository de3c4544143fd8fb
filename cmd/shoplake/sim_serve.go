package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/yamlstrict"
	"github.com/shoplake/shoplake/sim"
)

func newSimServeCmd(g *globalFlags) *cobra.Command {
	var (
		world      worldFlags
		addr       string
		asOf       string
		faultsPath string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulated shop's FakeStore-compatible API on a loopback port",
		Long: `serve answers the FakeStore API (/products, /users, /carts and their
sub-routes) from the simulated world of the configuration and flags. By
default the world is served as it stands at the end of the simulation;
--as-of serves it as of another instant (users not yet signed up and carts
not yet placed are hidden). It runs until interrupted.

--faults FILE injects failures: a YAML list of rules, each with
  endpoint     a route (/carts, /products/{id}) or * for every route
  kind         5xx, 429, reset, hang, slow_body, truncated_body,
               malformed_json, schema_drift_price_string,
               schema_drift_missing_field, duplicate_ids, ignore_date_filter
  probability  the chance (0 to 1) that a matching request gets it, or
  every        every N-th matching request
  from, until  a window on the server's clock (RFC 3339), optional
  status       the 5xx answered (500, 502, 503, 504; default 503)
  retry_after  the 429's Retry-After (default 1s)
  slow_delay, chunk_bytes  a slow body's pace (default 64-byte chunks)
  field        the field a missing-field drift removes (default id)
  share        the share (0 to 1) of a response's objects a drift alters`,
		Example: "  shoplake sim serve --users 50 --days 3\n  curl 'http://127.0.0.1:4568/carts?startdate=2026-01-05&enddate=2026-01-06'\n" +
			"  printf -- '- {endpoint: /carts, kind: 5xx, every: 3}\\n' > faults.yaml && shoplake sim serve --faults faults.yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, wcfg, err := g.loadWorld(cmd, &world)
			if err != nil {
				return err
			}
			w, err := sim.NewWorld(wcfg)
			if err != nil {
				return err
			}
			at := wcfg.End()
			if asOf != "" {
				if at, err = time.Parse(time.RFC3339, asOf); err != nil {
					return fmt.Errorf("--as-of %q: want RFC 3339, e.g. 2026-01-06T00:05:00Z", asOf)
				}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			warnExposed(cmd.ErrOrStderr(), "the FakeStore API", ln.Addr())
			clk := clock.NewSim(at)
			var h http.Handler = sim.NewServer(w, clk)
			if faultsPath != "" {
				f, err := loadFaults(faultsPath, cfg.Seed, clk)
				if err != nil {
					return err
				}
				h = f.Wrap(h)
				for _, r := range f.Rules() {
					fmt.Fprintf(cmd.ErrOrStderr(), "fault: %s on %s\n", r.Kind, r.Endpoint)
				}
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(cmd.OutOrStdout(), "FakeStore API of seed %d (%d users, %d products, %d orders) as of %s on http://%s\n",
				cfg.Seed, w.NumUsers(), len(w.Products), len(w.Orders), at.Format(time.RFC3339), ln.Addr())
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case <-cmd.Context().Done():
				return srv.Close()
			case err := <-errc:
				return err
			}
		},
	}
	world.register(cmd.Flags())
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:4568", "address to listen on (loopback by default)")
	cmd.Flags().StringVar(&faultsPath, "faults", "", "YAML list of fault rules to inject (the keys are listed above)")
	cmd.Flags().StringVar(&asOf, "as-of", "", "serve the world as of this instant (RFC 3339); default: the end of the simulation")
	return cmd
}

// loadFaults reads a YAML list of sim.FaultRule from path.
func loadFaults(path string, seed uint64, clk clock.Clock) (*sim.Faults, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError("--faults", path, err)
	}
	var rules []sim.FaultRule
	if err := yamlstrict.Decode(b, &rules); err != nil {
		return nil, fmt.Errorf("parse faults %s: %w", path, err)
	}
	f, err := sim.NewFaults(seed, clk, rules)
	if err != nil {
		return nil, fmt.Errorf("faults %s: %w", path, err)
	}
	return f, nil
}
