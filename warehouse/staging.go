package warehouse

import (
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/shoplake/shoplake/lake"
)

// Lake is what Load needs of the lake: it reads RAW and STAGING, and writes
// STAGING and the transform's QUARANTINE. lake.Store satisfies it. A Lake
// that is also a lake.Opener (lake.S3Store) has its RAW objects read as
// streams, never whole (deriveStaged).
type Lake interface {
	Source
	// PutIfAbsent writes body at key unless an object is there
	// (lake.ErrExists); it never overwrites.
	PutIfAbsent(ctx context.Context, key string, body []byte) error
}

// stagingTables are the staging tables in the order a staged object's files
// are loaded, the quarantine last.
var stagingTables = []string{"fakestore_users", "fakestore_products", "fakestore_carts", "fakestore_cart_items", "fakestore_cart_refunds", "events", "quarantine"}

// stagedObject is one RAW object's staging: its manifest and the files it
// names, by table, each in a file of the Parquet codec's directory (never
// in memory: a users snapshot's file grows with the shop), until close
// removes them.
type stagedObject struct {
	manifest lake.Staged
	files    map[string]*lake.Spool
	keys     map[string]string // table -> the file's key
	// derived: this Load derived it from RAW (and wrote it, unless
	// notUsed says why the lake's copy was not used: a file corrupt,
	// missing or not the manifest's, or staged under other rules; the
	// files then came from RAW, and the lake's copy was left as it is).
	derived bool
	notUsed string
}

