package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/stream"
)

func newSetupCmd(g *globalFlags) *cobra.Command {
	var (
		dataDir  string
		shards   int
		onDemand bool
		kmsKey   string
		streamKM string
		dryRun   bool
		asJSON   bool
		policy   = lake.DefaultBucketPolicy()
	)
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create the bucket and the stream the pipeline needs (idempotent)",
		Long: `setup creates what the pipeline needs in the account (mode aws) or in the
data directory (mode local), and leaves alone what already exists:

  - the lake's bucket, in the configured region (or the AWS default chain's),
    with default encryption (SSE-S3, or SSE-KMS with --kms-key), every kind
    of public access blocked, and the lifecycle rules of the zones: RAW to
    STANDARD_IA and then GLACIER_IR, the stream's dead letters in
    QUARANTINE expired (lake.Retention; shoplake prune), incomplete
    multipart uploads aborted (rules of other IDs are kept);
  - the clickstream's Kinesis stream, provisioned with --shards shards
    (default kinesis.shards) or --on-demand, encrypted with the AWS-managed
    key (mode aws). An existing stream is never resharded.

Each resource is printed with its status: created, updated, exists, or with
--dry-run "would create" / "would update". Running it twice reports every
resource "exists". In mode local the bucket settings and the stream's
encryption are skipped: the local endpoints keep none.

deploy/aws/template.yaml creates the same resources (and the Lambda, the
alarms and the schedule) with CloudFormation; docs/AWS.md compares them.`,
		Example: "  shoplake setup\n" +
			"  SHOPLAKE_MODE=aws AWS_REGION=eu-west-1 shoplake setup --dry-run\n" +
			"  SHOPLAKE_MODE=aws shoplake setup --on-demand --kms-key alias/shoplake",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, dataDir)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("shards") {
				cfg.Kinesis.Shards = shards
			}
			if err := cfg.Check("shoplake setup", config.NeedLake|config.NeedStream); err != nil {
				return err
			}
			if onDemand && cmd.Flags().Changed("shards") {
				return fmt.Errorf("give --shards or --on-demand, not both")
			}
			policy.KMSKeyID = kmsKey
			opts := pipeline.SetupOptions{
				Bucket:       policy,
				Stream:       stream.StreamSpec{Name: cfg.Kinesis.Stream, Shards: cfg.Kinesis.Shards, OnDemand: onDemand},
				StreamKMSKey: streamKM,
				DryRun:       dryRun,
				Clock:        clock.Real{},
			}
			return runSetup(cmd, cfg, opts, asJSON)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "mode local: where the lake and the stream are kept")
	shards = config.DefaultConfig().Kinesis.Shards
	countVar(fs, &shards, "shards", "shards of a new provisioned stream (default kinesis.shards)")
	fs.BoolVar(&onDemand, "on-demand", false, "create the stream in on-demand capacity mode")
	fs.StringVar(&kmsKey, "kms-key", "", "encrypt the bucket with this KMS key (id, ARN or alias) instead of S3-managed keys")
	fs.StringVar(&streamKM, "stream-kms-key", "alias/aws/kinesis", "encrypt the stream with this KMS key (mode aws; empty: leave as it is)")
	fs.Int32Var(&policy.RawInfrequentDays, "raw-ia-days", policy.RawInfrequentDays, "move RAW objects to STANDARD_IA after this many days (0: never)")
	fs.Int32Var(&policy.RawGlacierDays, "raw-glacier-days", policy.RawGlacierDays, "move RAW objects to GLACIER_IR after this many days (0: never)")
	fs.Int32Var(&policy.QuarantineExpireDays, "quarantine-days", policy.QuarantineExpireDays, "delete the stream's dead letters (quarantine/events/) after this many days (0: never)")
	fs.BoolVar(&dryRun, "dry-run", false, "report what would be created or changed, and change nothing")
	fs.BoolVar(&asJSON, "json", false, "print the steps as JSON")
	return cmd
}

