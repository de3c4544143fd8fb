package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/shoplake/shoplake/lake"
)

// Redshift is the Amazon Redshift dialect. Redshift speaks PostgreSQL's wire
// protocol (pgx) and shares PostgreSQL's quoting and numeric rendering
// (delegated to Postgres); it differs where Redshift's SQL does:
//
//   - Insert: Redshift has no COPY FROM STDIN. Rows go in as multi-row
//     INSERT ... VALUES statements with bound parameters, at most
//     redshiftInsertRows rows and redshiftMaxParams parameters each.
//   - STAGING (loadParquet): the cluster reads the lake's Parquet file itself
//     with COPY ... FROM 's3://...' IAM_ROLE ... FORMAT AS PARQUET into a
//     temporary table of the file's columns, then appends it to the staging
//     table with the load's sequence (redshiftLoadSQL; PostgreSQL runs the
//     same statements around a COPY FROM STDIN). Redshift can load only what
//     S3 holds: an object whose staging in the lake cannot be used is
//     refused (ErrStagingNotInLake).
//   - Merge: Redshift's MERGE (since 2023) names its target without an
//     alias, takes a table (not a query) as its source, needs exactly one
//     WHEN MATCHED and one WHEN NOT MATCHED clause, allows no condition on
//     them, and has neither WHEN NOT MATCHED BY SOURCE nor RETURNING.
//     Merge filters the source into a temporary table when the model's WHEN
//     MATCHED clause has a condition, counts from it what the MERGE will
//     insert and update, runs the MERGE, then the DELETE of a BY SOURCE
//     clause (redshiftMergeSQL).
//   - Adapt: PostgreSQL's rewrite of CREATE OR REPLACE, plus
//     string_agg(x, sep ORDER BY k) -> LISTAGG(x, sep) WITHIN GROUP (ORDER
//     BY k); a IS [NOT] DISTINCT FROM b (column operands) spelled out with
//     IS NULL; CROSS JOIN generate_series(a, b) AS g(k), which Redshift
//     runs only on its leader node, as a join on a table of numbers
//     0..99999 built from digits; and a VARCHAR without a length as
//     VARCHAR(65535): on Redshift it means VARCHAR(256), and a cast to it
//     truncates.
//   - Funcs: integer division with "/", ADD_MONTHS, day_series from the
//     same numbers, and iso_weekday from dow (Redshift has no isodow).
//   - Open: no collation check (Redshift compares strings bytewise, unless
//     the database was created CASE_INSENSITIVE); the session's time zone
//     is set to UTC after connecting.
//
// ReadOnly (Options.ReadOnly) migrates nothing, and the commands that open
// read-only do not write, but Redshift does not enforce it for the
// session: give a reader a user with SELECT grants only.
type Redshift struct {
	ReadOnly bool
	// Lake is where COPY reads STAGING from, and with which role.
	Lake RedshiftOptions
}

var (
	_ Dialect       = Redshift{}
	_ parquetLoader = Redshift{}
	_ parquetLoader = Postgres{}
)

// RedshiftOptions locate the lake for Redshift's COPY: a STAGING file at
// lake key k is read from s3://Bucket/Prefix+k with the IAM role IAMRole,
// which the cluster must be allowed to assume and which must allow
// s3:GetObject on the STAGING files (staging/ and quarantine/transform/
// under Prefix). OpenRedshift validates what is set; a Load with the role
// or the bucket unset fails at its first file.
type RedshiftOptions struct {
	// IAMRole is the role's ARN, arn:aws:iam::<account>:role/<name>, or
	// "default" for the cluster's default IAM role.
	IAMRole string
	// Bucket is the lake's S3 bucket (s3.bucket); Prefix the lake's prefix
	// in it (s3.prefix: empty, or ending with '/').
	Bucket, Prefix string
}

// ErrStagingNotInLake is wrapped by a Redshift Load for an object whose
// STAGING in the lake cannot be used (a file corrupt, missing or not what
// its manifest says, or staged under other rules: LoadStats.StagingNotUsed
// says which), so that Load derived it again from RAW in memory: Redshift
// COPYs from S3 and cannot load that copy. Once shoplake verify shows why,
// delete the object's manifest (staging/_staged/...) and the files it
// names, so that the next Load stages it again.
var ErrStagingNotInLake = errors.New("redshift loads STAGING only from the lake, and the lake's staging of this object cannot be used")

