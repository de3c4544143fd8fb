package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/rng"
)

// FaultKind names a fault that Faults injects into FakeStore responses.
type FaultKind string

// The fault kinds. The first four replace the response; the others alter
// the response the wrapped handler produced, and only a 200 one.
const (
	// Fault5xx answers Status (500, 502, 503 or 504; default 503) with a JSON
	// error body {"error": "injected fault: 503 Service Unavailable"}.
	Fault5xx FaultKind = "5xx"
	// Fault429 answers 429 with a JSON error body and a Retry-After header:
	// RetryAfter in whole seconds, rounded up (default 1).
	Fault429 FaultKind = "429"
	// FaultReset closes the connection without a response: the server
	// hijacks the connection and closes it with SO_LINGER 0, so the client
	// reads "connection reset by peer" (or EOF). Where the ResponseWriter
	// cannot be hijacked (HTTP/2, an in-memory transport calling ServeHTTP),
	// the handler panics with http.ErrAbortHandler: net/http then aborts the
	// connection or stream, and an in-memory RoundTripper must recover that
	// panic and return it as the round trip's error. Go's http.Transport
	// silently retries a GET that fails this way on a reused keep-alive
	// connection: the retry is a new request, drawn again.
	FaultReset FaultKind = "reset"
	// FaultHang never answers: the handler blocks until the request's
	// context is done (the client times out or cancels, the connection
	// closes, the server closes its connections), then returns without
	// writing. It starts no goroutine. (*Faults).Hanging counts the requests
	// hanging now. httptest.Server.Close waits for them: give clients a
	// timeout, or call CloseClientConnections first.
	FaultHang FaultKind = "hang"
	// FaultSlowBody sends the status, headers and full Content-Length at
	// once, then the body in chunks of ChunkBytes (default 64), flushed one
	// by one, with clock.Sleep(SlowDelay) before every chunk but the first.
	// With a clock.Real this really waits; with a *clock.Sim each Sleep
	// advances the simulated clock that the server and the fault windows
	// read. If the request's context ends, the rest is not sent.
	FaultSlowBody FaultKind = "slow_body"
	// FaultTruncatedBody declares the full Content-Length but writes only
	// the first n bytes of the body, 1 <= n < length, n drawn from the fault
	// rng; the server then closes the connection, and the client's body read
	// fails with io.ErrUnexpectedEOF.
	FaultTruncatedBody FaultKind = "truncated_body"
	// FaultMalformedJSON answers 200 with a Content-Length that matches what
	// is sent, but the body is the JSON cut after n bytes, 1 <= n < length,
	// n drawn from the fault rng: the transfer succeeds, decoding fails.
	FaultMalformedJSON FaultKind = "malformed_json"
	// FaultPriceString writes "price" as a JSON string ("109.95" instead of
	// 109.95) in some products (see FaultRule.Share); everything else is
	// unchanged. Only on routes that serve products.
	FaultPriceString FaultKind = "schema_drift_price_string"
	// FaultMissingField removes the top-level field FaultRule.Field (default
	// "id") from some objects (see FaultRule.Share); the rest stays valid.
	// Only on routes whose objects have that field.
	FaultMissingField FaultKind = "schema_drift_missing_field"
	// FaultDuplicateIDs repeats some objects of a list (see FaultRule.Share),
	// each copy byte-identical and right after its original, as FakeStore's
	// own carts repeat id 6. Only on list routes of objects. X-Total-Count and
	// Link, if present, still count the objects without the copies.
	FaultDuplicateIDs FaultKind = "duplicate_ids"
	// FaultIgnoreDateFilter serves a cart list as if the request had no
	// startdate and enddate: every cart up to now, of every date, as a
	// source that does not implement the filter would. Only on the cart
	// lists; it fires only on requests that carry a date filter.
	FaultIgnoreDateFilter FaultKind = "ignore_date_filter"
)

// FaultKinds returns every FaultKind, in the order they are declared.
func FaultKinds() []FaultKind {
	return []FaultKind{
		Fault5xx, Fault429, FaultReset, FaultHang, FaultSlowBody, FaultTruncatedBody,
		FaultMalformedJSON, FaultPriceString, FaultMissingField, FaultDuplicateIDs,
		FaultIgnoreDateFilter,
	}
}

