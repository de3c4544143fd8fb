package kinesislocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

var recordLogStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// shardModel is the record storage as it was before recordLog: every
// record in memory. The tests hold recordLog to it.
type shardModel struct {
	base    uint64
	records []record // from base on
}

func (m *shardModel) next() uint64 { return m.base + uint64(len(m.records)) }

func (m *shardModel) firstAtOrAfter(t time.Time) uint64 {
	for i, r := range m.records {
		if !r.arrival.Before(t) {
			return m.base + uint64(i)
		}
	}
	return m.next()
}

func (m *shardModel) trim(cutoff time.Time) {
	n := m.firstAtOrAfter(cutoff) - m.base
	m.base += n
	m.records = m.records[n:]
}

func (m *shardModel) read(from uint64, limit, maxBytes int) ([]record, uint64) {
	from = max(from, m.base)
	if from >= m.next() {
		return nil, from
	}
	var out []record
	size := 0
	for _, r := range m.records[from-m.base:] {
		if len(out) == limit || (len(out) > 0 && size+len(r.data) > maxBytes) {
			break
		}
		out = append(out, r)
		size += len(r.data)
	}
	return out, from + uint64(len(out))
}

// clone deep-copies records, to check later that they did not change.
func clone(recs []record) []record {
	out := make([]record, len(recs))
	for i, r := range recs {
		out[i] = r
		out[i].data = bytes.Clone(r.data)
	}
	return out
}

func sameRecords(t *testing.T, what string, got, want []record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.seq != w.seq || g.key != w.key || !bytes.Equal(g.data, w.data) || g.data == nil ||
			!g.arrival.Equal(w.arrival) || g.arrival.Location() != time.UTC {
			t.Fatalf("%s: record %d = {%s %q %d bytes %v}, want {%s %q %d bytes %v}", what, i,
				g.seq, g.key, len(g.data), g.arrival, w.seq, w.key, len(w.data), w.arrival)
		}
	}
}

// newTestShard returns shard 0 of a new stream whose record files go to a
// directory of the test, which must be left empty.
func newTestShard(t *testing.T) (*stream, *shard) {
	dir := t.TempDir()
	st := newStream("s", "arn", 1, modeProvisioned, 1, maxMaxRecordBytes, dir, recordLogStart)
	t.Cleanup(func() {
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("files left in the spill directory: %v", left)
		}
		if err := st.closeFiles(); err != nil {
			t.Error(err)
		}
	})
	return st, st.shards[0]
}

