// Package pipeline wires the layers into runs: it opens the endpoints that
// the configuration's mode names (in-process servers in mode local, AWS in
// mode aws) and drives simulated days through ingestion, the stream, RAW
// and the warehouse. The CLI, the scenario runner and the TUI all drive the
// pipeline through this package; none has a second way to do it.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/middleware"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/s3local"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream/kinesislocal"

	"github.com/shoplake/shoplake/stream"
)

// Env is the set of endpoints and clients one run talks to.
type Env struct {
	Lake         *lake.S3Store
	Kinesis      *kinesis.Client
	FakeStoreURL string
	HTTP         *http.Client
	// Endpoints names what each client reaches, for reports
	// ("http://127.0.0.1:41234", "https://kinesis.eu-west-1.amazonaws.com
	// (AWS)").
	Endpoints map[string]string
	// Region is the AWS region of the clients.
	Region string

	closers []func() error
}

// Close stops the in-process servers, if any.
func (e *Env) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	return errors.Join(errs...)
}

// Local is what the in-process endpoints of mode local serve: the simulated
// world and the clock every server reads. Without a World no FakeStore is
// started (for commands that ingest nothing) and Env.FakeStoreURL stays
// empty unless the configuration names one.
type Local struct {
	World *sim.World
	Clock clock.Clock
	// PersistStreams keeps the in-process Kinesis server's streams in
	// journals under <data_dir>/kinesis (kinesislocal.Open), so they outlive
	// the process; otherwise they live in memory for the run.
	PersistStreams bool
	// KinesisOptions configure the in-process Kinesis server (for instance
	// kinesislocal.WithShardLimits, to enforce AWS's throughput quotas).
	KinesisOptions []kinesislocal.Option
	// Wrap, if set, wraps the handler of each in-process server before it
	// is served: name is "s3", "kinesis" or "fakestore". Fault injection
	// (scenarios) goes here, between the real clients and the real
	// servers.
	Wrap func(name string, h http.Handler) http.Handler
	// APIOptions are added to every AWS client's middleware stack, in
	// every mode (metrics.Registry.AWSAPIOption counts the API's errors).
	APIOptions []func(*middleware.Stack) error
}

// wrap returns h wrapped by l.Wrap, if any.
func (l Local) wrap(name string, h http.Handler) http.Handler {
	if l.Wrap == nil {
		return h
	}
	return l.Wrap(name, h)
}

// LocalSource returns what a step run alone (shoplake ingest, transform)
// serves in-process: in mode local without a FakeStore base URL, the
// simulated world of cfg, after checking that the data directory holds that
// world; otherwise no world (the configured source is used). clk is the
// clock the servers read.
func LocalSource(cfg config.Config, clk clock.Clock) (Local, error) {
	local := Local{Clock: clk}
	if cfg.Mode != config.ModeLocal || cfg.FakeStore.BaseURL != "" {
		return local, nil
	}
	if err := CheckManifest(cfg); err != nil {
		return local, err
	}
	wcfg, err := WorldConfig(cfg)
	if err != nil {
		return local, err
	}
	if local.World, err = sim.NewWorld(wcfg); err != nil {
		return local, fmt.Errorf("simulate world: %w", err)
	}
	local.World.Lookback = cfg.FakeStore.LookbackDays
	if local.World.Zone, err = cfg.BusinessZone(); err != nil {
		return local, err
	}
	return local, nil
}

// backend opens the endpoints of one mode.
type backend func(ctx context.Context, cfg config.Config, local Local) (*Env, error)

// backends is the registry of modes: the only place that knows what "local"
// and "aws" mean for endpoints.
var backends = map[string]backend{
	config.ModeLocal: openLocal,
	config.ModeAWS:   openAWS,
}

// Open returns the endpoints of cfg.Mode. cfg must be valid.
func Open(ctx context.Context, cfg config.Config, local Local) (*Env, error) {
	open, ok := backends[cfg.Mode]
	if !ok {
		return nil, fmt.Errorf("open endpoints: unknown mode %q", cfg.Mode)
	}
	return open(ctx, cfg, local)
}

