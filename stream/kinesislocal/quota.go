package kinesislocal

import "time"

// ShardLimits are the per-shard throughput quotas the server enforces when
// it is built WithShardLimits. A zero field leaves that dimension
// unlimited. AWSShardLimits returns AWS's provisioned-mode quotas.
type ShardLimits struct {
	WriteRecordsPerSecond int // records written (AWS: 1,000)
	WriteBytesPerSecond   int // data and partition keys written (AWS: 1 MiB)
	ReadCallsPerSecond    int // GetRecords calls (AWS: 5)
	ReadBytesPerSecond    int // data returned by GetRecords (AWS: 2 MiB)
}

// AWSShardLimits returns the quotas of one provisioned shard on AWS:
// 1,000 records and 1 MiB written, 5 GetRecords calls and 2 MiB read, per
// second.
func AWSShardLimits() ShardLimits {
	return ShardLimits{WriteRecordsPerSecond: 1000, WriteBytesPerSecond: 1 << 20, ReadCallsPerSecond: 5, ReadBytesPerSecond: 2 << 20}
}

// WithShardLimits makes every shard enforce l, on the server's clock. A
// record refused for lack of write quota is reported in PutRecords with
// ErrorCode ProvisionedThroughputExceededException (the others of the call
// are written) and fails PutRecord with that exception; a GetRecords call
// over the read quota fails with it and returns nothing.
//
// Each quota is a token bucket that holds at most one second of its rate
// and starts full, so a shard absorbs a one-second burst and then sustains
// exactly the rate. Byte quotas admit a call while the allowance is
// positive and then charge its full size, possibly going below zero: a
// large record or read delays the next ones instead of never fitting, which
// is how AWS treats a 10 MiB GetRecords (the following calls of the next
// seconds are refused).
func WithShardLimits(l ShardLimits) Option { return func(o *options) { o.limits = l } }

// quota is the state of a shard's four buckets.
type quota struct {
	init                             bool
	last                             time.Time
	wRecs, wBytes, rCalls, rBytesBkt float64
}

// refill brings the buckets to now.
func (q *quota) refill(l ShardLimits, now time.Time) {
	if !q.init {
		q.init, q.last = true, now
		q.wRecs, q.wBytes = float64(l.WriteRecordsPerSecond), float64(l.WriteBytesPerSecond)
		q.rCalls, q.rBytesBkt = float64(l.ReadCallsPerSecond), float64(l.ReadBytesPerSecond)
		return
	}
	dt := now.Sub(q.last).Seconds()
	if dt <= 0 {
		return
	}
	q.last = now
	add := func(v *float64, rate int) { *v = min(float64(rate), *v+dt*float64(rate)) }
	add(&q.wRecs, l.WriteRecordsPerSecond)
	add(&q.wBytes, l.WriteBytesPerSecond)
	add(&q.rCalls, l.ReadCallsPerSecond)
	add(&q.rBytesBkt, l.ReadBytesPerSecond)
}

// allowWrite charges one record of n bytes, or reports false and charges
// nothing.
func (q *quota) allowWrite(l ShardLimits, now time.Time, n int) bool {
	q.refill(l, now)
	if (l.WriteRecordsPerSecond > 0 && q.wRecs < 1) || (l.WriteBytesPerSecond > 0 && q.wBytes <= 0) {
		return false
	}
	q.wRecs--
	q.wBytes -= float64(n)
	return true
}

// allowRead charges one GetRecords call, or reports false. The bytes it
// returns are charged afterwards with chargeRead.
func (q *quota) allowRead(l ShardLimits, now time.Time) bool {
	q.refill(l, now)
	if (l.ReadCallsPerSecond > 0 && q.rCalls < 1) || (l.ReadBytesPerSecond > 0 && q.rBytesBkt <= 0) {
		return false
	}
	q.rCalls--
	return true
}

func (q *quota) chargeRead(n int) { q.rBytesBkt -= float64(n) }

func (l ShardLimits) writes() bool { return l.WriteRecordsPerSecond > 0 || l.WriteBytesPerSecond > 0 }
func (l ShardLimits) reads() bool  { return l.ReadCallsPerSecond > 0 || l.ReadBytesPerSecond > 0 }
