// Command shoplake-lambda is the stream consumer as an AWS Lambda function
// behind a Kinesis event source mapping: stream.LambdaHandler, the same
// validation, dedup window, dead letters and RAW keys as `shoplake
// consume`, with the mapping keeping the checkpoints.
//
// Configure the event source mapping with FunctionResponseTypes
// ["ReportBatchItemFailures"]: the function answers with AWS's partial
// batch response ({"batchItemFailures":[{"itemIdentifier":"<sequence
// number>"}]}), naming the first record of the first batch it could not
// write, and Lambda retries the shard from there.
//
// After every invocation the function prints its metrics on stdout as
// CloudWatch Embedded Metric Format (package emf), in namespace shoplake:
// a fresh lambdametrics.Registry fed with the invocation's
// stream.LambdaStats, so that counters hold the invocation's counts. CloudWatch Logs extracts them from the function's
// log stream; the alarms of deploy/aws/template.yaml watch them. Logs go
// to stderr as JSON, which CloudWatch keeps beside them.
//
// Configuration comes from the environment, as for every shoplake command
// (SHOPLAKE_MODE, SHOPLAKE_S3_BUCKET, SHOPLAKE_S3_PREFIX,
// SHOPLAKE_S3_ENDPOINT, SHOPLAKE_AWS_REGION, SHOPLAKE_KINESIS_STREAM,
// SHOPLAKE_KINESIS_BATCH_RECORDS); credentials come from the function's
// role through the AWS default chain. Build for the provided.al2023
// runtime:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./cmd/shoplake-lambda
package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/metrics/emf"
	"github.com/shoplake/shoplake/metrics/lambdametrics"
	"github.com/shoplake/shoplake/stream"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, err := newHandler(context.Background(), os.Environ(), log, os.Stdout, time.Now)
	if err != nil {
		log.Error("shoplake-lambda: configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler that environ configures, printing each
// invocation's metrics as EMF on out at the time now gives. Only the
// parts of the configuration the function uses are checked: the FakeStore
// and the warehouse do not concern it.
func newHandler(ctx context.Context, environ []string, log *slog.Logger, out io.Writer, now func() time.Time) (*stream.LambdaHandler, error) {
	cfg, err := config.Load("", environ)
	if err != nil {
		return nil, err
	}
	// Every problem at once: the configuration's, and the function's own.
	err = cfg.Check("shoplake-lambda", config.NeedLake|config.NeedStream)
	if cfg.Mode == config.ModeLocal && cfg.S3.Endpoint == "" {
		err = errors.Join(err, errors.New("mode local needs SHOPLAKE_S3_ENDPOINT: the function starts no in-process lake"))
	}
	if err != nil {
		return nil, err
	}
	awsCfg, err := cfg.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	store := lake.NewS3Store(lake.NewS3Client(awsCfg, cfg.S3.Endpoint), cfg.S3.Bucket, cfg.S3.Prefix)
	return &stream.LambdaHandler{
		Store: store, Stream: cfg.Kinesis.Stream, BatchRecords: cfg.Kinesis.BatchRecords, Log: log,
		OnStats: emitter(out, now, log),
	}, nil
}

// emitter returns the OnStats that prints one invocation's metrics as EMF
// on out. A metric that cannot be printed is logged, never an error of the
// invocation: the records are in the lake already.
func emitter(out io.Writer, now func() time.Time, log *slog.Logger) func(stream.LambdaStats) {
	return func(s stream.LambdaStats) {
		t := now()
		m := lambdametrics.New()
		m.Invocation(t, s)
		if err := emf.Write(out, m.Gatherer(), lambdametrics.Namespace, t); err != nil {
			log.Error("metrics not printed", "err", err)
		}
	}
}
