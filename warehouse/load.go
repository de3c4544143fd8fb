package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/shoplake/shoplake/lake"
)

// LoadStats counts what one Load did.
type LoadStats struct {
	ObjectsLoaded  int `json:"objects_loaded"`
	ObjectsSkipped int `json:"objects_already_loaded"` // already in meta.loaded_objects
	// ObjectsUncommitted counts FakeStore objects in RAW that no ingestion
	// run has committed (a failed run's): not loaded, not yet visible.
	ObjectsUncommitted int              `json:"objects_uncommitted"`
	Rows               map[string]int64 `json:"rows"` // staging table ("staging.events") -> rows inserted
	// Quarantined counts records kept out of staging (staging.quarantine,
	// disposition rejected); Repaired those stored with a value replaced
	// by CleanText (disposition repaired).
	Quarantined int64 `json:"records_quarantined"`
	Repaired    int64 `json:"records_repaired"`
	// ObjectsQuarantined counts RAW objects this Load set aside in
	// meta.quarantined_objects instead of loading (foreign, corrupt,
	// truncated, not the format or layout their key says); ObjectsHeld
	// those an earlier Load set aside, unchanged since, and not read again.
	// Their records are in neither count above.
	ObjectsQuarantined int `json:"objects_quarantined"`
	ObjectsHeld        int `json:"objects_held"`
	// ObjectsStaged counts the loaded objects this Load staged (derived
	// from RAW and wrote to STAGING); StagingReused those whose staging
	// was in the lake already (staged by another run or warehouse).
	ObjectsStaged int `json:"objects_staged"`
	StagingReused int `json:"objects_staging_reused"`
	// StagingNotUsed names the loaded objects whose staging in the lake
	// was not used, and why (a file corrupt, missing or not what its
	// manifest says; staged under other rules): they were staged again
	// from RAW in memory and loaded from that, and the lake's copy left as
	// it is (shoplake verify reports a damaged one).
	StagingNotUsed []StagingNote `json:"staging_not_used"`
}

// StagingNote is one RAW object whose staging in the lake was not used.
type StagingNote struct {
	RawKey string `json:"raw_key"`
	Reason string `json:"reason"`
}

// Load copies every RAW object that the ledger (meta.loaded_objects) does not
// hold into STAGING: fakestore objects first, then events, each in key order.
// STAGING is first the lake's: an object is staged (typed, cleaned, its bad
// records set aside) into Parquet files under staging/ and
// quarantine/transform/, committed by a manifest under staging/_staged/
// written last; the warehouse then loads those files into its staging
// tables. An object the lake has staged already is read from STAGING, not
// RAW (see stage), so any warehouse, on any engine, loads the same bytes.
// A FakeStore object is read only once an ingestion run has committed its key
// in the ingestion ledger (IngestLedger): the objects of a date become
// visible together, and those of a failed run not at all. Events objects do
// not go through that ledger.
// Each object's staging rows and its ledger row are written in one
// transaction, so an object is loaded exactly once, and never in part, even
// if Load crashes or runs again: a second Load of the same RAW loads nothing.
//
// Records that do not type or break their contract (a price sent as a
// string, a missing id, an invalid event, an event from a clock ahead of
// its arrival by more than Options.FutureTolerance, or behind both its
// arrival and the newest event of its batch by more than
// Options.MaxEventAge) do not fail the load:
// they go to staging.quarantine with their reason, in the object's
// transaction. Every text value is cleaned by CleanText (categories and cart
// statuses by CleanCategory); a row whose value had a NUL byte is stored
// with it replaced and recorded in staging.quarantine as repaired.
//
// An object that cannot be loaded does not stop Load either: one whose key
// does not follow the RAW layout (ErrInvalidKey), whose body the Source
// refuses (lake.ErrChecksum: corrupt; lake.ErrForeign: no sha256 recorded,
// not written by shoplake), or whose body is not what its key says (a
// truncated or invalid gzip, a FakeStore body that is not a JSON array:
// ErrInvalidObject) is set aside in meta.quarantined_objects with its
// reason in plain words, its size and its first bytes, and Load goes on
// with the rest (LoadStats.ObjectsQuarantined). Such an object stays out of
// the ledger and is not read again while its listing shows the same ETag
// and size (ObjectsHeld); once it changes it is examined again, and once it
// is gone from RAW its row is deleted. The check raw_objects_quarantined
// names them.
//
// Load stops at the first failure that is not the object's: ErrNoEmailHashKey,
// a listing or read that fails (the network, the context, an object gone
// between listing and reading), a write to the warehouse. It returns the
// stats so far with an error naming the key. Objects loaded before the
// failure stay loaded.
func (w *Warehouse) Load(ctx context.Context, src Lake) (LoadStats, error) {
	stats, err := w.load(ctx, src)
	// After load has returned, so that what it held is garbage.
	if rerr := w.releaseLoadMemory(); rerr != nil && err == nil {
		err = rerr
	}
	return stats, err
}