// rules is the fingerprint of the parameters that type the records of
// entity: the bounds of events' times; for users, the email hash key,
// through an HMAC of a fixed text (the key cannot be read back from it).
func (w *Warehouse) rules(entity string) string {
	h := sha256.New()
	fmt.Fprintf(h, "shoplake staging 1\x00%s\x00", entity)
	switch entity {
	case entityEvents:
		b := w.bounds()
		fmt.Fprintf(h, "%d\x00%d", b.future, b.maxAge)
		// Event contract version 2: the dimension and extra columns.
		h.Write([]byte("\x00event contract 2"))
	case entityCarts:
		// The order lifecycle: status_date and the refunds table.
		h.Write([]byte("cart lifecycle"))
	case entityUsers:
		if len(w.opts.EmailHashKey) == 0 {
			h.Write([]byte("no email hash key"))
		} else {
			m := hmac.New(sha256.New, w.opts.EmailHashKey)
			m.Write([]byte("shoplake staging rules"))
			h.Write(m.Sum(nil))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// bounds are the event bounds of the warehouse's options.
func (w *Warehouse) bounds() eventBounds {
	b := eventBounds{future: w.opts.FutureTolerance, maxAge: w.opts.MaxEventAge}
	if b.future <= 0 {
		b.future = DefaultFutureTolerance
	}
	if b.maxAge <= 0 {
		b.maxAge = DefaultMaxEventAge
	}
	return b
}

// stage returns o's staging. With a manifest in the lake (staged is the
// set of listed manifest keys) it reads the files the manifest names, or,
// when they cannot be used (readStaged says why), derives them again from
// RAW and writes nothing; without a manifest it derives them and writes
// them, the manifest last. A RAW object that cannot be staged comes back as a
// problem; an error is a failure that is not the object's.
func (w *Warehouse) stage(ctx context.Context, lk Lake, o objectRef, staged map[string]bool) (stagedObject, *objectProblem, error) {
	mkey, err := lake.StagedKey(o.key)
	if err != nil {
		return stagedObject{}, nil, err
	}
	rules := w.rules(o.raw.entity)
	if o.pruned && !staged[mkey] {
		return stagedObject{}, nil, fmt.Errorf("%w: %s was pruned from RAW and its staging manifest %s is gone", ErrPrunedUnusable, o.key, mkey)
	}
	if staged[mkey] {
		so, why, err := w.readStaged(ctx, lk, o, mkey, rules)
		if err != nil || why == "" {
			return so, nil, err
		}
		if o.pruned {
			return stagedObject{}, nil, errors.Join(fmt.Errorf("%w: %s was pruned from RAW and its staging cannot be used: %s", ErrPrunedUnusable, o.key, why), so.close())
		}
		// The lake's copy cannot be used: derive it again, write nothing.
		so, prob, err := w.deriveStaged(ctx, lk, o, rules, false)
		so.notUsed = why
		return so, prob, err
	}
	return w.deriveStaged(ctx, lk, o, rules, true)
}

// close removes the object's files.
func (so stagedObject) close() error {
	var errs []error
	for _, f := range so.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// readStaged reads the staging of o from its manifest at mkey. why says
// why it cannot be used, "" when it can: the manifest or a file it names is
// corrupt, missing or not what the manifest says, or it was derived from
// other RAW bytes or under other rules (an email hash key, future tolerance
// or maximum event age other than this configuration's). The error is a
// read that failed for a reason that is not the object's.
func (w *Warehouse) readStaged(ctx context.Context, lk Lake, o objectRef, mkey, rules string) (stagedObject, string, error) {
	body, err := lk.Get(ctx, mkey)
	if err != nil {
		var ce *lake.ChecksumError
		if errors.As(err, &ce) {
			return stagedObject{}, "manifest " + mkey + " " + ce.Reason(), nil
		}
		if errors.Is(err, lake.ErrNotFound) {
			return stagedObject{}, "manifest " + mkey + " gone", nil
		}
		return stagedObject{}, "", fmt.Errorf("read %s: %w", mkey, err)
	}
	m, err := lake.ParseStaged(mkey, body)
	if err != nil {
		return stagedObject{}, "invalid manifest: " + err.Error(), nil
	}
	if o.sha256 != "" && m.RawSHA256 != o.sha256 {
		return stagedObject{}, fmt.Sprintf("staged from other RAW bytes (sha256 %s; RAW holds %s)", m.RawSHA256, o.sha256), nil
	}
	if m.Rules != rules {
		return stagedObject{}, fmt.Sprintf("staged under other rules (%s; this configuration's are %s: another email hash key, future tolerance or maximum event age)", m.Rules, rules), nil
	}
	codec, err := w.parquet(ctx)
	if err != nil {
		return stagedObject{}, "", err
	}
	so := stagedObject{manifest: m, files: map[string]*lake.Spool{}, keys: map[string]string{}}
	for _, f := range m.Files {
		sp, why, err := fetchStaged(ctx, lk, f, codec.dir)
		if err != nil || why != "" {
			return stagedObject{}, why, errors.Join(err, so.close())
		}
		so.files[f.Table] = sp
		so.keys[f.Table] = f.Key
	}
	return so, "", nil
}

// fetchStaged copies the STAGING file f from the lake into a file in dir,
// as a stream, and checks it against its manifest. why says why it cannot
// be used ("" when it can): it is corrupt, missing, empty or not the file
// the manifest names. The error is a failure that is not the file's.
func fetchStaged(ctx context.Context, lk Lake, f lake.StagedFile, dir string) (*lake.Spool, string, error) {
	rc, err := lake.OpenObject(ctx, lk, f.Key)
	sp := lake.NewSpool(dir, 0) // threshold 0: always a file
	if err == nil {
		_, err = io.Copy(sp, rc)
		rc.Close()
	}
	var ce *lake.ChecksumError
	why := ""
	switch {
	case errors.As(err, &ce):
		why = f.Key + " " + ce.Reason()
	case errors.Is(err, lake.ErrNotFound):
		why = f.Key + " missing"
	case err != nil:
		return nil, "", errors.Join(fmt.Errorf("read %s: %w", f.Key, err), sp.Close())
	case sp.SHA256() != f.SHA256:
		why = f.Key + " is not the file its manifest names (sha256 differs)"
	case sp.Path() == "":
		why = f.Key + " is empty"
	}
	if why != "" {
		return nil, why, sp.Close()
	}
	return sp, "", nil
}

// deriveStaged reads and parses the RAW object o and encodes its staging
// files; with write, it writes them and then the manifest. The object is
// read as a stream (lake.OpenObject), gunzipped as it is read, and its rows
// are handed to the Parquet codec a chunk at a time (parseStream): the
// memory it takes is that of a chunk, whatever the object's size. What is
// wrong with the object is found in the order of its layers, whichever
// the stream meets first: its bytes (not the ones written: corrupt, or
// foreign), then its gzip, then its records.
func (w *Warehouse) deriveStaged(ctx context.Context, lk Lake, o objectRef, rules string, write bool) (stagedObject, *objectProblem, error) {
	rc, err := lake.OpenObject(ctx, lk, o.key)
	if err != nil {
		if p := getProblem(o, err); p != nil {
			return stagedObject{}, p, nil
		}
		return stagedObject{}, nil, err
	}
	defer rc.Close()
	codec, err := w.parquet(ctx)
	if err != nil {
		return stagedObject{}, nil, err
	}
	pw, err := codec.writer(ctx)
	if err != nil {
		return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, err)
	}
	defer pw.close()
	so := stagedObject{derived: true, files: map[string]*lake.Spool{}, keys: map[string]string{},
		manifest: lake.Staged{Format: lake.StagedFormat, RawKey: o.key, RawSHA256: o.sha256, Rules: rules}}
	// The files are the caller's once so is returned whole; until then
	// they are this function's to remove.
	kept := false
	defer func() {
		if !kept {
			_ = so.close()
		}
	}()

	raw := &streamStat{r: rc, h: sha256.New()}
	plain := raw
	var gzipErr error
	if o.raw.gzip {
		zr, err := gzip.NewReader(raw)
		if err != nil {
			gzipErr = err
		} else {
			defer zr.Close()
			plain = &streamStat{r: zr}
		}
	}
	rows := map[string]int64{}
	var addErr error // the codec's failure, not the object's
	add := func(p parsed) error {
		addErr = so.append(ctx, pw, o, p, rows)
		return addErr
	}
	var parseErr error
	if gzipErr == nil {
		parseErr = parseStream(o.key, o.raw, plain, w.opts.EmailHashKey, w.bounds(), add)
	}
	if addErr != nil {
		return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, addErr)
	}
	// Read what is left, so that the object's bytes and gzip are judged
	// whole, as a read of the whole object would, before its records are.
	_, _ = io.Copy(io.Discard, plain)
	_, _ = io.Copy(io.Discard, raw)
	switch {
	case raw.err != nil:
		if p := getProblem(o, raw.err); p != nil {
			return stagedObject{}, p, nil
		}
		return stagedObject{}, nil, raw.err
	case gzipErr == nil && plain != raw && plain.err != nil:
		gzipErr = plain.err
	}
	if gzipErr != nil {
		return stagedObject{}, streamProblem(raw.n, raw.head, gzipReason(raw.head, gzipErr), fmt.Errorf("gunzip: %w", gzipErr)), nil
	}
	if errors.Is(parseErr, ErrNoEmailHashKey) {
		return stagedObject{}, nil, parseErr
	} else if parseErr != nil {
		return stagedObject{}, streamProblem(plain.n, plain.head, notArrayReason(o.raw), parseErr), nil
	}
	if so.manifest.RawSHA256 == "" {
		so.manifest.RawSHA256 = hex.EncodeToString(raw.h.Sum(nil))
	}
	tables := make([]string, 0, len(rows))
	for t := range rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	if so.manifest.Rejected+so.manifest.Repaired > 0 {
		tables = append(tables, "quarantine")
	}
	for _, t := range tables {
		path, err := pw.encodeFile(ctx, stagingTable(t))
		if err != nil {
			return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, err)
		}
		sp, err := lake.SpoolFile(path)
		if err != nil {
			return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, err)
		}
		so.files[t] = sp
		key, err := lake.StagingKey(t, o.raw.entity, o.key)
		if err != nil {
			return stagedObject{}, nil, err
		}
		n := rows[t]
		if t == "quarantine" {
			n = so.manifest.Rejected + so.manifest.Repaired
		}
		so.keys[t] = key
		so.manifest.Files = append(so.manifest.Files, lake.StagedFile{Table: t, Key: key, SHA256: sp.SHA256(), Rows: n, Bytes: sp.Size()})
	}
	if err := pw.close(); err != nil {
		return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, err)
	}
	sort.Slice(so.manifest.Files, func(i, j int) bool { return so.manifest.Files[i].Key < so.manifest.Files[j].Key })
	if !write {
		kept = true
		return so, nil, nil
	}
	for _, f := range so.manifest.Files {
		if _, err := lake.PutDerivedSpool(ctx, lk, f.Key, so.files[f.Table]); err != nil {
			return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, err)
		}
	}
	mbody, err := so.manifest.Encode()
	if err != nil {
		return stagedObject{}, nil, err
	}
	mkey, err := lake.StagedKey(o.key)
	if err != nil {
		return stagedObject{}, nil, err
	}
	if _, err := lake.PutDerived(ctx, lk, mkey, mbody); err != nil {
		return stagedObject{}, nil, fmt.Errorf("stage %s: %w", o.key, err)
	}
	kept = true
	return so, nil, nil
}

