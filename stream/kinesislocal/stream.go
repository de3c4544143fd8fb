package kinesislocal

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"time"
)

// Stream modes, as in types.StreamMode.
const (
	modeProvisioned = "PROVISIONED"
	modeOnDemand    = "ON_DEMAND"
)

// onDemandShards is the number of shards of a stream created in ON_DEMAND
// mode, the initial capacity AWS gives such a stream (4 MiB/s written).
const onDemandShards = 4

// A stream is one Kinesis data stream. Its fields are guarded by Server.mu.
type stream struct {
	name    string
	arn     string
	ordinal uint64 // server-wide creation number, part of every sequence number
	mode    string
	created time.Time
	// maxRecordBytes bounds the data of one record (MaxRecordSizeInKiB).
	maxRecordBytes int
	// spillDir is where the shards create their record files ("" for
	// os.TempDir()); see recordLog.
	spillDir string
	// shards holds every shard the stream ever had, open or closed, by
	// index: shard i is shardId-<i>. Resharding appends the children.
	shards []*shard
	// open holds the open shards ordered by starting hash key; their
	// ranges are contiguous and cover the whole hash key space.
	open []*shard
}

// A shard holds the records of one hash key range in arrival order. Their
// bodies are in its recordLog, a file; memory holds a sparse index of them.
type shard struct {
	index      int
	id         string
	start, end *big.Int // inclusive hash key range
	// parent and adjacentParent are the shards this one was split or
	// merged from ("" for a shard of CreateStream; adjacentParent only
	// after a merge).
	parent, adjacentParent string
	created                time.Time
	// closed is set by SplitShard and MergeShards: a closed shard takes no
	// more writes; readers reach its end and move on to its children.
	closed   bool
	closedAt time.Time
	// base is the index of the first record retained: records before it
	// were trimmed because they outlived the retention period.
	base uint64
	// baseArrival is the arrival of record base in Unix milliseconds, when
	// there is such a record: trim needs no I/O while it is not due.
	baseArrival int64
	// log holds records 0 to next()-1 (those before base are dead).
	log recordLog
	// quota is the shard's throughput allowance, when limits are enforced.
	quota quota
}

// A record is one data record of a shard, as read from its recordLog.
type record struct {
	seq     string
	key     string
	data    []byte
	arrival time.Time // clk.Now() at the put, truncated to the millisecond
}

func newStream(name, arn string, ordinal uint64, mode string, shards int, maxRecordBytes int, spillDir string, now time.Time) *stream {
	st := &stream{
		name:           name,
		arn:            arn,
		ordinal:        ordinal,
		mode:           mode,
		created:        now,
		maxRecordBytes: maxRecordBytes,
		spillDir:       spillDir,
	}
	starts, ends := splitHashKeySpace(shards)
	for i := range shards {
		st.shards = append(st.shards, &shard{index: i, id: shardID(i), start: starts[i], end: ends[i], created: now, log: recordLog{dir: spillDir}})
	}
	st.reopen()
	return st
}

// reopen rebuilds the list of open shards after a change of the shards.
func (st *stream) reopen() {
	st.open = st.open[:0]
	for _, sh := range st.shards {
		if !sh.closed {
			st.open = append(st.open, sh)
		}
	}
	sort.Slice(st.open, func(i, j int) bool { return st.open[i].start.Cmp(st.open[j].start) < 0 })
}

// addShard appends a new open shard over [start, end] and returns it.
func (st *stream) addShard(start, end *big.Int, parent, adjacent string, now time.Time) *shard {
	i := len(st.shards)
	sh := &shard{index: i, id: shardID(i), start: start, end: end, parent: parent, adjacentParent: adjacent, created: now, log: recordLog{dir: st.spillDir}}
	st.shards = append(st.shards, sh)
	return sh
}

// closeShard closes sh at now: it keeps its records and takes no writes.
func (sh *shard) closeShard(now time.Time) {
	sh.closed = true
	sh.closedAt = now
}

// closeFiles releases the record files of every shard of st, which is
// being deleted or whose server is closing.
func (st *stream) closeFiles() error {
	var errs []error
	for _, sh := range st.shards {
		errs = append(errs, sh.log.close())
	}
	return errors.Join(errs...)
}

// expired reports whether sh is a closed shard whose every record is past
// retention at now: AWS then stops listing it.
func (sh *shard) expired(now time.Time, retention time.Duration) bool {
	return sh.closed && sh.closedAt.Before(now.Add(-retention))
}

// endingSeq is the EndingSequenceNumber of a closed shard: the number its
// next record would have had, greater than that of every record it holds.
func (sh *shard) endingSeq(st *stream) string { return formatSeq(st, sh, sh.next()) }

// children returns the shards made from sh by a split or a merge.
func (st *stream) children(sh *shard) []*shard {
	var out []*shard
	for _, c := range st.shards {
		if c.parent == sh.id || c.adjacentParent == sh.id {
			out = append(out, c)
		}
	}
	return out
}

// shardID returns the id of the shard with index i: shardId-000000000007.
func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// shardFor returns the open shard whose hash key range contains k.
func (st *stream) shardFor(k *big.Int) *shard {
	i := sort.Search(len(st.open), func(i int) bool { return st.open[i].end.Cmp(k) >= 0 })
	return st.open[i]
}

