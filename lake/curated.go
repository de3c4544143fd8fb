package lake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The CURATED zone: the marts, exported whole as Parquet so that any query
// engine (DuckDB, Athena, Spark) reads them without the warehouse, and the
// numbered manifests that say which files make one export.
//
//	curated/<mart>/<sha256 of the file>.parquet   one mart, content-addressed
//	curated/_exports/<NNNNNNNN>.json              export N: its marts and checks
//
// Nothing in CURATED is ever overwritten. A mart file's key is its content's
// hash, so exporting the same mart again writes nothing; an export's
// manifest takes the next free number with a conditional put. Readers take
// the highest-numbered valid manifest (LatestExport).
const (
	// CuratedExports holds the manifests of the exports (ExportKey).
	CuratedExports = CuratedPrefix + "_exports/"
	// ExportFormat is the version of the export manifest written here.
	ExportFormat = 1
	// MaxExport is the highest export number the 8 digits of ExportKey hold.
	MaxExport = 99_999_999
	// DefaultExportAttempts is how many numbers PublishExport tries when
	// other writers take the one it chose.
	DefaultExportAttempts = 5
)

// CuratedKey is where the Parquet file of mart whose bytes have SHA-256
// sha256hex is kept: curated/<mart>/<sha256hex>.parquet. A mart's name is
// one key segment that does not start with '_' (kept for the zone's own
// bookkeeping, curated/_exports).
func CuratedKey(mart, sha256hex string) (string, error) {
	if err := validMart(mart); err != nil {
		return "", err
	}
	if !hexSHA256.MatchString(sha256hex) {
		return "", fmt.Errorf("%w: %q is not a SHA-256", ErrInvalidKey, sha256hex)
	}
	k := CuratedPrefix + mart + "/" + sha256hex + ".parquet"
	return k, ValidateKey(k)
}

// validMart returns ErrInvalidKey unless mart can name a folder of CURATED.
func validMart(mart string) error {
	if err := ValidatePart(mart); err != nil {
		return fmt.Errorf("mart: %w", err)
	}
	if strings.HasPrefix(mart, "_") {
		return fmt.Errorf("%w: mart %q: names starting with '_' are the zone's own", ErrInvalidKey, mart)
	}
	return nil
}

// ExportKey is the manifest of export n: curated/_exports/<n, 8 digits>.json.
// It returns ErrInvalidKey unless 1 <= n <= MaxExport.
func ExportKey(n int) (string, error) {
	if n < 1 || n > MaxExport {
		return "", fmt.Errorf("%w: export number %d is outside 1 to %d", ErrInvalidKey, n, MaxExport)
	}
	return fmt.Sprintf("%s%08d.json", CuratedExports, n), nil
}

var exportName = regexp.MustCompile(`^[0-9]{8}\.json$`)

// ExportNumber returns the number of the manifest at key; ok is false when
// key is not an ExportKey.
func ExportNumber(key string) (n int, ok bool) {
	name, found := strings.CutPrefix(key, CuratedExports)
	if !found || !exportName.MatchString(name) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(name, ".json"))
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// Export is the manifest of one export of the marts: every mart's Parquet
// file, and the data-quality results of the warehouse's Transform run that
// built them. It is written last, after every file it names, at the next
// free number (PublishExport), and never rewritten. Its bytes depend on its
// content only (no time of writing, no warehouse's run id), so the same
// seed gives the same manifests, and the same marts exported from DuckDB or
// PostgreSQL the same files.
type Export struct {
	Format int `json:"format"` // ExportFormat
	// Number is the export's number, the one its key carries.
	Number int `json:"export"`
	// AsOf is the horizon of the run that built the marts (the exclusive
	// end of the observed range, docs/MARTS.md), RFC 3339 in UTC; empty
	// when the run had none (CORE was empty).
	AsOf  string         `json:"as_of,omitempty"`
	Marts []ExportedMart `json:"marts"` // sorted by mart
	// Checks are the run's data-quality results, in the order the
	// warehouse runs them. No blocking check failed: a blocked run is
	// never exported.
	Checks []ExportCheck `json:"checks"`
}