// append hands the rows of p, one chunk of the RAW object o, to pw, with
// load_seq 0 (each warehouse numbers its loads for itself), counting them
// in rows by table and its quarantined records in the manifest.
func (so *stagedObject) append(ctx context.Context, pw *parquetWriter, o objectRef, p parsed, rows map[string]int64) error {
	for t, rs := range p.rows {
		for _, r := range rs {
			r[1] = int64(0)
		}
		if err := pw.append(ctx, stagingTable(t), rs); err != nil {
			return err
		}
		rows[t] += int64(len(rs))
	}
	if len(p.quarantine) == 0 {
		return nil
	}
	qrows := make([][]any, 0, len(p.quarantine))
	for _, q := range p.quarantine {
		qrows = append(qrows, []any{o.key, int64(0), o.raw.entity, q.rowNo, q.disposition, q.reason, q.record})
		if q.disposition == dispRejected {
			so.manifest.Rejected++
		} else {
			so.manifest.Repaired++
		}
	}
	return pw.append(ctx, stagingTable("quarantine"), qrows)
}

// streamStat reads r, counting its bytes, keeping the first of them
// (lake.HeadBytes), hashing them if h is set, and keeping the first error
// of r that is not io.EOF.
type streamStat struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	head []byte
	err  error
}

