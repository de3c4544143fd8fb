package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

var (
	// ErrMalformed is wrapped when a response, received in full, is not the
	// JSON array of objects that the endpoint serves. It is permanent: the
	// server sent it as complete, and would send it again.
	ErrMalformed = errors.New("malformed response")
	// ErrSchema is wrapped when a response is valid JSON whose objects do
	// not have the shape the endpoint promises (schema drift: a price sent
	// as a string, a missing id). It is permanent.
	ErrSchema = errors.New("schema drift")
	// ErrStatus is wrapped (by *StatusError) when the API answers with a
	// status other than 200.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrTooLarge is wrapped when a response body, after decompression,
	// exceeds the size limit. It is permanent.
	ErrTooLarge = errors.New("response too large")
	// ErrTruncated is wrapped when a body ends before it is complete: the
	// connection closed before Content-Length bytes (or mid-chunk, or
	// mid-gzip-stream). It is retryable.
	ErrTruncated = errors.New("truncated response")
	// ErrTimeout is wrapped when one request (headers and body) takes longer
	// than Policy.RequestTimeout. The request is abandoned; it is retryable.
	ErrTimeout = errors.New("request timed out")

	// ErrBudget is wrapped when a retry is refused because the run has used
	// its whole retry budget (Policy.Budget). It ends the run.
	ErrBudget = errors.New("retry budget exhausted")
	// ErrBreakerOpen is wrapped when the circuit breaker refuses a call after
	// repeated failures. It ends the run; a later run probes again once the
	// breaker's cool-down has passed.
	ErrBreakerOpen = errors.New("circuit breaker open")
	// ErrDeadline is wrapped when the next wait would end after the run's
	// deadline (Policy.RunDeadline, on the injected clock).
	ErrDeadline = errors.New("run deadline exceeded")
	// ErrRetryAfterTooLong is wrapped when the server asks, with
	// Retry-After, for a wait longer than Policy.MaxRetryAfter: the request
	// is not retried early against the server's wish; the run fails and the
	// date is rerun later.
	ErrRetryAfterTooLong = errors.New("Retry-After beyond the cap")
	// ErrOutsideDate is wrapped when a cart list asked for one logical date
	// (startdate, enddate) holds carts dated outside it: the source ignored
	// the filter. It is permanent (the source would answer the same); a
	// source known not to filter is ingested with Ingester.FilterCartsByDate.
	ErrOutsideDate = errors.New("carts outside the logical date")
	// ErrListMoved is wrapped when a paginated list changed length while it
	// was read page by page (X-Total-Count differs between pages): the
	// pages may have skipped or repeated objects, so nothing of it is kept.
	// A rerun reads the list again.
	ErrListMoved = errors.New("list changed while it was paged")
	// ErrNoClient is returned when an Ingester has no Client, Store or
	// Clock.
	ErrNoClient = errors.New("ingester not configured")
)

// StatusError is an HTTP answer other than 200. It wraps ErrStatus.
type StatusError struct {
	Endpoint string // "/carts"
	Code     int
	// RetryAfter is the wait the server asked for (Retry-After, in seconds
	// or as an HTTP date), if it asked (HasRetryAfter).
	RetryAfter    time.Duration
	HasRetryAfter bool
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: status %d %s", ErrStatus, e.Code, http.StatusText(e.Code))
	if e.HasRetryAfter {
		s += fmt.Sprintf(" (Retry-After %s)", e.RetryAfter)
	}
	return s
}

func (e *StatusError) Unwrap() error { return ErrStatus }

// IsRetryable reports whether err is worth another attempt of the same
// request: a 5xx, 429 or 408 answer, a request timeout, a connection refused
// or reset, a truncated body. Everything else is permanent: other 4xx,
// malformed JSON, schema drift, an oversized body, the caller's own
// cancellation, and the client's decisions to stop (ErrBudget,
// ErrBreakerOpen, ErrDeadline, ErrRetryAfterTooLong).
func IsRetryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrBudget), errors.Is(err, ErrBreakerOpen),
		errors.Is(err, ErrDeadline), errors.Is(err, ErrRetryAfterTooLong):
		return false
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrTruncated), errors.Is(err, ErrListMoved):
		return true
	case errors.Is(err, ErrSchema), errors.Is(err, ErrMalformed), errors.Is(err, ErrTooLarge), errors.Is(err, ErrOutsideDate):
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller's context, not the request timeout (ErrTimeout).
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500 || se.Code == http.StatusTooManyRequests || se.Code == http.StatusRequestTimeout
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTemporary || dns.IsTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op)
}
