package lake

import (
	"errors"
	"fmt"
	"strings"
)

// Retention is the lake's retention and lifecycle policy, per zone: the one
// place it is defined. The bucket's lifecycle rules (LifecycleRules, and
// deploy/aws/template.yaml, whose parameter defaults a test holds equal to
// DefaultRetention), shoplake prune and the cost model (cost.Estimate) all
// read it. Days count from the end of an object's dt= partition (the
// arrival date of a stream batch, the logical date of a FakeStore
// snapshot); 0 means never.
//
//   - RAW is tiered, never expired by the bucket: to STANDARD_IA after
//     RawInfrequentAccessDays, to RawArchiveClass after RawArchiveDays.
//     RawExpireDays (0 by default, as in the template) lets shoplake prune
//     delete a RAW object that old, and only once its records are safe
//     downstream (see PlanPrune).
//   - STAGING is kept: it is the rebuild source of every warehouse.
//   - QUARANTINE's dead letters of the stream (quarantine/events/) expire
//     after QuarantineExpireDays. The transform's QUARANTINE files
//     (quarantine/transform/) are part of an object's staging, named by
//     its manifest, and live as long as it does.
//   - CURATED keeps every export unless CuratedKeepExports is set: then
//     prune keeps the newest that many valid exports and the mart files
//     they name.
//   - Incomplete multipart uploads are aborted after AbortMultipartDays.
type Retention struct {
	RawInfrequentAccessDays int    `json:"raw_infrequent_access_days"`
	RawArchiveDays          int    `json:"raw_archive_days"`
	RawArchiveClass         string `json:"raw_archive_class"` // GLACIER_IR or GLACIER
	RawExpireDays           int    `json:"raw_expire_days"`
	QuarantineExpireDays    int    `json:"quarantine_expire_days"`
	CuratedKeepExports      int    `json:"curated_keep_exports"`
	AbortMultipartDays      int    `json:"abort_multipart_days"`
}

// Archive classes of RAW.
const (
	ArchiveGlacierIR = "GLACIER_IR" // readable at once
	ArchiveGlacier   = "GLACIER"    // Flexible Retrieval: needs a restore before it is read
)

// QuarantineExpiring is the part of QUARANTINE that expires: the stream's
// dead letters. The bucket's rule and prune both use it.
const QuarantineExpiring = QuarantineEvents

// DefaultRetention returns the policy of shoplake setup and of
// deploy/aws/template.yaml's parameter defaults.
func DefaultRetention() Retention {
	return Retention{
		RawInfrequentAccessDays: 30,
		RawArchiveDays:          90,
		RawArchiveClass:         ArchiveGlacierIR,
		QuarantineExpireDays:    30,
		AbortMultipartDays:      7,
	}
}

// Validate says what is wrong with r, every problem in one error: days
// below 0, an archive class S3 does not have, transitions S3 would refuse
// (STANDARD_IA before 30 days, the archive less than 30 days after it), or
// RAW expired before it is archived.
func (r Retention) Validate() error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	for _, d := range []struct {
		name string
		v    int
	}{{"raw_infrequent_access_days", r.RawInfrequentAccessDays}, {"raw_archive_days", r.RawArchiveDays}, {"raw_expire_days", r.RawExpireDays},
		{"quarantine_expire_days", r.QuarantineExpireDays}, {"curated_keep_exports", r.CuratedKeepExports}, {"abort_multipart_days", r.AbortMultipartDays}} {
		if d.v < 0 {
			add("%s %d: want 0 (never) or more", d.name, d.v)
		}
	}
	if r.RawArchiveClass != ArchiveGlacierIR && r.RawArchiveClass != ArchiveGlacier {
		add("raw_archive_class %q: want %s or %s", r.RawArchiveClass, ArchiveGlacierIR, ArchiveGlacier)
	}
	if r.RawInfrequentAccessDays > 0 && r.RawInfrequentAccessDays < 30 {
		add("raw_infrequent_access_days %d: S3 moves objects to STANDARD_IA after 30 days at the earliest", r.RawInfrequentAccessDays)
	}
	if r.RawInfrequentAccessDays > 0 && r.RawArchiveDays > 0 && r.RawArchiveDays < r.RawInfrequentAccessDays+30 {
		add("raw_archive_days %d: S3 wants it at least 30 days after raw_infrequent_access_days (%d)", r.RawArchiveDays, r.RawInfrequentAccessDays)
	}
	if len(errs) > 0 {
		return errors.New("retention: " + strings.Join(errs, "; "))
	}
	return nil
}

// BucketPolicy is the part of r the bucket's lifecycle rules carry, with
// the encryption key kmsKeyID ("" for SSE-S3).
func (r Retention) BucketPolicy(kmsKeyID string) BucketPolicy {
	return BucketPolicy{KMSKeyID: kmsKeyID, RawInfrequentDays: int32(r.RawInfrequentAccessDays), RawGlacierDays: int32(r.RawArchiveDays),
		RawArchiveClass: r.RawArchiveClass, QuarantineExpireDays: int32(r.QuarantineExpireDays), AbortMultipartDays: int32(r.AbortMultipartDays)}
}