func (w *Warehouse) load(ctx context.Context, src Lake) (LoadStats, error) {
	stats := LoadStats{Rows: map[string]int64{}}
	for t := range stagingColumns {
		stats.Rows["staging."+t] = 0
	}
	var objs []objectRef
	listedRaw := map[string]bool{}
	for _, prefix := range []string{fakestorePrefix, eventsPrefix} {
		infos, err := src.List(ctx, prefix)
		if err != nil {
			return stats, fmt.Errorf("load: list %s: %w", prefix, err)
		}
		sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
		for _, info := range infos {
			k, err := parseKey(info.Key)
			objs = append(objs, objectRef{key: info.Key, sha256: info.SHA256, etag: info.ETag, size: info.Size, raw: k, keyErr: err})
			listedRaw[info.Key] = true
		}
	}
	// The RAW objects shoplake prune deleted load from their staging.
	pruned, err := lake.ReadPruneRecords(ctx, src)
	if err != nil {
		return stats, fmt.Errorf("load: %w", err)
	}
	if len(pruned.Bad) > 0 {
		b := pruned.Bad[0]
		return stats, fmt.Errorf("load: %s is not a valid prune record (%s): the RAW objects it records cannot be found without it; restore it from a copy (shoplake verify lists it)", b.Info.Key, b.Reason)
	}
	objs = withPruned(objs, pruned, listedRaw)

	conn, err := w.db.Conn(ctx)
	if err != nil {
		return stats, fmt.Errorf("load: %w", err)
	}
	defer conn.Close()
	loaded, err := w.loadedKeys(ctx, conn)
	if err != nil {
		return stats, err
	}
	held, err := w.quarantinedObjects(ctx, conn)
	if err != nil {
		return stats, err
	}
	staged, err := listStaged(ctx, src, objs, loaded)
	if err != nil {
		return stats, err
	}
	commitInfos, err := src.List(ctx, lake.RawCommitsFakestore)
	if err != nil {
		return stats, fmt.Errorf("load: list %s: %w", lake.RawCommitsFakestore, err)
	}
	listed := slices.Clone(objs)
	for _, info := range commitInfos {
		listed = append(listed, objectRef{key: info.Key})
	}
	if err := w.releaseGone(ctx, conn, held, listed); err != nil {
		return stats, err
	}
	// The commits are read only for the dates that have FakeStore objects
	// to load: a run reads the day's, not the year's.
	pending := pendingDates(objs, loaded, held)
	var toRead []lake.ObjectInfo
	for _, info := range commitInfos {
		if d, ok := lake.PartitionDate(info.Key); ok && pending[d] {
			toRead = append(toRead, info)
		}
	}
	commits, err := lake.ReadCommitObjects(ctx, src, toRead)
	if err != nil {
		return stats, fmt.Errorf("load: %w", err)
	}
	visible, err := w.visibleFakestoreKeys(ctx, commits)
	if err != nil {
		return stats, err
	}
	// A commit that cannot be used commits nothing: it is set aside with
	// its reason, as a bad RAW object is, and the objects it names stay
	// invisible unless another commit names them.
	for _, b := range commits.Bad {
		o := objectRef{key: b.Info.Key, sha256: b.Info.SHA256, etag: b.Info.ETag, size: b.Info.Size}
		if v, ok := held[o.key]; ok && v.etag != "" && v.etag == o.etag && v.size == o.size {
			stats.ObjectsHeld++
			continue
		}
		detail := b.Reason
		if b.Err != nil {
			detail = b.Err.Error()
		}
		p := &objectProblem{reason: "commit " + b.Reason, detail: detail, size: b.Info.Size, head: b.Head}
		if err := w.quarantineObject(ctx, conn, o, p); err != nil {
			return stats, fmt.Errorf("load: %w", err)
		}
		stats.ObjectsQuarantined++
	}
	var batch []pendingLoad
	var batchBytes int64
	// flush loads the batch and counts it.
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := w.loadBatch(ctx, conn, batch)
		// The batch's files are in the warehouse now, or will be
		// staged again by the next Load.
		for _, p := range batch {
			err = errors.Join(err, p.so.close())
		}
		if err != nil {
			return w.explainOutOfMemory(fmt.Errorf("load %s (and %d objects after it): %w", batch[0].o.key, len(batch)-1, err))
		}
		for _, p := range batch {
			so := p.so
			switch {
			case so.notUsed != "":
				stats.StagingNotUsed = append(stats.StagingNotUsed, StagingNote{RawKey: p.o.key, Reason: so.notUsed})
			case so.derived:
				stats.ObjectsStaged++
			default:
				stats.StagingReused++
			}
			stats.ObjectsLoaded++
			for _, f := range so.manifest.Files {
				if f.Table != "quarantine" {
					stats.Rows["staging."+f.Table] += f.Rows
				}
			}
			stats.Quarantined += so.manifest.Rejected
			stats.Repaired += so.manifest.Repaired
			loaded[p.o.key] = true
		}
		batch, batchBytes = batch[:0], 0
		return nil
	}
	// An error stops Load, but what is staged so far is loaded first.
	fail := func(err error) (LoadStats, error) {
		if ferr := flush(); ferr != nil {
			return stats, errors.Join(err, ferr)
		}
		return stats, err
	}
	for _, o := range objs {
		if loaded[o.key] {
			stats.ObjectsSkipped++
			continue
		}
		if v, ok := held[o.key]; ok && v.etag != "" && v.etag == o.etag && v.size == o.size {
			stats.ObjectsHeld++
			continue
		}
		if o.keyErr != nil {
			p := &objectProblem{reason: "key does not follow the RAW layout (" + layoutHint(o.key) + ")", detail: o.keyErr.Error(), size: o.size}
			if body, err := src.Get(ctx, o.key); err == nil {
				p.head = body[:min(len(body), lake.HeadBytes)]
			} else if gp := getProblem(o, err); gp != nil {
				p.head = gp.head
			}
			if err := w.quarantineObject(ctx, conn, o, p); err != nil {
				return fail(fmt.Errorf("load: %w", err))
			}
			stats.ObjectsQuarantined++
			continue
		}
		if o.raw.entity != entityEvents && !visible[o.key] {
			stats.ObjectsUncommitted++
			continue
		}
		_, wasHeld := held[o.key]
		so, prob, err := w.stage(ctx, src, o, staged)
		if err != nil {
			return fail(fmt.Errorf("load %s: %w", o.key, err))
		}
		if prob != nil {
			if err := w.quarantineObject(ctx, conn, o, prob); err != nil {
				return fail(fmt.Errorf("load: %w", err))
			}
			stats.ObjectsQuarantined++
			continue
		}
		batch = append(batch, pendingLoad{o: o, so: so, wasHeld: wasHeld})
		batchBytes += so.size()
		if len(batch) >= loadBatchObjects || batchBytes >= loadBatchBytes {
			if err := flush(); err != nil {
				return stats, err
			}
		}
	}
	return stats, flush()
}

