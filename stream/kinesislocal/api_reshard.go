package kinesislocal

import (
	"math/big"
	"time"
)

// splitShard closes ShardToSplit and opens two children: the first covers
// its hash keys below NewStartingHashKey, the second the rest. Both have the
// split shard as ParentShardId. It fails with ValidationException for a
// missing member or a key that is not a decimal hash key,
// ResourceNotFoundException for an unknown stream or shard,
// ResourceInUseException for a shard already closed,
// InvalidArgumentException for a key outside (StartingHashKey,
// EndingHashKey] of the shard, and LimitExceededException beyond the shard
// limit of the stream.
func (s *Server) splitShard(in *splitShardInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	if in.ShardToSplit == nil {
		return nil, errValidation("Value null at 'shardToSplit' failed to satisfy constraint: Member must not be null")
	}
	if in.NewStartingHashKey == nil {
		return nil, errValidation("Value null at 'newStartingHashKey' failed to satisfy constraint: Member must not be null")
	}
	sh, err := s.openShard(st, *in.ShardToSplit)
	if err != nil {
		return nil, err
	}
	if !hashKeyPattern.MatchString(*in.NewStartingHashKey) {
		return nil, errValidation("Value '%s' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})", *in.NewStartingHashKey)
	}
	k, _ := new(big.Int).SetString(*in.NewStartingHashKey, 10)
	if k.Cmp(sh.start) <= 0 || k.Cmp(sh.end) > 0 {
		return nil, errInvalid("NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			k, sh.id, st.name, s.opts.accountID, sh.start, sh.end)
	}
	if len(st.open)+1 > maxShardsPerStream {
		return nil, newError(codeLimitExceeded, "This request would exceed the shard limit for the account %s in %s.", s.opts.accountID, s.opts.region)
	}
	now := s.now()
	if err := s.record(st, journalEntry{Op: "split", Time: now.UnixNano(), Shard: sh.index, NewStart: k.String()}); err != nil {
		return nil, err
	}
	st.split(sh, k, now)
	return struct{}{}, nil
}

// mergeShards closes ShardToMerge and AdjacentShardToMerge and opens one
// child over both their hash key ranges, whose ParentShardId is
// ShardToMerge and AdjacentParentShardId AdjacentShardToMerge. It fails
// with ValidationException for a missing member, ResourceNotFoundException
// for an unknown stream or shard, ResourceInUseException for a closed shard
// and InvalidArgumentException for two shards whose ranges do not touch.
func (s *Server) mergeShards(in *mergeShardsInput) (any, error) {
	st, err := s.lookup(in.streamRef)
	if err != nil {
		return nil, err
	}
	if in.ShardToMerge == nil {
		return nil, errValidation("Value null at 'shardToMerge' failed to satisfy constraint: Member must not be null")
	}
	if in.AdjacentShardToMerge == nil {
		return nil, errValidation("Value null at 'adjacentShardToMerge' failed to satisfy constraint: Member must not be null")
	}
	a, err := s.openShard(st, *in.ShardToMerge)
	if err != nil {
		return nil, err
	}
	b, err := s.openShard(st, *in.AdjacentShardToMerge)
	if err != nil {
		return nil, err
	}
	one := big.NewInt(1)
	if a == b || (new(big.Int).Add(a.end, one).Cmp(b.start) != 0 && new(big.Int).Add(b.end, one).Cmp(a.start) != 0) {
		return nil, errInvalid("Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging",
			a.id, b.id, st.name, s.opts.accountID)
	}
	now := s.now()
	if err := s.record(st, journalEntry{Op: "merge", Time: now.UnixNano(), Shard: a.index, Adjacent: b.index}); err != nil {
		return nil, err
	}
	st.merge(a, b, now)
	return struct{}{}, nil
}

// openShard returns the open shard called id.
func (s *Server) openShard(st *stream, id string) (*shard, error) {
	sh := st.shardByID(id)
	if sh == nil || sh.expired(s.now(), s.opts.retention) {
		return nil, errNotFound("Could not find shard %s in stream %s under account %s.", id, st.name, s.opts.accountID)
	}
	if sh.closed {
		return nil, errInUse("Shard %s in stream %s under account %s has already been merged or split, and thus is not eligible for merging or splitting.", id, st.name, s.opts.accountID)
	}
	return sh, nil
}

// split closes sh and opens its two children, split at k.
func (st *stream) split(sh *shard, k *big.Int, now time.Time) {
	sh.closeShard(now)
	st.addShard(new(big.Int).Set(sh.start), new(big.Int).Sub(k, big.NewInt(1)), sh.id, "", now)
	st.addShard(new(big.Int).Set(k), new(big.Int).Set(sh.end), sh.id, "", now)
	st.reopen()
}

// merge closes a and b and opens their child.
func (st *stream) merge(a, b *shard, now time.Time) {
	a.closeShard(now)
	b.closeShard(now)
	start, end := a.start, b.end
	if b.start.Cmp(a.start) < 0 {
		start, end = b.start, a.end
	}
	st.addShard(new(big.Int).Set(start), new(big.Int).Set(end), a.id, b.id, now)
	st.reopen()
}
