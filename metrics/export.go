package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"
)

// Handler serves the registry's series in the Prometheus exposition
// format (what GET /metrics answers).
func (m *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Server serves /metrics on one address until it is closed.
type Server struct {
	// Addr is the address it listens on (with the port chosen if the one
	// asked for was 0).
	Addr string
	srv  *http.Server
	done chan error
}

// Serve starts serving m on addr ("127.0.0.1:9101", ":9101"). A port in
// use is an error naming the address.
func Serve(addr string, m *Registry, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "shoplake metrics: GET /metrics")
	})
	s := &Server{Addr: ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil && log != nil {
			log.Error("metrics server stopped", "addr", s.Addr, "err", err)
		}
		s.done <- err
	}()
	return s, nil
}

// Close stops the server, waiting up to five seconds for scrapes in
// flight.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	return errors.Join(err, <-s.done)
}

// WriteTextfile writes the registry's series to path in the text format,
// atomically (a temporary file renamed over it): what node_exporter's
// textfile collector reads after a batch command.
func (m *Registry) WriteTextfile(path string) error {
	if err := prometheus.WriteToTextfile(path, m.reg); err != nil {
		return fmt.Errorf("metrics: write %s: %w", path, err)
	}
	return nil
}

// Push sends the registry's series to the Prometheus Pushgateway at url
// under job, replacing what the job pushed before.
func (m *Registry) Push(ctx context.Context, url, job string) error {
	if err := push.New(url, job).Gatherer(m.reg).PushContext(ctx); err != nil {
		return fmt.Errorf("metrics: push to %s: %w", url, err)
	}
	return nil
}