// shardByID returns the shard called id, or nil.
func (st *stream) shardByID(id string) *shard {
	for _, sh := range st.shards {
		if sh.id == id {
			return sh
		}
	}
	return nil
}

// Sequence numbers are 56 decimal digits, so that comparing two of them as
// strings compares them as numbers:
//
//	4 SSSSSSSSS HHHHHHHHHHHH RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR
//	| |         |            record index in the shard, from 0 (34 digits)
//	| |         shard index (12 digits)
//	| stream ordinal: the server's count of CreateStream calls (9 digits)
//	format version, always 4, so that the number never starts with 0
//
// They depend only on the order of the calls, never on the clock, so two
// servers fed the same calls hand out the same numbers. Within a shard they
// increase by one per record; a shard created later (a higher index) has
// greater numbers than every shard before it in the same stream.
const (
	seqLen        = 56
	seqVersion    = '4'
	seqOrdinalLen = 9
	seqShardLen   = 12
	seqIndexLen   = seqLen - 1 - seqOrdinalLen - seqShardLen
)

// formatSeq returns the sequence number of record index i of shard sh in st.
func formatSeq(st *stream, sh *shard, i uint64) string {
	// By hand rather than with fmt: every record read formats its number.
	var b [seqLen]byte
	b[0] = seqVersion
	putDigits(b[1:1+seqOrdinalLen], st.ordinal)
	putDigits(b[1+seqOrdinalLen:1+seqOrdinalLen+seqShardLen], uint64(sh.index))
	putDigits(b[seqLen-seqIndexLen:], i)
	return string(b[:])
}

// putDigits writes v in decimal into all of dst, zero-padded on the left
// (the lowest digits if v has more than len(dst)).
func putDigits(dst []byte, v uint64) {
	for j := len(dst) - 1; j >= 0; j-- {
		dst[j] = byte('0' + v%10)
		v /= 10
	}
}

// parseSeq splits a sequence number made by formatSeq. ok is false if s was
// not made by this server.
func parseSeq(s string) (ordinal uint64, shardIndex int, index uint64, ok bool) {
	if len(s) != seqLen || s[0] != seqVersion {
		return 0, 0, 0, false
	}
	o, err1 := strconv.ParseUint(s[1:1+seqOrdinalLen], 10, 64)
	h, err2 := strconv.ParseUint(s[1+seqOrdinalLen:1+seqOrdinalLen+seqShardLen], 10, 31)
	i, err3 := strconv.ParseUint(s[seqLen-seqIndexLen:], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, false
	}
	return o, int(h), i, true
}

// next returns the index the next record put into the shard will get.
func (sh *shard) next() uint64 { return sh.log.n }

// put appends a record and returns its sequence number. It fails only on
// an I/O error of the record file.
func (sh *shard) put(st *stream, key string, data []byte, now time.Time) (string, error) {
	i := sh.next()
	arrival := now.Truncate(time.Millisecond).UnixMilli()
	if err := sh.log.append(arrival, key, data); err != nil {
		return "", err
	}
	if sh.base == i {
		sh.baseArrival = arrival
	}
	return formatSeq(st, sh, i), nil
}

// trim drops the records that arrived before cutoff. Their room in the
// record file is not reclaimed; only their marks are freed.
func (sh *shard) trim(cutoff time.Time) error {
	if sh.base == sh.next() || sh.baseArrival >= ceilMilli(cutoff) {
		return nil
	}
	i, arrival, err := sh.log.search(sh.base, ceilMilli(cutoff))
	if err != nil {
		return err
	}
	sh.base, sh.baseArrival = i, arrival
	sh.log.forget(i)
	return nil
}

// firstAtOrAfter returns the index of the first retained record that
// arrived at or after t, or next() if there is none.
func (sh *shard) firstAtOrAfter(t time.Time) (uint64, error) {
	i, _, err := sh.log.search(sh.base, ceilMilli(t))
	return i, err
}

// arrival returns the arrival of record i, retained (base <= i < next()).
func (sh *shard) arrival(i uint64) (time.Time, error) {
	ms, err := sh.log.arrival(i)
	return time.UnixMilli(ms).UTC(), err
}

// read returns the records of sh, a shard of st, from index from on, at
// most limit of them and, beyond the first, at most maxBytes of data in
// all. It also returns the index that follows the last record returned.
func (sh *shard) read(st *stream, from uint64, limit, maxBytes int) ([]record, uint64, error) {
	if from < sh.base {
		from = sh.base
	}
	if from >= sh.next() {
		return nil, from, nil
	}
	out, err := sh.log.read(from, limit, maxBytes)
	if err != nil {
		return nil, from, err
	}
	for i := range out {
		out[i].seq = formatSeq(st, sh, from+uint64(i))
	}
	return out, from + uint64(len(out)), nil
}

// ceilMilli returns the first whole Unix millisecond at or after t: a
// record arrived (at a whole millisecond) at or after t if and only if its
// arrival in milliseconds is at least ceilMilli(t).
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}