// ErrRedshiftLake is wrapped when RedshiftOptions, or a key to COPY, cannot
// go into a COPY statement: a role that is not an IAM role ARN, a bucket
// that is not an S3 bucket name, a prefix or key that is not a lake key.
var ErrRedshiftLake = errors.New("invalid redshift COPY source")

// OpenRedshift opens the Amazon Redshift database that dsn names (a pgx
// connection string: "postgres://user:pass@cluster.abc.eu-west-1.redshift.amazonaws.com:5439/dev?sslmode=require")
// and applies the migrations it has not applied yet, as OpenPostgres does.
// rs says where COPY reads the lake's STAGING files (see RedshiftOptions);
// it returns an error wrapping ErrRedshiftLake if a value set there is
// malformed.
//
// With opts.ReadOnly it migrates nothing (see Redshift).
func OpenRedshift(ctx context.Context, dsn string, opts Options, rs RedshiftOptions) (*Warehouse, error) {
	if err := rs.validate(); err != nil {
		return nil, fmt.Errorf("open redshift: %w", err)
	}
	return open(ctx, Redshift{ReadOnly: opts.ReadOnly, Lake: rs}, dsn, opts)
}

// Name returns "redshift".
func (Redshift) Name() string { return "redshift" }

// Open opens a pool on dsn whose sessions run in UTC.
func (Redshift) Open(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's error quotes the DSN, password included: say less.
		return nil, errors.New("open redshift: cannot parse the connection string")
	}
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET timezone TO 'UTC'")
		return err
	}))
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open redshift %s/%s: %w", cfg.Host, cfg.Database, err)
	}
	return db, nil
}

// QuoteIdent quotes as PostgreSQL does. Redshift folds identifiers to lower
// case unless enable_case_sensitive_identifier is on: every name of the
// warehouse is lower case.
func (Redshift) QuoteIdent(name string) string { return Postgres{}.QuoteIdent(name) }

// Canonical renders a NUMERIC as PostgreSQL's dialect does.
func (Redshift) Canonical(v any) (string, bool) { return Postgres{}.Canonical(v) }

// redshiftInsertRows is the most rows one INSERT of Redshift.Insert holds;
// redshiftMaxParams the most bound parameters (a PostgreSQL message counts
// them in 16 bits; Redshift's limit on a statement's size, 16 MB, is far).
const (
	redshiftInsertRows = 500
	redshiftMaxParams  = 32767
)