// withPruned adds to objs, listed from RAW, the objects the prune records
// name that RAW no longer holds, each with the SHA-256 and size it had,
// and sorts them as Load takes them: FakeStore objects first, then events,
// each in key order. Such an object is loaded from its staging alone
// (stage refuses to derive it again).
func withPruned(objs []objectRef, pruned lake.PruneRecords, listed map[string]bool) []objectRef {
	added := false
	for key, po := range pruned.Objects {
		if listed[key] {
			continue // a prune stopped before deleting it
		}
		k, err := parseKey(key)
		objs = append(objs, objectRef{key: key, sha256: po.SHA256, size: po.Bytes, raw: k, keyErr: err, pruned: true})
		added = true
	}
	if added {
		events := func(k string) bool { return strings.HasPrefix(k, eventsPrefix) }
		sort.SliceStable(objs, func(i, j int) bool {
			a, b := objs[i].key, objs[j].key
			if events(a) != events(b) {
				return !events(a)
			}
			return a < b
		})
	}
	return objs
}

// A Load writes the objects it loads in batches of at most this many
// objects or bytes of Parquet, one transaction each: a batch is loaded
// whole or not at all, and each object in it has its own load_seq and
// ledger row.
const (
	loadBatchObjects = 256
	loadBatchBytes   = 64 << 20
)

