// Package laketest hands tests a real lake: the local S3 endpoint on a
// loopback server with a file-backed store in a temporary directory, reached
// through the ordinary aws-sdk-go-v2 client.
package laketest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/s3local"
)

// Bucket is the bucket NewStore creates.
const Bucket = "shoplake-test"

// NewStore returns a Store over a fresh local S3 endpoint whose files live
// in a directory the test owns. The server stops when the test ends.
func NewStore(tb testing.TB) *lake.S3Store {
	tb.Helper()
	store, _ := NewStoreInDir(tb, tb.TempDir())
	return store
}

// NewStoreInDir is NewStore over dir, which may already hold a lake; it also
// returns the endpoint's URL.
func NewStoreInDir(tb testing.TB, dir string) (*lake.S3Store, string) {
	tb.Helper()
	srv, err := s3local.New(dir, clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	cfg, err := config.DefaultConfig().AWSConfig(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	store := lake.NewS3Store(lake.NewS3Client(cfg, ts.URL), Bucket, "")
	if err := store.EnsureBucket(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return store, ts.URL
}
