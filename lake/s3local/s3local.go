// Package s3local is the local S3 endpoint: gofakes3 over a file-backed
// store, so that the lake of a local run can be browsed on disk under
// <dir>/buckets/<bucket>/<key>. Clients reach it with the ordinary
// aws-sdk-go-v2 S3 client; only the endpoint differs from AWS.
package s3local

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"

	"github.com/shoplake/shoplake/internal/clock"
)

// Server is an in-process S3 endpoint.
type Server struct {
	handler http.Handler
}

// New returns an S3 endpoint that stores objects under dir, or in memory if
// dir is empty. Object timestamps come from clk. Request signatures are
// accepted whatever their time, because a simulated clock and the SDK's
// signing clock differ by design.
func New(dir string, clk clock.Clock) (*Server, error) {
	var backend gofakes3.Backend
	if dir == "" {
		backend = s3mem.New(s3mem.WithTimeSource(timeSource{clk}))
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create lake directory %s: %w", dir, err)
		}
		b, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), dir))
		if err != nil {
			return nil, fmt.Errorf("open lake directory %s: %w", dir, err)
		}
		backend = &fileBackend{MultiBucketBackend: b, dir: dir}
	}
	faker := gofakes3.New(backend,
		gofakes3.WithTimeSource(timeSource{clk}),
		gofakes3.WithTimeSkewLimit(0),
		gofakes3.WithIntegrityCheck(true),
		gofakes3.WithAutoBucket(false),
		gofakes3.WithLogger(gofakes3.DiscardLog()),
	)
	return &Server{handler: faker.Server()}, nil
}

// ServeHTTP serves the S3 API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// timeSource adapts a clock.Clock to gofakes3.TimeSource.
type timeSource struct{ clk clock.Clock }

func (t timeSource) Now() time.Time                   { return t.clk.Now() }
func (t timeSource) Since(at time.Time) time.Duration { return t.clk.Now().Sub(at) }
