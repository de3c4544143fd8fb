package lake

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// MetaSHA256 is the user-metadata name (x-amz-meta-sha256) under which every
// object carries the hex SHA-256 of its body.
const MetaSHA256 = "sha256"

// S3Store is a Store on the S3 API: AWS, or the local gofakes3 endpoint of
// lake/s3local. Both go through the same aws-sdk-go-v2 client; only the
// client's endpoint differs.
type S3Store struct {
	client *s3.Client
	bucket string
	prefix string
}

var _ Store = (*S3Store)(nil)

// NewS3Store returns a Store over bucket. prefix, if not empty, is prepended
// to every key (it must end with '/').
func NewS3Store(client *s3.Client, bucket, prefix string) *S3Store {
	return &S3Store{client: client, bucket: bucket, prefix: prefix}
}

// Bucket returns the bucket the store writes to.
func (s *S3Store) Bucket() string { return s.bucket }

// EnsureBucket creates the store's bucket if it does not exist yet.
func (s *S3Store) EnsureBucket(ctx context.Context) error {
	_, err := s.CreateBucket(ctx)
	return err
}

// CreateBucket creates the store's bucket in the client's region unless it
// exists, and says whether this call created it. Outside us-east-1 the
// request names the region as its location constraint, as S3 requires.
func (s *S3Store) CreateBucket(ctx context.Context) (created bool, err error) {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err == nil {
		return false, nil
	}
	in := &s3.CreateBucketInput{Bucket: &s.bucket}
	if region := s.Region(); region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	_, err = s.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &owned):
		return false, nil
	}
	return false, fmt.Errorf("create bucket %s in %s: %w", s.bucket, s.Region(), err)
}

// Client returns the store's S3 client, for the bucket's administration
// (shoplake setup).
func (s *S3Store) Client() *s3.Client { return s.client }

// PutIfAbsent writes body at key with If-None-Match: *, a Content-MD5 that
// the server checks on arrival and the body's SHA-256 in the metadata. It
// returns ErrExists if the key is already written.
func (s *S3Store) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	return s.put(ctx, key, body, true)
}

// Put writes body at key unconditionally.
func (s *S3Store) Put(ctx context.Context, key string, body []byte) error {
	return s.put(ctx, key, body, false)
}

func (s *S3Store) put(ctx context.Context, key string, body []byte, ifAbsent bool) error {
	in, err := s.putInput(key, body)
	if err != nil {
		return err
	}
	return s.putObject(ctx, key, in, ifAbsent)
}

var (
	_ BodyPutter = (*S3Store)(nil)
	_ Opener     = (*S3Store)(nil)
)

// PutBodyIfAbsent is PutIfAbsent with a body sent from b.R as it is read,
// never held whole in memory, with b's size, MD5 (Content-MD5) and SHA-256
// (the metadata), which the caller computed as it wrote the body
// (Spool).
func (s *S3Store) PutBodyIfAbsent(ctx context.Context, key string, b Body) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if _, err := b.R.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + key),
		Body:          b.R,
		ContentLength: aws.Int64(b.Size),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(b.MD5[:])),
		Metadata:      map[string]string{MetaSHA256: b.SHA256},
	}
	return s.putObject(ctx, key, in, true)
}

func (s *S3Store) putObject(ctx context.Context, key string, in *s3.PutObjectInput, ifAbsent bool) error {
	if ifAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		if ifAbsent && isPreconditionFailed(err) {
			return fmt.Errorf("put %s: %w", key, ErrExists)
		}
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

func (s *S3Store) putInput(key string, body []byte) (*s3.PutObjectInput, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	md := md5.Sum(body)
	return &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(md[:])),
		Metadata:      map[string]string{MetaSHA256: hex.EncodeToString(sum[:])},
	}, nil
}

// PutIfMatch writes body at key only if the object there is still the
// version whose ETag the caller read (If-Match: etag), or, with an empty
// etag, only if there is no object yet (If-None-Match: *). It returns the
// ETag of the version it wrote. It fails with ErrChanged if the object is
// another version (or was deleted) and with ErrExists if etag is empty and
// the key is written; in both cases it writes nothing. This compare-and-swap
// is what leases are built on: two writers that read the same version cannot
// both replace it.
func (s *S3Store) PutIfMatch(ctx context.Context, key string, body []byte, etag string) (string, error) {
	in, err := s.putInput(key, body)
	if err != nil {
		return "", err
	}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.PutObject(ctx, in)
	switch {
	case err == nil:
		return aws.ToString(out.ETag), nil
	case isPreconditionFailed(err) && etag == "":
		return "", fmt.Errorf("put %s if absent: %w", key, ErrExists)
	case isPreconditionFailed(err) || (etag != "" && httpStatus(err) == http.StatusNotFound):
		return "", fmt.Errorf("put %s if match %s: %w", key, etag, ErrChanged)
	default:
		return "", fmt.Errorf("put %s: %w", key, err)
	}
}

// GetWithETag is Get that also returns the ETag of the version it read, for
// a later PutIfMatch.
func (s *S3Store) GetWithETag(ctx context.Context, key string) ([]byte, string, error) {
	return s.get(ctx, key)
}

// Get reads key and verifies its body against the recorded SHA-256.
func (s *S3Store) Get(ctx context.Context, key string) ([]byte, error) {
	body, _, err := s.get(ctx, key)
	return body, err
}

func (s *S3Store) get(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) || httpStatus(err) == http.StatusNotFound {
			return nil, "", fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, "", fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	var body []byte
	if n := aws.ToInt64(out.ContentLength); n > 0 && n < 1<<31 {
		// One allocation of the announced size (io.ReadAll would grow to
		// up to twice it); a body longer or shorter than announced is
		// still read whole and checked below.
		buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
		_, err = buf.ReadFrom(out.Body)
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(out.Body)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", key, err)
	}
	if err := checkBody(key, body, out.Metadata[MetaSHA256]); err != nil {
		return nil, "", err
	}
	return body, aws.ToString(out.ETag), nil
}

// Open returns a reader of the body at key that verifies it against the
// recorded SHA-256 at its end (Opener): Get without holding the body.
func (s *S3Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) || httpStatus(err) == http.StatusNotFound {
			return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return &checkingReader{body: out.Body, key: key, recorded: out.Metadata[MetaSHA256], h: sha256.New()}, nil
}

// List returns every object under prefix, sorted by key, with its size and
// ETag. The SHA-256 is not filled in (it would take one HEAD per object);
// Get verifies it.
func (s *S3Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var infos []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket,
		Prefix: aws.String(s.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			infos = append(infos, ObjectInfo{Key: aws.ToString(o.Key)[len(s.prefix):], Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)})
		}
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	return infos, nil
}

func isPreconditionFailed(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict") {
		return true
	}
	return httpStatus(err) == http.StatusPreconditionFailed
}

func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Head returns key's size, ETag and the SHA-256 recorded when it was
// written (empty when none was), without reading its body. It returns
// ErrNotFound if there is no object.
func (s *S3Store) Head(ctx context.Context, key string) (ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		var nf *types.NotFound
		if errors.As(err, &nf) || httpStatus(err) == http.StatusNotFound {
			return ObjectInfo{}, fmt.Errorf("head %s: %w", key, ErrNotFound)
		}
		return ObjectInfo{}, fmt.Errorf("head %s: %w", key, err)
	}
	return ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag), SHA256: out.Metadata[MetaSHA256]}, nil
}

// Delete removes the object at key. Deleting a key that holds nothing is
// not an error (S3's DeleteObject is idempotent). Only shoplake prune
// deletes: every other writer of the lake only adds.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}
