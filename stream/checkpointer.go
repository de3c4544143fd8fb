package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/lake"
)

// Lease is a consumer's hold on one shard's checkpoint: who holds it, until
// when, and the last sequence number whose record is durable in RAW.
type Lease struct {
	ShardID string `json:"shard_id"`
	// Owner names the consumer holding the lease; "" when released.
	Owner string `json:"owner"`
	// Expires is when the lease lapses unless renewed (by the holder's
	// clock); another consumer may then take it.
	Expires time.Time `json:"expires"`
	// SequenceNumber is the checkpoint: every record up to it is durable.
	// "" means none: read from TRIM_HORIZON.
	SequenceNumber string `json:"sequence_number"`
	// ShardEnd says the shard is closed and read to its end: its children
	// may be read.
	ShardEnd bool `json:"shard_end,omitempty"`
	// Version counts the writes of the lease object, so that no two
	// versions have the same body (and ETag).
	Version int64 `json:"version"`

	// Token identifies the version this lease was read or written as (the
	// object's ETag); a Checkpointer writes only over that version.
	Token string `json:"-"`
}

// Checkpointer keeps, per shard, a lease and its checkpoint, so that at
// most one consumer moves a shard's checkpoint and no checkpoint goes
// backwards. Implementations must make every write a compare-and-swap over
// the version the lease was read as.
type Checkpointer interface {
	// Acquire takes the shard's lease for owner, or renews it if owner
	// holds it: it is free (never taken, released) or expired, or owner's.
	// It returns ErrLeaseHeld if another owner's lease has not expired, and
	// ErrLeaseLost if another consumer wrote the lease in between.
	Acquire(ctx context.Context, shardID, owner string) (*Lease, error)
	// Checkpoint moves l's checkpoint to seq (and marks the shard finished
	// if end), renews the lease and updates l. Callers must only pass a
	// sequence number whose record is durable. It returns ErrLeaseLost,
	// writing nothing, if another consumer wrote the lease since l was read:
	// a stale consumer cannot move a checkpoint, backwards or forwards.
	Checkpoint(ctx context.Context, l *Lease, seq string, end bool) error
	// Release gives the lease up, keeping its checkpoint. ErrLeaseLost as
	// for Checkpoint.
	Release(ctx context.Context, l *Lease) error
	// Get returns the shard's lease as last written, whoever holds it (a
	// zero Lease if there is none).
	Get(ctx context.Context, shardID string) (*Lease, error)
}

// LeaseStore is the part of the lake a LakeCheckpointer needs: reads that
// return the version read, and writes conditional on it (lake.S3Store).
type LeaseStore interface {
	// GetWithETag returns the object at key and its ETag, or
	// lake.ErrNotFound.
	GetWithETag(ctx context.Context, key string) ([]byte, string, error)
	// PutIfMatch writes key only over the version etag ("" : only if
	// absent) and returns the new ETag, or lake.ErrChanged (lake.ErrExists).
	PutIfMatch(ctx context.Context, key string, body []byte, etag string) (string, error)
	// Put writes key unconditionally (Reset only).
	Put(ctx context.Context, key string, body []byte) error
	// List returns the objects under prefix.
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
}

var _ LeaseStore = (*lake.S3Store)(nil)

// DefaultLeaseDuration is how long a lease lasts without renewal. Every
// checkpoint renews it.
const DefaultLeaseDuration = time.Minute

// LakeCheckpointer keeps leases as small JSON objects in the lake, at
// checkpoints/<group>/<stream>/<shard>.json, every write conditional on the
// ETag of the version read (If-Match) or on absence (If-None-Match: *).
// Each write carries a new Version, so an old ETag never matches again.
type LakeCheckpointer struct {
	Store  LeaseStore
	Group  string
	Stream string
	// Clock decides expiry.
	Clock clock.Clock
	// LeaseDuration is how long a lease lasts without renewal (default
	// DefaultLeaseDuration).
	LeaseDuration time.Duration
}

var _ Checkpointer = (*LakeCheckpointer)(nil)

func (c *LakeCheckpointer) key(shardID string) (string, error) {
	return lake.CheckpointKey(c.Group, c.Stream, shardID)
}

func (c *LakeCheckpointer) ttl() time.Duration {
	if c.LeaseDuration <= 0 {
		return DefaultLeaseDuration
	}
	return c.LeaseDuration
}