// Insert writes rows with multi-row INSERT ... VALUES statements, values
// bound (converted as PostgreSQL's Insert converts them), on the connection
// of the open transaction.
func (r Redshift) Insert(ctx context.Context, conn *sql.Conn, schema, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if len(columns) == 0 || len(columns) > redshiftMaxParams {
		return fmt.Errorf("insert into %s.%s: %d columns", schema, table, len(columns))
	}
	vals, err := pgValues(schema, table, columns, rows)
	if err != nil {
		return err
	}
	per := min(redshiftInsertRows, redshiftMaxParams/len(columns))
	for start := 0; start < len(vals); start += per {
		batch := vals[start:min(start+per, len(vals))]
		args := make([]any, 0, len(batch)*len(columns))
		for _, row := range batch {
			args = append(args, row...)
		}
		res, err := conn.ExecContext(ctx, redshiftInsertSQL(r, schema, table, columns, len(batch)), args...)
		if err != nil {
			return fmt.Errorf("insert into %s.%s: rows %d..%d: %w", schema, table, start, start+len(batch)-1, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert into %s.%s: %w", schema, table, err)
		} else if n != int64(len(batch)) {
			return fmt.Errorf("insert into %s.%s: inserted %d rows of %d", schema, table, n, len(batch))
		}
	}
	return nil
}

// redshiftInsertSQL is INSERT INTO schema.table (columns) VALUES with rows
// rows of placeholders, $1 onwards, row by row.
func redshiftInsertSQL(d Dialect, schema, table string, columns []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + qualified(d, schema, table) + " (" + quoteList(d, columns) + ") VALUES ")
	p := 1
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range columns {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// quoteList quotes names with d and joins them with ", ".
func quoteList(d Dialect, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = d.QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// Funcs provides the template functions of Dialect in Redshift's SQL.
func (Redshift) Funcs() template.FuncMap {
	f := commonFuncs()
	f["intdiv"] = func(a, b string) string {
		return "(CAST((" + a + ") AS BIGINT) / CAST((" + b + ") AS BIGINT))"
	}
	f["add_months"] = func(d, n string) string {
		return "CAST(add_months(CAST((" + d + ") AS DATE), CAST((" + n + ") AS INTEGER)) AS DATE)"
	}
	// Redshift's EXTRACT knows dow (0 = Sunday .. 6), not isodow, and reads
	// a TIMESTAMP: Monday 1 .. Sunday 7 is (dow + 6) mod 7 + 1.
	f["iso_weekday"] = func(d string) string {
		return "CAST(mod(CAST(extract(dow FROM CAST((" + d + ") AS TIMESTAMP)) AS INTEGER) + 6, 7) + 1 AS INTEGER)"
	}
	f["day_series"] = func(a, b string) string {
		return "(SELECT CAST(CAST((" + a + ") AS DATE) + CAST(k.n AS INTEGER) AS DATE) AS day FROM " + numbersTable("n") +
			" AS k WHERE k.n <= CAST((" + b + ") AS DATE) - CAST((" + a + ") AS DATE))"
	}
	return f
}

// numbersTable is a FROM-clause subquery of one BIGINT column col holding
// 0..99999, built from digits: Redshift's generate_series runs only on the
// leader node, never beside a table.
func numbersTable(col string) string {
	digits := "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4" +
		" UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
	return "(SELECT CAST(d0.n + 10 * d1.n + 100 * d2.n + 1000 * d3.n + 10000 * d4.n AS BIGINT) AS " + col +
		" FROM " + digits + " AS d0 CROSS JOIN " + digits + " AS d1 CROSS JOIN " + digits + " AS d2 CROSS JOIN " +
		digits + " AS d3 CROSS JOIN " + digits + " AS d4)"
}

// Adapt strips the statement's comments (withoutComments), rewrites CREATE OR REPLACE as
// PostgreSQL's dialect does, and applies redshiftRewrites.
func (Redshift) Adapt(stmt string) []string { return adaptWith(stmt, redshiftRewrites) }

// redshiftPortable are the rewrites of Redshift's Adapt whose output
// PostgreSQL runs too (so tests run them there); redshiftRewrites adds
// those that only Redshift runs.
var (
	redshiftPortable = []func(string) string{rewriteDistinctFrom, rewriteGenerateSeries, rewriteVarchar}
	redshiftRewrites = append(append([]func(string) string(nil), redshiftPortable...), rewriteStringAgg)
)

// adaptWith is Postgres.Adapt of stmt without its comments, each resulting
// statement passed through rewrites in order.
func adaptWith(stmt string, rewrites []func(string) string) []string {
	out := Postgres{}.Adapt(withoutComments(stmt))
	for i := range out {
		for _, rw := range rewrites {
			out[i] = rw(out[i])
		}
	}
	return out
}

var (
	// distinctFrom: a IS [NOT] DISTINCT FROM b, a and b columns (x or
	// t.x), not preceded by a dot or a word character.
	distinctFrom    = regexp.MustCompile(`(?i)(^|[^.\w])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s+IS\s+(NOT\s+)?DISTINCT\s+FROM\s+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\b`)
	anyDistinctFrom = regexp.MustCompile(`(?i)\bIS\s+(?:NOT\s+)?DISTINCT\s+FROM\b`)
	stringAggCall   = regexp.MustCompile(`(?i)\bstring_agg\s*\(`)
	orderBy         = regexp.MustCompile(`(?i)\s+ORDER\s+BY\s+`)
	crossJoinSeries = regexp.MustCompile(`(?i)\bCROSS\s+JOIN\s+generate_series\s*\(`)
	seriesAlias     = regexp.MustCompile(`^\s+(?i:AS\s+)?([A-Za-z_]\w*)\s*\(\s*([A-Za-z_]\w*)\s*\)`)
	varcharType     = regexp.MustCompile(`(?i)\bVARCHAR\b(\s*\()?`)
)

// redshiftVarchar is the type rewriteVarchar gives a VARCHAR without a
// length: the longest Redshift has, in bytes.
const redshiftVarchar = "VARCHAR(65535)"

// rewriteVarchar gives every VARCHAR without a length, outside string
// literals and quoted identifiers, the length redshiftVarchar.
func rewriteVarchar(s string) string {
	depth := scanDepths(s)
	var b strings.Builder
	last := 0
	for _, m := range varcharType.FindAllStringSubmatchIndex(s, -1) {
		if m[2] >= 0 || depth[m[0]] < 0 {
			continue // has a length, or is quoted
		}
		b.WriteString(s[last:m[0]] + redshiftVarchar)
		last = m[1]
	}
	return b.String() + s[last:]
}

// rewriteDistinctFrom spells out a IS DISTINCT FROM b, for columns a and
// b, as a boolean that is never NULL: ((a <> b OR a IS NULL OR b IS NULL)
// AND NOT (a IS NULL AND b IS NULL)); IS NOT DISTINCT FROM as its NOT.
// Other operands are left as they are.
func rewriteDistinctFrom(s string) string {
	return distinctFrom.ReplaceAllStringFunc(s, func(m string) string {
		g := distinctFrom.FindStringSubmatch(m)
		a, not, b := g[2], g[3] != "", g[4]
		e := "((" + a + " <> " + b + " OR " + a + " IS NULL OR " + b + " IS NULL) AND NOT (" + a + " IS NULL AND " + b + " IS NULL))"
		if not {
			e = "(NOT " + e + ")"
		}
		return g[1] + e
	})
}

// rewriteStringAgg rewrites string_agg(x, sep [ORDER BY k]) as
// listagg(x, sep) [WITHIN GROUP (ORDER BY k)].
func rewriteStringAgg(s string) string {
	var b strings.Builder
	depth := scanDepths(s)
	for {
		loc := stringAggCall.FindStringIndex(s)
		for loc != nil && depth[loc[0]] < 0 {
			next := stringAggCall.FindStringIndex(s[loc[1]:])
			if next == nil {
				loc = nil
				break
			}
			loc = []int{loc[1] + next[0], loc[1] + next[1]}
		}
		if loc == nil {
			b.WriteString(s)
			return b.String()
		}
		open := loc[1] - 1
		end := closeParen(s, open)
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		args := splitTopLevel(s[open+1:end], ',')
		if len(args) < 2 {
			b.WriteString(s[:end+1])
			s, depth = s[end+1:], depth[end+1:]
			continue
		}
		rest := strings.Join(args[1:], ",")
		sep, order := rest, ""
		if i := indexTopLevel(rest, orderBy); i != nil {
			sep, order = rest[:i[0]], rest[i[1]:]
		}
		b.WriteString(s[:loc[0]])
		b.WriteString("listagg(" + rewriteStringAgg(strings.TrimSpace(args[0])) + ", " + strings.TrimSpace(sep) + ")")
		if order != "" {
			b.WriteString(" WITHIN GROUP (ORDER BY " + strings.TrimSpace(order) + ")")
		}
		s, depth = s[end+1:], depth[end+1:]
	}
}

// rewriteGenerateSeries rewrites CROSS JOIN generate_series(a, b) AS g(k)
// as JOIN <numbers 0..99999> AS g ON g.k BETWEEN (a) AND (b).
func rewriteGenerateSeries(s string) string {
	for from := 0; ; {
		loc := crossJoinSeries.FindStringIndex(s[from:])
		if loc == nil {
			return s
		}
		start, open := from+loc[0], from+loc[1]-1
		if scanDepths(s)[start] < 0 {
			from = open + 1
			continue
		}
		end := closeParen(s, open)
		if end < 0 {
			return s
		}
		args := splitTopLevel(s[open+1:end], ',')
		alias := seriesAlias.FindStringSubmatchIndex(s[end+1:])
		if len(args) != 2 || alias == nil {
			from = end + 1
			continue
		}
		g, k := s[end+1+alias[2]:end+1+alias[3]], s[end+1+alias[4]:end+1+alias[5]]
		repl := "JOIN " + numbersTable(k) + " AS " + g + " ON " + g + "." + k +
			" BETWEEN (" + strings.TrimSpace(args[0]) + ") AND (" + strings.TrimSpace(args[1]) + ")"
		s = s[:start] + repl + s[end+1+alias[1]:]
		from = start + len(repl)
	}
}

// scanDepths returns, for each byte of s, its parenthesis depth, or -1
// inside a string literal ('...') or a quoted identifier ("...").
func scanDepths(s string) []int {
	out := make([]int, len(s))
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			out[i] = -1
			for i++; i < len(s); i++ {
				out[i] = -1
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c {
						i++
						out[i] = -1
						continue
					}
					break
				}
			}
		case '(':
			out[i] = depth
			depth++
		case ')':
			depth--
			out[i] = depth
		default:
			out[i] = depth
		}
	}
	return out
}

