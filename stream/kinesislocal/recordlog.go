package kinesislocal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"
)

// Record storage. A shard keeps the bodies of its records (partition key,
// data, arrival) in a recordLog: an append-only file, so that the memory of
// the server does not grow with the records it retains. Memory holds only
//
//   - the tail: the encoded records not yet written to the file, at most
//     about flushBytes (plus one record);
//   - a sparse index: one mark (file offset and arrival) every markEvery
//     records, 16 bytes per 256 records, marks of trimmed blocks dropped;
//   - the count of records.
//
// The file is created at the first flush, in the spill directory
// (WithSpillDir, default os.TempDir()), and unlinked right away: nothing is
// left on disk once it is closed, by Server.Close, DeleteStream or, for a
// server nobody closes, the garbage collector's finalizer of *os.File.
// Space of records trimmed by retention is not reclaimed: the file grows
// with every record the shard ever took, and is freed only when closed.
//
// A record is stored as a 16-byte little-endian header, arrival in Unix
// milliseconds (int64), key length (uint32) and data length (uint32),
// followed by the key and the data. Sequence numbers are not stored: they
// are a function of the record's index (formatSeq).
//
// Offsets address one space: [0, size) is the file, [size, size+len(tail))
// the tail. A record is never split between the two.
//
// A recordLog is guarded by Server.mu, as the rest of a shard. After an I/O
// error it keeps failing with that error.
type recordLog struct {
	dir   string   // spill directory; "" for os.TempDir()
	f     *os.File // nil until the first flush
	name  string   // path of f if it could not be unlinked at creation
	size  int64    // bytes written to f
	tail  []byte   // encoded records from offset size on, not yet in f
	n     uint64   // records appended: the index of the next one
	marks []mark   // marks[k] is record (first+k)*markEvery
	first uint64   // block of marks[0]
	err   error    // first I/O error, or errLogClosed
}

// A mark locates the first record of a block of markEvery records.
type mark struct {
	off     int64
	arrival int64 // Unix milliseconds
}

const (
	markEvery   = 256
	headerLen   = 16
	flushBytes  = 256 << 10 // the tail is written out once it reaches this size
	readChunk   = 128 << 10 // bytes read from the file at a time
	maxTailKeep = 2 * flushBytes
)

var errLogClosed = errors.New("record log closed")

// append adds a record with the given arrival (Unix milliseconds). It
// fails if the tail had to be written to the file and could not be.
func (l *recordLog) append(arrival int64, key string, data []byte) error {
	if l.err != nil {
		return l.err
	}
	off := l.size + int64(len(l.tail))
	if l.n%markEvery == 0 {
		l.marks = append(l.marks, mark{off: off, arrival: arrival})
	}
	var h [headerLen]byte
	binary.LittleEndian.PutUint64(h[0:], uint64(arrival))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(key)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(data)))
	l.tail = append(l.tail, h[:]...)
	l.tail = append(l.tail, key...)
	l.tail = append(l.tail, data...)
	l.n++
	if len(l.tail) >= flushBytes {
		return l.flush()
	}
	return nil
}

// flush writes the tail to the file, creating the file first if needed.
func (l *recordLog) flush() error {
	if l.err != nil {
		return l.err
	}
	if len(l.tail) == 0 {
		return nil
	}
	if l.f == nil {
		f, err := os.CreateTemp(l.dir, "kinesislocal-*.records")
		if err != nil {
			return l.fail("create", err)
		}
		l.f = f
		if os.Remove(f.Name()) != nil {
			// Some systems cannot unlink an open file: close removes it.
			l.name = f.Name()
		}
	}
	if _, err := l.f.WriteAt(l.tail, l.size); err != nil {
		return l.fail("write", err)
	}
	l.size += int64(len(l.tail))
	if cap(l.tail) > maxTailKeep {
		l.tail = nil // after a large record, do not keep its room
	} else {
		l.tail = l.tail[:0]
	}
	return nil
}

