package lake

import (
	"errors"
	"fmt"
	"strings"
)

// The checks of the derived zones' manifests: STAGING (and the transform's
// QUARANTINE, whose files the staging manifests name) and CURATED.

// overlaps reports whether the prefixes a and b share keys: one is a
// prefix of the other.
func overlaps(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }

// isRawData reports whether key is a RAW data object (not the lake's
// bookkeeping under raw/_commits).
func isRawData(key string) bool {
	return strings.HasPrefix(key, RawPrefix) && !strings.HasPrefix(key, RawPrefix+"_")
}

// isStagingFile reports whether key is where the transform writes a
// derived file: a STAGING table's or its QUARANTINE's.
func isStagingFile(key string) bool {
	return (strings.HasPrefix(key, StagingPrefix) && !strings.HasPrefix(key, StagedPrefix)) || strings.HasPrefix(key, QuarantineTransform)
}

// stagedScope returns the prefix of the staging manifests that verifying
// prefix needs, and false when it needs none: the manifests under prefix;
// for a prefix inside RAW, those of its folder (a manifest's key mirrors
// its RAW object's); for one that holds staging files, all of them (only
// all of them say which files no manifest names).
func stagedScope(prefix string) (string, bool) {
	switch {
	case !overlaps(prefix, RawPrefix) && !overlaps(prefix, StagingPrefix) && !overlaps(prefix, QuarantineTransform):
		return "", false
	case strings.HasPrefix(prefix, StagedPrefix):
		return prefix, true
	case strings.HasPrefix(prefix, RawPrefix):
		rest := strings.TrimPrefix(prefix, RawPrefix)
		if strings.HasPrefix(rest, "_") {
			return "", false // the commits: no data object
		}
		return StagedPrefix + rest[:strings.LastIndexByte(rest, '/')+1], true
	default:
		return StagedPrefix, true
	}
}

// verifyStaging checks the staging manifests in scope (stagedScope):
//
//   - one that reads but is not a valid manifest (lake.ParseStaged) is
//     corrupt (one that fails its checksum is counted already);
//   - the RAW object a valid one names is there with the SHA-256 it
//     recorded: gone, it is missing; with other bytes, it changed since it
//     was staged (corrupt);
//   - every file it names under the prefix is there with the SHA-256 and
//     the size it recorded (a Parquet file's rows are not counted: that
//     needs a Parquet reader, and its bytes being the recorded ones says
//     as much);
//   - a sound RAW data object no valid manifest names is not staged yet
//     (counted, not a fault: the next load stages it);
//   - a sound STAGING or transform QUARANTINE file no valid manifest names
//     is an orphan (reported, not a fault: a staging stopped between its
//     files and its manifest, and the next load writes the same bytes and
//     the manifest).
//
// A missing RAW object is reported even when only its manifest is under
// the prefix: the manifest promises it, and RAW is then listed, not read.
func (v *verifier) verifyStaging() error {
	mprefix, ok := stagedScope(v.prefix)
	if !ok {
		return nil
	}
	var ms StagedManifests
	if strings.HasPrefix(mprefix, v.prefix) {
		// Listed under the prefix: read already.
		for i, info := range v.infos {
			if r := v.results[i]; !r.gone && strings.HasPrefix(info.Key, mprefix) {
				if err := ms.Add(info, r.body, r.readErr); err != nil {
					return err
				}
			}
		}
	} else {
		var err error
		if ms, err = ReadStagedManifests(v.ctx, v.store, mprefix); err != nil {
			return err
		}
	}
	for _, b := range ms.Bad {
		if !isChecksum(b.Err) {
			v.addCorrupt(Finding{Key: b.Info.Key, Reason: b.Reason, Size: b.Info.Size})
		}
	}
	staged := map[string]bool{} // RAW keys
	named := map[string]bool{}  // file keys
	var raw map[string]bool     // RAW listed outside the prefix, when needed
	for _, m := range ms.Valid {
		staged[m.RawKey] = true
		files := false
		for _, f := range m.Files {
			named[f.Key] = true
			if v.within(f.Key) {
				files = true
				v.checkNamed(f.Key, f.SHA256, f.Bytes, m.Info.Key)
			}
		}
		if !v.within(m.Info.Key) && !v.within(m.RawKey) {
			if files {
				v.rep.Staged++
			}
			continue
		}
		v.rep.Staged++
		_, listed := v.listed[m.RawKey]
		switch {
		case listed:
			if r, ok := v.sound(m.RawKey); ok && r.sum != m.RawSHA256 {
				v.addCorrupt(Finding{Key: m.RawKey, Reason: ReasonChangedStaged + m.Info.Key, Size: r.size, SHA256: r.sum, Recorded: m.RawSHA256})
			}
		case v.within(m.RawKey):
			v.addMissing(Finding{Key: m.RawKey, Reason: ReasonStaged + m.Info.Key, Recorded: m.RawSHA256})
		default:
			if raw == nil {
				infos, err := v.store.List(v.ctx, RawPrefix+strings.TrimPrefix(mprefix, StagedPrefix))
				if err != nil {
					return err
				}
				raw = make(map[string]bool, len(infos))
				for _, info := range infos {
					raw[info.Key] = true
				}
			}
			if !raw[m.RawKey] {
				v.addMissing(Finding{Key: m.RawKey, Reason: ReasonStaged + m.Info.Key, Recorded: m.RawSHA256})
			}
		}
	}
	for i, info := range v.infos {
		if _, ok := v.sound(info.Key); !ok {
			continue
		}
		switch {
		case isRawData(info.Key) && !staged[info.Key]:
			if _, err := StagedKey(info.Key); err == nil {
				v.zone(info.Key).NotStaged++
				v.rep.NotStaged++
			}
		case isStagingFile(info.Key) && mprefix == StagedPrefix && !named[info.Key]:
			v.addOrphan(i)
		}
	}
	return nil
}

