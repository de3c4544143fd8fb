package ingest

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

// DefaultMaxBody caps the size of one response body, after decompression.
const DefaultMaxBody = 64 << 20

// Doer sends HTTP requests; *http.Client satisfies it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client fetches the endpoints of one FakeStore-compatible API with the
// retry Policy: a timeout per request, full-jitter exponential backoff,
// Retry-After, a retry budget per run and a circuit breaker shared by every
// run of the client. Every wait goes through Clock.Sleep and every random
// draw through the *rand.Rand it was given, so under clock.Sim a run with
// retries takes no real time and replays exactly from its seed.
type Client struct {
	http    Doer
	baseURL string
	clock   clock.Clock
	policy  Policy
	maxBody int64
	log     *slog.Logger
	breaker *Breaker
	obs     Observer

	mu   sync.Mutex // guards rand
	rand *rand.Rand
}

// NewClient returns a client of the API at baseURL. r supplies the jitter:
// rng.New(seed, "ingest/retry") with the run's seed in a simulated run, so
// that it replays; with a seed of its own per process in a real one
// (shoplake ingest draws it, or takes --jitter-seed), so that clients that
// fail together do not retry in lockstep. clk times the waits, the
// run deadline and the breaker. maxBody <= 0 means DefaultMaxBody. It
// returns an error if the policy is invalid.
func NewClient(doer Doer, baseURL string, clk clock.Clock, r *rand.Rand, p Policy, maxBody int64, log *slog.Logger) (*Client, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if doer == nil || clk == nil || r == nil {
		return nil, fmt.Errorf("%w: NewClient needs an HTTP client, a clock and a rand", ErrNoClient)
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		http: doer, baseURL: strings.TrimRight(baseURL, "/"), clock: clk, policy: p, maxBody: maxBody, log: log,
		breaker: &Breaker{Threshold: p.BreakerThreshold, Cooldown: p.BreakerCooldown, Clock: clk},
		rand:    r,
	}, nil
}

// Policy returns the client's policy.
func (c *Client) Policy() Policy { return c.policy }

// Observer is told of every request a Client sends: the metrics count
// them. Its methods are called on the client's goroutine.
type Observer interface {
	// Request reports one attempt at endpoint and its outcome.
	Request(endpoint string, outcome RequestOutcome)
	// Breaker reports the breaker's state after the attempt and how many
	// times it has opened since the client was made.
	Breaker(state BreakerState, opened int)
}

// RequestOutcome is what became of one request.
type RequestOutcome string

// The outcomes of a request.
const (
	RequestOK      RequestOutcome = "ok"      // answered and accepted, or answered with an error not worth retrying
	RequestRetried RequestOutcome = "retried" // a retryable failure, sent again
	RequestFailed  RequestOutcome = "failed"  // a retryable failure the client gave up on
	RequestRefused RequestOutcome = "refused" // not sent: the breaker was open
)

// Observe makes o the client's observer (nil: none).
func (c *Client) Observe(o Observer) { c.obs = o }

func (c *Client) observe(endpoint string, outcome RequestOutcome) {
	if c.obs == nil {
		return
	}
	c.obs.Request(endpoint, outcome)
	c.obs.Breaker(c.breaker.State(), c.breaker.Opened())
}

// Breaker returns the client's circuit breaker.
func (c *Client) Breaker() *Breaker { return c.breaker }

// Clock returns the client's clock.
func (c *Client) Clock() clock.Clock { return c.clock }

// NewBudget returns the budget of a run starting now.
func (c *Client) NewBudget() *Budget {
	var deadline = c.clock.Now()
	if c.policy.RunDeadline > 0 {
		deadline = deadline.Add(c.policy.RunDeadline)
	} else {
		deadline = deadline.AddDate(1000, 0, 0)
	}
	return NewBudget(c.policy.Budget, deadline)
}

// Get fetches endpoint ("/users") with query q and passes the body to
// accept, retrying, within b, every failure that IsRetryable says is worth
// it, accept's included (a truncated JSON body). It returns accept's result
// for the first body accepted. Every error names the endpoint; it wraps the
// last failure and, when the client gave up early, ErrBudget, ErrDeadline,
// ErrBreakerOpen or ErrRetryAfterTooLong.
func (c *Client) Get(ctx context.Context, b *Budget, endpoint string, q url.Values, accept func([]byte) error) error {
	return c.GetWithHeader(ctx, b, endpoint, q, func(body []byte, _ http.Header) error { return accept(body) })
}