func (l *recordLog) fail(op string, err error) error {
	l.err = fmt.Errorf("%s kinesis record log: %w", op, err)
	return l.err
}

// close releases the file. The log fails every later call.
func (l *recordLog) close() error {
	var err error
	if l.f != nil {
		err = l.f.Close()
		if l.name != "" {
			err = errors.Join(err, os.Remove(l.name))
		}
	}
	l.f, l.name, l.tail, l.marks = nil, "", nil, nil
	l.err = errLogClosed
	return err
}

// forget drops the marks of the blocks that end before record i: no index
// below i will be asked for again.
func (l *recordLog) forget(i uint64) {
	if k := i/markEvery - l.first; k > 0 && k <= uint64(len(l.marks)) {
		// Reslicing: the next append that outgrows the capacity copies
		// only the live marks, so the dropped ones are freed then.
		l.marks = l.marks[k:]
		l.first += k
	}
}

// search returns the index of the first record at index from or later whose
// arrival is at or after t (Unix milliseconds), with that arrival, or n and
// 0 if there is none. Arrivals never decrease, so it binary-searches the
// marks and scans at most one block. Records of forgotten blocks are not
// considered.
func (l *recordLog) search(from uint64, t int64) (uint64, int64, error) {
	if l.err != nil {
		return 0, 0, l.err
	}
	from = max(from, l.first*markEvery)
	if from >= l.n {
		return l.n, 0, nil
	}
	// The first block after from's whose first record arrived at or after
	// t: the answer is its first record or lies in the block before it.
	lo := int(from/markEvery-l.first) + 1
	j := lo + sort.Search(len(l.marks)-lo, func(k int) bool { return l.marks[lo+k].arrival >= t })
	start := max(from, (l.first+uint64(j)-1)*markEvery)
	end := min((l.first+uint64(j))*markEvery, l.n)
	c, err := l.seek(start, end)
	if err != nil {
		return 0, 0, err
	}
	for ; c.idx < end; c.skip() {
		if err := c.header(); err != nil {
			return 0, 0, err
		}
		if c.arrival >= t {
			return c.idx, c.arrival, nil
		}
	}
	if end < l.n {
		return end, l.marks[j].arrival, nil
	}
	return l.n, 0, nil
}

// arrival returns the arrival (Unix milliseconds) of record i < n.
func (l *recordLog) arrival(i uint64) (int64, error) {
	if l.err != nil {
		return 0, l.err
	}
	c, err := l.seek(i, i+1)
	if err != nil {
		return 0, err
	}
	if err := c.header(); err != nil {
		return 0, err
	}
	return c.arrival, nil
}

// read returns the records from index from (< n) on, at most limit of them
// and, beyond the first, at most maxBytes of data in all. Their seq is
// left empty; key and data are copies, owned by the caller.
func (l *recordLog) read(from uint64, limit, maxBytes int) ([]record, error) {
	if l.err != nil {
		return nil, l.err
	}
	c, err := l.seek(from, l.n)
	if err != nil {
		return nil, err
	}
	out := make([]record, 0, min(uint64(max(limit, 0)), l.n-from, 1024))
	size := 0
	for ; c.idx < l.n && len(out) < limit; c.skip() {
		if err := c.header(); err != nil {
			return nil, err
		}
		if len(out) > 0 && size+c.dlen > maxBytes {
			break
		}
		key, err := c.copy(c.off+headerLen, c.klen)
		if err != nil {
			return nil, err
		}
		data, err := c.copy(c.off+headerLen+int64(c.klen), c.dlen)
		if err != nil {
			return nil, err
		}
		out = append(out, record{key: string(key), data: data, arrival: time.UnixMilli(c.arrival).UTC()})
		size += c.dlen
	}
	return out, nil
}

