package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/pipeline"
)

// metricsFlags are how a command exposes its metrics (docs/METRICS.md):
// a long-running command serves them (--metrics-addr), a batch command
// writes them to a textfile for node_exporter (--metrics-file) or pushes
// them to a Pushgateway (--metrics-push) when it ends.
type metricsFlags struct {
	addr, file, push string
}

func (f *metricsFlags) registerServe(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "metrics-addr", "", "serve Prometheus metrics on this address (127.0.0.1:9101; :0 picks a port) at /metrics")
}

func (f *metricsFlags) registerBatch(fs *pflag.FlagSet) {
	fs.StringVar(&f.file, "metrics-file", "", "when done, write the run's Prometheus metrics to this file (node_exporter's textfile collector reads *.prom)")
	fs.StringVar(&f.push, "metrics-push", "", "when done, push the run's Prometheus metrics to this Pushgateway URL (http://pushgateway:9091)")
}

// on reports whether any way of exposing metrics was asked for.
func (f *metricsFlags) on() bool { return f.addr != "" || f.file != "" || f.push != "" }

// exposer is a command's metrics registry and how it leaves the process.
type exposer struct {
	m    *metrics.Registry
	f    *metricsFlags
	job  string
	srv  *metrics.Server
	errw io.Writer
}

// start makes the registry (nil when no flag asks for metrics) and, with
// --metrics-addr, starts serving it, saying where on errw.
func (f *metricsFlags) start(job string, errw io.Writer, log *slog.Logger) (*exposer, error) {
	e := &exposer{f: f, job: job, errw: errw}
	if !f.on() {
		return e, nil
	}
	e.m = metrics.New()
	if f.addr != "" {
		e.m.WithProcess()
		srv, err := metrics.Serve(f.addr, e.m, log)
		if err != nil {
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		e.srv = srv
		fmt.Fprintf(errw, "metrics: http://%s/metrics\n", srv.Addr)
	}
	return e, nil
}

// local is what pipeline.Local needs to count the AWS API's errors.
func (e *exposer) apiOptions(l pipeline.Local) pipeline.Local {
	if e.m != nil {
		l.APIOptions = append(l.APIOptions, e.m.AWSAPIOption())
	}
	return l
}

// finish writes or pushes the metrics as the flags ask and stops serving.
func (e *exposer) finish(ctx context.Context) error {
	if e == nil || e.m == nil {
		return nil
	}
	var errs []error
	if e.f.file != "" {
		if err := e.m.WriteTextfile(e.f.file); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-file: %w", err))
		}
	}
	if e.f.push != "" {
		if err := e.m.Push(context.WithoutCancel(ctx), e.f.push, e.job); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-push: %w", err))
		}
	}
	errs = append(errs, e.srv.Close())
	return errors.Join(errs...)
}
