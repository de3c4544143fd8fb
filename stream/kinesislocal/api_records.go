package kinesislocal

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"time"
	"unicode/utf8"
)

// Limits of the record operations, as on AWS.
const (
	maxPutRecords      = 500
	maxPutRecordsBytes = 5 << 20 // data and partition keys of one PutRecords
	maxPartitionKeyLen = 256     // Unicode characters
	maxGetRecords      = 10000   // also the default Limit of GetRecords
	maxGetRecordsBytes = 10 << 20
)

var seqPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,128})$`)

func errRecordsTooLarge() error {
	return errInvalid("Records size exceeds 5 MB limit")
}

// putRecord writes one record to the shard its hash key falls in and returns
// its shard and sequence number. It fails with ValidationException for data
// larger than the stream's record size (1 MiB by default) or a partition key
// outside 1..256 characters, InvalidArgumentException for an
// ExplicitHashKey beyond 2^128-1, ResourceNotFoundException for an unknown
// stream and ProvisionedThroughputExceededException when the WriteLimiter
// refuses the record. SequenceNumberForOrdering is accepted and needs no
// action: records of a shard are always ordered by arrival.
func (s *Server) putRecord(in *putRecordInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	hk, err := checkRecord(st, "", in.Data, in.PartitionKey, in.ExplicitHashKey)
	if err != nil {
		return nil, err
	}
	var entries []journalEntry
	sh, seq, err := s.write(st, hk, *in.PartitionKey, in.Data, &entries)
	if err != nil {
		return nil, err
	}
	if err := s.record(st, entries...); err != nil {
		return nil, err
	}
	return putRecordOutput{ShardId: sh.id, SequenceNumber: seq, EncryptionType: "NONE"}, nil
}

// putRecords writes up to 500 records, in order. The request as a whole
// fails, writing nothing, with ValidationException if it has no record or
// more than 500 or if one record breaks a limit of putRecord, and with
// InvalidArgumentException if data and partition keys add up to more than
// 5 MiB. Otherwise each record is written or, if the WriteLimiter refuses
// it, reported with ErrorCode ProvisionedThroughputExceededException and
// counted in FailedRecordCount; the results are in the order of the
// request.
func (s *Server) putRecords(in *putRecordsInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	switch n := len(in.Records); {
	case n == 0:
		return nil, errValidation("Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case n > maxPutRecords:
		return nil, errValidation("Value at 'records' failed to satisfy constraint: Member must have length less than or equal to %d", maxPutRecords)
	}
	keys := make([]*big.Int, len(in.Records))
	size := 0
	for i, r := range in.Records {
		hk, err := checkRecord(st, "records.%d.member.", r.Data, r.PartitionKey, r.ExplicitHashKey, i+1)
		if err != nil {
			return nil, err
		}
		keys[i] = hk
		size += len(r.Data) + len(*r.PartitionKey)
	}
	if size > maxPutRecordsBytes {
		return nil, errRecordsTooLarge()
	}
	out := putRecordsOutput{Records: make([]putRecordsResultEntry, len(in.Records)), EncryptionType: "NONE"}
	entries := make([]journalEntry, 0, len(in.Records))
	for i, r := range in.Records {
		sh, seq, err := s.write(st, keys[i], *r.PartitionKey, r.Data, &entries)
		if err != nil {
			if _, refused := errors.AsType[*apiError](err); !refused {
				// An I/O error of a record file: the server has failed,
				// and the request is not acknowledged (nor journaled).
				return nil, err
			}
			e := asAPIError(err)
			out.Records[i] = putRecordsResultEntry{ErrorCode: &e.code, ErrorMessage: &e.message}
			out.FailedRecordCount++
			continue
		}
		out.Records[i] = putRecordsResultEntry{SequenceNumber: &seq, ShardId: &sh.id}
	}
	if err := s.record(st, entries...); err != nil {
		return nil, err
	}
	return out, nil
}

// checkRecord validates one record and returns the hash key that places it:
// the ExplicitHashKey if given, else the MD5 of the partition key. prefix
// and args locate the record in error messages.
func checkRecord(st *stream, prefix string, data []byte, key, explicit *string, args ...any) (*big.Int, error) {
	at := func(member string) string { return fmt.Sprintf(prefix, args...) + member }
	if data == nil {
		return nil, errValidation("Value null at '%s' failed to satisfy constraint: Member must not be null", at("data"))
	}
	if len(data) > st.maxRecordBytes {
		return nil, errValidation("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", at("data"), st.maxRecordBytes)
	}
	if key == nil {
		return nil, errValidation("Value null at '%s' failed to satisfy constraint: Member must not be null", at("partitionKey"))
	}
	if n := utf8.RuneCountInString(*key); n < 1 || n > maxPartitionKeyLen {
		return nil, errValidation("Value '%s' at '%s' failed to satisfy constraint: Member must have length between 1 and %d", *key, at("partitionKey"), maxPartitionKeyLen)
	}
	if explicit != nil {
		return parseExplicitHashKey(*explicit)
	}
	return partitionHashKey(*key), nil
}

// write stores one valid record at the clock's current time in the open
// shard its hash key falls in, unless the WriteLimiter or the shard's write
// quota refuses it, and appends its journal entry to entries. An error that
// is not an *apiError is an I/O error of the shard's record file, which
// fails the server.
func (s *Server) write(st *stream, hk *big.Int, key string, data []byte, entries *[]journalEntry) (*shard, string, error) {
	now := s.now()
	sh := st.shardFor(hk)
	if err := sh.trim(now.Add(-s.opts.retention)); err != nil {
		return nil, "", s.fail(err)
	}
	n := len(data) + len(key)
	if l := s.opts.limiter; l != nil && !l.AllowWrite(st.name, sh.id, now, n) {
		return nil, "", s.errThroughput(st, sh)
	}
	if s.opts.limits.writes() && !sh.quota.allowWrite(s.opts.limits, now, n) {
		return nil, "", s.errThroughput(st, sh)
	}
	if data == nil {
		data = []byte{}
	}
	seq, err := sh.put(st, key, data, now)
	if err != nil {
		return nil, "", s.fail(err)
	}
	*entries = append(*entries, journalEntry{Op: "put", Time: now.UnixNano(), Shard: sh.index, Key: key, Data: data})
	return sh, seq, nil
}

func (s *Server) errThroughput(st *stream, sh *shard) error {
	return newError(codeThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.", sh.id, st.name, s.opts.accountID)
}

// getShardIterator returns an iterator on a shard, positioned by
// ShardIteratorType; see startPosition. It fails with
// ResourceNotFoundException for an unknown stream or shard.
func (s *Server) getShardIterator(in *getShardIteratorInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	if in.ShardId == nil {
		return nil, errValidation("Value null at 'shardId' failed to satisfy constraint: Member must not be null")
	}
	sh := st.shardByID(*in.ShardId)
	if sh == nil || sh.expired(s.now(), s.opts.retention) {
		return nil, errNotFound("Shard %s in stream %s under account %s does not exist", *in.ShardId, st.name, s.opts.accountID)
	}
	now := s.now()
	if err := sh.trim(now.Add(-s.opts.retention)); err != nil {
		return nil, s.fail(err)
	}
	var seq string
	if in.StartingSequenceNumber != nil {
		seq = *in.StartingSequenceNumber
	}
	var at *time.Time
	if in.Timestamp != nil {
		t := time.Time(*in.Timestamp)
		at = &t
	}
	pos, err := startPosition(st, sh, in.ShardIteratorType, seq, at)
	if err != nil {
		if _, invalid := errors.AsType[*apiError](err); !invalid {
			return nil, s.fail(err) // an I/O error of the record file
		}
		return nil, err
	}
	it := iterator{Stream: st.name, Ordinal: st.ordinal, Shard: sh.index, Pos: pos, Issued: now.UnixNano()}
	return getShardIteratorOutput{ShardIterator: it.encode()}, nil
}

// getRecords returns the records from the iterator's position on, at most
// Limit (default and maximum 10000) and 10 MiB of data, with an iterator
// that continues after them. MillisBehindLatest is 0 when no record is left
// to read after this response; otherwise it is the clock's time minus the
// arrival of the last record returned (or of the next one, if none was),
// and at least 1.
// At the end of a closed shard there is no NextShardIterator, and
// ChildShards names the shards to read next.
// It fails with ExpiredIteratorException for an iterator issued more than
// five minutes ago by the clock, InvalidArgumentException for one this
// server did not issue, ResourceNotFoundException if its stream was
// deleted and ProvisionedThroughputExceededException over the shard's read
// quota (WithShardLimits).
func (s *Server) getRecords(in *getRecordsInput) (any, error) {
	it, err := decodeIterator(in.ShardIterator)
	if err != nil {
		return nil, err
	}
	limit, err := checkLimit("limit", in.Limit, maxGetRecords, 1, maxGetRecords)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := it.checkExpiry(now); err != nil {
		return nil, err
	}
	st, ok := s.streams[it.Stream]
	if !ok || st.ordinal != it.Ordinal || it.Shard < 0 || it.Shard >= len(st.shards) {
		return nil, errNotFound("Shard %s in stream %s under account %s does not exist", shardID(it.Shard), it.Stream, s.opts.accountID)
	}
	sh := st.shards[it.Shard]
	if sh.expired(now, s.opts.retention) {
		return nil, errNotFound("Shard %s in stream %s under account %s does not exist", sh.id, it.Stream, s.opts.accountID)
	}
	if s.opts.limits.reads() && !sh.quota.allowRead(s.opts.limits, now) {
		return nil, s.errThroughput(st, sh)
	}
	if err := sh.trim(now.Add(-s.opts.retention)); err != nil {
		return nil, s.fail(err)
	}
	recs, next, err := sh.read(st, it.Pos, limit, maxGetRecordsBytes)
	if err != nil {
		return nil, s.fail(err)
	}
	if s.opts.limits.reads() {
		n := 0
		for _, r := range recs {
			n += len(r.data)
		}
		sh.quota.chargeRead(n)
	}

	out := getRecordsOutput{Records: make([]recordOut, len(recs))}
	for i, r := range recs {
		out.Records[i] = recordOut{SequenceNumber: r.seq, ApproximateArrivalTimestamp: ts(r.arrival), Data: r.data, PartitionKey: r.key}
	}
	if next < sh.next() {
		var last time.Time
		if len(recs) > 0 {
			last = recs[len(recs)-1].arrival
		} else if last, err = sh.arrival(next); err != nil {
			return nil, s.fail(err)
		}
		// At least 1: 0 tells the reader it is caught up (AWS: "there are
		// no new records to process at this moment"), even when the records
		// left arrived within the current millisecond.
		out.MillisBehindLatest = max(1, now.Sub(last).Milliseconds())
	}
	if sh.closed && next >= sh.next() {
		for _, c := range st.children(sh) {
			parents := []string{c.parent}
			if c.adjacentParent != "" {
				parents = append(parents, c.adjacentParent)
			}
			out.ChildShards = append(out.ChildShards, childShard{ShardId: c.id, ParentShards: parents,
				HashKeyRange: hashKeyRange{StartingHashKey: c.start.String(), EndingHashKey: c.end.String()}})
		}
		return out, nil
	}
	nextIt := iterator{Stream: st.name, Ordinal: st.ordinal, Shard: sh.index, Pos: next, Issued: now.UnixNano()}.encode()
	out.NextShardIterator = &nextIt
	return out, nil
}