// FaultRule injects one kind of fault into the requests of one endpoint.
// A rule matches a GET request whose route is Endpoint (or any route, for
// "*") and to which Kind applies, while the server's clock is in
// [From, Until). Among the matching requests it fires with Probability, or
// on every Every-th one, or on all of them if neither is set (a window must
// then be set: a rule that always fires says so with Probability 1).
// Options that do not concern Kind must be left zero.
type FaultRule struct {
	// Endpoint is a route pattern of Routes ("/carts", "/products/{id}")
	// or "*" for every route the kind applies to.
	Endpoint string    `yaml:"endpoint"`
	Kind     FaultKind `yaml:"kind"`

	// Probability in [0, 1] is the chance that a matching request gets the
	// fault, drawn per request from the rule's own random stream.
	Probability float64 `yaml:"probability,omitempty"`
	// Every, if > 0, fires on the Every-th, 2×Every-th, ... matching
	// request. Exclusive with Probability.
	Every int `yaml:"every,omitempty"`
	// From and Until bound the schedule window on the server's clock
	// (From inclusive, Until exclusive); a zero bound is unbounded.
	From  time.Time `yaml:"from,omitempty"`
	Until time.Time `yaml:"until,omitempty"`

	// Status is the 5xx answered (500, 502, 503, 504; 0 means 503).
	Status int `yaml:"status,omitempty"`
	// RetryAfter is the 429's Retry-After, sent in whole seconds rounded
	// up; 0 means 1s.
	RetryAfter time.Duration `yaml:"retry_after,omitempty"`
	// SlowDelay (> 0) is the wait before each chunk of a slow body after
	// the first; ChunkBytes is the chunk size (0 means 64).
	SlowDelay  time.Duration `yaml:"slow_delay,omitempty"`
	ChunkBytes int           `yaml:"chunk_bytes,omitempty"`
	// Field is the top-level field a missing-field drift removes (0 means
	// "id").
	Field string `yaml:"field,omitempty"`
	// Share in [0, 1] is, for the schema drifts and duplicate_ids, the
	// chance of each eligible object of a response to be altered; at least
	// one always is. 0 means exactly one object, drawn uniformly.
	Share float64 `yaml:"share,omitempty"`
}

// FaultCount is what the faults of one kind did to the requests of one
// route.
type FaultCount struct {
	Endpoint string // the route pattern of the requests, never "*"
	Kind     FaultKind
	Requests int // responses that carried the fault
	Objects  int // objects altered, for the schema drifts and duplicate_ids
}

// Faults injects faults into a FakeStore handler by a list of rules, and
// counts what it injected. Build it with NewFaults; a nil *Faults injects
// nothing. It is safe for concurrent use.
//
// Determinism: every rule draws from its own stream, rng.New(seed,
// "sim/faults/<endpoint>/<kind>/<k>") where k counts the earlier rules with
// the same endpoint and kind (usually 0). A probability rule draws one
// number per matching request whether or not another rule fires, so adding
// a rule does not change when the others fire. The choices inside a fault
// (which objects, where to cut) come from the stream
// "sim/faults/<endpoint>/<kind>/<k>/<n>" for the rule's n-th matching
// request, so they do not depend on how concurrent requests interleave. The same rules, seed, clock readings and sequence of requests
// therefore give the same faults and the same bytes. Concurrent requests are
// drawn in the order they reach the Faults.
//
// A request gets at most one fault: the first rule, in the given order, that
// fires. A body-altering fault that finds nothing to alter (a non-200
// response, a list with no eligible object) is not applied and not counted.
type Faults struct {
	seed    uint64
	clk     clock.Clock
	hanging atomic.Int64

	mu       sync.Mutex // guards rules' streams and counters, requests, fired
	rules    []*faultRule
	requests map[string]int
	fired    map[faultKey]*FaultCount
}

type faultKey struct {
	endpoint string
	kind     FaultKind
}

// faultRule is a validated rule with its random stream.
type faultRule struct {
	FaultRule
	name    string // rng stream name
	rnd     *rand.Rand
	matched int // matching requests in the window so far
}