func (s *streamStat) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		if s.h != nil {
			s.h.Write(p[:n])
		}
		if len(s.head) < lake.HeadBytes {
			s.head = append(s.head, p[:min(n, lake.HeadBytes-len(s.head))]...)
		}
		s.n += int64(n)
	}
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// parquet returns the warehouse's Parquet codec, opened on first use.
func (w *Warehouse) parquet(ctx context.Context) (*parquetCodec, error) {
	w.codecMu.Lock()
	defer w.codecMu.Unlock()
	if w.codec == nil {
		c, err := newParquetCodec(ctx)
		if err != nil {
			return nil, err
		}
		w.codec = c
	}
	return w.codec, nil
}

// pendingLoad is one object staged and waiting for its batch.
type pendingLoad struct {
	o       objectRef
	so      stagedObject
	wasHeld bool
}

// size is the bytes of the object's files.
func (so stagedObject) size() (n int64) {
	for _, f := range so.files {
		n += f.Size()
	}
	return n
}

// loadBatch writes the staging of the objects of batch into the
// warehouse's staging tables with their ledger rows, in one transaction:
// each object gets the next load_seq, in batch order. For an object that
// was held in meta.quarantined_objects (wasHeld) it deletes that row there.
func (w *Warehouse) loadBatch(ctx context.Context, conn *sql.Conn, batch []pendingLoad) error {
	next, err := readSQL("queries/next_load_seq.sql")
	if err != nil {
		return err
	}
	codec, err := w.parquet(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, conn, func() error {
		var seq0 int64
		if err := conn.QueryRowContext(ctx, next).Scan(&seq0); err != nil {
			return fmt.Errorf("next load_seq: %w", err)
		}
		for _, t := range stagingTables {
			var files []seqFile
			for i, p := range batch {
				if f, ok := p.so.files[t]; ok {
					files = append(files, seqFile{seq: seq0 + int64(i), stagingFile: stagingFile{key: p.so.keys[t], path: f.Path(), inLake: p.so.notUsed == ""}})
				}
			}
			if len(files) == 0 {
				continue
			}
			if err := w.loadParquetFiles(ctx, conn, codec, stagingTable(t), files); err != nil {
				return fmt.Errorf("load into staging.%s: %w", t, err)
			}
		}
		ledger := make([][]any, 0, len(batch))
		for i, p := range batch {
			if p.wasHeld {
				if err := w.releaseObject(ctx, conn, p.o.key); err != nil {
					return err
				}
			}
			var total int64
			for _, f := range p.so.manifest.Files {
				if f.Table != "quarantine" {
					total += f.Rows
				}
			}
			ledger = append(ledger, []any{p.o.key, p.so.manifest.RawSHA256, p.o.size, total, p.o.raw.entity, seq0 + int64(i)})
		}
		return w.dialect.Insert(ctx, conn, "meta", "loaded_objects",
			[]string{"object_key", "sha256", "size_bytes", "row_count", "entity", "load_seq"}, ledger)
	})
}

