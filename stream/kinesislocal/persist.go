package kinesislocal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

// Persistence. A server opened with Open keeps, per stream, an append-only
// journal under its directory: <dir>/<ordinal, 9 digits>-<stream>.jsonl,
// one JSON object per line, one line per change (the stream's creation,
// each record written, each split and merge), in the order the server
// applied them, with the clock's time of each. Opening the directory again
// replays every journal in ordinal order, so streams, shards, records,
// sequence numbers and arrival times come back exactly as they were:
// sequence numbers depend only on the order of the changes, never on when
// the replay runs. The server writes a request's lines with one write(2)
// before it answers, so a record the server acknowledged survives a crash
// of the process (not of the machine: there is no fsync). A torn last line,
// from a request that was never answered, is ignored on replay.
//
// DeleteStream replaces the journal with a single tombstone line, which
// keeps the stream's ordinal taken: a stream created again under the same
// name gets new sequence numbers, and old iterators and checkpoints cannot
// point into it. Records past retention stay in the journal (they are
// trimmed again on replay); compaction is not implemented.

// journalEntry is one line of a journal.
type journalEntry struct {
	Op   string `json:"op"` // create, put, split, merge, delete
	Time int64  `json:"t"`  // Unix nanoseconds of the change, by the server's clock
	// create
	Name           string `json:"name,omitempty"`
	Ordinal        uint64 `json:"ordinal,omitempty"`
	Mode           string `json:"mode,omitempty"`
	Shards         int    `json:"shards,omitempty"`
	MaxRecordBytes int    `json:"max_record_bytes,omitempty"`
	// put: Shard, Key, Data; split: Shard, NewStart; merge: Shard, Adjacent
	Shard    int    `json:"shard,omitempty"`
	Key      string `json:"key,omitempty"`
	Data     []byte `json:"data,omitempty"`
	NewStart string `json:"new_start,omitempty"`
	Adjacent int    `json:"adjacent,omitempty"`
}

// journal writes the journals of a server's streams.
type journal struct {
	dir   string
	files map[string]*os.File // by stream name
	// err is the first write error: after it the server refuses every
	// call, since its memory and its journal no longer agree.
	err error
}

// Open returns a server whose streams persist under dir (created if
// missing): the streams journaled there are restored first. Close the
// server to close its files. It fails if a journal cannot be read or
// contradicts itself.
func Open(dir string, clk clock.Clock, opts ...Option) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create kinesis directory %s: %w", dir, err)
	}
	s := New(clk, opts...)
	s.journal = &journal{dir: dir, files: map[string]*os.File{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list journals in %s: %w", dir, err)
	}
	sort.Strings(names) // ordinal order: the 9-digit prefix
	for _, name := range names {
		if err := s.replay(name); err != nil {
			return nil, errors.Join(fmt.Errorf("replay %s: %w", name, err), s.Close())
		}
	}
	return s, nil
}

// Close closes the record files of the server's streams and the journals
// of a server made by Open. The server refuses every call after it. A
// server made by New that is never closed leaves nothing behind: its record
// files are unlinked, and closed when garbage-collected.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, st := range s.streams {
		errs = append(errs, st.closeFiles())
	}
	if s.failure == nil {
		s.failure = errServerClosed
	}
	if s.journal == nil {
		return errors.Join(errs...)
	}
	for name, f := range s.journal.files {
		errs = append(errs, f.Close())
		delete(s.journal.files, name)
	}
	return errors.Join(errs...)
}

