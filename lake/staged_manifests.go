package lake

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// StagedEvents holds the staging manifests of the RAW events objects (the
// stream's batches under RawEvents): a manifest's key mirrors its RAW
// object's (StagedKey).
const StagedEvents = StagedPrefix + "events/"

// StagedManifests are the staging manifests read from the lake: the valid
// ones, and the objects under StagedPrefix that are not one.
type StagedManifests struct {
	Valid []ReadStaged
	Bad   []BadStaged
}

// ReadStaged is one valid staging manifest and the object that holds it.
type ReadStaged struct {
	Staged
	Info ObjectInfo
}

// BadStaged is an object under StagedPrefix that is not a valid staging
// manifest: corrupt, not written by shoplake, not a manifest, or not what
// its key says. It stages nothing: the RAW object it would name counts as
// not staged, and the next Load stages it again from RAW.
type BadStaged struct {
	Info   ObjectInfo
	Reason string
	// Err is the read or parse error.
	Err error
}

// ReadStagedManifests reads the staging manifests under prefix, which must
// be StagedPrefix or a prefix inside it (StagedPrefix when empty). An
// object that is not a valid manifest is in Bad, not an error; one deleted
// since the listing is left out. The error is a listing or a read that
// failed for another reason than the object's (the network, the context).
// It reads one object per staged RAW object: its cost is a GET per RAW
// object, not their size.
func ReadStagedManifests(ctx context.Context, r Reader, prefix string) (StagedManifests, error) {
	if prefix == "" {
		prefix = StagedPrefix
	}
	if !strings.HasPrefix(prefix, StagedPrefix) {
		return StagedManifests{}, fmt.Errorf("read staging manifests: %q is not under %s", prefix, StagedPrefix)
	}
	infos, err := r.List(ctx, prefix)
	if err != nil {
		return StagedManifests{}, fmt.Errorf("list staging manifests %s: %w", prefix, err)
	}
	var out StagedManifests
	for _, info := range infos {
		body, err := r.Get(ctx, info.Key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err := out.Add(info, body, err); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Add files one object read under StagedPrefix (its body, or the error of
// its read) in Valid or Bad. A read error that is not the object's (not a
// checksum error) is returned.
func (m *StagedManifests) Add(info ObjectInfo, body []byte, readErr error) error {
	var ce *ChecksumError
	switch {
	case errors.As(readErr, &ce):
		m.Bad = append(m.Bad, BadStaged{Info: info, Reason: ce.Reason(), Err: readErr})
		return nil
	case readErr != nil:
		return fmt.Errorf("read staging manifest %s: %w", info.Key, readErr)
	}
	s, err := ParseStaged(info.Key, body)
	if err != nil {
		m.Bad = append(m.Bad, BadStaged{Info: info, Reason: "not a valid staging manifest: " + withoutKey(err, info.Key), Err: err})
		return nil
	}
	m.Valid = append(m.Valid, ReadStaged{Staged: s, Info: info})
	return nil
}

// Under returns the valid manifests of the RAW objects under rawPrefix
// (RawEvents: the stream's batches).
func (m StagedManifests) Under(rawPrefix string) []ReadStaged {
	var out []ReadStaged
	for _, s := range m.Valid {
		if strings.HasPrefix(s.RawKey, rawPrefix) {
			out = append(out, s)
		}
	}
	return out
}

// StagedCount adds up what the staging manifests of some RAW objects
// record, without reading a Parquet file.
type StagedCount struct {
	// Objects counts the RAW objects staged (valid manifests).
	Objects int `json:"objects"`
	// Rows counts the rows of the staging files by table ("events",
	// "fakestore_users"...); the quarantine files are in Rejected and
	// Repaired, not here.
	Rows map[string]int64 `json:"rows"`
	// Rejected counts the records the transform kept out of every staging
	// table; Repaired those it stored with a value replaced (they are in
	// Rows too). Both are rows of the transform's QUARANTINE files.
	Rejected int64 `json:"rejected"`
	Repaired int64 `json:"repaired"`
}

// Count adds up the valid manifests of the RAW objects under rawPrefix.
func (m StagedManifests) Count(rawPrefix string) StagedCount {
	c := StagedCount{Rows: map[string]int64{}}
	for _, s := range m.Under(rawPrefix) {
		c.Objects++
		c.Rejected += s.Rejected
		c.Repaired += s.Repaired
		for _, f := range s.Files {
			if f.Table != "quarantine" {
				c.Rows[f.Table] += f.Rows
			}
		}
	}
	return c
}
