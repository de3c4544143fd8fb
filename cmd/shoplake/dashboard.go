package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/dashboard"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/warehouse"
)

func newDashboardCmd(g *globalFlags) *cobra.Command {
	var (
		dataDir string
		dsn     string
		addr    string
		refresh time.Duration
		// consumerMetrics is a consumer's /metrics URL, for the lag.
		consumerMetrics string
		mf              metricsFlags
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
			cfg, err := g.loadFor(cmd, dataDir, warehouseNeeds(dsn))
			if err != nil {
				return err
			}
			if refresh < time.Second {
				return fmt.Errorf("--refresh %s: want at least 1s", refresh)
			}
			opts := dashboardOptions(cfg, dsn)
			opts.Refresh = refresh
			if consumerMetrics != "" {
				opts.Lag = consumerLag(consumerMetrics)
			}
			srv, err := dashboard.New(opts)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("--addr %s: listen: %w", addr, err)
			}
			warnExposed(cmd.ErrOrStderr(), "the dashboard", ln.Addr())
			if mf.addr != "" {
				exp, err := mf.start("shoplake-dashboard", cmd.ErrOrStderr(), g.logger(cmd.ErrOrStderr()))
				if err != nil {
					return errors.Join(err, ln.Close())
				}
				stop := watchWarehouse(cmd.Context(), exp.m, opts, refresh, g.logger(cmd.ErrOrStderr()))
				defer func() { stop(); _ = exp.finish(context.Background()) }()
			}
			return serveDashboard(cmd, srv, ln, opts.Source)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "where warehouse.duckdb is")
	cmd.Flags().StringVar(&dsn, "postgres", "", "read the PostgreSQL warehouse at this DSN instead of the data directory's DuckDB file (overrides warehouse.engine and warehouse.dsn)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to serve the dashboard on (loopback by default: the page has no authentication)")
	cmd.Flags().DurationVar(&refresh, "refresh", dashboard.DefaultRefresh, "how often the page reads the warehouse again")
	cmd.Flags().StringVar(&consumerMetrics, "consumer-metrics", "", "show the consumer's lag, scraped from its metrics (the URL of shoplake consume --follow --metrics-addr: http://127.0.0.1:9101/metrics)")
	mf.registerServe(cmd.Flags())
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

// watchWarehouse sets m's warehouse gauges (where the records ended up,
// the newest event in CORE) from the warehouse of opts every refresh,
// reading it only when opts.Version says it changed, until ctx ends or
// stop is called.
func watchWarehouse(ctx context.Context, m *metrics.Registry, opts dashboard.Options, refresh time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := ""
		t := time.NewTicker(refresh)
		defer t.Stop()
		for {
			if err := observeWarehouse(ctx, m, opts, &last); err != nil && ctx.Err() == nil {
				log.Warn("metrics: warehouse not read", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func observeWarehouse(ctx context.Context, m *metrics.Registry, opts dashboard.Options, last *string) error {
	if opts.Version != nil {
		v, err := opts.Version()
		if err == nil && v == *last {
			return nil
		}
		*last = v
	}
	wh, err := opts.Open(ctx)
	if err != nil {
		*last = ""
		return err
	}
	defer wh.Close()
	if err := pipeline.ObserveWarehouse(ctx, m, wh); err != nil {
		*last = ""
		return err
	}
	return nil
}

// consumerLag reads a consumer's lag from its Prometheus metrics at url
// (shoplake consume --follow --metrics-addr): each shard's iterator age
// and when its checkpoint last moved.
func consumerLag(url string) func(ctx context.Context) (dashboard.Lag, error) {
	client := &http.Client{Timeout: 3 * time.Second}
	return func(ctx context.Context) (dashboard.Lag, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return dashboard.Lag{}, fmt.Errorf("--consumer-metrics %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return dashboard.Lag{}, fmt.Errorf("scrape %s: %w (is shoplake consume --follow --metrics-addr running?)", url, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return dashboard.Lag{}, fmt.Errorf("scrape %s: %s", url, resp.Status)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, 8<<20))
		if err != nil {
			return dashboard.Lag{}, fmt.Errorf("scrape %s: not Prometheus metrics: %w", url, err)
		}
		shards := map[string]*dashboard.ShardLag{}
		shard := func(lps []*dto.LabelPair) *dashboard.ShardLag {
			var id string
			for _, lp := range lps {
				if lp.GetName() == "shard" {
					id = lp.GetValue()
				}
			}
			if shards[id] == nil {
				shards[id] = &dashboard.ShardLag{ShardID: id}
			}
			return shards[id]
		}
		if f := fams["shoplake_consumer_iterator_age_seconds"]; f != nil {
			for _, mt := range f.GetMetric() {
				v := mt.GetGauge().GetValue()
				shard(mt.GetLabel()).IteratorAgeSeconds = &v
			}
		}
		if f := fams["shoplake_consumer_checkpoint_timestamp_seconds"]; f != nil {
			for _, mt := range f.GetMetric() {
				at := time.Unix(0, int64(mt.GetGauge().GetValue()*1e9)).UTC()
				shard(mt.GetLabel()).CheckpointedAt = &at
			}
		}
		if len(shards) == 0 {
			return dashboard.Lag{Why: "the consumer at " + url + " holds no shard yet"}, nil
		}
		lag := dashboard.Lag{Available: true}
		for _, id := range slices.Sorted(maps.Keys(shards)) {
			lag.Shards = append(lag.Shards, *shards[id])
		}
		return lag, nil
	}
}
