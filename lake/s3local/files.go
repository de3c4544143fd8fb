package s3local

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
)

// fileBackend is gofakes3's file backend with two repairs.
//
// Puts are all or nothing, as S3's are. gofakes3's file backend creates the
// object's file before it reads the body: a body that fails its Content-MD5
// or is cut short left a half-written file with no metadata, visible to
// conditional puts and breaking every later listing of its prefix (a
// scenario's partial write found it). The body is read whole, and verified
// by gofakes3's hashing reader, before the backend sees it: in memory when
// it is small, in a temporary file under <dir>/tmp when it is not
// (receive).
//
// A file that did not come through the S3 API (dropped into
// <dir>/buckets/<bucket>/ by hand or by another program) has no metadata
// file, and gofakes3 answers every listing that reaches it, and every read
// or conditional put of its key, with an unnamed 500 InternalError. Such a
// file is adopted instead: the backend records metadata for it (its size,
// modification time and MD5, and no user metadata), without touching the
// file, and serves it as S3 serves an object that another tool uploaded
// without shoplake's x-amz-meta-sha256. Readers then see it for what it is
// (lake.ErrForeign): the load quarantines it, shoplake verify reports it.
// If it cannot be adopted (a read-only metadata folder), the error names
// the file and what to do.
type fileBackend struct {
	*s3afero.MultiBucketBackend
	dir string // holds buckets/<bucket>/<key> and metadata/<bucket>/...

	// mu orders adoption with the writes of the backend: a file being put
	// has no metadata until its put ends, and must not be adopted.
	mu sync.Mutex
}

// The operations that read an object's metadata: on an error that is not
// one of gofakes3's answers, adopt the files in their scope and try once
// more.

func (b *fileBackend) ListBucket(bucket string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := b.listBucket(bucket, prefix, page)
	if !unexplained(err) {
		return list, err
	}
	scope := ""
	if prefix != nil && prefix.HasPrefix {
		scope = prefix.Prefix
	}
	if rerr := b.adopt(bucket, scope); rerr != nil {
		return nil, rerr
	}
	return b.listBucket(bucket, prefix, page)
}

// listBucket lists the objects under a prefix without a delimiter by
// walking only the folder of the prefix's last '/': gofakes3's file backend
// walks the whole bucket for such a listing, and reads the metadata of
// every object in it, so a listing of one day's partition cost as much as
// the whole lake's. Each object found is read as HeadObject reads it (its
// metadata, adopted if missing). Other listings go to gofakes3.
func (b *fileBackend) listBucket(bucket string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	if prefix == nil || !prefix.HasPrefix || prefix.HasDelimiter || !page.IsEmpty() || gofakes3.ValidateBucketName(bucket) != nil {
		return b.MultiBucketBackend.ListBucket(bucket, prefix, page)
	}
	root := filepath.Join(b.dir, "buckets", bucket)
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return b.MultiBucketBackend.ListBucket(bucket, prefix, page)
	}
	dir := prefix.Prefix[:strings.LastIndexByte(prefix.Prefix, '/')+1]
	type found struct {
		key   string
		mtime time.Time
	}
	var files []found
	err := walkKeys(root, filepath.Join(root, filepath.FromSlash(dir)), prefix.Prefix, func(_, key string, d fs.DirEntry) error {
		info, err := d.Info()
		if err != nil {
			if os.IsNotExist(err) {
				return nil // deleted since the folder was read
			}
			return err
		}
		files = append(files, found{key: key, mtime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].key < files[j].key })
	list := gofakes3.NewObjectList()
	for _, f := range files {
		obj, err := b.MultiBucketBackend.HeadObject(bucket, f.key)
		if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
			continue // deleted since the walk
		} else if err != nil {
			return nil, err
		}
		list.Add(&gofakes3.Content{Key: f.key, LastModified: gofakes3.NewContentTime(f.mtime), ETag: gofakes3.FormatETag(obj.Hash), Size: obj.Size})
	}
	return list, nil
}

func (b *fileBackend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := b.MultiBucketBackend.HeadObject(bucket, key)
	if !unexplained(err) {
		return obj, err
	}
	if rerr := b.adopt(bucket, key); rerr != nil {
		return nil, rerr
	}
	return b.MultiBucketBackend.HeadObject(bucket, key)
}

func (b *fileBackend) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.MultiBucketBackend.GetObject(bucket, key, rng)
	if !unexplained(err) {
		return obj, err
	}
	if rerr := b.adopt(bucket, key); rerr != nil {
		return nil, rerr
	}
	return b.MultiBucketBackend.GetObject(bucket, key, rng)
}

