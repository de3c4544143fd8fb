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
	// Prefix is the part of the lake to read; the whole lake when empty.
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
// first dt= partition, or its folder: raw/events, raw/fakestore/users,
// raw/_commits/fakestore, staging/events, staging/_staged/events,
// quarantine/transform/events, curated/daily_kpis, curated/_exports).
// Objects = OK + Corrupt + Foreign; NotStaged and Orphans count sound
// objects (in OK) that no manifest names.
type ZoneCount struct {
	Zone    string `json:"zone"`
	Objects int    `json:"objects"` // listed and read
	Bytes   int64  `json:"bytes"`
	OK      int    `json:"ok"`
	Corrupt int    `json:"corrupt"`
	Foreign int    `json:"foreign"`
	Missing int    `json:"missing"` // loaded by the warehouse or named by a commit or manifest, not listed
	// NotStaged counts the RAW data objects no staging manifest names:
	// not staged yet, which is normal until the next load.
	NotStaged int `json:"not_staged"`
	// Orphans counts the STAGING, transform QUARANTINE and CURATED files
	// no manifest names.
	Orphans int `json:"orphans"`
	// Pruned counts the RAW objects gone from the lake that a prune
	// record names (shoplake prune): not missing, their records are in
	// STAGING.
	Pruned int `json:"pruned"`
}

// Report is what Verify found. Findings are sorted by key.
type Report struct {
	// Prefix is the part of the lake read; "" for the whole lake.
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
	// Staged counts the valid staging manifests verified (the RAW objects
	// staged), NotStaged the sound RAW data objects none names, Exports
	// the valid CURATED export manifests verified.
	Staged    int `json:"staged"`
	NotStaged int `json:"not_staged"`
	Exports   int `json:"exports"`
	// Orphans are sound STAGING, transform QUARANTINE and CURATED files
	// that no valid manifest names: left by a staging or an export that
	// stopped before writing its manifest. Not a fault: nothing reads
	// them, and the next run writes the same bytes and the manifest.
	Orphans []Finding `json:"orphans"`
	// Pruned counts the RAW objects that a commit, a staging manifest or
	// the warehouse's ledger names, gone from the lake because a prune
	// record says shoplake prune deleted them with those bytes.
	Pruned int `json:"pruned"`
}

// OK reports whether nothing is corrupt, missing or foreign. Objects not
// staged yet and orphans are not faults.
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
	// ReasonStaged is followed by the key of the staging manifest that
	// names the missing RAW object.
	ReasonStaged = "missing: gone from the lake, staged by "
	// ReasonNamed is followed by the key of the manifest (staging or
	// export) that names the missing file.
	ReasonNamed = "missing: gone from the lake, named by "
	// ReasonUnlike is followed by the key of the manifest that recorded
	// another sha256 or size for the file.
	ReasonUnlike = "not the file its manifest names: sha256 or size differs from the one recorded by "
	// ReasonChangedStaged is followed by the key of the staging manifest
	// that recorded another sha256 for the RAW object.
	ReasonChangedStaged = "changed since staged: sha256 differs from the one recorded by "
	// ReasonNotItsKey: a CURATED file whose body is not the one its
	// content-addressed key names.
	ReasonNotItsKey = "not what its key says: the body's sha256 is not the one in the key"
	// ReasonOrphan: a sound derived file that no valid manifest names.
	ReasonOrphan = "named by no manifest: left by a staging or an export that stopped before its manifest"
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

