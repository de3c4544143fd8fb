package kinesislocal

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Limits of the stream management operations.
const (
	maxShardsPerStream   = 10000 // beyond it CreateStream fails with LimitExceededException
	defaultRecordKiB     = 1024
	maxRecordKiB         = 10240
	maxMaxRecordBytes    = maxRecordKiB << 10
	defaultListStreams   = 100
	defaultListShards    = 1000
	defaultDescribeLimit = 100
)

var streamNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

// createStream creates an ACTIVE stream at once (AWS goes through CREATING
// first). Without ShardCount a provisioned stream gets 1 shard; an ON_DEMAND
// stream gets onDemandShards (4) shards and ignores ShardCount. It fails
// with ResourceInUseException if the name is taken.
func (s *Server) createStream(in *createStreamInput) (any, error) {
	if !streamNamePattern.MatchString(in.StreamName) {
		return nil, errValidation("Value '%s' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 128", in.StreamName)
	}
	mode := modeProvisioned
	if in.StreamModeDetails != nil && in.StreamModeDetails.StreamMode != "" {
		mode = in.StreamModeDetails.StreamMode
	}
	shards := 1
	switch mode {
	case modeOnDemand:
		shards = onDemandShards
	case modeProvisioned:
		if in.ShardCount != nil {
			shards = *in.ShardCount
		}
	default:
		return nil, errValidation("Value '%s' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]", mode)
	}
	if shards < 1 {
		return nil, errValidation("Value '%d' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1", shards)
	}
	if shards > maxShardsPerStream {
		return nil, newError(codeLimitExceeded, "This request would exceed the shard limit for the account %s in %s. Current shard count for the account: 0. Limit: %d. Number of additional shards that would have resulted from this request: %d.",
			s.opts.accountID, s.opts.region, maxShardsPerStream, shards)
	}
	recordKiB := defaultRecordKiB
	if in.MaxRecordSizeInKiB != nil {
		recordKiB = *in.MaxRecordSizeInKiB
		if recordKiB < defaultRecordKiB || recordKiB > maxRecordKiB {
			return nil, errValidation("Value '%d' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must have value between %d and %d", recordKiB, defaultRecordKiB, maxRecordKiB)
		}
	}
	if _, ok := s.streams[in.StreamName]; ok {
		return nil, errInUse("Stream %s under account %s already exists.", in.StreamName, s.opts.accountID)
	}
	s.ordinal++
	now := s.now()
	st := newStream(in.StreamName, s.arn(in.StreamName), s.ordinal, mode, shards, recordKiB<<10, s.opts.spillDir, now)
	if err := s.record(st, journalEntry{Op: "create", Time: now.UnixNano(), Name: st.name, Ordinal: st.ordinal, Mode: mode, Shards: shards, MaxRecordBytes: st.maxRecordBytes}); err != nil {
		return nil, err
	}
	s.streams[in.StreamName] = st
	return struct{}{}, nil
}

// deleteStream removes a stream and its records at once (AWS goes through
// DELETING first). Iterators on it then fail with ResourceNotFoundException,
// even if a stream of the same name is created again.
func (s *Server) deleteStream(in *deleteStreamInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	if err := s.tombstone(st, s.now()); err != nil {
		return nil, err
	}
	delete(s.streams, st.name)
	_ = st.closeFiles() // its records are gone: a close error loses nothing
	return struct{}{}, nil
}

// describeStream answers the legacy DescribeStream, which the SDK's
// StreamExists and StreamNotExists waiters call. Shards are paged by Limit
// (default 100) and ExclusiveStartShardId.
func (s *Server) describeStream(in *describeStreamInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	limit, err := checkLimit("limit", in.Limit, defaultDescribeLimit, 1, 10000)
	if err != nil {
		return nil, err
	}
	from := 0
	if in.ExclusiveStartShardId != nil {
		from = shardsAfter(st, *in.ExclusiveStartShardId)
	}
	shards, more, _ := s.pageShards(st, from, limit, nil)
	d := s.describe(st)
	return struct{ StreamDescription streamDescription }{streamDescription{
		StreamName:              d.StreamName,
		StreamARN:               d.StreamARN,
		StreamStatus:            d.StreamStatus,
		StreamModeDetails:       d.StreamModeDetails,
		Shards:                  shards,
		HasMoreShards:           more,
		RetentionPeriodHours:    d.RetentionPeriodHours,
		StreamCreationTimestamp: d.StreamCreationTimestamp,
		EnhancedMonitoring:      d.EnhancedMonitoring,
		EncryptionType:          d.EncryptionType,
	}}, nil
}

