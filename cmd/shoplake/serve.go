package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake/s3local"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func newServeCmd(g *globalFlags) *cobra.Command {
	var s3Addr, kinAddr, fakeAddr, dataDir string
	var mf metricsFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Expose the local S3, Kinesis and FakeStore endpoints on loopback ports",
		Long: `serve runs the in-process endpoints of mode local as servers, so that other
tools (the AWS CLI with --endpoint-url, a producer in another language, a
browser on the FakeStore API) can use them. It runs until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, dataDir)
			if err != nil {
				return err
			}
			if cfg.Mode != config.ModeLocal {
				return fmt.Errorf("serve exposes the local endpoints, in mode local only (the configuration says %q)", cfg.Mode)
			}
			if err := cfg.Check("shoplake serve", config.NeedLake|config.NeedStream|config.NeedWorld); err != nil {
				return err
			}
			wcfg, err := pipeline.WorldConfig(cfg)
			if err != nil {
				return err
			}
			world, err := sim.NewWorld(wcfg)
			if err != nil {
				return err
			}
			// Servers outside a simulated run keep wall-clock time; the
			// FakeStore then serves the whole simulated world.
			clk := clock.Real{}
			s3srv, err := s3local.New(filepath.Join(cfg.DataDir, "lake"), clk)
			if err != nil {
				return err
			}
			// Streams persist under the data directory, so records put
			// through serve survive a restart and shoplake consume reads them;
			// the shards' record files (unlinked) are on the same disk.
			kin, err := kinesislocal.Open(filepath.Join(cfg.DataDir, "kinesis"), clk, kinesislocal.WithRegion(cfg.Region()), kinesislocal.WithSpillDir(cfg.DataDir))
			if err != nil {
				return err
			}
			defer kin.Close()
			servers := []struct {
				name, addr string
				h          http.Handler
			}{
				{"s3", s3Addr, s3srv},
				{"kinesis", kinAddr, kin},
				{"fakestore", fakeAddr, sim.NewServer(world, clk)},
			}
			errc := make(chan error, len(servers))
			out := cmd.OutOrStdout()
			bound := map[string]string{}
			for _, s := range servers {
				ln, err := net.Listen("tcp", s.addr)
				if err != nil {
					return fmt.Errorf("listen for %s on %s: %w", s.name, s.addr, err)
				}
				warnExposed(cmd.ErrOrStderr(), "the "+s.name+" endpoint", ln.Addr())
				srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
				go func() { errc <- srv.Serve(ln) }()
				defer srv.Close()
				fmt.Fprintf(out, "%-10s http://%s\n", s.name, ln.Addr())
				bound[s.name] = "http://" + ln.Addr().String()
			}
			if mf.addr != "" {
				stop, err := serveLakeMetrics(cmd, g, cfg, &mf, bound["s3"], bound["kinesis"])
				if err != nil {
					return err
				}
				defer stop()
			}
			fmt.Fprintf(out, "\nlake files under %s\n", filepath.Join(cfg.DataDir, "lake", "buckets"))
			fmt.Fprintf(out, "try: aws --endpoint-url http://%s kinesis list-streams\n", kinAddr)
			fmt.Fprintf(out, "     curl http://%s/products?limit=2\n", fakeAddr)
			select {
			case <-cmd.Context().Done():
				return nil
			case err := <-errc:
				return err
			}
		},
	}
	cmd.Flags().StringVar(&s3Addr, "s3-addr", "127.0.0.1:4566", "address of the S3 endpoint (loopback by default: no authentication)")
	cmd.Flags().StringVar(&kinAddr, "kinesis-addr", "127.0.0.1:4567", "address of the Kinesis endpoint (loopback by default)")
	cmd.Flags().StringVar(&fakeAddr, "fakestore-addr", "127.0.0.1:4568", "address of the FakeStore API (loopback by default)")
	cmd.Flags().StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake and the streams are kept")
	mf.registerServe(cmd.Flags())
	return cmd
}

// lakeMetricsEvery is how often serve lists the lake for its metrics.
const lakeMetricsEvery = 30 * time.Second

// serveLakeMetrics serves the process's metrics and the size of every
// zone of the lake behind the S3 endpoint at s3URL, listed every
// lakeMetricsEvery; stop ends both.
func serveLakeMetrics(cmd *cobra.Command, g *globalFlags, cfg config.Config, mf *metricsFlags, s3URL, kinesisURL string) (stop func(), err error) {
	log := g.logger(cmd.ErrOrStderr())
	exp, err := mf.start("shoplake-serve", cmd.OutOrStdout(), log)
	if err != nil {
		return nil, err
	}
	cfg.S3.Endpoint, cfg.Kinesis.Endpoint = s3URL, kinesisURL
	env, err := pipeline.Open(cmd.Context(), cfg, pipeline.Local{Clock: clock.Real{}})
	if err != nil {
		return nil, errors.Join(err, exp.finish(cmd.Context()))
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lakeMetricsEvery)
		defer t.Stop()
		for {
			if err := pipeline.ObserveStores(ctx, exp.m, env.Lake, nil); err != nil && ctx.Err() == nil {
				log.Warn("metrics: lake zones not listed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		_ = env.Close()
		_ = exp.finish(context.Background())
	}, nil
}
