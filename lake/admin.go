package lake

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// BucketPolicy is how shoplake setup configures the lake's bucket: the same
// settings as deploy/aws/template.yaml. Days of 0 leave a transition or an
// expiration out.
type BucketPolicy struct {
	// KMSKeyID, if set, encrypts objects with that KMS key (SSE-KMS);
	// otherwise with S3-managed keys (SSE-S3).
	KMSKeyID string
	// RawInfrequentDays moves RAW objects to STANDARD_IA after that many
	// days; RawGlacierDays to RawArchiveClass (GLACIER_IR when empty).
	RawInfrequentDays, RawGlacierDays int32
	RawArchiveClass                   string
	// QuarantineExpireDays deletes the stream's dead letters
	// (QuarantineExpiring) after that many days.
	QuarantineExpireDays int32
	// AbortMultipartDays aborts incomplete multipart uploads after that
	// many days.
	AbortMultipartDays int32
}

// DefaultBucketPolicy returns the defaults of shoplake setup and of the
// template.
func DefaultBucketPolicy() BucketPolicy {
	return BucketPolicy{RawInfrequentDays: 30, RawGlacierDays: 90, QuarantineExpireDays: 30, AbortMultipartDays: 7}
}

// The lifecycle rules shoplake owns, by ID; rules with other IDs are the
// account's and are kept as they are.
const (
	ruleRaw        = "shoplake-raw-tiering"
	ruleQuarantine = "shoplake-quarantine-expiry"
	ruleMultipart  = "shoplake-abort-multipart"
)

// EnsureEncryption sets the bucket's default encryption to p's unless it is
// already so. With dryRun it changes nothing. changed says whether a change
// was (or, with dryRun, would be) made.
func (s *S3Store) EnsureEncryption(ctx context.Context, p BucketPolicy, dryRun bool) (changed bool, detail string, err error) {
	want := types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}
	detail = "SSE-S3 (AES256)"
	if p.KMSKeyID != "" {
		want = types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(p.KMSKeyID)}
		detail = "SSE-KMS " + p.KMSKeyID
	}
	out, err := s.client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &s.bucket})
	if err != nil && !isCode(err, "ServerSideEncryptionConfigurationNotFoundError", "NoSuchBucket") {
		return false, detail, fmt.Errorf("get encryption of bucket %s: %w", s.bucket, err)
	}
	if err == nil && out.ServerSideEncryptionConfiguration != nil {
		for _, r := range out.ServerSideEncryptionConfiguration.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm == want.SSEAlgorithm &&
				aws.ToString(d.KMSMasterKeyID) == aws.ToString(want.KMSMasterKeyID) {
				return false, detail, nil
			}
		}
	}
	if dryRun {
		return true, detail, nil
	}
	_, err = s.client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: &s.bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &want, BucketKeyEnabled: aws.Bool(p.KMSKeyID != ""),
		}}},
	})
	if err != nil {
		return false, detail, fmt.Errorf("put encryption of bucket %s: %w", s.bucket, err)
	}
	return true, detail, nil
}

// EnsurePublicAccessBlocked blocks every kind of public access to the
// bucket unless it is already blocked.
func (s *S3Store) EnsurePublicAccessBlocked(ctx context.Context, dryRun bool) (changed bool, err error) {
	want := types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
	}
	out, err := s.client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &s.bucket})
	if err != nil && !isCode(err, "NoSuchPublicAccessBlockConfiguration", "NoSuchBucket") {
		return false, fmt.Errorf("get public access block of bucket %s: %w", s.bucket, err)
	}
	if err == nil && out.PublicAccessBlockConfiguration != nil {
		c := out.PublicAccessBlockConfiguration
		if aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.RestrictPublicBuckets) {
			return false, nil
		}
	}
	if dryRun {
		return true, nil
	}
	if _, err := s.client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &s.bucket, PublicAccessBlockConfiguration: &want}); err != nil {
		return false, fmt.Errorf("block public access to bucket %s: %w", s.bucket, err)
	}
	return true, nil
}