// setupReport is the --json output.
type setupReport struct {
	Mode      string               `json:"mode"`
	Region    string               `json:"region"`
	Endpoints map[string]string    `json:"endpoints"`
	DryRun    bool                 `json:"dry_run"`
	Steps     []pipeline.SetupStep `json:"steps"`
	Error     string               `json:"error,omitempty"`
}

func runSetup(cmd *cobra.Command, cfg config.Config, opts pipeline.SetupOptions, asJSON bool) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	// In mode local, the data directory's lake and persisted streams. A dry
	// run creates nothing, the directory included: with none yet, the
	// local endpoints run over an empty temporary one, and every resource
	// would be created.
	if opts.DryRun && cfg.Mode == config.ModeLocal {
		if _, err := os.Stat(cfg.DataDir); errors.Is(err, os.ErrNotExist) {
			tmp, err := os.MkdirTemp("", "shoplake-setup-dry-run-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			cfg.DataDir = tmp
		}
	}
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: opts.Clock, PersistStreams: true})
	if err != nil {
		return err
	}
	defer env.Close()
	steps, runErr := pipeline.Setup(ctx, env, cfg.Mode, opts)
	rep := setupReport{Mode: cfg.Mode, Region: env.Region, Endpoints: map[string]string{"s3": env.Endpoints["s3"], "kinesis": env.Endpoints["kinesis"]}, DryRun: opts.DryRun, Steps: steps}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	out := cmd.OutOrStdout()
	if err := report(out, asJSON, rep, printSetup); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("setup: %w", runErr)
	}
	return nil
}

func printSetup(w io.Writer, rep setupReport) {
	dry := ""
	if rep.DryRun {
		dry = ", dry run: nothing changed"
	}
	fmt.Fprintf(w, "mode %s, region %s%s\ns3       %s\nkinesis  %s\n\n", rep.Mode, rep.Region, dry, rep.Endpoints["s3"], rep.Endpoints["kinesis"])
	t := &table{head: []string{"resource", "name", "status", "detail"}, right: []bool{false, false, false, false}}
	for _, s := range rep.Steps {
		t.add(s.Resource, s.Name, s.Status, s.Detail)
	}
	t.print(w)
}

// requireStream returns nil if the configured stream exists, and otherwise
// an error that says to run shoplake setup.
func requireStream(ctx context.Context, env *pipeline.Env, name string) error {
	st, err := stream.DescribeStream(ctx, env.Kinesis, name)
	if err != nil {
		return err
	}
	switch {
	case !st.Exists:
		return fmt.Errorf("stream %s does not exist at %s: run shoplake setup", name, env.Endpoints["kinesis"])
	case st.Status == types.StreamStatusCreating || st.Status == types.StreamStatusDeleting:
		return fmt.Errorf("stream %s at %s is %s: wait until it is ACTIVE", name, env.Endpoints["kinesis"], st.Status)
	}
	return nil
}

// requireBucket makes sure the lake's bucket is there: in mode local it
// creates it (the data directory's lake is the command's own); in mode aws
// a missing bucket is an error that says to run shoplake setup, which
// creates it with its encryption, access block and lifecycle rules.
func requireBucket(ctx context.Context, env *pipeline.Env, mode string) error {
	if mode == config.ModeLocal {
		return env.Lake.EnsureBucket(ctx)
	}
	ok, err := env.Lake.BucketExists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("bucket %s does not exist at %s: run shoplake setup", env.Lake.Bucket(), env.Endpoints["s3"])
	}
	return nil
}

// requireDataDir refuses, in mode local with the endpoint (cfg.S3.Endpoint
// or cfg.Kinesis.Endpoint) served in-process from the data directory, a
// data directory that does not exist: there is nothing in it, and opening
// the endpoints would leave an empty one behind. what says what is missing
// and what to run.
func requireDataDir(cfg config.Config, endpoint, what string) error {
	if cfg.Mode != config.ModeLocal || endpoint != "" {
		return nil
	}
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no data directory %s, so %s; or give --data-dir", cfg.DataDir, what)
	}
	return nil
}
