package warehouse

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	text := `-- a comment; with a semicolon
CREATE TEMP TABLE a AS SELECT 'x;y' AS s, "we""ird;" AS q; /* block; */
SELECT 1 -- trailing; comment
;
-- only a comment;
INSERT INTO t VALUES ('it''s; fine')`
	got := splitStatements(text)
	want := []string{
		"-- a comment; with a semicolon\nCREATE TEMP TABLE a AS SELECT 'x;y' AS s, \"we\"\"ird;\" AS q",
		"/* block; */\nSELECT 1 -- trailing; comment",
		"-- only a comment;\nINSERT INTO t VALUES ('it''s; fine')",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("splitStatements:\n%q\nwant\n%q", got, want)
	}
	if k := statementKind(got[1]); k != "SELECT" {
		t.Fatalf("statementKind = %q, want SELECT", k)
	}
}

func TestPostgres_Adapt(t *testing.T) {
	got := Postgres{}.Adapt("-- c\nCREATE OR REPLACE TEMP TABLE src_x AS\nSELECT 1")
	want := []string{"DROP TABLE IF EXISTS src_x", "CREATE TEMP TABLE src_x AS\nSELECT 1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Adapt = %q, want %q", got, want)
	}
	if got := (Postgres{}).Adapt("SELECT 1"); !reflect.DeepEqual(got, []string{"SELECT 1"}) {
		t.Fatalf("Adapt changed a plain statement: %q", got)
	}
}