// listStaged returns the keys of the staging manifests in the lake for the
// objects of objs not loaded yet. It lists only their dt= partitions (a
// run loads the day's objects, not the year's), once each: one listing for
// a day's events, not one per hour.
func listStaged(ctx context.Context, src Source, objs []objectRef, loaded map[string]bool) (map[string]bool, error) {
	dirs := map[string]bool{}
	for _, o := range objs {
		if o.keyErr != nil || loaded[o.key] {
			continue
		}
		if k, err := lake.StagedKey(o.key); err == nil {
			// StagedKey has a dt= segment, which ends in '/'.
			i := strings.Index(k, "/dt=") + 1
			dirs[k[:i+strings.IndexByte(k[i:], '/')+1]] = true
		}
	}
	staged := map[string]bool{}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		infos, err := src.List(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("load: list %s: %w", dir, err)
		}
		for _, info := range infos {
			staged[info.Key] = true
		}
	}
	return staged, nil
}

// pendingDates returns the logical dates (YYYY-MM-DD) of the FakeStore
// objects of objs that are neither loaded nor held in quarantine unchanged.
func pendingDates(objs []objectRef, loaded map[string]bool, held map[string]quarantinedVersion) map[string]bool {
	out := map[string]bool{}
	for _, o := range objs {
		if o.keyErr != nil || o.raw.entity == entityEvents || loaded[o.key] {
			continue
		}
		if v, ok := held[o.key]; ok && v.etag != "" && v.etag == o.etag && v.size == o.size {
			continue
		}
		out[o.raw.date.Format(lake.DateFormat)] = true
	}
	return out
}

// objectRef is one listed RAW object.
type objectRef struct {
	key    string
	sha256 string
	etag   string
	size   int64
	raw    rawKey
	keyErr error // the key does not follow the RAW layout (ErrInvalidKey)
	// pruned: not in RAW, named by a prune record (lake.RawPruned): its
	// staging is all there is of it.
	pruned bool
}

// releaseGone deletes the rows of meta.quarantined_objects whose object is
// no longer in RAW.
func (w *Warehouse) releaseGone(ctx context.Context, conn *sql.Conn, held map[string]quarantinedVersion, objs []objectRef) error {
	listed := make(map[string]bool, len(objs))
	for _, o := range objs {
		listed[o.key] = true
	}
	var gone []string
	for k := range held {
		if !listed[k] {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		if err := inTx(ctx, conn, func() error { return w.releaseObject(ctx, conn, k) }); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		delete(held, k)
	}
	return nil
}

// notArrayReason is why a body whose parse failed cannot be loaded.
func notArrayReason(k rawKey) string {
	if k.entity == entityEvents {
		return "not NDJSON"
	}
	return "not a JSON array"
}

// loadedKeys returns the keys in the ledger.
func (w *Warehouse) loadedKeys(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	q, err := readSQL("queries/loaded_keys.sql")
	if err != nil {
		return nil, err
	}
	rs, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load: read ledger: %w", err)
	}
	defer rs.Close()
	out := map[string]bool{}
	for rs.Next() {
		var k string
		if err := rs.Scan(&k); err != nil {
			return nil, fmt.Errorf("load: read ledger: %w", err)
		}
		out[k] = true
	}
	return out, rs.Err()
}

// visibleFakestoreKeys returns the FakeStore keys Load may read: those the
// valid commits in the lake name. The keys this warehouse's ingestion
// ledger recorded as committed are visible too, so that a lake written
// before commits moved to the lake still loads in the warehouse that
// ingested it; ingestion writes both, and they agree.
func (w *Warehouse) visibleFakestoreKeys(ctx context.Context, commits lake.Commits) (map[string]bool, error) {
	q, err := readSQL("queries/ingest_visible_keys.sql")
	if err != nil {
		return nil, err
	}
	keys, err := w.keys(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load: read ingestion ledger: %w", err)
	}
	for k := range commits.Keys() {
		keys[k] = true
	}
	return keys, nil
}