// A cursor walks the records of a log from one index on, reading the file
// a chunk at a time.
type cursor struct {
	l   *recordLog
	idx uint64 // index of the current record
	off int64  // its offset
	// The current record's header, once header was called.
	arrival    int64
	klen, dlen int
	buf        []byte // bytes of the file from offset bufOff on
	bufOff     int64
	// limit is the offset past which the walk will not need bytes, a
	// bound on what a chunk reads.
	limit int64
}

// seek returns a cursor at record i (< n), which will not be moved to end
// (<= n) or beyond. It starts at the mark of i's block and skips the
// records before i by their headers.
func (l *recordLog) seek(i, end uint64) (*cursor, error) {
	k := i/markEvery - l.first
	if i >= l.n || k >= uint64(len(l.marks)) {
		return nil, fmt.Errorf("kinesis record log: no record %d (%d records, %d forgotten)", i, l.n, l.first*markEvery)
	}
	c := &cursor{l: l, idx: (l.first + k) * markEvery, off: l.marks[k].off, limit: l.size}
	if e := (end+markEvery-1)/markEvery - l.first; e < uint64(len(l.marks)) {
		c.limit = min(c.limit, l.marks[e].off) // the records up to end lie before this mark
	}
	for c.idx < i {
		if err := c.header(); err != nil {
			return nil, err
		}
		c.skip()
	}
	return c, nil
}

// header decodes the header of the current record.
func (c *cursor) header() error {
	h, err := c.bytes(c.off, headerLen)
	if err != nil {
		return err
	}
	c.arrival = int64(binary.LittleEndian.Uint64(h[0:]))
	c.klen = int(binary.LittleEndian.Uint32(h[8:]))
	c.dlen = int(binary.LittleEndian.Uint32(h[12:]))
	return nil
}

// skip moves to the next record; header must have been called.
func (c *cursor) skip() {
	c.off += headerLen + int64(c.klen) + int64(c.dlen)
	c.idx++
}

// bytes returns the n bytes at offset off, valid until the next call.
func (c *cursor) bytes(off int64, n int) ([]byte, error) {
	l := c.l
	if off >= l.size {
		i := off - l.size
		if i+int64(n) > int64(len(l.tail)) {
			return nil, fmt.Errorf("kinesis record log: offset %d beyond the end", off+int64(n))
		}
		return l.tail[i : i+int64(n)], nil
	}
	if off >= c.bufOff && off+int64(n) <= c.bufOff+int64(len(c.buf)) {
		return c.buf[off-c.bufOff : off-c.bufOff+int64(n)], nil
	}
	size := max(int64(n), min(readChunk, c.limit-off))
	size = min(size, l.size-off)
	if size < int64(n) {
		return nil, fmt.Errorf("kinesis record log: record at %d crosses the end of the file", off)
	}
	if int64(cap(c.buf)) < size {
		c.buf = make([]byte, size)
	}
	c.buf = c.buf[:size]
	if _, err := l.f.ReadAt(c.buf, off); err != nil {
		c.buf = c.buf[:0]
		return nil, l.fail("read", err)
	}
	c.bufOff = off
	return c.buf[:n], nil
}

// copy returns a new slice with the n bytes at offset off. Large ones are
// read from the file straight into it.
func (c *cursor) copy(off int64, n int) ([]byte, error) {
	out := make([]byte, n)
	inBuf := off >= c.bufOff && off+int64(n) <= c.bufOff+int64(len(c.buf))
	if n >= readChunk && off < c.l.size && !inBuf {
		if off+int64(n) > c.l.size {
			return nil, fmt.Errorf("kinesis record log: record at %d crosses the end of the file", off)
		}
		if _, err := c.l.f.ReadAt(out, off); err != nil {
			return nil, c.l.fail("read", err)
		}
		return out, nil
	}
	b, err := c.bytes(off, n)
	if err != nil {
		return nil, err
	}
	copy(out, b)
	return out, nil
}