// LifecycleRules returns the lifecycle rules p asks for, under the store's
// prefix: RAW tiered to infrequent access and the archive class, the
// stream's dead letters (QuarantineExpiring) expired, incomplete multipart
// uploads aborted. The transform's QUARANTINE files are not expired: the
// staging manifests name them (see Retention).
func (s *S3Store) LifecycleRules(p BucketPolicy) []types.LifecycleRule {
	var rules []types.LifecycleRule
	var tiers []types.Transition
	if p.RawInfrequentDays > 0 {
		tiers = append(tiers, types.Transition{Days: aws.Int32(p.RawInfrequentDays), StorageClass: types.TransitionStorageClassStandardIa})
	}
	if p.RawGlacierDays > 0 {
		class := types.TransitionStorageClassGlacierIr
		if p.RawArchiveClass != "" {
			class = types.TransitionStorageClass(p.RawArchiveClass)
		}
		tiers = append(tiers, types.Transition{Days: aws.Int32(p.RawGlacierDays), StorageClass: class})
	}
	if len(tiers) > 0 {
		rules = append(rules, types.LifecycleRule{ID: aws.String(ruleRaw), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String(s.prefix + "raw/")}, Transitions: tiers})
	}
	if p.QuarantineExpireDays > 0 {
		rules = append(rules, types.LifecycleRule{ID: aws.String(ruleQuarantine), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String(s.prefix + QuarantineExpiring)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(p.QuarantineExpireDays)}})
	}
	if p.AbortMultipartDays > 0 {
		rules = append(rules, types.LifecycleRule{ID: aws.String(ruleMultipart), Status: types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String(s.prefix)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(p.AbortMultipartDays)}})
	}
	return rules
}

// EnsureLifecycle sets shoplake's lifecycle rules (LifecycleRules) on the
// bucket unless they are already there, keeping every rule of the bucket
// that shoplake does not own.
func (s *S3Store) EnsureLifecycle(ctx context.Context, p BucketPolicy, dryRun bool) (changed bool, err error) {
	want := s.LifecycleRules(p)
	out, err := s.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &s.bucket})
	if err != nil && !isCode(err, "NoSuchLifecycleConfiguration", "NoSuchBucket") {
		return false, fmt.Errorf("get lifecycle of bucket %s: %w", s.bucket, err)
	}
	var have []types.LifecycleRule
	if err == nil {
		have = out.Rules
	}
	var keep []types.LifecycleRule
	ours := map[string]types.LifecycleRule{}
	for _, r := range have {
		switch id := aws.ToString(r.ID); id {
		case ruleRaw, ruleQuarantine, ruleMultipart:
			ours[id] = r
		default:
			keep = append(keep, r)
		}
	}
	same := len(ours) == len(want)
	for _, w := range want {
		if h, ok := ours[aws.ToString(w.ID)]; !ok || !sameRule(h, w) {
			same = false
		}
	}
	if same {
		return false, nil
	}
	if dryRun {
		return true, nil
	}
	rules := append(keep, want...)
	sort.SliceStable(rules, func(i, j int) bool { return aws.ToString(rules[i].ID) < aws.ToString(rules[j].ID) })
	_, err = s.client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: &s.bucket, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		return false, fmt.Errorf("put lifecycle of bucket %s: %w", s.bucket, err)
	}
	return true, nil
}

// sameRule compares the parts of a lifecycle rule that shoplake sets.
func sameRule(a, b types.LifecycleRule) bool {
	prefix := func(r types.LifecycleRule) string {
		if r.Filter != nil {
			return aws.ToString(r.Filter.Prefix)
		}
		return aws.ToString(r.Prefix) //nolint:staticcheck // older rules
	}
	days := func(e *types.LifecycleExpiration) int32 {
		if e == nil {
			return 0
		}
		return aws.ToInt32(e.Days)
	}
	abort := func(x *types.AbortIncompleteMultipartUpload) int32 {
		if x == nil {
			return 0
		}
		return aws.ToInt32(x.DaysAfterInitiation)
	}
	type tier struct {
		days  int32
		class types.TransitionStorageClass
	}
	tiers := func(ts []types.Transition) []tier {
		var out []tier
		for _, t := range ts {
			out = append(out, tier{aws.ToInt32(t.Days), t.StorageClass})
		}
		return out
	}
	return a.Status == b.Status && prefix(a) == prefix(b) && days(a.Expiration) == days(b.Expiration) &&
		abort(a.AbortIncompleteMultipartUpload) == abort(b.AbortIncompleteMultipartUpload) &&
		reflect.DeepEqual(tiers(a.Transitions), tiers(b.Transitions))
}

// BucketExists reports whether the store's bucket exists (and is reachable
// with the store's credentials).
func (s *S3Store) BucketExists(ctx context.Context) (bool, error) {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	var nf *types.NotFound
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &nf), isCode(err, "NoSuchBucket", "NotFound"):
		return false, nil
	}
	return false, fmt.Errorf("head bucket %s: %w", s.bucket, err)
}

// isCode reports whether err is an API error with one of codes.
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}