// describeStreamSummary reports a stream, always ACTIVE.
func (s *Server) describeStreamSummary(in *describeStreamSummaryInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	return struct{ StreamDescriptionSummary streamDescriptionSummary }{s.describe(st)}, nil
}

func (s *Server) describe(st *stream) streamDescriptionSummary {
	return streamDescriptionSummary{
		StreamName:              st.name,
		StreamARN:               st.arn,
		StreamStatus:            "ACTIVE",
		StreamModeDetails:       streamModeDetails{StreamMode: st.mode},
		RetentionPeriodHours:    int(s.opts.retention.Hours()),
		StreamCreationTimestamp: ts(st.created),
		EnhancedMonitoring:      []enhancedMetrics{{ShardLevelMetrics: []string{}}},
		EncryptionType:          "NONE",
		OpenShardCount:          len(st.open),
		MaxRecordSizeInKiB:      st.maxRecordBytes >> 10,
	}
}

// listStreams lists streams in name order, Limit (default 100) at a time,
// after ExclusiveStartStreamName or where NextToken says.
func (s *Server) listStreams(in *listStreamsInput) (any, error) {
	limit, err := checkLimit("limit", in.Limit, defaultListStreams, 1, 10000)
	if err != nil {
		return nil, err
	}
	after := ""
	switch {
	case in.NextToken != nil && in.ExclusiveStartStreamName != nil:
		return nil, errInvalid("NextToken and ExclusiveStartStreamName cannot be provided together.")
	case in.NextToken != nil:
		var tok pageToken
		if err := tok.decode(*in.NextToken); err != nil {
			return nil, err
		}
		after = tok.After
	case in.ExclusiveStartStreamName != nil:
		after = *in.ExclusiveStartStreamName
	}
	names := make([]string, 0, len(s.streams))
	for name := range s.streams {
		if name > after {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := listStreamsOutput{StreamNames: []string{}, StreamSummaries: []streamSummary{}}
	if len(names) > limit {
		names = names[:limit]
		out.HasMoreStreams = true
		tok := pageToken{After: names[limit-1]}.encode()
		out.NextToken = &tok
	}
	for _, name := range names {
		st := s.streams[name]
		out.StreamNames = append(out.StreamNames, name)
		out.StreamSummaries = append(out.StreamSummaries, streamSummary{
			StreamName:              name,
			StreamARN:               st.arn,
			StreamStatus:            "ACTIVE",
			StreamModeDetails:       streamModeDetails{StreamMode: st.mode},
			StreamCreationTimestamp: ts(st.created),
		})
	}
	return out, nil
}

// listShards lists a stream's shards in index order (parents before their
// children), MaxResults (default and at most 1000) at a time, closed ones
// with their EndingSequenceNumber until retention expires them. A NextToken
// names the stream itself, so it must come without StreamName or StreamARN
// (InvalidArgumentException otherwise). ShardFilter AT_LATEST lists the
// open shards only, AFTER_SHARD_ID those after ShardId, AT_TIMESTAMP those
// open at Timestamp and FROM_TIMESTAMP those open at or after it;
// AT_TRIM_HORIZON and FROM_TRIM_HORIZON list every shard.
func (s *Server) listShards(in *listShardsInput) (any, error) {
	limit, err := checkLimit("maxResults", in.MaxResults, defaultListShards, 1, 10000)
	if err != nil {
		return nil, err
	}
	limit = min(limit, defaultListShards) // AWS returns at most 1000 shards a call
	ref, from := in.streamRef, 0
	if in.NextToken != nil {
		if in.StreamName != nil || in.StreamARN != nil {
			return nil, errInvalid("NextToken and StreamName cannot be provided together.")
		}
		var tok pageToken
		if err := tok.decode(*in.NextToken); err != nil {
			return nil, err
		}
		ref = streamRef{StreamName: &tok.Stream}
		from = tok.Shard
	}
	st, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	if in.ExclusiveStartShardId != nil {
		from = max(from, shardsAfter(st, *in.ExclusiveStartShardId))
	}
	keep, err := shardFilter(st, in.ShardFilter)
	if err != nil {
		return nil, err
	}
	shards, more, next := s.pageShards(st, from, limit, keep)
	out := listShardsOutput{Shards: shards}
	if more {
		tok := pageToken{Stream: st.name, Shard: next}.encode()
		out.NextToken = &tok
	}
	return out, nil
}

// lookup returns the stream ref names. Only the name part of a StreamARN is
// used: its region and account are not checked. It returns
// InvalidArgumentException if ref names no stream or two different ones,
// and ResourceNotFoundException if the stream does not exist.
func (s *Server) lookup(ref streamRef) (*stream, error) {
	var name string
	if ref.StreamARN != nil {
		arn := *ref.StreamARN
		_, n, ok := strings.Cut(arn, ":stream/")
		if !strings.HasPrefix(arn, "arn:") || !ok || n == "" {
			return nil, errValidation("Value '%s' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", arn)
		}
		name = n
		if ref.StreamName != nil && *ref.StreamName != name {
			return nil, errInvalid("StreamARN %s and StreamName %s do not name the same stream.", arn, *ref.StreamName)
		}
	} else if ref.StreamName != nil {
		name = *ref.StreamName
	} else {
		return nil, errInvalid("Either StreamName or StreamARN must be provided.")
	}
	st, ok := s.streams[name]
	if !ok {
		return nil, errNotFound("Stream %s under account %s not found.", name, s.opts.accountID)
	}
	return st, nil
}

// shardsAfter returns the index of the first shard listed after the shard
// called id. An id of no shard of st sorts by its string, as on AWS.
func shardsAfter(st *stream, id string) int {
	for i, sh := range st.shards {
		if sh.id > id {
			return i
		}
	}
	return len(st.shards)
}

// pageShards returns up to limit shards of st from index from on that keep
// accepts (nil: all) and retention has not expired, whether more follow,
// and the index to continue from.
func (s *Server) pageShards(st *stream, from, limit int, keep func(*shard) bool) ([]shardOut, bool, int) {
	now := s.now()
	out := []shardOut{}
	for i := min(from, len(st.shards)); i < len(st.shards); i++ {
		sh := st.shards[i]
		if sh.expired(now, s.opts.retention) || (keep != nil && !keep(sh)) {
			continue
		}
		if len(out) == limit {
			return out, true, i
		}
		out = append(out, describeShard(st, sh))
	}
	return out, false, len(st.shards)
}

// describeShard returns the Shard structure of sh.
func describeShard(st *stream, sh *shard) shardOut {
	o := shardOut{
		ShardId:             sh.id,
		HashKeyRange:        hashKeyRange{StartingHashKey: sh.start.String(), EndingHashKey: sh.end.String()},
		SequenceNumberRange: sequenceNumberRange{StartingSequenceNumber: formatSeq(st, sh, 0)},
	}
	if sh.parent != "" {
		o.ParentShardId = &sh.parent
	}
	if sh.adjacentParent != "" {
		o.AdjacentParentShardId = &sh.adjacentParent
	}
	if sh.closed {
		end := sh.endingSeq(st)
		o.SequenceNumberRange.EndingSequenceNumber = &end
	}
	return o
}

// shardFilter returns the predicate of a ListShards ShardFilter (nil: every
// shard).
func shardFilter(st *stream, f *shardFilterIn) (func(*shard) bool, error) {
	if f == nil {
		return nil, nil
	}
	switch f.Type {
	case "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON":
		return nil, nil
	case "AT_LATEST":
		return func(sh *shard) bool { return !sh.closed }, nil
	case "AFTER_SHARD_ID":
		if f.ShardId == nil {
			return nil, errInvalid("ShardId must be provided for the AFTER_SHARD_ID ShardFilter type.")
		}
		id := *f.ShardId
		return func(sh *shard) bool { return sh.id > id }, nil
	case "AT_TIMESTAMP", "FROM_TIMESTAMP":
		if f.Timestamp == nil {
			return nil, errInvalid("Timestamp must be provided for the %s ShardFilter type.", f.Type)
		}
		t := time.Time(*f.Timestamp)
		at := f.Type == "AT_TIMESTAMP"
		return func(sh *shard) bool {
			openAfter := !sh.closed || sh.closedAt.After(t)
			if at {
				return openAfter && !sh.created.After(t)
			}
			return openAfter
		}, nil
	default:
		return nil, errValidation("Value '%s' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]", f.Type)
	}
}

// checkLimit returns *v, or def if v is nil, and ValidationException if the
// value is outside [lo, hi].
func checkLimit(member string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, errValidation("Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", *v, member, lo, hi)
	}
	return *v, nil
}

// A pageToken is the decoded NextToken of ListStreams and ListShards.
type pageToken struct {
	After  string `json:"a,omitempty"` // ListStreams: last name returned
	Stream string `json:"s,omitempty"` // ListShards: the stream
	Shard  int    `json:"h,omitempty"` // ListShards: next shard index
}

func (t pageToken) encode() string {
	b, _ := json.Marshal(t) // cannot fail: only strings and integers
	return base64.StdEncoding.EncodeToString(b)
}

func (t *pageToken) decode(s string) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, t) != nil {
		return errInvalid("Invalid NextToken.")
	}
	return nil
}