// closeParen returns the index of the parenthesis that closes the one at
// open, or -1.
func closeParen(s string, open int) int {
	d := scanDepths(s)
	for i := open + 1; i < len(s); i++ {
		if s[i] == ')' && d[i] == d[open] {
			return i
		}
	}
	return -1
}

// splitTopLevel splits s at the bytes sep outside parentheses and quotes.
func splitTopLevel(s string, sep byte) []string {
	d := scanDepths(s)
	var out []string
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] == sep && d[i] == 0 {
			out = append(out, s[last:i])
			last = i + 1
		}
	}
	return append(out, s[last:])
}

// indexTopLevel is the first match of re in s that starts outside
// parentheses and quotes, or nil.
func indexTopLevel(s string, re *regexp.Regexp) []int {
	d := scanDepths(s)
	for _, m := range re.FindAllStringIndex(s, -1) {
		if d[m[0]] == 0 {
			return m
		}
	}
	return nil
}

// Merge runs a model's MERGE, written for DuckDB, as redshiftMergeSQL
// rewrites it, and counts: inserted, the source rows that match no target
// row; updated, the other rows the MERGE acts on; deleted, the DELETE's
// rows.
func (Redshift) Merge(ctx context.Context, conn *sql.Conn, stmt string) (MergeStats, error) {
	var st MergeStats
	m, err := redshiftMergeSQL(stmt)
	if err != nil {
		return st, err
	}
	if m.prepare != "" {
		if _, err := conn.ExecContext(ctx, m.prepare); err != nil {
			return st, fmt.Errorf("redshift: MERGE into %s: filter the source: %w", m.target, err)
		}
	}
	var all, fresh int64
	if err := conn.QueryRowContext(ctx, m.countAll).Scan(&all); err != nil {
		return st, fmt.Errorf("redshift: MERGE into %s: count the source: %w", m.target, err)
	}
	if err := conn.QueryRowContext(ctx, m.countNew).Scan(&fresh); err != nil {
		return st, fmt.Errorf("redshift: MERGE into %s: count the new rows: %w", m.target, err)
	}
	if _, err := conn.ExecContext(ctx, m.merge); err != nil {
		return st, fmt.Errorf("redshift: MERGE into %s: %w", m.target, err)
	}
	if m.remove != "" {
		res, err := conn.ExecContext(ctx, m.remove)
		if err != nil {
			return st, fmt.Errorf("redshift: MERGE into %s: delete what the source lacks: %w", m.target, err)
		}
		if st.Deleted, err = res.RowsAffected(); err != nil {
			return st, err
		}
	}
	if m.cleanup != "" {
		if _, err := conn.ExecContext(ctx, m.cleanup); err != nil {
			return st, fmt.Errorf("redshift: MERGE into %s: %w", m.target, err)
		}
	}
	st.Inserted, st.Updated = fresh, all-fresh
	return st, nil
}

