// Package dashboard serves the marts and the pipeline's health as one web
// page: every mart of docs/MARTS.md (KPI tiles with sparklines, revenue
// and orders over time, active users, traffic by channel and by hour,
// checkout abandonment, the session funnel, cohort retention, cohort LTV,
// the top customers by LTV, orders by attribution channel, top products
// and categories by sales and by views, purchase reconciliation), and a
// health strip (freshness, the consumer's lag, what was kept out of CORE,
// the last data-quality results).
//
// The page (assets/, embedded: no CDN, it works offline) reads one JSON
// document, GET /api/snapshot, and polls it while the page is open. A
// snapshot is read through the warehouse's own readers (warehouse.DailyKPIs,
// CohortRetention, Freshness, CheckResults, ...): the dashboard holds no SQL.
//
// DuckDB lets one process write a file or several read it, never both, so
// the Server does not keep the warehouse open: Options.Open opens it
// (read-only) for each read and the Server closes it as soon as the read
// is done. When a read fails (a transform holds the file: warehouse.ErrBusy)
// the Server keeps answering the last good snapshot, marked stale since the
// first failure, with the reason.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/warehouse"
)

//go:embed assets
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Open opens the warehouse for one read; the Server closes it when the
	// read is done. It should open read-only (warehouse.Options.ReadOnly)
	// and return an error wrapping warehouse.ErrBusy when another process
	// is writing the warehouse. Required.
	Open func(ctx context.Context) (*warehouse.Warehouse, error)
	// Version, when set, returns a token that changes whenever the
	// warehouse may have changed (for a DuckDB file: its size and time of
	// modification, and its WAL's; see FileVersion). While it returns the
	// token of the last good read, the Server answers that read again
	// without opening the warehouse, so that an idle dashboard never holds
	// the file a transform is about to open. Nil reads every time.
	Version func() (string, error)
	// Source says what the dashboard reads, as the page shows it
	// ("duckdb data/warehouse.duckdb"); it must hold no secret (mask a
	// DSN's password with config.RedactDSN).
	Source string
	// Clock dates each read and each failure: clock.Real at the edge, a
	// simulated clock in tests. Nil is clock.Real.
	Clock clock.Clock
	// MinInterval is the least time between two reads of the warehouse:
	// requests in between (several pages open) get the last snapshot.
	// Zero is DefaultMinInterval.
	MinInterval time.Duration
	// Refresh is how often the page asks for a new snapshot. Zero is
	// DefaultRefresh.
	Refresh time.Duration
	// Lag reads the stream consumer's lag and checkpoints. Nil shows the
	// lag as unavailable, with NoLagReason.
	Lag func(ctx context.Context) (Lag, error)
}

// DefaultMinInterval is Options.MinInterval when zero.
const DefaultMinInterval = time.Second

// DefaultRefresh is Options.Refresh when zero.
const DefaultRefresh = 5 * time.Second

// NoLagReason is why the consumer's lag is not shown when Options.Lag is
// nil.
const NoLagReason = "the consumer's lag is known to the consumer process and to Kinesis, not to the warehouse the dashboard reads: " +
	"run shoplake consume --follow --metrics-addr ADDR and this dashboard with --consumer-metrics http://ADDR/metrics"

// Server is the dashboard: an http.Handler serving the page at /, its
// assets under /assets/, and the snapshot at /api/snapshot. Its methods
// are safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu sync.Mutex
	// good is the last snapshot read without error (nil before the first).
	good *Snapshot
	// goodVersion is Options.Version's token at good's read.
	goodVersion string
	// stale is set while reads fail: since the first failure after good.
	stale *Staleness
	// tried is when the warehouse was last read or tried.
	tried time.Time
}

// New returns a Server with opts. It returns an error when opts.Open is
// nil.
func New(opts Options) (*Server, error) {
	if opts.Open == nil {
		return nil, errors.New("dashboard: Options.Open is required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultMinInterval
	}
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("dashboard: assets: %w", err)
	}
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		http.ServeFileFS(w, r, static, "index.html")
	})
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", securityHeaders(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /api/snapshot", s.serveSnapshot)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// serveSnapshot answers the current snapshot as JSON: 200 with data (stale
// or not), 503 while no read has ever succeeded (the body says why).
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	snap := s.Snapshot(r.Context())
	setSecurityHeaders(w)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if snap.ReadAt.IsZero() {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	_ = enc.Encode(snap) // the client went away: nothing to do
}

// Snapshot returns the current snapshot: read now if the last read is older
// than Options.MinInterval and the warehouse's Version changed, else the
// last one. When the read fails, it is the last good snapshot (empty before
// the first) with Stale set.
func (s *Server) Snapshot(ctx context.Context) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock.Now()
	if !s.tried.IsZero() && now.Sub(s.tried) < s.opts.MinInterval {
		return s.current()
	}
	s.tried = now
	var version string
	if s.opts.Version != nil {
		v, err := s.opts.Version()
		if err == nil && s.good != nil && s.stale == nil && v == s.goodVersion {
			if s.opts.Lag != nil {
				// The warehouse did not change; the consumer may have.
				s.good.Health.Lag = readLag(ctx, s.opts.Lag)
			}
			return s.current()
		}
		if err == nil {
			version = v
		}
	}
	snap, err := read(ctx, s.opts.Open, s.opts.Lag)
	if err != nil {
		if s.stale == nil {
			s.stale = &Staleness{Since: now}
		}
		s.stale.Reason, s.stale.Busy = err.Error(), errors.Is(err, warehouse.ErrBusy)
		return s.current()
	}
	snap.ReadAt = now
	s.good, s.goodVersion, s.stale = &snap, version, nil
	return s.current()
}

// current is the last good snapshot (or an empty one) with the Server's
// staleness, source and refresh period. Callers hold s.mu.
func (s *Server) current() Snapshot {
	var snap Snapshot
	if s.good != nil {
		snap = *s.good
	}
	if s.stale != nil {
		st := *s.stale
		snap.Stale = &st
	}
	snap.Source = s.opts.Source
	snap.RefreshSeconds = s.opts.Refresh.Seconds()
	return snap
}

// securityHeaders sets setSecurityHeaders on every answer of h.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		h.ServeHTTP(w, r)
	})
}

// setSecurityHeaders forbids what the page never needs: scripts, styles
// and connections to any other origin, inline scripts, framing.
func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
