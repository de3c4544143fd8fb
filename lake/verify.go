package lake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// VerifyOptions say what Verify reads and compares.
type VerifyOptions struct {
	// Prefix is the part of the lake to read; RawPrefix when empty.
	Prefix string
	// Loaded maps each key a warehouse loaded to the SHA-256 it recorded
	// at load (meta.loaded_objects). Nil: the lake alone is verified, and
	// nothing can be found missing.
	Loaded map[string]string
	// Progress, if set, is called after each object read with how many have
	// been read and how many were listed, from one goroutine at a time.
	Progress func(done, total int)
	// Workers is how many objects are read at once; 4 when 0.
	Workers int
}

// Finding is one object that is not what it should be.
type Finding struct {
	Key  string `json:"key"`
	Zone string `json:"zone"`
	// Reason says what is wrong in plain words.
	Reason string `json:"reason"`
	Size   int64  `json:"size_bytes"`
	// SHA256 is the body's, as read ("" for a missing object); Recorded the
	// one recorded at write ("" if none); Loaded the one the warehouse
	// recorded at load ("" if it did not load the object).
	SHA256   string `json:"sha256,omitempty"`
	Recorded string `json:"recorded_sha256,omitempty"`
	Loaded   string `json:"loaded_sha256,omitempty"`
}

// ZoneCount counts the objects of one zone (the key's segments before its
// first dt= partition: raw/events, raw/fakestore/users, raw/_commits/fakestore).
type ZoneCount struct {
	Zone    string `json:"zone"`
	Objects int    `json:"objects"` // listed and read
	Bytes   int64  `json:"bytes"`
	OK      int    `json:"ok"`
	Corrupt int    `json:"corrupt"`
	Foreign int    `json:"foreign"`
	Missing int    `json:"missing"` // loaded by the warehouse or named by a commit, not listed
}

// Report is what Verify found. Findings are sorted by key.
type Report struct {
	Prefix string `json:"prefix"`
	// WarehouseChecked says whether the warehouse's load ledger was
	// compared (VerifyOptions.Loaded was given).
	WarehouseChecked bool        `json:"warehouse_checked"`
	Objects          int         `json:"objects"`
	Bytes            int64       `json:"bytes"`
	Zones            []ZoneCount `json:"zones"`
	Corrupt          []Finding   `json:"corrupt"`
	Missing          []Finding   `json:"missing"`
	Foreign          []Finding   `json:"foreign"`
}

// OK reports whether nothing is corrupt, missing or foreign.
func (r Report) OK() bool { return len(r.Corrupt)+len(r.Missing)+len(r.Foreign) == 0 }

// Reasons of findings.
const (
	ReasonCorrupt = "corrupt: sha256 differs from the one recorded at write"
	ReasonChanged = "changed since loaded: sha256 differs from the one the warehouse recorded at load"
	ReasonForeign = "not written by shoplake (no sha256 recorded)"
	ReasonMissing = "missing: loaded by the warehouse, gone from the lake"
	// ReasonCommitted is followed by the key of the commit that names the
	// missing object.
	ReasonCommitted = "missing: gone from the lake, committed by "
)

// Zone names the zone of key: its segments before the first dt=
// partition, or its directory when it has none.
func Zone(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts[:len(parts)-1] {
		if strings.HasPrefix(p, "dt=") {
			return strings.Join(parts[:i], "/")
		}
	}
	return strings.Join(parts[:len(parts)-1], "/")
}

// Verify reads every object under opts.Prefix and checks its body against
// the SHA-256 recorded when it was written (x-amz-meta-sha256, MetaSHA256)
// and, for an object the warehouse loaded (opts.Loaded), against the
// SHA-256 the warehouse recorded at load. It reports corrupt objects (the
// body differs from either), foreign ones (no SHA-256 recorded: not
// written by shoplake) and missing ones (loaded by the warehouse, no longer
// listed), with counts per zone. It changes nothing, and it reads each
// object whole, so its cost is the size of the prefix.
//
// A finding is not an error: the error is for a failure to list or read
// (the network, the context), and then the report is empty. An object
// deleted between the listing and its read counts as missing if the
// warehouse loaded it, and is left out otherwise.
func Verify(ctx context.Context, store Store, opts VerifyOptions) (Report, error) {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = RawPrefix
	}
	rep := Report{Prefix: prefix, WarehouseChecked: opts.Loaded != nil}
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", prefix, err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	type result struct {
		finding *Finding
		gone    bool
		err     error
		// commit: the body and the read error of an object under the
		// commits' prefix, filed into the commits below without a
		// second read.
		body    []byte
		readErr error
	}
	results := make([]result, len(infos))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Go(func() {
			for i := range next {
				r := verifyObject(ctx, store, infos[i], opts.Loaded)
				results[i] = result{finding: r.finding, gone: r.gone, err: r.err}
				if strings.HasPrefix(infos[i].Key, RawCommitsFakestore) {
					results[i].body, results[i].readErr = r.body, r.readErr
				}
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(done, len(infos))
					mu.Unlock()
				}
			}
		})
	}
