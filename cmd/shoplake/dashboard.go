package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/dashboard"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/warehouse"
)

func newDashboardCmd(g *globalFlags) *cobra.Command {
	var (
		dataDir string
		dsn     string
		addr    string
		refresh time.Duration
	)
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a web page of the marts and the pipeline's health",
		Long: `dashboard serves one web page, on a loopback address by default, that shows
the marts (KPI tiles with sparklines, revenue and orders over time, the
session funnel, cohort retention, LTV by cohort, top products and
categories, purchase reconciliation) and the pipeline's health (freshness,
consumer lag, what was kept out of CORE, the last data-quality checks). The
page refreshes itself while a pipeline runs; its data is GET /api/snapshot
(JSON). Everything it needs is in the binary: it works offline.

It reads the configured warehouse: the DuckDB file of the data directory,
or PostgreSQL or Redshift (warehouse.engine, or --postgres). It opens the
warehouse read-only for each read and closes it at once, and reads again
only when the DuckDB file changed: DuckDB lets one process write a file or
several read it, so a transform can run beside it. While the warehouse is
being written, the page keeps the last data, marked stale since when.

It serves until interrupted.`,
		Example: "  shoplake dashboard\n  shoplake dashboard --data-dir /tmp/shop --addr 127.0.0.1:9090",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("data-dir") {
				cfg.DataDir = dataDir
			}
			needs := config.NeedWarehouse
			if dsn != "" {
				needs = 0 // the warehouse is --postgres's
			}
			if err := cfg.Check("shoplake dashboard", needs); err != nil {
				return err
			}
			if refresh < time.Second {
				return fmt.Errorf("--refresh %s: want at least 1s", refresh)
			}
			opts := dashboardOptions(cfg, dsn)
			opts.Refresh = refresh
			srv, err := dashboard.New(opts)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("--addr %s: listen: %w", addr, err)
			}
			// --metrics-addr (issue 16, part 1) goes here: a second listener
			// serving the Prometheus handler beside the dashboard's.
			return serveDashboard(cmd, srv, ln, opts.Source)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "where warehouse.duckdb is")
	cmd.Flags().StringVar(&dsn, "postgres", "", "read the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file (overrides warehouse.engine and warehouse.dsn)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to serve the dashboard on (loopback by default: the page has no authentication)")
	cmd.Flags().DurationVar(&refresh, "refresh", dashboard.DefaultRefresh, "how often the page reads the warehouse again")
	return cmd
}

// dashboardOptions opens the warehouse of cfg (or of the --postgres DSN
// flag) read-only for each read; for the DuckDB file, it reads again only
// when the file changed.
func dashboardOptions(cfg config.Config, flag string) dashboard.Options {
	opts := dashboard.Options{
		Open:  func(ctx context.Context) (*warehouse.Warehouse, error) { return openWarehouseReadOnly(ctx, cfg, flag) },
		Clock: clock.Real{},
	}
	switch engine := cfg.WarehouseEngine(flag); engine {
	case config.EngineDuckDB:
		path := warehousePath(cfg)
		opts.Source, opts.Version = "duckdb "+path, dashboard.FileVersion(path)
	default:
		opts.Source = engine + " " + config.RedactDSN(cfg.WarehouseDSN(flag))
	}
	return opts
}

// serveDashboard serves srv on ln until the command's context ends, after
// printing its URL.
func serveDashboard(cmd *cobra.Command, srv http.Handler, ln net.Listener, source string) error {
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(cmd.OutOrStdout(), "dashboard  http://%s/\nreading    %s\n", ln.Addr(), source)
	fmt.Fprintln(cmd.ErrOrStderr(), "serving until interrupted (Ctrl-C)")
	select {
	case <-cmd.Context().Done():
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(ctx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve dashboard: %w", err)
	}
}