// checkNamed checks the file at key that the manifest at by names with
// sha256 and size: missing, or not those bytes.
func (v *verifier) checkNamed(key, sha256 string, size int64, by string) {
	if _, listed := v.listed[key]; !listed {
		v.addMissing(Finding{Key: key, Reason: ReasonNamed + by, Recorded: sha256})
		return
	}
	if r, ok := v.sound(key); ok && (r.sum != sha256 || r.size != size) {
		v.addCorrupt(Finding{Key: key, Reason: ReasonUnlike + by, Size: r.size, SHA256: r.sum, Recorded: sha256})
	}
}

// addOrphan reports the i-th object listed as named by no manifest.
func (v *verifier) addOrphan(i int) {
	info, r := v.infos[i], v.results[i]
	v.zone(info.Key).Orphans++
	v.rep.Orphans = append(v.rep.Orphans, Finding{Key: info.Key, Zone: Zone(info.Key), Reason: ReasonOrphan, Size: r.size, SHA256: r.sum})
}

// isChecksum reports whether err is a checksum error (corrupt or foreign),
// which the first pass counted already.
func isChecksum(err error) bool {
	var ce *ChecksumError
	return errors.As(err, &ce)
}

// verifyCurated checks CURATED when the prefix overlaps it: every export
// manifest (all of them are read: they are few and small) is valid, and
// every mart file it names under the prefix is there with the SHA-256 and
// size it recorded; an object under CuratedExports that is not a valid
// manifest, or at a key that is not an ExportKey, is corrupt; a mart
// file's body is the one its content-addressed key names; a sound mart
// file no valid export names is an orphan (an export that stopped before
// its manifest).
func (v *verifier) verifyCurated() error {
	if !overlaps(v.prefix, CuratedPrefix) {
		return nil
	}
	type doc struct {
		info    ObjectInfo
		body    []byte
		readErr error
	}
	var docs []doc
	if strings.HasPrefix(CuratedExports, v.prefix) {
		for i, info := range v.infos {
			if r := v.results[i]; !r.gone && strings.HasPrefix(info.Key, CuratedExports) {
				docs = append(docs, doc{info, r.body, r.readErr})
			}
		}
	} else {
		infos, err := v.store.List(v.ctx, CuratedExports)
		if err != nil {
			return err
		}
		for _, info := range infos {
			body, err := v.store.Get(v.ctx, info.Key)
			switch {
			case errors.Is(err, ErrNotFound):
				continue
			case err != nil && !isChecksum(err):
				return fmt.Errorf("read export %s: %w", info.Key, err)
			}
			docs = append(docs, doc{info, body, err})
		}
	}
	named := map[string]bool{}
	for _, d := range docs {
		if d.readErr != nil {
			continue // corrupt or foreign: counted by the first pass
		}
		if _, ok := ExportNumber(d.info.Key); !ok {
			v.addCorrupt(Finding{Key: d.info.Key, Reason: "not an export manifest's key (" + CuratedExports + "NNNNNNNN.json)", Size: d.info.Size})
			continue
		}
		e, err := ParseExport(d.info.Key, d.body)
		if err != nil {
			v.addCorrupt(Finding{Key: d.info.Key, Reason: "not a valid export manifest: " + withoutKey(err, d.info.Key), Size: d.info.Size})
			continue
		}
		for _, m := range e.Marts {
			named[m.Key] = true
		}
		if !v.within(d.info.Key) && !v.withinAny(e) {
			continue
		}
		v.rep.Exports++
		for _, m := range e.Marts {
			if v.within(m.Key) {
				v.checkNamed(m.Key, m.SHA256, m.Bytes, d.info.Key)
			}
		}
	}
	for i, info := range v.infos {
		r, ok := v.sound(info.Key)
		if !ok || !strings.HasPrefix(info.Key, CuratedPrefix) || strings.HasPrefix(info.Key, CuratedExports) {
			continue
		}
		name := info.Key[strings.LastIndexByte(info.Key, '/')+1:]
		if sum, ok := strings.CutSuffix(name, ".parquet"); ok && hexSHA256.MatchString(sum) && sum != r.sum {
			v.addCorrupt(Finding{Key: info.Key, Reason: ReasonNotItsKey, Size: r.size, SHA256: r.sum, Recorded: sum})
			continue
		}
		if !named[info.Key] {
			v.addOrphan(i)
		}
	}
	return nil
}

// withinAny reports whether a file e names is under the prefix.
func (v *verifier) withinAny(e Export) bool {
	for _, m := range e.Marts {
		if v.within(m.Key) {
			return true
		}
	}
	return false
}

// withoutKey is err's text without the key it starts with ("K: ...",
// "K is ..."): the reason of a finding printed next to its key.
func withoutKey(err error, key string) string {
	msg := strings.TrimPrefix(err.Error(), key)
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, ": "), " ")
	return strings.TrimPrefix(msg, "is ")
}