// mergeSourceTemp is the temporary table of a MERGE's filtered source.
const mergeSourceTemp = "merge_source"

// redshiftMerge is one model MERGE as Redshift runs it, in this order:
// prepare (if any), countAll, countNew, merge, remove (if any), cleanup
// (if any).
type redshiftMerge struct {
	target string
	// prepare creates mergeSourceTemp, the source rows the MERGE acts on
	// (those matching no target row, or matching one for which the WHEN
	// MATCHED condition is true), when the model's WHEN MATCHED clause has
	// a condition, which Redshift does not allow; cleanup drops it.
	prepare, cleanup string
	// countAll counts the rows the MERGE acts on; countNew those of them
	// that match no target row, which it inserts. Every other one matches
	// exactly one target row (the models merge on keys; Redshift refuses a
	// source row matching several), which it updates.
	countAll, countNew string
	merge              string
	// remove is the DELETE of a WHEN NOT MATCHED BY SOURCE THEN DELETE
	// clause: the target rows no row of the whole source matches.
	remove string
}

// statements are m's statements in the order Merge runs them.
func (m redshiftMerge) statements() []string {
	var out []string
	for _, s := range []string{m.prepare, m.countAll, m.countNew, m.merge, m.remove, m.cleanup} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var (
	mergeWhen        = regexp.MustCompile(`(?is)\bWHEN\s+(?:NOT\s+)?MATCHED\b`)
	mergeUpdate      = regexp.MustCompile(`(?is)^WHEN\s+MATCHED(?:\s+AND\s+(.*?))?\s+THEN\s+UPDATE\s+SET\s+(.*?)\s*$`)
	mergeInsert      = regexp.MustCompile(`(?is)^WHEN\s+NOT\s+MATCHED(?:\s+BY\s+TARGET)?\s+THEN\s+INSERT\s*(\([^()]*\))?\s*VALUES\s*(\(.*\))\s*$`)
	mergeSourceCheck = regexp.MustCompile(`(?is)^WHEN\s+NOT\s+MATCHED\s+BY\s+SOURCE\s+THEN\s+DELETE\s*$`)
)

// redshiftMergeSQL rewrites a model's MERGE, written as DuckDB runs it
//
//	MERGE INTO target AS t USING source AS s ON <on>
//	WHEN MATCHED [AND <condition>] THEN UPDATE SET ...
//	WHEN NOT MATCHED [BY TARGET] THEN INSERT (...) VALUES (...)
//	[WHEN NOT MATCHED BY SOURCE THEN DELETE]
//	[RETURNING merge_action]
//
// into the statements Redshift runs for it (see redshiftMerge): the target
// is named by its table where the model says t (Redshift's MERGE takes no
// target alias), and IS DISTINCT FROM in the condition is spelled out. Any
// other shape is an error that says what Redshift lacks.
func redshiftMergeSQL(stmt string) (redshiftMerge, error) {
	s := stripComments(stmt)
	h := mergeHead.FindStringSubmatchIndex(s)
	if h == nil {
		return redshiftMerge{}, errors.New("redshift: cannot adapt this MERGE (want MERGE INTO target AS t USING source AS s ON ... WHEN ...)")
	}
	target, tAlias, source, sAlias, on := s[h[2]:h[3]], s[h[4]:h[5]], s[h[6]:h[7]], s[h[8]:h[9]], s[h[10]:h[11]]
	m := redshiftMerge{target: target}
	rest := returningAction.ReplaceAllString(strings.TrimSpace(s[h[11]:]), "")
	idx := mergeWhen.FindAllStringIndex(rest, -1)
	var cond, sets, cols, vals string
	var update, insert, deletes bool
	for i, w := range idx {
		end := len(rest)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		clause := strings.TrimSpace(rest[w[0]:end])
		switch {
		case mergeSourceCheck.MatchString(clause) && !deletes:
			deletes = true
		case mergeUpdate.MatchString(clause) && !update:
			g := mergeUpdate.FindStringSubmatch(clause)
			update, cond, sets = true, strings.TrimSpace(g[1]), g[2]
		case mergeInsert.MatchString(clause) && !insert:
			g := mergeInsert.FindStringSubmatch(clause)
			insert, cols, vals = true, g[1], g[2]
		default:
			return redshiftMerge{}, fmt.Errorf("redshift: MERGE into %s: cannot run %q: Redshift's MERGE has one WHEN MATCHED THEN UPDATE, one WHEN NOT MATCHED THEN INSERT without conditions, and no WHEN NOT MATCHED BY SOURCE but THEN DELETE", target, clause)
		}
	}
	if !update || !insert {
		return redshiftMerge{}, fmt.Errorf("redshift: MERGE into %s: Redshift's MERGE needs both WHEN MATCHED THEN UPDATE and WHEN NOT MATCHED THEN INSERT", target)
	}
	name := target[strings.LastIndexByte(target, '.')+1:]
	qualify := regexp.MustCompile(`(^|[^.\w])` + regexp.QuoteMeta(tAlias) + `\.`)
	byName := func(x string) string { return qualify.ReplaceAllString(x, "${1}"+name+".") }
	src := source
	if cond != "" {
		c := rewriteDistinctFrom(cond)
		if anyDistinctFrom.MatchString(c) {
			return redshiftMerge{}, fmt.Errorf("redshift: MERGE into %s: IS DISTINCT FROM is rewritten for columns only: %s", target, cond)
		}
		src = Redshift{}.QuoteIdent(mergeSourceTemp)
		m.prepare = fmt.Sprintf("CREATE TEMP TABLE %s AS SELECT %s.* FROM %s AS %s WHERE NOT EXISTS (SELECT 1 FROM %s AS %s WHERE %s AND NOT COALESCE((%s), FALSE))",
			src, sAlias, source, sAlias, target, tAlias, on, c)
		m.cleanup = "DROP TABLE " + src
	}
	m.countAll = "SELECT count(*) FROM " + src
	m.countNew = fmt.Sprintf("SELECT count(*) FROM %s AS %s WHERE NOT EXISTS (SELECT 1 FROM %s AS %s WHERE %s)", src, sAlias, target, tAlias, on)
	m.merge = fmt.Sprintf("MERGE INTO %s USING %s AS %s ON %s WHEN MATCHED THEN UPDATE SET %s WHEN NOT MATCHED THEN INSERT %sVALUES %s",
		target, src, sAlias, byName(on), byName(sets), spaced(cols), vals)
	if deletes {
		m.remove = fmt.Sprintf("DELETE FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s AS %s WHERE %s)", target, source, sAlias, byName(on))
	}
	return m, nil
}

// spaced is s followed by a space, or "".
func spaced(s string) string {
	if s == "" {
		return ""
	}
	return s + " "
}

// stagingLoad is the load of one STAGING Parquet file into its table
// through a temporary table of the file's columns, in order: create it,
// fill it (copy: Redshift's COPY from S3; PostgreSQL copies the decoded
// rows in instead), insert its rows into the staging table with the load's
// sequence, drop it.
type stagingLoad struct {
	temp                       string // the temporary table, unquoted
	create, copy, insert, drop string
}

// newStagingLoad returns the statements of loading a file of t with
// sequence seq, copy left empty. The temporary table is created from the
// staging table, so its columns have the table's types, in the file's
// order: COPY from Parquet maps columns by position.
func newStagingLoad(d Dialect, t parquetTable, seq int64) stagingLoad {
	temp := "load_" + t.table
	cols := quoteList(d, t.file)
	target := qualified(d, t.schema, t.table)
	return stagingLoad{
		temp:   temp,
		create: fmt.Sprintf("CREATE TEMP TABLE %s AS SELECT %s FROM %s WHERE 1 = 0", d.QuoteIdent(temp), cols, target),
		insert: fmt.Sprintf("INSERT INTO %s (%s, %s) SELECT %s, CAST(%d AS BIGINT) FROM %s",
			target, cols, d.QuoteIdent("load_seq"), cols, seq, d.QuoteIdent(temp)),
		drop: "DROP TABLE " + d.QuoteIdent(temp),
	}
}

// statements are l's statements in order.
func (l stagingLoad) statements() []string {
	out := []string{l.create}
	if l.copy != "" {
		out = append(out, l.copy)
	}
	return append(out, l.insert, l.drop)
}

// run creates the temporary table, calls fill, inserts and drops, on conn
// inside the caller's transaction, and returns how many rows the insert
// wrote. On an error the temporary table is left to the rollback.
func (l stagingLoad) run(ctx context.Context, conn *sql.Conn, fill func() error) (int64, error) {
	if _, err := conn.ExecContext(ctx, l.create); err != nil {
		return 0, fmt.Errorf("create %s: %w", l.temp, err)
	}
	if err := fill(); err != nil {
		return 0, fmt.Errorf("fill %s: %w", l.temp, err)
	}
	res, err := conn.ExecContext(ctx, l.insert)
	if err != nil {
		return 0, fmt.Errorf("insert from %s: %w", l.temp, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := conn.ExecContext(ctx, l.drop); err != nil {
		return 0, fmt.Errorf("drop %s: %w", l.temp, err)
	}
	return n, nil
}

// redshiftLoadSQL returns the load of the STAGING file at lake key key
// into t with sequence seq, as Redshift runs it: newStagingLoad's
// statements around
//
//	COPY "load_<table>" FROM 's3://<bucket>/<prefix><key>' IAM_ROLE '<arn>' FORMAT AS PARQUET
//
// The role, bucket, prefix and key are validated before they go into the
// statement's text (ErrRedshiftLake), and quoted as string literals.
func redshiftLoadSQL(d Dialect, t parquetTable, seq int64, lk RedshiftOptions, key string) (stagingLoad, error) {
	if lk.IAMRole == "" || lk.Bucket == "" {
		return stagingLoad{}, fmt.Errorf("%w: COPY needs the IAM role the cluster assumes (warehouse.redshift.iam_role) and the lake's bucket (s3.bucket)", ErrRedshiftLake)
	}
	if err := lk.validate(); err != nil {
		return stagingLoad{}, err
	}
	if err := lake.ValidateKey(key); err != nil {
		return stagingLoad{}, fmt.Errorf("%w: %w", ErrRedshiftLake, err)
	}
	from, err := redshiftLiteral("s3://" + lk.Bucket + "/" + lk.Prefix + key)
	if err != nil {
		return stagingLoad{}, err
	}
	role := "default"
	if lk.IAMRole != "default" {
		if role, err = redshiftLiteral(lk.IAMRole); err != nil {
			return stagingLoad{}, err
		}
	}
	l := newStagingLoad(d, t, seq)
	l.copy = fmt.Sprintf("COPY %s FROM %s IAM_ROLE %s FORMAT AS PARQUET", d.QuoteIdent(l.temp), from, role)
	return l, nil
}

// loadParquet COPYs the file from the lake (redshiftLoadSQL). It refuses
// a file the lake does not hold as loaded (ErrStagingNotInLake).
func (r Redshift) loadParquet(ctx context.Context, conn *sql.Conn, _ *parquetCodec, t parquetTable, seq int64, f stagingFile) (int64, error) {
	l, err := r.stagingLoad(t, seq, f)
	if err != nil {
		return 0, err
	}
	return l.run(ctx, conn, func() error {
		_, err := conn.ExecContext(ctx, l.copy)
		return err
	})
}

// stagingLoad is the load of f into t, or why Redshift cannot load it.
func (r Redshift) stagingLoad(t parquetTable, seq int64, f stagingFile) (stagingLoad, error) {
	if !f.inLake {
		return stagingLoad{}, fmt.Errorf("%s: %w (it was derived again from RAW in memory, which COPY cannot read); once shoplake verify shows why, delete the object's manifest under %s and the files it names, so that the next load stages it again",
			f.key, ErrStagingNotInLake, lake.StagedPrefix)
	}
	return redshiftLoadSQL(r, t, seq, r.Lake, f.key)
}

var (
	// iamRoleARN is an IAM role's ARN in any partition: a path and name of
	// letters, digits and +=,.@_- (IAM's rules), nothing a string literal
	// would reinterpret.
	iamRoleARN = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	// s3Bucket is an S3 bucket name (3 to 63 lower-case letters, digits,
	// '.' and '-', starting and ending with a letter or digit).
	s3Bucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// validate checks the values set in o (an empty one is checked when a
// COPY needs it).
func (o RedshiftOptions) validate() error {
	var errs []error
	if o.IAMRole != "" && o.IAMRole != "default" && !iamRoleARN.MatchString(o.IAMRole) {
		errs = append(errs, fmt.Errorf("IAM role %q: want an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>, or default", o.IAMRole))
	}
	if o.Bucket != "" && (!s3Bucket.MatchString(o.Bucket) || strings.Contains(o.Bucket, "..")) {
		errs = append(errs, fmt.Errorf("bucket %q: want an S3 bucket name", o.Bucket))
	}
	if o.Prefix != "" {
		p, ok := strings.CutSuffix(o.Prefix, "/")
		if err := lake.ValidateKey(p); !ok || err != nil {
			errs = append(errs, fmt.Errorf("prefix %q: want lake key segments, each followed by '/'", o.Prefix))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrRedshiftLake, errors.Join(errs...))
	}
	return nil
}

// redshiftLiteral quotes s as a string literal, doubling single quotes. It
// refuses backslashes (an escape character in Redshift's literals) and
// control characters, which no validated role, bucket or key holds.
func redshiftLiteral(s string) (string, error) {
	for _, r := range s {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%w: %q holds a backslash or a control character", ErrRedshiftLake, s)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}