// firing is a fault chosen for one request.
type firing struct {
	rule    *faultRule
	pattern string
	rnd     *rand.Rand // the choices inside the fault
}

// NewFaults validates rules, applies their defaults, and returns the Faults
// that injects them, drawing from seed and reading windows on clk (the
// server's clock). It returns one error, wrapping ErrInvalidConfig, that
// lists every problem of every rule.
func NewFaults(seed uint64, clk clock.Clock, rules []FaultRule) (*Faults, error) {
	var probs []string
	f := &Faults{seed: seed, clk: clk, requests: map[string]int{}, fired: map[faultKey]*FaultCount{}}
	seen := map[string]int{}
	for i, r := range rules {
		r, rp := normalizeRule(r)
		for _, p := range rp {
			probs = append(probs, fmt.Sprintf("fault %d (%s on %q): %s", i, r.Kind, r.Endpoint, p))
		}
		base := fmt.Sprintf("sim/faults/%s/%s", r.Endpoint, r.Kind)
		name := fmt.Sprintf("%s/%d", base, seen[base])
		seen[base]++
		f.rules = append(f.rules, &faultRule{FaultRule: r, name: name, rnd: rng.New(seed, name)})
	}
	if clk == nil {
		probs = append(probs, "a clock is required")
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(probs, "; "))
	}
	return f, nil
}

// normalizeRule applies r's defaults and lists its problems.
func normalizeRule(r FaultRule) (FaultRule, []string) {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	if !slices.Contains(FaultKinds(), r.Kind) {
		bad("unknown kind %q (want one of %s)", r.Kind, joinKinds())
	}
	switch {
	case r.Endpoint == "":
		bad("endpoint is required (a route pattern or \"*\")")
	case r.Endpoint != "*" && !slices.Contains(Routes(), r.Endpoint):
		bad("unknown endpoint (want \"*\" or one of %s)", strings.Join(Routes(), ", "))
	}
	switch {
	case math.IsNaN(r.Probability) || r.Probability < 0 || r.Probability > 1:
		bad("probability %v is outside [0, 1]", r.Probability)
	case r.Every < 0:
		bad("every %d is negative", r.Every)
	case r.Probability > 0 && r.Every > 0:
		bad("probability and every are exclusive")
	case r.Probability == 0 && r.Every == 0 && r.From.IsZero() && r.Until.IsZero():
		bad("never fires: set probability, every, or a from/until window (probability 1 fires always)")
	}
	if !r.From.IsZero() && !r.Until.IsZero() && !r.From.Before(r.Until) {
		bad("window from %s until %s is empty", r.From.UTC().Format(time.RFC3339Nano), r.Until.UTC().Format(time.RFC3339Nano))
	}
	only := func(set bool, option string, kinds ...FaultKind) {
		if set && !slices.Contains(kinds, r.Kind) {
			bad("%s is only for %s", option, joinKinds(kinds...))
		}
	}
	only(r.Status != 0, "status", Fault5xx)
	only(r.RetryAfter != 0, "retry_after", Fault429)
	only(r.SlowDelay != 0, "slow_delay", FaultSlowBody)
	only(r.ChunkBytes != 0, "chunk_bytes", FaultSlowBody)
	only(r.Field != "", "field", FaultMissingField)
	only(r.Share != 0, "share", FaultPriceString, FaultMissingField, FaultDuplicateIDs)
	switch r.Kind {
	case Fault5xx:
		if r.Status == 0 {
			r.Status = http.StatusServiceUnavailable
		}
		if !slices.Contains([]int{500, 502, 503, 504}, r.Status) {
			bad("status %d is not 500, 502, 503 or 504", r.Status)
		}
	case Fault429:
		if r.RetryAfter == 0 {
			r.RetryAfter = time.Second
		}
		if r.RetryAfter < 0 {
			bad("retry_after %s is negative", r.RetryAfter)
		}
	case FaultSlowBody:
		if r.SlowDelay <= 0 {
			bad("slow_delay %s is not positive", r.SlowDelay)
		}
		if r.ChunkBytes == 0 {
			r.ChunkBytes = 64
		}
		if r.ChunkBytes < 0 {
			bad("chunk_bytes %d is negative", r.ChunkBytes)
		}
	case FaultMissingField:
		if r.Field == "" {
			r.Field = "id"
		}
	}
	if math.IsNaN(r.Share) || r.Share < 0 || r.Share > 1 {
		bad("share %v is outside [0, 1]", r.Share)
	}
	if slices.Contains(FaultKinds(), r.Kind) && r.Endpoint != "" {
		switch {
		case r.Endpoint == "*" && !slices.ContainsFunc(Routes(), r.appliesTo):
			bad("applies to no route")
		case r.Endpoint != "*" && slices.Contains(Routes(), r.Endpoint) && !r.appliesTo(r.Endpoint):
			bad("does not apply to %s (%s)", r.Endpoint, notApplicable(r))
		}
	}
	return r, probs
}