// openLocal starts, on loopback ports, whichever of the S3, Kinesis and
// FakeStore endpoints the configuration leaves empty, and uses the others
// as configured (for example a `shoplake serve` in another process).
func openLocal(ctx context.Context, cfg config.Config, local Local) (*Env, error) {
	env := &Env{HTTP: &http.Client{Timeout: cfg.FakeStore.Timeout}, Endpoints: map[string]string{}}
	s3URL := cfg.S3.Endpoint
	if s3URL == "" {
		srv, err := s3local.New(filepath.Join(cfg.DataDir, "lake"), local.Clock)
		if err != nil {
			return nil, err
		}
		if s3URL, err = env.serve(local.wrap("s3", srv)); err != nil {
			return nil, errors.Join(err, env.Close())
		}
	}
	kinURL := cfg.Kinesis.Endpoint
	if kinURL == "" {
		// The shards keep their records in files (unlinked at once) in
		// the data directory, on disk even where /tmp is a tmpfs.
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, errors.Join(fmt.Errorf("create data directory %s: %w", cfg.DataDir, err), env.Close())
		}
		opts := append([]kinesislocal.Option{kinesislocal.WithRegion(cfg.Region()), kinesislocal.WithSpillDir(cfg.DataDir)}, local.KinesisOptions...)
		var kin *kinesislocal.Server
		var err error
		if local.PersistStreams {
			if kin, err = kinesislocal.Open(filepath.Join(cfg.DataDir, "kinesis"), local.Clock, opts...); err != nil {
				return nil, errors.Join(err, env.Close())
			}
		} else {
			kin = kinesislocal.New(local.Clock, opts...)
		}
		env.closers = append(env.closers, kin.Close)
		if kinURL, err = env.serve(local.wrap("kinesis", kin)); err != nil {
			return nil, errors.Join(err, env.Close())
		}
	}
	env.FakeStoreURL = cfg.FakeStore.BaseURL
	if env.FakeStoreURL == "" && local.World != nil {
		var err error
		if env.FakeStoreURL, err = env.serve(local.wrap("fakestore", sim.NewServer(local.World, local.Clock))); err != nil {
			return nil, errors.Join(err, env.Close())
		}
	}
	awsCfg, err := cfg.AWSConfig(ctx)
	if err != nil {
		return nil, errors.Join(err, env.Close())
	}
	env.Region = awsCfg.Region
	awsCfg.APIOptions = append(awsCfg.APIOptions, local.APIOptions...)
	env.Lake = lake.NewS3Store(lake.NewS3Client(awsCfg, s3URL), cfg.S3.Bucket, cfg.S3.Prefix)
	env.Kinesis = stream.NewKinesisClient(awsCfg, kinURL)
	env.Endpoints["s3"], env.Endpoints["kinesis"], env.Endpoints["fakestore"] = s3URL, kinURL, env.FakeStoreURL
	return env, nil
}

// openAWS points the clients at AWS (or at the endpoints the configuration
// names) with credentials from the AWS default chain.
func openAWS(ctx context.Context, cfg config.Config, local Local) (*Env, error) {
	awsCfg, err := cfg.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	awsCfg.APIOptions = append(awsCfg.APIOptions, local.APIOptions...)
	env := &Env{
		HTTP:         &http.Client{Timeout: cfg.FakeStore.Timeout},
		FakeStoreURL: cfg.FakeStore.BaseURL,
		Lake:         lake.NewS3Store(lake.NewS3Client(awsCfg, cfg.S3.Endpoint), cfg.S3.Bucket, cfg.S3.Prefix),
		Kinesis:      stream.NewKinesisClient(awsCfg, cfg.Kinesis.Endpoint),
		Region:       awsCfg.Region,
	}
	// What each client really reaches, endpoint overrides of the AWS
	// configuration included.
	env.Endpoints = map[string]string{"s3": env.Lake.Endpoint(), "kinesis": stream.Endpoint(env.Kinesis), "fakestore": cfg.FakeStore.BaseURL}
	return env, nil
}

// serve starts h on a loopback port and returns its base URL.
func (e *Env) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.closers = append(e.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), nil
}

// EndpointNames returns the names in Endpoints, sorted.
func (e *Env) EndpointNames() []string {
	var names []string
	for k := range e.Endpoints {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
