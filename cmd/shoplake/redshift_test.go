package main

import (
	"strings"
	"testing"
)

// TestWarehouseEngine_Redshift: warehouse.engine redshift opens the
// Redshift dialect; each command first checks what it needs of it (the
// DSN; to load, the IAM role and a lake in S3); a --postgres flag still
// means PostgreSQL.
func TestWarehouseEngine_Redshift(t *testing.T) {
	dir := t.TempDir()
	const unreachable = "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"
	t.Setenv("SHOPLAKE_WAREHOUSE_ENGINE", "redshift")
	t.Setenv("SHOPLAKE_WAREHOUSE_DSN", "")
	if _, _, err := execute(t, "check", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "warehouse.dsn is empty: with engine redshift") {
		t.Errorf("check without a DSN: err = %v", err)
	}
	t.Setenv("SHOPLAKE_WAREHOUSE_DSN", unreachable)
	_, _, err := execute(t, "transform", "--data-dir", dir)
	for _, want := range []string{"warehouse.redshift.iam_role is empty", `mode "local": with engine redshift`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("transform without an IAM role in mode local: err = %v, want %q", err, want)
		}
	}
	if _, _, err := execute(t, "check", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "open redshift warehouse: open redshift 127.0.0.1/none") {
		t.Errorf("check with engine redshift: err = %v, want the Redshift dialect's", err)
	}
	if _, _, err := execute(t, "check", "--data-dir", dir, "--postgres", unreachable); err == nil || !strings.Contains(err.Error(), "open postgres warehouse") {
		t.Errorf("check --postgres: err = %v, want the PostgreSQL dialect's", err)
	}
}