func notApplicable(r FaultRule) string {
	switch r.Kind {
	case FaultPriceString:
		return "its objects have no price"
	case FaultMissingField:
		return fmt.Sprintf("its objects have no field %q", r.Field)
	case FaultIgnoreDateFilter:
		return "it is not a cart list"
	}
	return "it does not serve a list of objects"
}

func joinKinds(kinds ...FaultKind) string {
	if len(kinds) == 0 {
		kinds = FaultKinds()
	}
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// routeShape tells what a route serves: a list or one object, and the
// top-level fields of its objects (nil for the categories' strings).
func routeShape(pattern string) (list bool, fields []string) {
	switch pattern {
	case routeProducts, routeCategory:
		return true, productFields
	case routeProduct:
		return false, productFields
	case routeCategories:
		return true, nil
	case routeUsers:
		return true, userFields
	case routeUser:
		return false, userFields
	case routeCarts, routeUserCarts:
		return true, cartFields
	case routeCart:
		return false, cartFields
	}
	return false, nil
}

// appliesTo reports whether r's kind can alter the responses of pattern.
func (r FaultRule) appliesTo(pattern string) bool {
	list, fields := routeShape(pattern)
	switch r.Kind {
	case FaultPriceString:
		return slices.Contains(fields, "price")
	case FaultMissingField:
		return slices.Contains(fields, r.Field)
	case FaultDuplicateIDs:
		return list && slices.Contains(fields, "id")
	case FaultIgnoreDateFilter:
		return pattern == routeCarts || pattern == routeUserCarts
	}
	return true
}

// Rules returns the rules with their defaults applied, for logging.
func (f *Faults) Rules() []FaultRule {
	if f == nil {
		return nil
	}
	out := make([]FaultRule, len(f.rules))
	for i, r := range f.rules {
		out[i] = r.FaultRule
	}
	return out
}

// Counts returns, per kind, the number of responses that carried a fault of
// that kind so far. Kinds that never fired are absent.
func (f *Faults) Counts() map[FaultKind]int {
	out := map[FaultKind]int{}
	for _, c := range f.Fired() {
		out[c.Kind] += c.Requests
	}
	return out
}

// Fired returns what the faults did so far, per route pattern and kind,
// sorted by endpoint then kind; only the pairs that fired are listed.
func (f *Faults) Fired() []FaultCount {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FaultCount, 0, len(f.fired))
	for _, c := range f.fired {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b FaultCount) int {
		if c := strings.Compare(a.Endpoint, b.Endpoint); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	return out
}

// Requests returns the number of GET requests seen so far per route
// pattern, faulted or not: the denominators of Fired.
func (f *Faults) Requests() map[string]int {
	out := map[string]int{}
	if f == nil {
		return out
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range f.requests {
		out[k] = v
	}
	return out
}

// Hanging returns the number of requests a hang fault is holding now.
func (f *Faults) Hanging() int {
	if f == nil {
		return 0
	}
	return int(f.hanging.Load())
}

// Wrap returns h with the faults injected into its GET requests on the
// routes of Routes(); other requests pass through untouched. h is expected to
// answer FakeStore's routes (NewServer, or a proxy to a real FakeStore): the
// body-altering faults buffer its response and parse it as JSON. A nil
// *Faults returns h itself.
func (f *Faults) Wrap(h http.Handler) http.Handler {
	if f == nil {
		return h
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			h.ServeHTTP(rw, r)
			return
		}
		rt, ok := matchRoute(r.URL)
		if !ok {
			h.ServeHTTP(rw, r)
			return
		}
		fr := f.draw(rt.pattern)
		if fr == nil {
			h.ServeHTTP(rw, r)
			return
		}
		f.inject(rw, r, h, fr)
	})
}

