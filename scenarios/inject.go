package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// s3Journal watches the requests the S3 endpoint accepts: which keys of
// the write-once zones (writeOnceZones) were written, how many times, and
// whether any was deleted. It sits next to the server, so it sees only
// what the server processed: a conditional put the server refused (412
// Precondition Failed: the key is written already, as when a derived
// object is derived again with the same bytes) is not a write.
type s3Journal struct {
	prefix string // the lake's key prefix inside the bucket

	mu      sync.Mutex
	puts    map[string]int // write-once key -> successful writes
	deletes []string       // write-once keys deleted
}

func newS3Journal(prefix string) *s3Journal {
	return &s3Journal{prefix: strings.Trim(prefix, "/"), puts: map[string]int{}}
}

// writeOnceZones are the prefixes whose keys are written once and never
// deleted, with the zone's name for a person: RAW, and what is derived
// from it under keys of its own, with conditional puts (STAGING and its
// manifests, the transform's QUARANTINE, CURATED and its export
// manifests). The stream's QUARANTINE and the checkpoints are not.
var writeOnceZones = []struct{ prefix, name, count string }{
	{lake.RawPrefix, "RAW", "raw_keys_written"},
	{lake.StagingPrefix, "STAGING", "staging_keys_written"},
	{lake.QuarantineTransform, "transform QUARANTINE", "quarantine_transform_keys_written"},
	{lake.CuratedPrefix, "CURATED", "curated_keys_written"},
}

// writeOnceZone returns the index in writeOnceZones of key's zone; ok is
// false when key is in none.
func writeOnceZone(key string) (int, bool) {
	for i, z := range writeOnceZones {
		if strings.HasPrefix(key, z.prefix) {
			return i, true
		}
	}
	return 0, false
}

// writeOnceKey returns the lake key of a path-style S3 request if it is in
// a write-once zone.
func (j *s3Journal) writeOnceKey(r *http.Request) (string, bool) {
	key, ok := lakeKey(r, j.prefix, "")
	if !ok {
		return "", false
	}
	_, ok = writeOnceZone(key)
	return key, ok
}

// lakeKey returns the lake key of a path-style S3 request (/bucket/key)
// if it starts with zone.
func lakeKey(r *http.Request, prefix, zone string) (string, bool) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	_, key, ok := strings.Cut(p, "/")
	if !ok {
		return "", false
	}
	if prefix != "" {
		if key, ok = strings.CutPrefix(key, prefix+"/"); !ok {
			return "", false
		}
	}
	return key, strings.HasPrefix(key, zone)
}