func (b *fileBackend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	body, err := b.receive(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	defer body.Close()
	put := func() (gofakes3.PutObjectResult, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
		return b.MultiBucketBackend.PutObject(bucket, key, copyMeta(meta), body, size, cond)
	}
	res, err := put()
	if !unexplained(err) || cond == nil {
		return res, err
	}
	// A conditional put reads the metadata of what the key holds.
	if rerr := b.adopt(bucket, key); rerr != nil {
		return res, rerr
	}
	return put()
}

func (b *fileBackend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.MultiBucketBackend.DeleteObject(bucket, key)
}

func (b *fileBackend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.MultiBucketBackend.DeleteMulti(bucket, keys...)
}

// memoryBodyLimit is the largest body a put holds in memory while it is
// received; a larger one is received into a temporary file (receive).
const memoryBodyLimit = 1 << 20

// receive reads the whole body of a put, size bytes, which gofakes3's
// hashing reader checks against its Content-MD5 at the end, before the
// object's file is created: in memory up to memoryBodyLimit, in a
// temporary file under <dir>/tmp beyond it (a snapshot of a third of a
// million users is over 100 MB), removed by Close. A body shorter or
// longer than size is ErrIncompleteBody.
func (b *fileBackend) receive(input io.Reader, size int64) (receivedBody, error) {
	if size <= memoryBodyLimit {
		body, err := io.ReadAll(io.LimitReader(input, size+1))
		if err != nil {
			return nil, err
		}
		if int64(len(body)) != size {
			return nil, gofakes3.ErrIncompleteBody
		}
		return nopCloser{bytes.NewReader(body)}, nil
	}
	tmp := filepath.Join(b.dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmp, "put-*")
	if err != nil {
		return nil, err
	}
	body := &tempBody{File: f}
	n, err := io.Copy(f, io.LimitReader(input, size+1))
	if err == nil && n != size {
		err = gofakes3.ErrIncompleteBody
	}
	if err != nil {
		body.Close()
		return nil, err
	}
	return body, nil
}

// receivedBody is the body of a put, received whole.
type receivedBody interface {
	io.ReadSeeker
	Close() error
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// tempBody is a body received into a temporary file: Close removes it.
type tempBody struct{ *os.File }

func (t *tempBody) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.File.Name()); err == nil {
		err = rerr
	}
	return err
}

// copyMeta copies m: gofakes3 merges an existing object's metadata into
// the map it is given, and a retried put must start from the caller's.
func copyMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// unexplained reports whether err is a failure of the file backend itself
// (which gofakes3 answers as an unnamed 500) rather than one of its S3
// answers (NoSuchKey, PreconditionFailed...).
func unexplained(err error) bool {
	var ge gofakes3.Error
	return err != nil && !errors.As(err, &ge)
}

// adopt records metadata for every file of bucket under scope (a key, or a
// key prefix) that has none, and returns nil if it did so for at least
// one: the caller's operation is worth retrying. Otherwise it returns an
// S3 error that names the first file whose metadata is missing or
// unreadable, or says that none was found.
func (b *fileBackend) adopt(bucket, scope string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	root := filepath.Join(b.dir, "buckets", bucket)
	start := filepath.Join(root, filepath.FromSlash(path.Dir("/"+scope+"x")))
	if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(scope))); err == nil && !st.IsDir() {
		start = filepath.Join(root, filepath.FromSlash(scope))
	}
	adopted := 0
	var bad error
	err := walkKeys(root, start, scope, func(p, key string, _ fs.DirEntry) error {
		mp := b.metaPath(bucket, key)
		raw, err := os.ReadFile(mp)
		switch {
		case err == nil:
			var m s3afero.Metadata
			if jerr := json.Unmarshal(raw, &m); jerr != nil && bad == nil {
				bad = fmt.Errorf("%s: its metadata %s is unreadable (%v): move the file out of the lake folder, or delete the metadata file to have it served as an object with no metadata", p, mp, jerr)
			}
			return nil
		case !os.IsNotExist(err):
			return err
		}
		if aerr := adoptFile(p, mp, bucket, key); aerr != nil {
			if bad == nil {
				bad = fmt.Errorf("%s was not written through the S3 API (no metadata): move it out of the lake folder, or upload it with aws s3 cp (recording its metadata failed: %v)", p, aerr)
			}
			return nil
		}
		adopted++
		return nil
	})
	switch {
	case err != nil:
		return gofakes3.ErrorMessagef(gofakes3.ErrInternal, "lake folder %s: %v", start, err)
	case adopted > 0:
		return nil
	case bad != nil:
		return gofakes3.ErrorMessage(gofakes3.ErrInternal, bad.Error())
	}
	return gofakes3.ErrorMessagef(gofakes3.ErrInternal, "lake folder %s: the file backend failed, and every file there has readable metadata", start)
}

// walkKeys calls fn with the path and key of every file under start (a
// folder of the bucket's folder root, or one file) whose key, its path
// relative to root with '/' separators, starts with prefix. A start that
// does not exist, or a file gone during the walk, is no error.
func walkKeys(root, start, prefix string, fn func(path, key string, d fs.DirEntry) error) error {
	return filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		return fn(p, key, d)
	})
}

// metaPath is where gofakes3's file backend keeps the metadata of key
// (s3afero's metaStore.metaPath: the key with '/' and '\' made '_', a dash,
// and the hex FNV-128a of the key, under metadata/<bucket>/).
// TestServer_ForeignFile fails if a new gofakes3 moves it.
func (b *fileBackend) metaPath(bucket, key string) string {
	h := fnv.New128a()
	h.Write([]byte(key))
	name := strings.NewReplacer("/", "_", "\\", "_").Replace(key) + "-" + hex.EncodeToString(h.Sum(nil))
	return filepath.Join(b.dir, "metadata", bucket, name)
}

// adoptFile writes the metadata of the file at p as s3afero writes it for
// a put with no user metadata, atomically (a temporary file renamed).
func adoptFile(p, mp, bucket, key string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	m := s3afero.Metadata{File: path.Join(bucket, key), ModTime: st.ModTime(), Size: st.Size(), Hash: h.Sum(nil), Meta: map[string]string{}}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(mp), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(mp), ".adopt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), mp)
}
