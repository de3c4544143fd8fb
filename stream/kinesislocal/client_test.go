package kinesislocal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// testStart is the simulated time every test server starts at.
var testStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// NewTestClient serves h on an httptest server for the duration of the test
// and returns the real aws-sdk-go-v2 Kinesis client pointed at it, with
// static credentials and region us-east-1, as an application would build it.
//
// Its HTTP client is shoplake's own (config.SDKHTTPClient), which works
// around a smithy-go race that duplicated fast PutRecords calls.
func NewTestClient(tb testing.TB, h http.Handler, optFns ...func(*kinesis.Options)) *kinesis.Client {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDLOCAL", SecretAccessKey: "secret", Source: "test"}, nil
	})
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ts.URL),
		Credentials:  aws.NewCredentialsCache(creds),
		HTTPClient:   config.SDKHTTPClient(),
	}, optFns...)
}

// newTestServer returns a server on a simulated clock that starts at
// testStart, and a client for it.
func newTestServer(tb testing.TB, opts ...kinesislocal.Option) (*kinesislocal.Server, *clock.Sim, *kinesis.Client) {
	tb.Helper()
	clk := clock.NewSim(testStart)
	srv := kinesislocal.New(clk, opts...)
	return srv, clk, NewTestClient(tb, srv)
}

// mustCreateStream creates a provisioned stream with n shards.
func mustCreateStream(tb testing.TB, c *kinesis.Client, name string, n int32) {
	tb.Helper()
	if _, err := c.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(n)}); err != nil {
		tb.Fatalf("CreateStream %s: %v", name, err)
	}
}

// TestNewTestClient_NoRetry checks the plainBodyTransport workaround: with
// retries off, many fast PutRecords calls must all succeed at once.
func TestNewTestClient_NoRetry(t *testing.T) {
	srv, _, _ := newTestServer(t)
	c := NewTestClient(t, srv, func(o *kinesis.Options) { o.RetryMaxAttempts = 1 })
	mustCreateStream(t, c, "s", 4)
	for i := range 200 {
		if _, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(500, 10)}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}