func TestRecordLog_MatchesModel(t *testing.T) {
	st, sh := newTestShard(t)
	m := &shardModel{}
	rng := rand.New(rand.NewPCG(1, 2))
	const total = 5000
	now := recordLogStart
	var arrivals []time.Time // of every record, by index
	check := func(what string) {
		t.Helper()
		if sh.base != m.base || sh.next() != m.next() {
			t.Fatalf("%s: base, next = %d, %d, want %d, %d", what, sh.base, sh.next(), m.base, m.next())
		}
		for range 20 {
			from := m.base + uint64(rng.IntN(int(m.next()-m.base)+6)) - 3
			if from > m.next()+3 { // wrapped below 0
				from = 0
			}
			limit := []int{1, 2, 7, 255, 256, 300, maxGetRecords}[rng.IntN(7)]
			maxBytes := []int{0, 1000, 100 << 10, 1 << 20, 3 << 20, maxGetRecordsBytes}[rng.IntN(6)]
			got, gotNext, err := sh.read(st, from, limit, maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			want, wantNext := m.read(from, limit, maxBytes)
			sameRecords(t, fmt.Sprintf("%s: read(%d, %d, %d)", what, from, limit, maxBytes), got, want)
			if gotNext != wantNext {
				t.Fatalf("%s: read(%d, %d, %d) next = %d, want %d", what, from, limit, maxBytes, gotNext, wantNext)
			}
		}
		for range 20 {
			if len(arrivals) == 0 {
				break
			}
			a := arrivals[rng.IntN(len(arrivals))]
			for _, at := range []time.Time{a, a.Add(-time.Nanosecond), a.Add(time.Nanosecond), a.Add(-time.Millisecond), a.Add(time.Millisecond), recordLogStart.Add(-time.Hour), now.Add(time.Hour)} {
				got, err := sh.firstAtOrAfter(at)
				if err != nil {
					t.Fatal(err)
				}
				if want := m.firstAtOrAfter(at); got != want {
					t.Fatalf("%s: firstAtOrAfter(%v) = %d, want %d", what, at, got, want)
				}
			}
		}
	}
	for i := range total {
		// Equal arrivals over [200, 800) and [3000, 3600), across marks;
		// elsewhere 0 to 2 ms apart. The clock has sub-millisecond
		// precision, which arrivals drop.
		if (i < 200 || i >= 800) && (i < 3000 || i >= 3600) {
			now = now.Add(time.Duration(rng.IntN(3))*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond)
		}
		key := strings.Repeat("k", 1+rng.IntN(256))
		if i%3 == 0 {
			key = fmt.Sprintf("é-%d", i)
		}
		size := rng.IntN(2000)
		switch {
		case i%500 == 7:
			size = 1 << 20
		case i%97 == 0:
			size = 0
		case i%13 == 0:
			size = 100 << 10
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		seq, err := sh.put(st, key, data, now)
		if err != nil {
			t.Fatal(err)
		}
		want := record{seq: formatSeq(st, sh, uint64(i)), key: key, data: bytes.Clone(data), arrival: now.Truncate(time.Millisecond)}
		if seq != want.seq {
			t.Fatalf("put %d: seq %s, want %s", i, seq, want.seq)
		}
		if len(data) > 0 {
			data[0] ^= 0xff // the log has its own copy
		}
		m.records = append(m.records, want)
		arrivals = append(arrivals, want.arrival)
		if i%250 == 0 || i == 255 || i == 256 || i == 257 {
			check(fmt.Sprintf("after put %d", i))
		}
	}
	if sh.log.f == nil || sh.log.size == 0 {
		t.Fatal("no record was written to the file")
	}
	check("after the puts")
	// Trim up to arrivals within the runs of equal ones and elsewhere.
	for _, i := range []int{0, 100, 199, 200, 201, 500, 799, 800, 801, 1500, 2999, 3000, 3300, 3601, 4000, 4999} {
		for _, cutoff := range []time.Time{arrivals[i], arrivals[i].Add(time.Nanosecond)} {
			if err := sh.trim(cutoff); err != nil {
				t.Fatal(err)
			}
			m.trim(cutoff)
			check(fmt.Sprintf("after trim(%v)", cutoff))
		}
	}
	if err := sh.trim(now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	m.trim(now.Add(time.Hour))
	check("after trimming everything")
	if got, want := len(sh.log.marks), 1; got > want {
		t.Fatalf("%d marks kept after trimming everything, want at most %d", got, want)
	}
	// Writes go on after a full trim.
	if _, err := sh.put(st, "k", []byte("later"), now); err != nil {
		t.Fatal(err)
	}
	m.records = append(m.records, record{seq: formatSeq(st, sh, total), key: "k", data: []byte("later"), arrival: now.Truncate(time.Millisecond)})
	check("after a put that follows a full trim")
}

func TestRecordLog_ReadsDoNotAlias(t *testing.T) {
	st, sh := newTestShard(t)
	for i := range 10 {
		if _, err := sh.put(st, "k", fmt.Appendf(nil, "record %d", i), recordLogStart); err != nil {
			t.Fatal(err)
		}
	}
	before, _, err := sh.read(st, 0, 100, maxGetRecordsBytes)
	if err != nil {
		t.Fatal(err)
	}
	if sh.log.size != 0 {
		t.Fatalf("%d bytes written to the file already, want 0: the test reads the tail first", sh.log.size)
	}
	kept := clone(before)
	// Enough to flush the tail, and then to fill it again.
	for i := 10; sh.log.size == 0 || len(sh.log.tail) < 1000; i++ {
		if _, err := sh.put(st, "k", bytes.Repeat([]byte{byte(i)}, 1000), recordLogStart.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	sameRecords(t, "records read before the flush, after later puts", before, kept)
	after, _, err := sh.read(st, 0, 10, maxGetRecordsBytes)
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, "records read after the flush", after, kept)
	last := sh.next() - 1
	fromTail, _, err := sh.read(st, last, 1, maxGetRecordsBytes)
	if err != nil {
		t.Fatal(err)
	}
	kept = clone(fromTail)
	for range 500 {
		if _, err := sh.put(st, "k", bytes.Repeat([]byte{0xee}, 1000), recordLogStart.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	sameRecords(t, "a record read from the tail, after later puts", fromTail, kept)
}

// call runs one operation through the server's handler and returns the
// status and the decoded JSON answer.
func call(t *testing.T, s *Server, op string, in any) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: %v: %s", op, err, w.Body)
	}
	return w.Code, out
}

func mustCall(t *testing.T, s *Server, op string, in any) map[string]any {
	t.Helper()
	code, out := call(t, s, op, in)
	if code != http.StatusOK {
		t.Fatalf("%s: HTTP %d %v", op, code, out)
	}
	return out
}

// putBatch puts 500 records of size bytes into stream s.
func putBatch(t *testing.T, s *Server, size int) {
	t.Helper()
	recs := make([]map[string]any, 500)
	for i := range recs {
		recs[i] = map[string]any{"PartitionKey": fmt.Sprint("key-", i), "Data": make([]byte, size)}
	}
	mustCall(t, s, "PutRecords", map[string]any{"StreamName": "s", "Records": recs})
}

func TestServer_RecordFileErrors(t *testing.T) {
	newServer := func(t *testing.T) (*Server, *shard) {
		s := New(clock.NewSim(recordLogStart), WithSpillDir(t.TempDir()))
		mustCall(t, s, "CreateStream", map[string]any{"StreamName": "s", "ShardCount": 1})
		putBatch(t, s, 1000) // 500 KB: written to the file
		sh := s.streams["s"].shards[0]
		if sh.log.f == nil {
			t.Fatal("no record file")
		}
		return s, sh
	}
	wantFailed := func(t *testing.T, s *Server, op string, in any) {
		t.Helper()
		code, out := call(t, s, op, in)
		if code != http.StatusInternalServerError || out["__type"] != codeInternalFailure {
			t.Fatalf("%s: HTTP %d %v, want 500 %s", op, code, out, codeInternalFailure)
		}
	}
	t.Run("Read", func(t *testing.T) {
		s, sh := newServer(t)
		it := mustCall(t, s, "GetShardIterator", map[string]any{"StreamName": "s", "ShardId": sh.id, "ShardIteratorType": iterTrimHorizon})
		_ = sh.log.f.Close() // every later read fails
		wantFailed(t, s, "GetRecords", map[string]any{"ShardIterator": it["ShardIterator"]})
		wantFailed(t, s, "ListStreams", map[string]any{})
		wantFailed(t, s, "PutRecord", map[string]any{"StreamName": "s", "PartitionKey": "k", "Data": []byte("x")})
	})
	t.Run("Write", func(t *testing.T) {
		s, sh := newServer(t)
		_ = sh.log.f.Close() // the next flush fails
		wantFailed(t, s, "PutRecords", map[string]any{"StreamName": "s", "Records": []map[string]any{
			{"PartitionKey": "k", "Data": make([]byte, 1<<20)},
		}})
		wantFailed(t, s, "DescribeStreamSummary", map[string]any{"StreamName": "s"})
	})
	t.Run("Closed", func(t *testing.T) {
		s, _ := newServer(t)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wantFailed(t, s, "ListStreams", map[string]any{})
	})
	t.Run("DeleteStream", func(t *testing.T) {
		s, sh := newServer(t)
		f := sh.log.f
		mustCall(t, s, "DeleteStream", map[string]any{"StreamName": "s"})
		if err := f.Close(); err == nil {
			t.Fatal("the record file of a deleted stream is still open")
		}
		mustCall(t, s, "ListStreams", map[string]any{})
	})
}

// TestServer_RetainedHeap puts 200,000 records of 250 bytes (50 MB) and
// checks that the live heap grew by far less: the records are in files.
func TestServer_RetainedHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("puts 50 MB")
	}
	const total, size = 200000, 250
	s := New(clock.NewSim(recordLogStart), WithSpillDir(t.TempDir()))
	t.Cleanup(func() { _ = s.Close() })
	mustCall(t, s, "CreateStream", map[string]any{"StreamName": "s", "ShardCount": 4})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range total / 500 {
		putBatch(t, s, size)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	put := int64(total * size)
	t.Logf("live heap grew by %d KiB for %d KiB of records put", grew>>10, put>>10)
	if grew > put/10 {
		t.Fatalf("live heap grew by %d bytes for %d bytes of records put, want < 10%%", grew, put)
	}
	// The records are all there.
	n := uint64(0)
	for _, sh := range s.streams["s"].shards {
		n += sh.next() - sh.base
	}
	if n != total {
		t.Fatalf("%d records retained, want %d", n, total)
	}
}

// BenchmarkShard_Read reads a shard of 100,000 records of 300 bytes, most
// of them in the file, in pages of GetRecords' default limit.
func BenchmarkShard_Read(b *testing.B) {
	dir := b.TempDir()
	st := newStream("s", "arn", 1, modeProvisioned, 1, maxMaxRecordBytes, dir, recordLogStart)
	defer st.closeFiles()
	sh := st.shards[0]
	const total = 100000
	data := make([]byte, 300)
	for range total {
		if _, err := sh.put(st, "session-1234", data, recordLogStart); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(total * 300)
	for b.Loop() {
		for from := uint64(0); from < total; {
			recs, next, err := sh.read(st, from, maxGetRecords, maxGetRecordsBytes)
			if err != nil || len(recs) == 0 {
				b.Fatal(err, len(recs))
			}
			from = next
		}
	}
}

// TestFormatSeq: sequence numbers written by hand are the fixed-width
// decimal form they always had, and parse back.
func TestFormatSeq(t *testing.T) {
	for _, c := range []struct {
		ordinal uint64
		shard   int
		i       uint64
	}{{0, 0, 0}, {1, 3, 42}, {999_999_999, 2_000_000_000, ^uint64(0)}, {12, 7, 1 << 40}} {
		st, sh := &stream{ordinal: c.ordinal}, &shard{index: c.shard}
		want := fmt.Sprintf("%c%0*d%0*d%0*d", seqVersion, seqOrdinalLen, c.ordinal, seqShardLen, c.shard, seqIndexLen, c.i)
		got := formatSeq(st, sh, c.i)
		if got != want {
			t.Errorf("formatSeq(%d, %d, %d) = %s, want %s", c.ordinal, c.shard, c.i, got, want)
		}
		if o, h, i, ok := parseSeq(got); !ok || o != c.ordinal || h != c.shard || i != c.i {
			t.Errorf("parseSeq(%s) = %d %d %d %v", got, o, h, i, ok)
		}
	}
}
