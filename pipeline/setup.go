package pipeline

import (
	"context"
	"fmt"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/stream"
)

// The statuses of a SetupStep.
const (
	SetupCreated     = "created"      // the resource did not exist; this run made it
	SetupUpdated     = "updated"      // the resource existed; this run changed a setting
	SetupExists      = "exists"       // already as wanted: nothing done
	SetupWouldCreate = "would create" // --dry-run: it does not exist
	SetupWouldUpdate = "would update" // --dry-run: a setting differs
	SetupSkipped     = "skipped"      // not applicable here; Detail says why
	SetupDiffers     = "differs"      // exists, differs, and is left alone; Detail says how
)

// SetupStep is one resource shoplake setup looked at.
type SetupStep struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Detail   string `json:"detail,omitempty"`
}

// SetupOptions are what Setup creates.
type SetupOptions struct {
	Bucket lake.BucketPolicy
	Stream stream.StreamSpec
	// StreamKMSKey encrypts the stream (mode aws); "" leaves it as it is.
	StreamKMSKey string
	// DryRun reads and reports, and changes nothing.
	DryRun bool
	// Clock paces the wait for the stream to become active.
	Clock clock.Clock
}

// Setup idempotently creates what the pipeline needs in the account env
// reaches: the lake's bucket (in env's region), with its encryption, its
// public access blocked and the lifecycle rules of the zones, and the
// clickstream's stream, provisioned or on demand, encrypted. Each resource
// is reported with its status; running it again reports every one
// "exists". In mode local the bucket settings and the stream encryption
// are skipped: the local endpoints keep no such settings.
//
// It stops at the first error, returning the steps done so far.
func Setup(ctx context.Context, env *Env, mode string, opts SetupOptions) ([]SetupStep, error) {
	var steps []SetupStep
	add := func(resource, name, status, detail string) {
		steps = append(steps, SetupStep{Resource: resource, Name: name, Status: status, Detail: detail})
	}
	changed := func(c bool, now, would string) string {
		switch {
		case !c:
			return SetupExists
		case opts.DryRun:
			return would
		}
		return now
	}
	bucket := env.Lake.Bucket()
	exists, err := env.Lake.BucketExists(ctx)
	if err != nil {
		return steps, err
	}
	switch {
	case exists:
		add("s3 bucket", bucket, SetupExists, "region "+env.Region)
	case opts.DryRun:
		add("s3 bucket", bucket, SetupWouldCreate, "region "+env.Region)
	default:
		created, err := env.Lake.CreateBucket(ctx)
		if err != nil {
			return steps, err
		}
		add("s3 bucket", bucket, changed(created, SetupCreated, SetupWouldCreate), "region "+env.Region)
	}
	if mode == config.ModeLocal {
		const why = "the local S3 endpoint keeps no bucket settings"
		add("bucket encryption", bucket, SetupSkipped, why)
		add("public access block", bucket, SetupSkipped, why)
		add("lifecycle rules", bucket, SetupSkipped, why)
	} else if !exists && opts.DryRun {
		add("bucket encryption", bucket, SetupWouldUpdate, encryptionDetail(opts.Bucket))
		add("public access block", bucket, SetupWouldUpdate, "all four blocks on")
		add("lifecycle rules", bucket, SetupWouldUpdate, lifecycleDetail(opts.Bucket))
	} else {
		c, detail, err := env.Lake.EnsureEncryption(ctx, opts.Bucket, opts.DryRun)
		if err != nil {
			return steps, err
		}
		add("bucket encryption", bucket, changed(c, SetupUpdated, SetupWouldUpdate), detail)
		if c, err = env.Lake.EnsurePublicAccessBlocked(ctx, opts.DryRun); err != nil {
			return steps, err
		}
		add("public access block", bucket, changed(c, SetupUpdated, SetupWouldUpdate), "all four blocks on")
		if c, err = env.Lake.EnsureLifecycle(ctx, opts.Bucket, opts.DryRun); err != nil {
			return steps, err
		}
		add("lifecycle rules", bucket, changed(c, SetupUpdated, SetupWouldUpdate), lifecycleDetail(opts.Bucket))
	}

	spec := opts.Stream
	want := fmt.Sprintf("%d shards, provisioned", spec.Shards)
	if spec.OnDemand {
		want = "on-demand"
	}
	st, err := stream.DescribeStream(ctx, env.Kinesis, spec.Name)
	if err != nil {
		return steps, err
	}
	switch {
	case st.Exists:
		have := fmt.Sprintf("%d shards, provisioned", st.Shards)
		if st.OnDemand {
			have = fmt.Sprintf("on-demand, %d shards", st.Shards)
		}
		if st.OnDemand != spec.OnDemand || (!spec.OnDemand && st.Shards != spec.Shards) {
			add("kinesis stream", spec.Name, SetupDiffers, fmt.Sprintf("%s; asked for %s: left as it is (reshard with aws kinesis update-shard-count)", have, want))
		} else {
			add("kinesis stream", spec.Name, SetupExists, have)
		}
	case opts.DryRun:
		add("kinesis stream", spec.Name, SetupWouldCreate, want)
	default:
		created, err := stream.CreateStreamSpec(ctx, env.Kinesis, opts.Clock, spec)
		if err != nil {
			return steps, err
		}
		add("kinesis stream", spec.Name, changed(created, SetupCreated, SetupWouldCreate), want)
	}
	switch {
	case mode == config.ModeLocal:
		add("stream encryption", spec.Name, SetupSkipped, "the local Kinesis endpoint does not encrypt")
	case opts.StreamKMSKey == "":
		add("stream encryption", spec.Name, SetupSkipped, "no key asked for")
	case st.Exists && st.KMSKey != "":
		add("stream encryption", spec.Name, SetupExists, "KMS "+st.KMSKey)
	case opts.DryRun:
		add("stream encryption", spec.Name, SetupWouldUpdate, "KMS "+opts.StreamKMSKey)
	default:
		if err := stream.EncryptStream(ctx, env.Kinesis, spec.Name, opts.StreamKMSKey); err != nil {
			return steps, err
		}
		add("stream encryption", spec.Name, SetupUpdated, "KMS "+opts.StreamKMSKey)
	}
	return steps, nil
}

func encryptionDetail(p lake.BucketPolicy) string {
	if p.KMSKeyID != "" {
		return "SSE-KMS " + p.KMSKeyID
	}
	return "SSE-S3 (AES256)"
}

func lifecycleDetail(p lake.BucketPolicy) string {
	class := p.RawArchiveClass
	if class == "" {
		class = lake.ArchiveGlacierIR
	}
	return fmt.Sprintf("raw/: STANDARD_IA after %dd, %s after %dd; %s: expire after %dd; multipart: abort after %dd",
		p.RawInfrequentDays, class, p.RawGlacierDays, lake.QuarantineExpiring, p.QuarantineExpireDays, p.AbortMultipartDays)
}