// Verify reads every object under opts.Prefix (the whole lake when empty)
// and checks its body against the SHA-256 recorded when it was written
// (x-amz-meta-sha256, MetaSHA256) and, for an object the warehouse loaded
// (opts.Loaded), against the SHA-256 the warehouse recorded at load. It
// reports corrupt objects (the body differs from either), foreign ones (no
// SHA-256 recorded: not written by shoplake) and missing ones (loaded by
// the warehouse, no longer listed), with counts per zone. It changes
// nothing, and it reads each object whole, so its cost is the size of the
// prefix.
//
// It also checks what the lake's own documents promise, for the objects
// under the prefix: the FakeStore commits (an object a commit names is
// there), the staging manifests and the CURATED export manifests (each is
// valid, and every file it names is there with the SHA-256 and size it
// recorded; a staged RAW object is there with the SHA-256 its manifest
// recorded). It counts the RAW objects no staging manifest names (not
// staged yet) and reports the derived files no manifest names (orphans);
// neither is a fault. See verifyStaging and verifyCurated.
//
// A finding is not an error: the error is for a failure to list or read
// (the network, the context), and then the report is empty. An object
// deleted between the listing and its read counts as missing if the
// warehouse loaded it or a manifest names it, and is left out otherwise.
func Verify(ctx context.Context, store Store, opts VerifyOptions) (Report, error) {
	prefix := opts.Prefix
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", Where(prefix), err)
	}
	results, err := readObjects(ctx, store, infos, opts)
	if err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", Where(prefix), err)
	}
	v := &verifier{ctx: ctx, store: store, prefix: prefix, infos: infos, results: results,
		rep:    &Report{Prefix: prefix, WarehouseChecked: opts.Loaded != nil},
		zones:  map[string]*ZoneCount{},
		listed: make(map[string]int, len(infos)), missing: map[string]bool{}, flagged: map[string]bool{},
	}
	rep := v.rep
	for i, info := range infos {
		r := results[i]
		if r.gone {
			continue
		}
		v.listed[info.Key] = i
		z := v.zone(info.Key)
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
	// The prune records first: a RAW object they name is pruned, not
	// missing, whoever names it.
	if err := v.readPruned(); err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", Where(prefix), err)
	}
	for key, sum := range opts.Loaded {
		if v.within(key) {
			if _, ok := v.listed[key]; !ok {
				v.addMissing(Finding{Key: key, Reason: ReasonMissing, Loaded: sum})
			}
		}
	}
	for _, check := range []func() error{v.verifyCommits, v.verifyStaging, v.verifyCurated} {
		if err := check(); err != nil {
			return Report{}, fmt.Errorf("verify %s: %w", Where(prefix), err)
		}
	}
	for _, fs := range [][]Finding{rep.Corrupt, rep.Missing, rep.Foreign, rep.Orphans} {
		sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	}
	for _, z := range v.zones {
		rep.Zones = append(rep.Zones, *z)
	}
	sort.Slice(rep.Zones, func(i, j int) bool { return rep.Zones[i].Zone < rep.Zones[j].Zone })
	return *rep, nil
}

// Where names prefix for a person: the prefix, or "the whole lake".
func Where(prefix string) string {
	if prefix == "" {
		return "the whole lake"
	}
	return prefix
}