// draw counts a request on pattern and chooses its fault, if any.
func (f *Faults) draw(pattern string) *firing {
	now := f.clk.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[pattern]++
	var chosen *firing
	for _, r := range f.rules {
		if r.Endpoint != "*" && r.Endpoint != pattern || !r.appliesTo(pattern) {
			continue
		}
		if !r.From.IsZero() && now.Before(r.From) || !r.Until.IsZero() && !now.Before(r.Until) {
			continue
		}
		r.matched++
		var fire bool
		switch {
		case r.Probability > 0:
			fire = r.rnd.Float64() < r.Probability
		case r.Every > 0:
			fire = r.matched%r.Every == 0
		default:
			fire = true
		}
		if fire && chosen == nil {
			chosen = &firing{rule: r, pattern: pattern, rnd: rng.New(f.seed, fmt.Sprintf("%s/%d", r.name, r.matched))}
		}
	}
	return chosen
}

// record counts an applied fault.
func (f *Faults) record(fr *firing, objects int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := faultKey{fr.pattern, fr.rule.Kind}
	c := f.fired[k]
	if c == nil {
		c = &FaultCount{Endpoint: fr.pattern, Kind: fr.rule.Kind}
		f.fired[k] = c
	}
	c.Requests++
	c.Objects += objects
}

// inject answers r with the fault fr, calling h if the fault alters h's
// response.
func (f *Faults) inject(rw http.ResponseWriter, r *http.Request, h http.Handler, fr *firing) {
	rule := fr.rule
	switch rule.Kind {
	case Fault5xx:
		f.record(fr, 0)
		writeError(rw, rule.Status, fmt.Sprintf("injected fault: %d %s", rule.Status, http.StatusText(rule.Status)))
		return
	case Fault429:
		f.record(fr, 0)
		secs := (rule.RetryAfter + time.Second - 1) / time.Second
		rw.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
		writeError(rw, http.StatusTooManyRequests, "injected fault: 429 Too Many Requests")
		return
	case FaultReset:
		f.record(fr, 0)
		reset(rw)
		return
	case FaultHang:
		f.record(fr, 0)
		f.hanging.Add(1)
		defer f.hanging.Add(-1)
		<-r.Context().Done()
		return
	case FaultIgnoreDateFilter:
		q := r.URL.Query()
		if !q.Has("startdate") && !q.Has("enddate") {
			h.ServeHTTP(rw, r)
			return
		}
		f.record(fr, 0)
		q.Del("startdate")
		q.Del("enddate")
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		h.ServeHTTP(rw, r2)
		return
	}

	buf := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(buf, r)
	body := buf.body.Bytes()
	if buf.status != http.StatusOK || len(body) < 2 {
		buf.writeTo(rw, body)
		return
	}
	switch rule.Kind {
	case FaultSlowBody:
		f.record(fr, 0)
		buf.writeHeader(rw, len(body))
		rc := http.NewResponseController(rw)
		for off := 0; off < len(body); off += rule.ChunkBytes {
			if off > 0 {
				if err := f.clk.Sleep(r.Context(), rule.SlowDelay); err != nil {
					return
				}
			}
			if _, err := rw.Write(body[off:min(off+rule.ChunkBytes, len(body))]); err != nil {
				return
			}
			_ = rc.Flush()
		}
	case FaultTruncatedBody:
		f.record(fr, 0)
		buf.writeHeader(rw, len(body))
		_, _ = rw.Write(body[:1+fr.rnd.IntN(len(body)-1)])
		_ = http.NewResponseController(rw).Flush()
		// Returning with fewer bytes than Content-Length makes net/http
		// close the connection.
	case FaultMalformedJSON:
		f.record(fr, 0)
		buf.writeTo(rw, body[:1+fr.rnd.IntN(len(body)-1)])
	default: // the schema drifts and duplicate_ids
		altered, n := alterJSON(body, rule.FaultRule, fr.rnd)
		if n == 0 {
			buf.writeTo(rw, body)
			return
		}
		f.record(fr, n)
		buf.writeTo(rw, altered)
	}
}