feed:
	for i := range infos {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", prefix, err)
	}

	zones := map[string]*ZoneCount{}
	zone := func(key string) *ZoneCount {
		z := Zone(key)
		if zones[z] == nil {
			zones[z] = &ZoneCount{Zone: z}
		}
		return zones[z]
	}
	listed := make(map[string]bool, len(infos))
	for i, info := range infos {
		r := results[i]
		if r.err != nil {
			return Report{}, fmt.Errorf("verify %s: %w", prefix, r.err)
		}
		if r.gone {
			continue
		}
		listed[info.Key] = true
		z := zone(info.Key)
		z.Objects++
		z.Bytes += info.Size
		rep.Objects++
		rep.Bytes += info.Size
		switch f := r.finding; {
		case f == nil:
			z.OK++
		case f.Reason == ReasonForeign:
			z.Foreign++
			rep.Foreign = append(rep.Foreign, *f)
		default:
			z.Corrupt++
			rep.Corrupt = append(rep.Corrupt, *f)
		}
	}
	missing := map[string]bool{}
	for key, sum := range opts.Loaded {
		if strings.HasPrefix(key, prefix) && !listed[key] {
			zone(key).Missing++
			missing[key] = true
			rep.Missing = append(rep.Missing, Finding{Key: key, Zone: Zone(key), Reason: ReasonMissing, Loaded: sum})
		}
	}
	if strings.HasPrefix(RawCommitsFakestore, prefix) || strings.HasPrefix(prefix, RawFakestore) {
		// The commits: one that reads but is not a valid commit commits
		// nothing (corrupt ones are counted above); an object a commit
		// names and the lake lacks is missing. Listed here, they were read
		// above; under a narrower prefix they are read now.
		var cs Commits
		if strings.HasPrefix(RawCommitsFakestore, prefix) {
			for i, info := range infos {
				if r := results[i]; !r.gone && strings.HasPrefix(info.Key, RawCommitsFakestore) {
					if err := cs.Add(info, r.body, r.readErr); err != nil {
						return Report{}, fmt.Errorf("verify %s: %w", prefix, err)
					}
				}
			}
		} else {
			var err error
			if cs, err = ReadCommits(ctx, store, time.Time{}); err != nil {
				return Report{}, fmt.Errorf("verify %s: %w", prefix, err)
			}
		}
		for _, b := range cs.Bad {
			if b.Err != nil || !listed[b.Info.Key] {
				continue
			}
			z := zone(b.Info.Key)
			z.OK--
			z.Corrupt++
			rep.Corrupt = append(rep.Corrupt, Finding{Key: b.Info.Key, Zone: z.Zone, Reason: "commit " + b.Reason, Size: b.Info.Size, Recorded: b.Info.SHA256})
		}
		for _, c := range cs.Valid {
			for _, o := range c.Objects {
				if strings.HasPrefix(o.Key, prefix) && !listed[o.Key] && !missing[o.Key] {
					zone(o.Key).Missing++
					missing[o.Key] = true
					rep.Missing = append(rep.Missing, Finding{Key: o.Key, Zone: Zone(o.Key), Reason: ReasonCommitted + c.Info.Key, Recorded: o.SHA256})
				}
			}
		}
	}
	for _, fs := range [][]Finding{rep.Corrupt, rep.Missing, rep.Foreign} {
		sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	}
	for _, z := range zones {
		rep.Zones = append(rep.Zones, *z)
	}
	sort.Slice(rep.Zones, func(i, j int) bool { return rep.Zones[i].Zone < rep.Zones[j].Zone })
	return rep, nil
}

// verified is what verifyObject found of one object.
type verified struct {
	finding *Finding // corrupt, foreign or changed; nil if sound
	gone    bool     // deleted since the listing
	err     error    // a read that failed for another reason
	body    []byte   // the body read, when it passed its checksum
	readErr error    // the checksum error of the read, if any
}

// verifyObject reads one object: a finding if it is corrupt or foreign,
// gone if it was deleted since the listing.
func verifyObject(ctx context.Context, store Store, info ObjectInfo, loaded map[string]string) verified {
	body, err := store.Get(ctx, info.Key)
	var ce *ChecksumError
	switch {
	case errors.As(err, &ce):
		reason := ReasonCorrupt
		if ce.Recorded == "" {
			reason = ReasonForeign
		}
		return verified{finding: &Finding{Key: info.Key, Zone: Zone(info.Key), Reason: reason, Size: ce.Size, SHA256: ce.Got, Recorded: ce.Recorded, Loaded: loaded[info.Key]}, readErr: err}
	case errors.Is(err, ErrNotFound):
		return verified{gone: true}
	case err != nil:
		return verified{err: err}
	}
	got := sha256Hex(body)
	if want, ok := loaded[info.Key]; ok && want != got {
		return verified{finding: &Finding{Key: info.Key, Zone: Zone(info.Key), Reason: ReasonChanged, Size: int64(len(body)), SHA256: got, Recorded: got, Loaded: want}, body: body}
	}
	return verified{body: body}
}