// ExportedMart is one mart's Parquet file in an export.
type ExportedMart struct {
	// Mart is the table's name in the warehouse's marts schema
	// ("daily_kpis" for marts.daily_kpis).
	Mart   string `json:"mart"`
	Key    string `json:"key"` // CuratedKey(Mart, SHA256)
	SHA256 string `json:"sha256"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
}

// ExportCheck is one data-quality check's result, as the warehouse records
// it (meta.check_results) without its engine-rendered detail, which
// shoplake check shows.
type ExportCheck struct {
	Check string `json:"check"`
	// Severity is blocking or warning.
	Severity string `json:"severity"`
	// Status is pass, warn (a warning check found rows), skipped, or fail
	// (never for a blocking check).
	Status string `json:"status"`
	// Failures counts the offending rows.
	Failures int64 `json:"failures"`
}

// Validate says what is wrong with e, in plain words.
func (e Export) Validate() error {
	if e.Format != ExportFormat {
		return fmt.Errorf("export manifest format %d, this build reads %d", e.Format, ExportFormat)
	}
	if _, err := ExportKey(e.Number); err != nil {
		return fmt.Errorf("export manifest: %w", err)
	}
	if e.AsOf != "" {
		t, err := time.Parse(time.RFC3339Nano, e.AsOf)
		if err != nil || t.UTC().Format(time.RFC3339Nano) != e.AsOf {
			return fmt.Errorf("export %d: as_of %q is not an RFC 3339 time in UTC (2026-01-08T00:00:00Z)", e.Number, e.AsOf)
		}
	}
	if len(e.Marts) == 0 {
		return fmt.Errorf("export %d names no mart", e.Number)
	}
	for i, m := range e.Marts {
		if i > 0 && m.Mart <= e.Marts[i-1].Mart {
			return fmt.Errorf("export %d: marts are not sorted by name, each once (%q after %q)", e.Number, m.Mart, e.Marts[i-1].Mart)
		}
		want, err := CuratedKey(m.Mart, m.SHA256)
		if err != nil {
			return fmt.Errorf("export %d: mart %q: %w", e.Number, m.Mart, err)
		}
		if m.Key != want {
			return fmt.Errorf("export %d: mart %s is at %q, want %s", e.Number, m.Mart, m.Key, want)
		}
		if m.Rows < 0 || m.Bytes <= 0 {
			return fmt.Errorf("export %d: mart %s has %d rows, %d bytes", e.Number, m.Mart, m.Rows, m.Bytes)
		}
	}
	seen := map[string]bool{}
	for _, c := range e.Checks {
		switch {
		case c.Check == "" || seen[c.Check]:
			return fmt.Errorf("export %d: check %q is empty or listed twice", e.Number, c.Check)
		case c.Severity != "blocking" && c.Severity != "warning":
			return fmt.Errorf("export %d: check %s has severity %q, want blocking or warning", e.Number, c.Check, c.Severity)
		case c.Status != "pass" && c.Status != "warn" && c.Status != "fail" && c.Status != "skipped":
			return fmt.Errorf("export %d: check %s has status %q, want pass, warn, fail or skipped", e.Number, c.Check, c.Status)
		case c.Severity == "blocking" && c.Status == "fail":
			return fmt.Errorf("export %d: blocking check %s failed: a blocked run's marts are never exported", e.Number, c.Check)
		case c.Failures < 0:
			return fmt.Errorf("export %d: check %s has %d failures", e.Number, c.Check, c.Failures)
		}
		seen[c.Check] = true
	}
	return nil
}

// Encode returns e's bytes: indented JSON, the same bytes for the same
// manifest.
func (e Export) Encode() ([]byte, error) { return EncodeDocument(e) }

// AddsNothingTo reports whether e, a new export, holds the same data as
// o, the newest one: the same marts (the same files) as of the same
// instant. Then o stands, with the check results of the run that built
// those marts: the checks of a run that changed no mart describe only its
// own increment (most checks look at the rows the run brought: a rerun
// with no new data passes them, or skips them), and shoplake check shows
// them. So a transform that changes nothing adds no export.
func (e Export) AddsNothingTo(o Export) bool {
	return e.Format == o.Format && e.AsOf == o.AsOf && slices.Equal(e.Marts, o.Marts)
}

// ParseExport decodes the manifest read at key and checks that it is valid
// and what its key says.
func ParseExport(key string, body []byte) (Export, error) {
	var e Export
	if err := DecodeDocument(body, &e); err != nil {
		return e, fmt.Errorf("%s is not an export manifest: %w", key, err)
	}
	if err := e.Validate(); err != nil {
		return e, fmt.Errorf("%s: %w", key, err)
	}
	if want, _ := ExportKey(e.Number); want != key {
		return e, fmt.Errorf("%s holds export %d, which belongs at %s", key, e.Number, want)
	}
	return e, nil
}

// ReadExport is one valid manifest and the object that holds it.
type ReadExport struct {
	Export
	Info ObjectInfo
}

// BadExport is an object under CuratedExports that is not a valid
// manifest: corrupt, not written by shoplake, not a manifest, not what its
// key says, or at a key that is not an ExportKey. Readers pass over it.
type BadExport struct {
	Info   ObjectInfo
	Reason string
	// Err is the read or parse error, nil for a key that is not an
	// ExportKey (such an object is not read).
	Err error
}

// Exports is what LatestExport found under CuratedExports.
type Exports struct {
	// Latest is the highest-numbered valid manifest; nil when there is
	// none.
	Latest *ReadExport
	// Skipped are the objects passed over: the manifests numbered above
	// Latest that are not valid, newest first, then the objects whose key
	// is not an ExportKey. Manifests below Latest are not read.
	Skipped []BadExport
	// Highest is the highest number an ExportKey listed carries, valid or
	// not (0 when none): the next export takes Highest + 1.
	Highest int
}

// LatestExport lists CuratedExports and reads manifests from the highest
// number down until one is valid. An object that is not a valid manifest
// is in Skipped, not an error. The error is a listing or a read that
// failed for another reason than the object's (the network, the context).
func LatestExport(ctx context.Context, r Reader) (Exports, error) {
	infos, err := r.List(ctx, CuratedExports)
	if err != nil {
		return Exports{}, fmt.Errorf("list exports %s: %w", CuratedExports, err)
	}
	var out Exports
	var numbered []ObjectInfo
	var foreign []BadExport
	for _, info := range infos {
		n, ok := ExportNumber(info.Key)
		if !ok {
			foreign = append(foreign, BadExport{Info: info, Reason: "not an export manifest's key (" + CuratedExports + "NNNNNNNN.json)"})
			continue
		}
		numbered = append(numbered, info)
		out.Highest = max(out.Highest, n)
	}
	// Keys of 8 digits sort as their numbers: newest last.
	for i := len(numbered) - 1; i >= 0 && out.Latest == nil; i-- {
		info := numbered[i]
		body, err := r.Get(ctx, info.Key)
		var ce *ChecksumError
		switch {
		case errors.As(err, &ce):
			out.Skipped = append(out.Skipped, BadExport{Info: info, Reason: ce.Reason(), Err: err})
			continue
		case errors.Is(err, ErrNotFound):
			continue // deleted since listed
		case err != nil:
			return out, fmt.Errorf("read export %s: %w", info.Key, err)
		}
		e, err := ParseExport(info.Key, body)
		if err != nil {
			out.Skipped = append(out.Skipped, BadExport{Info: info, Reason: "not a valid export manifest: " + err.Error(), Err: err})
			continue
		}
		out.Latest = &ReadExport{Export: e, Info: info}
	}
	out.Skipped = append(out.Skipped, foreign...)
	return out, nil
}

// Publisher is what publishing an export needs of a store.
type Publisher interface {
	Reader
	// PutIfAbsent writes body at key unless an object is there
	// (ErrExists); it never overwrites.
	PutIfAbsent(ctx context.Context, key string, body []byte) error
}

// Published is what PublishExport did.
type Published struct {
	// Export is the newest export after the call: the one written, or the
	// one the new export added nothing to.
	Export ReadExport
	// Written is false when the new export added nothing to the newest
	// valid one (Export.AddsNothingTo): nothing was written.
	Written bool
	// Skipped are the objects under CuratedExports passed over when the
	// newest export was read (LatestExport).
	Skipped []BadExport
}

// PublishExport writes the manifest e (its Number is ignored) as the next
// export; the caller has written the files it names. Unless e adds
// nothing to the newest valid export (written false, nothing written), it
// takes the number after the highest listed, valid or not, and writes the
// manifest with a conditional put. When another writer took that number
// first, it reads the exports again and retries, up to attempts times
// (DefaultExportAttempts when attempts <= 0); then the error wraps
// ErrExists. It never overwrites.
func PublishExport(ctx context.Context, store Publisher, e Export, attempts int) (Published, error) {
	if attempts <= 0 {
		attempts = DefaultExportAttempts
	}
	e.Format = ExportFormat
	for attempt := 1; ; attempt++ {
		found, err := LatestExport(ctx, store)
		if err != nil {
			return Published{}, fmt.Errorf("publish export: %w", err)
		}
		if found.Latest != nil && e.AddsNothingTo(found.Latest.Export) {
			return Published{Export: *found.Latest, Skipped: found.Skipped}, nil
		}
		e.Number = found.Highest + 1
		if err := e.Validate(); err != nil {
			return Published{}, fmt.Errorf("publish export: %w", err)
		}
		key, _ := ExportKey(e.Number)
		body, err := e.Encode()
		if err != nil {
			return Published{}, fmt.Errorf("publish export %d: %w", e.Number, err)
		}
		switch err := store.PutIfAbsent(ctx, key, body); {
		case err == nil:
			info := ObjectInfo{Key: key, Size: int64(len(body)), SHA256: sha256Hex(body)}
			return Published{Export: ReadExport{Export: e, Info: info}, Written: true, Skipped: found.Skipped}, nil
		case !errors.Is(err, ErrExists):
			return Published{}, fmt.Errorf("write export %s: %w", key, err)
		case attempt >= attempts:
			return Published{}, fmt.Errorf("write export %s: %w: other writers took export numbers %d times in a row; export again", key, err, attempts)
		}
	}
}