// reset closes the connection under rw without a response.
func reset(rw http.ResponseWriter) {
	conn, _, err := http.NewResponseController(rw).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	c := conn
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok { // *tls.Conn
		c = nc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST rather than FIN
	}
	_ = conn.Close()
}

// bufferedResponse holds a wrapped handler's response for a fault to alter.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if !b.wroteHeader {
		b.status, b.wroteHeader = status, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// writeHeader sends the buffered status and headers to rw with
// Content-Length set to n.
func (b *bufferedResponse) writeHeader(rw http.ResponseWriter, n int) {
	for k, v := range b.header {
		rw.Header()[k] = v
	}
	rw.Header().Set("Content-Length", strconv.Itoa(n))
	rw.WriteHeader(b.status)
}

// writeTo sends the buffered status and headers with body.
func (b *bufferedResponse) writeTo(rw http.ResponseWriter, body []byte) {
	b.writeHeader(rw, len(body))
	_, _ = rw.Write(body)
}

// jsonField is one member of a JSON object, its value kept as raw bytes.
type jsonField struct {
	key string
	val json.RawMessage
}

// parseObject splits a JSON object into its members, in order; false if raw
// is not an object.
func parseObject(raw json.RawMessage) ([]jsonField, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []jsonField
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, jsonField{key: key, val: v})
	}
	return out, true
}

func encodeObject(fields []jsonField) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// alterJSON applies a schema drift or duplicate_ids rule to a JSON body (a
// list of objects, or one object). It returns the new body and the number
// of objects altered; 0 if none was eligible (the body is then unusable).
// Members and objects it does not touch keep their bytes.
func alterJSON(body []byte, r FaultRule, rnd *rand.Rand) ([]byte, int) {
	trimmed := bytes.TrimSpace(body)
	list := len(trimmed) > 0 && trimmed[0] == '['
	var items []json.RawMessage
	if list {
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, 0
		}
	} else {
		if r.Kind == FaultDuplicateIDs {
			return nil, 0
		}
		items = []json.RawMessage{trimmed}
	}
	objects := make([][]jsonField, len(items))
	var eligible []int
	for i, it := range items {
		fields, ok := parseObject(it)
		if !ok {
			continue
		}
		objects[i] = fields
		j := slices.IndexFunc(fields, func(f jsonField) bool {
			switch r.Kind {
			case FaultPriceString:
				return f.key == "price" && isJSONNumber(f.val)
			case FaultMissingField:
				return f.key == r.Field
			}
			return f.key == "id"
		})
		if j >= 0 {
			eligible = append(eligible, i)
		}
	}
	if len(eligible) == 0 {
		return nil, 0
	}
	chosen := map[int]bool{}
	if r.Share > 0 {
		for _, i := range eligible {
			if rnd.Float64() < r.Share {
				chosen[i] = true
			}
		}
	}
	if len(chosen) == 0 {
		chosen[eligible[rnd.IntN(len(eligible))]] = true
	}
	out := make([]json.RawMessage, 0, len(items)+len(chosen))
	for i, it := range items {
		if !chosen[i] {
			out = append(out, it)
			continue
		}
		switch r.Kind {
		case FaultPriceString:
			fields := slices.Clone(objects[i])
			for j := range fields {
				if fields[j].key == "price" {
					s, _ := json.Marshal(string(bytes.TrimSpace(fields[j].val)))
					fields[j].val = s
				}
			}
			out = append(out, encodeObject(fields))
		case FaultMissingField:
			out = append(out, encodeObject(slices.DeleteFunc(slices.Clone(objects[i]), func(f jsonField) bool { return f.key == r.Field })))
		case FaultDuplicateIDs:
			out = append(out, it, it)
		}
	}
	if !list {
		return out[0], len(chosen)
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range out {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	return b.Bytes(), len(chosen)
}

// isJSONNumber reports whether raw is a JSON number.
func isJSONNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}