// replay applies one journal file.
func (s *Server) replay(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	base := filepath.Base(path)
	ordinal, err := strconv.ParseUint(strings.SplitN(base, "-", 2)[0], 10, 64)
	if err != nil {
		return fmt.Errorf("journal name %q: want <ordinal>-<stream>.jsonl", base)
	}
	s.ordinal = max(s.ordinal, ordinal)
	r := bufio.NewReader(f)
	var st *stream
	var good int64 // bytes of complete lines
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// Anything after the last newline is a torn line: a request
			// that was never answered. It is cut off below.
			break
		}
		if err != nil {
			return err
		}
		good += int64(len(b))
		var e journalEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		now := time.Unix(0, e.Time).UTC()
		if e.Op == "delete" {
			if st != nil {
				_ = st.closeFiles() // its records are gone: nothing to lose
			}
			st = nil
			continue
		}
		if e.Op == "create" {
			if e.Ordinal != ordinal {
				return fmt.Errorf("line %d: ordinal %d in a journal named %d", line, e.Ordinal, ordinal)
			}
			st = newStream(e.Name, s.arn(e.Name), e.Ordinal, e.Mode, e.Shards, e.MaxRecordBytes, s.opts.spillDir, now)
			continue
		}
		if st == nil {
			return fmt.Errorf("line %d: %s before create", line, e.Op)
		}
		if err := applyEntry(st, e, now); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	if st == nil {
		return nil // deleted
	}
	if err := os.Truncate(path, good); err != nil {
		return err
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.streams[st.name] = st
	s.journal.files[st.name] = file
	return nil
}

// applyEntry replays a put, split or merge. It fails on a contradiction of
// the journal or an I/O error of a record file.
func applyEntry(st *stream, e journalEntry, now time.Time) error {
	if e.Shard < 0 || e.Shard >= len(st.shards) {
		return fmt.Errorf("%s: no shard %d", e.Op, e.Shard)
	}
	sh := st.shards[e.Shard]
	switch e.Op {
	case "put":
		if sh.closed {
			return fmt.Errorf("put into closed shard %s", sh.id)
		}
		data := e.Data
		if data == nil {
			data = []byte{}
		}
		if _, err := sh.put(st, e.Key, data, now); err != nil {
			return err
		}
	case "split":
		k, ok := new(big.Int).SetString(e.NewStart, 10)
		if !ok {
			return fmt.Errorf("split: bad hash key %q", e.NewStart)
		}
		st.split(sh, k, now)
	case "merge":
		if e.Adjacent < 0 || e.Adjacent >= len(st.shards) {
			return fmt.Errorf("merge: no shard %d", e.Adjacent)
		}
		st.merge(sh, st.shards[e.Adjacent], now)
	default:
		return fmt.Errorf("unknown op %q", e.Op)
	}
	return nil
}

// record appends entries to the journal of st, if the server persists.
func (s *Server) record(st *stream, entries ...journalEntry) error {
	j := s.journal
	if j == nil || len(entries) == 0 {
		return nil
	}
	if j.err != nil {
		return j.err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return j.fail(err)
		}
	}
	f := j.files[st.name]
	if f == nil {
		var err error
		path := filepath.Join(j.dir, fmt.Sprintf("%0*d-%s.jsonl", seqOrdinalLen, st.ordinal, st.name))
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o644); err != nil {
			return j.fail(err)
		}
		j.files[st.name] = f
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return j.fail(err)
	}
	return nil
}

// tombstone replaces the journal of a deleted stream with one delete line.
func (s *Server) tombstone(st *stream, now time.Time) error {
	j := s.journal
	if j == nil {
		return nil
	}
	if j.err != nil {
		return j.err
	}
	if f := j.files[st.name]; f != nil {
		if err := f.Close(); err != nil {
			return j.fail(err)
		}
		delete(j.files, st.name)
	}
	path := filepath.Join(j.dir, fmt.Sprintf("%0*d-%s.jsonl", seqOrdinalLen, st.ordinal, st.name))
	b, _ := json.Marshal(journalEntry{Op: "delete", Time: now.UnixNano()})
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		return j.fail(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return j.fail(err)
	}
	return nil
}

func (j *journal) fail(err error) error {
	j.err = fmt.Errorf("write kinesis journal: %w", err)
	return j.err
}
