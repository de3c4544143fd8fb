package lake

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// A body too large to be held in memory twice (a snapshot of a third of a
// million users is over 100 MB) is written from a Spool and read through
// Open: the lake's bytes are the same, only the memory that carries them
// differs.

// Body is an object's body to be written from a reader, with what the
// store records of it computed beforehand.
type Body struct {
	// R reads the body from its start; the store may seek back to the
	// start to send it again (a retried request).
	R      io.ReadSeeker
	Size   int64
	SHA256 string   // hex SHA-256 of the body
	MD5    [16]byte // MD5 of the body (Content-MD5)
}

// BodyPutter is a Store that writes a Body without holding it in memory.
type BodyPutter interface {
	// PutBodyIfAbsent is PutIfAbsent with a body read from b.R.
	PutBodyIfAbsent(ctx context.Context, key string, b Body) error
}

// Opener is a Store that reads a body as a stream.
type Opener interface {
	// Open returns a reader of the body at key that checks it against the
	// SHA-256 recorded at write as it reaches the end: there it returns a
	// *ChecksumError, as Get would, instead of io.EOF when the body does
	// not match. It returns ErrNotFound if there is no object. The caller
	// closes the reader.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Spool collects a body written piece by piece, hashing it as it goes
// (SHA-256 and MD5): in memory up to a threshold, in a temporary file
// beyond it. PutSpoolIfAbsent writes it to a store; a body in a file is
// sent from the file when the store can (BodyPutter), so that a body of any
// size is written in bounded memory. Close removes the file.
type Spool struct {
	dir       string
	threshold int
	mem       []byte
	f         *os.File
	n         int64
	sha, md5  hash.Hash
	err       error
}

// NewSpool returns an empty Spool that keeps up to threshold bytes in
// memory and moves to a temporary file in dir ("": os.TempDir) beyond it.
func NewSpool(dir string, threshold int) *Spool {
	return &Spool{dir: dir, threshold: threshold, sha: sha256.New(), md5: md5.New()}
}

// Write appends p to the body.
func (s *Spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil && len(s.mem)+len(p) > s.threshold {
		f, err := os.CreateTemp(s.dir, "shoplake-spool-*")
		if err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			return 0, s.err
		}
		s.f = f
		if _, err := f.Write(s.mem); err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			return 0, s.err
		}
		s.mem = nil
	}
	if s.f != nil {
		if _, err := s.f.Write(p); err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			return 0, s.err
		}
	} else {
		s.mem = append(s.mem, p...)
	}
	s.sha.Write(p)
	s.md5.Write(p)
	s.n += int64(len(p))
	return len(p), nil
}

// SpoolFile adopts the file at path as a Spool's body, hashing it once:
// the Spool owns the file from then on (Close removes it), even when
// SpoolFile fails. It is how a file another program wrote (DuckDB's COPY
// TO) becomes a body to be put without being read into memory.
func SpoolFile(path string) (*Spool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("spool %s: %w", path, err)
	}
	s := &Spool{dir: filepath.Dir(path), f: f, sha: sha256.New(), md5: md5.New()}
	n, err := io.Copy(io.MultiWriter(s.sha, s.md5), f)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("spool %s: %w", path, err)
	}
	s.n = n
	if _, err := f.Seek(n, io.SeekStart); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("spool %s: %w", path, err)
	}
	return s, nil
}

// Path is the file that holds the body, "" while it is held in memory.
func (s *Spool) Path() string {
	if s.f == nil {
		return ""
	}
	return s.f.Name()
}

// Size is the bytes written so far.
func (s *Spool) Size() int64 { return s.n }

// SHA256 is the hex SHA-256 of the bytes written so far.
func (s *Spool) SHA256() string { return hex.EncodeToString(s.sha.Sum(nil)) }

// InMemory reports whether the body is held in memory (not in a file).
func (s *Spool) InMemory() bool { return s.f == nil }

// Bytes returns the body: the spool's memory when it is held there, else
// the file read whole.
func (s *Spool) Bytes() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.f == nil {
		return s.mem, nil
	}
	b := make([]byte, s.n)
	if _, err := s.f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return b, nil
}

// Body returns the body to be read from its start.
func (s *Spool) Body() (Body, error) {
	if s.err != nil {
		return Body{}, s.err
	}
	b := Body{Size: s.n, SHA256: s.SHA256()}
	copy(b.MD5[:], s.md5.Sum(nil))
	if s.f == nil {
		b.R = bytes.NewReader(s.mem)
		return b, nil
	}
	b.R = io.NewSectionReader(s.f, 0, s.n)
	return b, nil
}

// Close removes the spool's file, if any, and drops its memory.
func (s *Spool) Close() error {
	s.mem = nil
	if s.f == nil {
		return nil
	}
	f := s.f
	s.f, s.err = nil, errors.New("spool: closed")
	err := f.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}

// PutSpoolIfAbsent writes the body of s at key with a conditional put
// (Store.PutIfAbsent): from memory when s holds it there, from its file
// when the store is a BodyPutter, and else read whole. It returns
// ErrExists if the key is already written.
func PutSpoolIfAbsent(ctx context.Context, st Store, key string, s *Spool) error {
	bp, streams := st.(BodyPutter)
	if s.InMemory() || !streams {
		b, err := s.Bytes()
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		return st.PutIfAbsent(ctx, key, b)
	}
	b, err := s.Body()
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return bp.PutBodyIfAbsent(ctx, key, b)
}

// checkingReader reads an object's body, hashing it, and checks it
// against the SHA-256 recorded at write when it reaches the end.
type checkingReader struct {
	body     io.ReadCloser
	key      string
	recorded string
	h        hash.Hash
	n        int64
	head     []byte
	err      error // sticky: the end's verdict, or a read that failed
}

func (r *checkingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.body.Read(p)
	if n > 0 {
		r.h.Write(p[:n])
		if len(r.head) < HeadBytes {
			r.head = append(r.head, p[:min(n, HeadBytes-len(r.head))]...)
		}
		r.n += int64(n)
	}
	switch {
	case errors.Is(err, io.EOF):
		got := hex.EncodeToString(r.h.Sum(nil))
		if r.recorded == "" || got != r.recorded {
			r.err = &ChecksumError{Key: r.key, Got: got, Recorded: r.recorded, Size: r.n, Head: r.head}
		} else {
			r.err = io.EOF
		}
		return n, r.err
	case err != nil:
		r.err = fmt.Errorf("read %s: %w", r.key, err)
		return n, r.err
	}
	return n, nil
}

func (r *checkingReader) Close() error { return r.body.Close() }

// Getter is what OpenObject needs of a store.
type Getter interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// OpenObject returns a reader of the body at key: the store's stream when
// it is an Opener (checked at its end), else the body Get returns (checked
// whole before the first byte is read). Errors are those of Open and Get.
func OpenObject(ctx context.Context, st Getter, key string) (io.ReadCloser, error) {
	if op, ok := st.(Opener); ok {
		return op.Open(ctx, key)
	}
	body, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}