// seqFile is a STAGING file and the load_seq of its object.
type seqFile struct {
	seq int64
	stagingFile
}

// parquetBatchLoader is a Dialect that loads several STAGING files of one
// table in one statement.
type parquetBatchLoader interface {
	loadParquetFiles(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, files []seqFile) error
}

// loadParquetFiles appends the rows of files to t's table, each file's rows
// with its load_seq.
func (w *Warehouse) loadParquetFiles(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, files []seqFile) error {
	if bl, ok := w.dialect.(parquetBatchLoader); ok {
		return bl.loadParquetFiles(ctx, conn, codec, t, files)
	}
	for _, f := range files {
		if _, err := w.loadParquet(ctx, conn, codec, t, f.seq, f.stagingFile); err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
	}
	return nil
}

// loadParquetFiles reads every file with one read_parquet, in the open
// transaction; a file's rows get its load_seq by the file's name.
func (d DuckDB) loadParquetFiles(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, files []seqFile) error {
	paths := make([]string, len(files))
	seqs := make([]string, len(files))
	for i, f := range files {
		paths[i] = sqlString(f.path)
		seqs[i] = "(" + paths[i] + ", CAST(" + strconv.FormatInt(f.seq, 10) + " AS BIGINT))"
	}
	cols := make([]string, len(t.file))
	for i, c := range t.file {
		cols[i] = "p." + d.QuoteIdent(c)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s, load_seq) SELECT %s, m.seq FROM read_parquet([%s], filename = true) AS p JOIN (VALUES %s) AS m(file, seq) ON p.filename = m.file",
		qualified(d, t.schema, t.table), strings.Join(quoteAll(d, t.file), ", "), strings.Join(cols, ", "), strings.Join(paths, ", "), strings.Join(seqs, ", "))
	_, err := conn.ExecContext(ctx, q)
	return err
}

// quoteAll quotes each name with d.
func quoteAll(d Dialect, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = d.QuoteIdent(n)
	}
	return out
}

// stagingFile is one Parquet file of STAGING: its key in the lake and the
// local file that holds its bytes, checked against its SHA-256.
type stagingFile struct {
	key  string
	path string
	// inLake is true when the lake holds the file's bytes at key (written
	// by this Load, or read and checked); false when the lake's copy is
	// damaged and the file was derived again from RAW.
	inLake bool
}

// parquetLoader is a Dialect that loads a STAGING Parquet file into its
// table itself (DuckDB reads the bytes; Redshift COPYs the key from S3);
// the others get the file's rows decoded by the codec and Insert them.
type parquetLoader interface {
	loadParquet(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, seq int64, f stagingFile) (int64, error)
}

// loadParquet appends the rows of one Parquet file of t to t's table, with
// load_seq seq, and returns how many.
func (w *Warehouse) loadParquet(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, seq int64, f stagingFile) (int64, error) {
	if pl, ok := w.dialect.(parquetLoader); ok {
		return pl.loadParquet(ctx, conn, codec, t, seq, f)
	}
	rows, err := codec.decode(ctx, f.path, t.file)
	if err != nil {
		return 0, err
	}
	full := make([][]any, len(rows))
	for i, r := range rows {
		full[i] = append(append([]any{r[0]}, seq), r[1:]...)
	}
	cols := append([]string{t.file[0], "load_seq"}, t.file[1:]...)
	return int64(len(full)), w.dialect.Insert(ctx, conn, t.schema, t.table, cols, full)
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