// Get reads the shard's lease.
func (c *LakeCheckpointer) Get(ctx context.Context, shardID string) (*Lease, error) {
	key, err := c.key(shardID)
	if err != nil {
		return nil, err
	}
	body, etag, err := c.Store.GetWithETag(ctx, key)
	if errors.Is(err, lake.ErrNotFound) {
		return &Lease{ShardID: shardID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lease %s: %w", key, err)
	}
	var l Lease
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("decode lease %s: %w", key, err)
	}
	l.ShardID, l.Token = shardID, etag
	return &l, nil
}

// Acquire takes or renews the shard's lease for owner.
func (c *LakeCheckpointer) Acquire(ctx context.Context, shardID, owner string) (*Lease, error) {
	if owner == "" {
		return nil, fmt.Errorf("acquire lease of %s: empty owner", shardID)
	}
	cur, err := c.Get(ctx, shardID)
	if err != nil {
		return nil, err
	}
	now := c.Clock.Now()
	if cur.Owner != "" && cur.Owner != owner && now.Before(cur.Expires) {
		return nil, fmt.Errorf("acquire lease of %s: %w: %s until %s", shardID, ErrLeaseHeld, cur.Owner, cur.Expires.Format(time.RFC3339))
	}
	next := *cur
	next.Owner, next.Expires = owner, now.Add(c.ttl())
	if err := c.write(ctx, cur, &next); err != nil {
		return nil, fmt.Errorf("acquire lease of %s: %w", shardID, err)
	}
	return &next, nil
}

// Checkpoint moves the checkpoint of l's shard to seq.
func (c *LakeCheckpointer) Checkpoint(ctx context.Context, l *Lease, seq string, end bool) error {
	if seqLess(seq, l.SequenceNumber) {
		return fmt.Errorf("checkpoint %s at %s: before the lease's %s", l.ShardID, seq, l.SequenceNumber)
	}
	next := *l
	next.SequenceNumber, next.ShardEnd, next.Expires = seq, end, c.Clock.Now().Add(c.ttl())
	if err := c.write(ctx, l, &next); err != nil {
		return fmt.Errorf("checkpoint %s at %s: %w", l.ShardID, seq, err)
	}
	*l = next
	return nil
}

// Release gives up l, keeping its checkpoint.
func (c *LakeCheckpointer) Release(ctx context.Context, l *Lease) error {
	next := *l
	next.Owner, next.Expires = "", time.Time{}
	if err := c.write(ctx, l, &next); err != nil {
		return fmt.Errorf("release lease of %s: %w", l.ShardID, err)
	}
	*l = next
	return nil
}

// write replaces the version prev was read as with next, and gives next
// the new version's token. A version written by someone else in between
// is ErrLeaseLost.
func (c *LakeCheckpointer) write(ctx context.Context, prev, next *Lease) error {
	key, err := c.key(next.ShardID)
	if err != nil {
		return err
	}
	next.Version = prev.Version + 1
	body, err := json.Marshal(next)
	if err != nil {
		return err
	}
	etag, err := c.Store.PutIfMatch(ctx, key, body, prev.Token)
	if errors.Is(err, lake.ErrChanged) || errors.Is(err, lake.ErrExists) {
		return fmt.Errorf("%w: %s was written by another consumer", ErrLeaseLost, key)
	}
	if err != nil {
		return err
	}
	next.Token = etag
	return nil
}

// Reset forgets every checkpoint and lease of the group on this stream, so
// it reads every shard from TRIM_HORIZON again. Call it when the stream was
// created anew: the old sequence numbers belong to a stream that no longer
// exists. A consumer still holding one of the leases then gets
// ErrLeaseLost at its next checkpoint.
func (c *LakeCheckpointer) Reset(ctx context.Context) error {
	prefix := lake.CheckpointPrefix + c.Group + "/" + c.Stream + "/"
	infos, err := c.Store.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list checkpoints %s: %w", prefix, err)
	}
	for _, info := range infos {
		shard := strings.TrimSuffix(strings.TrimPrefix(info.Key, prefix), ".json")
		cur, err := c.Get(ctx, shard)
		if err != nil {
			return err
		}
		body, err := json.Marshal(Lease{ShardID: shard, Version: cur.Version + 1})
		if err != nil {
			return err
		}
		if err := c.Store.Put(ctx, info.Key, body); err != nil {
			return fmt.Errorf("reset checkpoint %s: %w", info.Key, err)
		}
	}
	return nil
}

// seqLess reports whether sequence number a is before b, comparing them as
// the decimal integers they are (by length, then digits). "" is before
// everything.
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