// GetWithHeader is Get passing the response's header to accept too (a
// paginated list says there how long it is).
func (c *Client) GetWithHeader(ctx context.Context, b *Budget, endpoint string, q url.Values, accept func([]byte, http.Header) error) error {
	for attempt := 1; ; attempt++ {
		if err := c.breaker.Allow(); err != nil {
			c.observe(endpoint, RequestRefused)
			return fmt.Errorf("GET %s: %w", endpoint, err)
		}
		b.sent()
		body, header, err := c.once(ctx, endpoint, q)
		if err == nil {
			err = accept(body, header)
		}
		if ctx.Err() != nil {
			// The caller gave up (or the run's context ended): not the
			// server's fault, nothing to record.
			c.breaker.Abandon()
			return fmt.Errorf("GET %s: %w", endpoint, errors.Join(ctx.Err(), err))
		}
		if err == nil {
			c.breaker.Success()
			c.observe(endpoint, RequestOK)
			return nil
		}
		err = fmt.Errorf("GET %s: %w", endpoint, err)
		if !IsRetryable(err) {
			c.breaker.Success() // the server answered
			c.observe(endpoint, RequestOK)
			return err
		}
		c.breaker.Failure()
		wait, giveUp := c.retryWait(b, err, attempt)
		if giveUp != nil {
			c.observe(endpoint, RequestFailed)
			return giveUp
		}
		c.observe(endpoint, RequestRetried)
		c.log.Warn("ingest: retrying", "endpoint", endpoint, "attempt", attempt, "wait", wait, "error", err.Error())
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("GET %s: wait before retry: %w", endpoint, err)
		}
		b.slept(wait)
	}
}

// retryWait returns how long to wait before sending again after the
// retryable failure err of attempt, or why the client gives up instead.
func (c *Client) retryWait(b *Budget, err error, attempt int) (time.Duration, error) {
	if attempt >= c.policy.MaxAttempts {
		return 0, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
	}
	wait := c.backoff(attempt)
	var se *StatusError
	if errors.As(err, &se) && se.HasRetryAfter {
		if se.RetryAfter > c.policy.MaxRetryAfter {
			return 0, fmt.Errorf("%w: %w: server asks for %s, cap %s", err, ErrRetryAfterTooLong, se.RetryAfter, c.policy.MaxRetryAfter)
		}
		wait = max(wait, se.RetryAfter)
	}
	if now := c.clock.Now(); now.Add(wait).After(b.deadline) {
		return 0, fmt.Errorf("%w: %w: next wait %s would end after %s", err, ErrDeadline, wait, b.deadline.Format("2006-01-02T15:04:05.000Z07:00"))
	}
	if !b.take() {
		return 0, fmt.Errorf("%w: %w after %d attempts", err, ErrBudget, attempt)
	}
	return wait, nil
}

func (c *Client) backoff(n int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.policy.backoff(c.rand, n)
}

// once sends one request and reads its body within RequestTimeout. The
// request's context ends when once returns, so a response that never comes
// leaves no goroutine behind: the transport abandons the connection.
func (c *Client) once(ctx context.Context, endpoint string, q url.Values) ([]byte, http.Header, error) {
	reqCtx, cancel := context.WithTimeout(ctx, c.policy.RequestTimeout)
	defer cancel()
	u := c.baseURL + endpoint
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	// Asking for gzip ourselves turns off the transport's transparent
	// decompression, so the size limit below applies after decompression.
	req.Header.Set("Accept-Encoding", "gzip")
	timedOut := func(err error) error {
		if ctx.Err() == nil && errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w after %s: %w", ErrTimeout, c.policy.RequestTimeout, err)
		}
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, timedOut(dialError(req.URL.Host, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		se := &StatusError{Endpoint: endpoint, Code: resp.StatusCode}
		se.RetryAfter, se.HasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
		return nil, nil, se
	}
	var r io.Reader = resp.Body
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, nil, timedOut(truncated(fmt.Errorf("gzip: %w", err)))
		}
		defer zr.Close()
		r = zr
	}
	body, err := io.ReadAll(io.LimitReader(r, c.maxBody+1))
	if err != nil {
		return nil, nil, timedOut(truncated(fmt.Errorf("read body: %w", err)))
	}
	if int64(len(body)) > c.maxBody {
		return nil, nil, fmt.Errorf("%w: more than %d bytes after decompression", ErrTooLarge, c.maxBody)
	}
	return body, resp.Header, nil
}

// truncated marks an unexpected end of body as ErrTruncated.
func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return err
}

// connectError is a request that reached no server, said in a person's
// words ("cannot connect to 127.0.0.1:1: connection refused, nothing
// listens there") instead of the transport's chain; it wraps that error,
// so errors.Is and errors.As (the retry policy's) see it whole.
type connectError struct {
	host, why string
	err       error
}

func (e *connectError) Error() string { return "cannot connect to " + e.host + ": " + e.why }
func (e *connectError) Unwrap() error { return e.err }

// dialError returns err as a connectError when the request failed to
// connect to host, and err itself otherwise.
func dialError(host string, err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return err
	}
	var dns *net.DNSError
	why := op.Err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "connection refused, nothing listens there"
	case errors.As(err, &dns) && dns.IsNotFound:
		why = "no such host"
	case errors.Is(err, os.ErrDeadlineExceeded):
		why = "no answer to the connection"
	}
	return &connectError{host: host, why: why, err: err}
}