func (j *s3Journal) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, watched := j.writeOnceKey(r)
		if !watched || (r.Method != http.MethodPut && r.Method != http.MethodDelete) || r.URL.Query().Has("uploadId") {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.status/100 != 2 {
			return
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		if r.Method == http.MethodPut {
			j.puts[key]++
		} else {
			j.deletes = append(j.deletes, key)
		}
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// checkpointJournal records every checkpoint a consumer moved, and whether
// one ever went backwards.
type checkpointJournal struct {
	mu        sync.Mutex
	last      map[string]string // shard -> last checkpointed sequence number
	moves     int
	backwards []string
}

func (j *checkpointJournal) wrap(c stream.Checkpointer) stream.Checkpointer {
	return &journaledCheckpointer{Checkpointer: c, j: j}
}

type journaledCheckpointer struct {
	stream.Checkpointer
	j *checkpointJournal
}

func (c *journaledCheckpointer) Checkpoint(ctx context.Context, l *stream.Lease, seq string, end bool) error {
	shard := l.ShardID
	if err := c.Checkpointer.Checkpoint(ctx, l, seq, end); err != nil {
		return err
	}
	c.j.mu.Lock()
	defer c.j.mu.Unlock()
	c.j.moves++
	if prev, ok := c.j.last[shard]; ok && seqLess(seq, prev) {
		c.j.backwards = append(c.j.backwards, fmt.Sprintf("%s: %s after %s", shard, seq, prev))
	}
	c.j.last[shard] = seq
	return nil
}

// seqLess compares Kinesis sequence numbers (decimal strings).
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// inHour reports whether the clock now falls in the window [from, until)
// as the stream sees it: the records of the hour [H, H+1h) are put and
// drained with the clock at H+1h, so a window from H covers the clock
// readings (from, until].
func inHour(now, from, until time.Time) bool {
	return now.After(from) && !now.After(until)
}

// crashes makes the consumer die between a RAW write and its checkpoint:
// on every every-th checkpoint in [from, until), at most left times, the
// checkpoint is not written and errCrash returned.
type crashes struct {
	x           *run
	kind        Kind
	every, left int
	from, until time.Time

	mu    sync.Mutex
	calls int
}

func (c *crashes) wrap(cp stream.Checkpointer) stream.Checkpointer {
	return &crashingCheckpointer{Checkpointer: cp, c: c}
}

type crashingCheckpointer struct {
	stream.Checkpointer
	c *crashes
}

func (cc *crashingCheckpointer) Checkpoint(ctx context.Context, l *stream.Lease, seq string, end bool) error {
	c := cc.c
	if now := c.x.clock.Now(); c.x.active() && inHour(now, c.from, c.until) {
		c.mu.Lock()
		c.calls++
		crash := c.left > 0 && c.calls%c.every == 0
		if crash {
			c.left--
		}
		c.mu.Unlock()
		if crash {
			c.x.fire(c.kind, 1)
			return errCrash
		}
	}
	return cc.Checkpointer.Checkpoint(ctx, l, seq, end)
}

// lostAnswers loses the answer of some PutRecords calls that the stream
// carried out, replacing it by a 500 InternalFailure: the producer retries
// records the stream already holds.
type lostAnswers struct {
	x           *run
	kind        Kind
	rate        float64
	from, until time.Time

	mu  sync.Mutex
	rnd *rand.Rand
}

func (l *lostAnswers) draw() bool {
	now := l.x.clock.Now()
	if !l.x.active() || !inHour(now, l.from, l.until) {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rnd.Float64() < l.rate
}

func (l *lostAnswers) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "Kinesis_20131202.PutRecords" || !l.draw() {
			h.ServeHTTP(w, r)
			return
		}
		rec := &bufferWriter{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.status != http.StatusOK {
			rec.copyTo(w)
			return
		}
		l.x.fire(l.kind, 1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"__type":"InternalFailure","message":"injected fault: the records were written, the answer was lost"}`)
	})
}

// bufferWriter holds a response to decide what to send.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) WriteHeader(code int)        { b.status = code }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

func (b *bufferWriter) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// tears damages the bodies of some RAW writes on their way to the S3
// endpoint, as a broken connection or a bad NIC would: cut short (torn) or
// with bytes altered. The endpoint checks the Content-MD5 the client sent
// and must refuse them.
type tears struct {
	x           *run
	kind        Kind
	torn        bool
	rate        float64
	from, until time.Time
	prefix      string

	mu   sync.Mutex
	left int
	rnd  *rand.Rand
}

func (t *tears) draw() bool {
	now := t.x.clock.Now()
	if !t.x.active() || !inHour(now, t.from, t.until) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.left == 0 || t.rnd.Float64() >= t.rate {
		return false
	}
	t.left--
	return true
}

func (t *tears) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, raw := lakeKey(r, strings.Trim(t.prefix, "/"), lake.RawPrefix)
		if r.Method != http.MethodPut || !raw || r.Header.Get("X-Amz-Copy-Source") != "" || !t.draw() {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || len(body) < 2 {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		t.x.fire(t.kind, 1)
		if t.torn {
			// The connection drops halfway: the server reads what came.
			r.Body = io.NopCloser(bytes.NewReader(body[:len(body)/2]))
		} else {
			damaged := bytes.Clone(body)
			damaged[len(damaged)/2] ^= 0x20
			r.Body = io.NopCloser(bytes.NewReader(damaged))
		}
		h.ServeHTTP(w, r)
	})
}

// deliveryLog keeps what the accounting needs of every record the fleet
// sent.
type deliveryLog struct {
	mu       sync.Mutex
	records  int
	skew     map[string]time.Duration // source event id -> clock skew of its first send (ahead > 0, behind < 0)
	replaced map[string]bool          // source events a malformed record replaced
	// sent holds the source events a valid record of which has been
	// sent: what CORE may hold at a build (see run.compareBuild).
	sent      map[string]bool
	malformed map[sim.MalformedKind]int
	// replaces: malformed records take their event's place
	// (AnomalyConfig.MalformedReplaces) instead of coming in addition.
	replaces bool
	// restamp: source events also sent in a conflicting version, with how
	// far its event_time was moved (sim.Delivery.Restamp).
	restamp map[string]time.Duration
}

func newDeliveryLog() *deliveryLog {
	return &deliveryLog{skew: map[string]time.Duration{}, restamp: map[string]time.Duration{}, replaced: map[string]bool{}, sent: map[string]bool{}, malformed: map[sim.MalformedKind]int{}}
}

func (l *deliveryLog) add(d sim.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records++
	if d.Malformed != "" {
		l.malformed[d.Malformed]++
		if l.replaces {
			l.replaced[d.SourceEventID] = true
		}
		return
	}
	l.sent[d.SourceEventID] = true
	if d.Anomalies.Has(sim.AnomalyConflict) {
		l.restamp[d.SourceEventID] = d.Restamp
		return
	}
	if d.Skew != 0 && d.Copy == 0 {
		l.skew[d.SourceEventID] = d.Skew
	}
}