// readObjects reads infos with opts.Workers goroutines (4 when 0), calling
// opts.Progress after each. The error is the context's.
func readObjects(ctx context.Context, store Store, infos []ObjectInfo, opts VerifyOptions) ([]verified, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	results := make([]verified, len(infos))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Go(func() {
			for i := range next {
				r := verifyObject(ctx, store, infos[i], opts.Loaded)
				if !isDocument(infos[i].Key) {
					// Only the lake's documents are parsed below: the
					// other bodies are not kept.
					r.body = nil
				}
				results[i] = r
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
		return nil, err
	}
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
	}
	return results, nil
}

// isDocument reports whether key is one of the lake's own documents, which
// Verify parses: a commit, a staging manifest, an export manifest.
func isDocument(key string) bool {
	return strings.HasPrefix(key, RawCommitsFakestore) || strings.HasPrefix(key, StagedPrefix) || strings.HasPrefix(key, CuratedExports) ||
		strings.HasPrefix(key, RawPruned)
}

// verifier is one Verify's state, shared by the checks of each kind of
// document.
type verifier struct {
	ctx     context.Context
	store   Store
	prefix  string
	infos   []ObjectInfo
	results []verified
	rep     *Report
	zones   map[string]*ZoneCount
	// listed maps each key listed and still there when read to its index
	// in infos and results.
	listed  map[string]int
	missing map[string]bool
	// flagged: the listed objects a document check found corrupt.
	flagged map[string]bool
	// pruned: the RAW objects the prune records name (readPruned).
	pruned map[string]PrunedObject
}

// zone returns the count of key's zone.
func (v *verifier) zone(key string) *ZoneCount {
	z := Zone(key)
	if v.zones[z] == nil {
		v.zones[z] = &ZoneCount{Zone: z}
	}
	return v.zones[z]
}

// within reports whether key is under the prefix verified.
func (v *verifier) within(key string) bool { return strings.HasPrefix(key, v.prefix) }

// sound returns what was read of key when it is listed, read whole and
// found sound so far.
func (v *verifier) sound(key string) (verified, bool) {
	i, ok := v.listed[key]
	if !ok || v.results[i].finding != nil || v.flagged[key] {
		return verified{}, false
	}
	return v.results[i], true
}

// addMissing reports f, an object the lake lacks, once per key; a RAW
// object a prune record names with the bytes f expects is counted as
// pruned instead.
func (v *verifier) addMissing(f Finding) {
	if v.missing[f.Key] {
		return
	}
	v.missing[f.Key] = true
	if po, ok := v.pruned[f.Key]; ok {
		want := f.Recorded
		if f.Reason == ReasonMissing {
			want = f.Loaded
		}
		if want == "" || want == po.SHA256 {
			v.zone(f.Key).Pruned++
			v.rep.Pruned++
			return
		}
	}
	f.Zone = Zone(f.Key)
	v.zone(f.Key).Missing++
	v.rep.Missing = append(v.rep.Missing, f)
}

// addCorrupt reports f about a listed object that read sound: it moves
// from its zone's OK to Corrupt.
func (v *verifier) addCorrupt(f Finding) {
	if _, ok := v.sound(f.Key); !ok {
		return
	}
	v.flagged[f.Key] = true
	f.Zone = Zone(f.Key)
	z := v.zone(f.Key)
	z.OK--
	z.Corrupt++
	v.rep.Corrupt = append(v.rep.Corrupt, f)
}

// readPruned reads the prune records (every one: they are few and small)
// into v.pruned; one that reads but is not a valid record is corrupt.
// Listed under the prefix, they were read already.
func (v *verifier) readPruned() error {
	var recs PruneRecords
	if strings.HasPrefix(RawPruned, v.prefix) {
		for i, info := range v.infos {
			if r := v.results[i]; !r.gone && strings.HasPrefix(info.Key, RawPruned) {
				if err := recs.Add(info, r.body, r.readErr); err != nil {
					return err
				}
			}
		}
	} else {
		var err error
		if recs, err = ReadPruneRecords(v.ctx, v.store); err != nil {
			return err
		}
	}
	for _, b := range recs.Bad {
		if b.Err == nil {
			v.addCorrupt(Finding{Key: b.Info.Key, Reason: b.Reason, Size: b.Info.Size})
		}
	}
	v.pruned = recs.Objects
	return nil
}

// verifyCommits checks the FakeStore commits: one that reads but is not a
// valid commit commits nothing (corrupt ones are counted already); an
// object a commit names and the lake lacks is missing. Listed under the
// prefix, they were read already; under a narrower prefix of FakeStore
// objects they are read now.
func (v *verifier) verifyCommits() error {
	if !strings.HasPrefix(RawCommitsFakestore, v.prefix) && !strings.HasPrefix(v.prefix, RawFakestore) {
		return nil
	}
	var cs Commits
	if strings.HasPrefix(RawCommitsFakestore, v.prefix) {
		for i, info := range v.infos {
			if r := v.results[i]; !r.gone && strings.HasPrefix(info.Key, RawCommitsFakestore) {
				if err := cs.Add(info, r.body, r.readErr); err != nil {
					return err
				}
			}
		}
	} else {
		var err error
		if cs, err = ReadCommits(v.ctx, v.store, time.Time{}); err != nil {
			return err
		}
	}
	for _, b := range cs.Bad {
		if b.Err == nil {
			v.addCorrupt(Finding{Key: b.Info.Key, Reason: "commit " + b.Reason, Size: b.Info.Size, Recorded: b.Info.SHA256})
		}
	}
	for _, c := range cs.Valid {
		for _, o := range c.Objects {
			if _, ok := v.listed[o.Key]; v.within(o.Key) && !ok {
				v.addMissing(Finding{Key: o.Key, Reason: ReasonCommitted + c.Info.Key, Recorded: o.SHA256})
			}
		}
	}
	return nil
}

// verified is what verifyObject found of one object.
type verified struct {
	finding *Finding // corrupt, foreign or changed; nil if sound
	gone    bool     // deleted since the listing
	err     error    // a read that failed for another reason
	body    []byte   // the body read, when it passed its checksum (kept for documents only)
	readErr error    // the checksum error of the read, if any
	sum     string   // the body's SHA-256, when it passed its checksum
	size    int64    // the body's size, when it passed its checksum
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
	r := verified{body: body, sum: got, size: int64(len(body))}
	if want, ok := loaded[info.Key]; ok && want != got {
		r.finding = &Finding{Key: info.Key, Zone: Zone(info.Key), Reason: ReasonChanged, Size: int64(len(body)), SHA256: got, Recorded: got, Loaded: want}
	}
	return r
}
