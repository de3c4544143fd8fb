package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shoplake/shoplake/lake"
)

// Checkpointer remembers, per shard, the last sequence number whose record
// is durable in RAW. Implementations must make Set visible to a Get that
// follows it, in this process or another.
type Checkpointer interface {
	// Get returns the checkpointed sequence number of shard, or "" if the
	// shard has none.
	Get(ctx context.Context, shardID string) (string, error)
	// Set records seq for shard. Callers must only pass a sequence number
	// whose record is already durable.
	Set(ctx context.Context, shardID, seq string) error
}

// LakeCheckpointer keeps checkpoints as small JSON objects in the lake, at
// checkpoints/<group>/<stream>/<shard>.json.
type LakeCheckpointer struct {
	Store  lake.Store
	Group  string
	Stream string
}

var _ Checkpointer = (*LakeCheckpointer)(nil)

type checkpoint struct {
	SequenceNumber string `json:"sequence_number"`
}

// Get reads the shard's checkpoint.
func (c *LakeCheckpointer) Get(ctx context.Context, shardID string) (string, error) {
	key, err := lake.CheckpointKey(c.Group, c.Stream, shardID)
	if err != nil {
		return "", err
	}
	body, err := c.Store.Get(ctx, key)
	if errors.Is(err, lake.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read checkpoint %s: %w", key, err)
	}
	var cp checkpoint
	if err := json.Unmarshal(body, &cp); err != nil {
		return "", fmt.Errorf("decode checkpoint %s: %w", key, err)
	}
	return cp.SequenceNumber, nil
}

// Set overwrites the shard's checkpoint.
func (c *LakeCheckpointer) Set(ctx context.Context, shardID, seq string) error {
	key, err := lake.CheckpointKey(c.Group, c.Stream, shardID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(checkpoint{SequenceNumber: seq})
	if err != nil {
		return err
	}
	if err := c.Store.Put(ctx, key, body); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", key, err)
	}
	return nil
}

// Reset forgets every checkpoint of the group on this stream, so it reads
// every shard from TRIM_HORIZON again. Call it when the stream was created
// anew: the old sequence numbers belong to a stream that no longer exists.
func (c *LakeCheckpointer) Reset(ctx context.Context) error {
	prefix := lake.CheckpointPrefix + c.Group + "/" + c.Stream + "/"
	infos, err := c.Store.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list checkpoints %s: %w", prefix, err)
	}
	for _, info := range infos {
		shard := strings.TrimSuffix(strings.TrimPrefix(info.Key, prefix), ".json")
		if err := c.Set(ctx, shard, ""); err != nil {
			return err
		}
	}
	return nil
}
