package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// airflowDAG is the daily DAG of deploy/airflow, relative to this package.
var airflowDAG = filepath.Join("..", "..", "deploy", "airflow", "dags", "shoplake_daily.py")

// airflowLogicalDate is the {{ ds }} the DAG's templates are rendered with.
const airflowLogicalDate = "2026-01-06"

// airflowDSN stands for $REDSHIFT_DSN: a key/value DSN, whose spaces also
// prove that the command lines quote it.
const airflowDSN = "host=shoplake.123456789012.us-east-1.redshift-serverless.amazonaws.com port=5439 dbname=dev user=shoplake password=s3cr3t sslmode=require"

// TestAirflowDAG_CommandsParse checks that every shoplake command line of the
// DAG, rendered as Airflow would render it for one logical date, parses with
// the real CLI. Nothing is run.
func TestAirflowDAG_CommandsParse(t *testing.T) {
	src, err := os.ReadFile(airflowDAG)
	if err != nil {
		t.Fatal(err)
	}
	lits, err := pythonStrings(string(src))
	if err != nil {
		t.Fatalf("%s: %v", airflowDAG, err)
	}
	ds, err := time.Parse(time.DateOnly, airflowLogicalDate)
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string]string{
		"ds":      ds.Format(time.DateOnly),
		"next_ds": ds.AddDate(0, 0, 1).Format(time.DateOnly),
	}
	env := map[string]string{"REDSHIFT_DSN": airflowDSN}

	found := map[string]*pflag.FlagSet{} // command path -> its parsed flags
	for _, lit := range lits {
		if !strings.HasPrefix(lit.value, "shoplake ") {
			continue
		}
		name := fmt.Sprintf("line %d: %s", lit.line, lit.value)
		if lit.fString {
			t.Errorf("%s: an f-string cannot be checked; make it a plain string", name)
			continue
		}
		line, err := renderJinja(lit.value, templates)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		args, err := shellWords(line, env)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if args[0] != "shoplake" {
			t.Errorf("%s: runs %q, not shoplake", name, args[0])
			continue
		}
		path, flags, err := parseCLI(args[1:])
		if err != nil {
			t.Errorf("%s\n  rendered: %q\n  %v", name, args, err)
			continue
		}
		if _, dup := found[path]; dup {
			t.Errorf("%s: %s appears twice in the DAG", name, path)
		}
		found[path] = flags
		flags.Visit(func(f *pflag.Flag) {
			if !dateFlag(f) {
				return
			}
			if _, err := time.Parse(time.DateOnly, f.Value.String()); err != nil {
				t.Errorf("%s: --%s %q is not a date YYYY-MM-DD", name, f.Name, f.Value.String())
			}
		})
	}

	for _, want := range []string{"shoplake ingest", "shoplake transform", "shoplake check"} {
		flags, ok := found[want]
		if !ok {
			t.Errorf("no %q command line found in %s", want, airflowDAG)
			continue
		}
		// transform and check read and write the same warehouse; ingest
		// needs none (its history is in the lake).
		got := flagValue(flags, "postgres")
		switch {
		case want == "shoplake ingest" && got != "":
			t.Errorf("%s --postgres = %q: ingest keeps no warehouse", want, got)
		case want != "shoplake ingest" && got != airflowDSN:
			t.Errorf("%s --postgres = %q, want $REDSHIFT_DSN (%q)", want, got, airflowDSN)
		}
	}
	// The run of date D ingests D and transforms up to D+1 exclusive.
	if f := found["shoplake ingest"]; f != nil {
		if got, want := flagValue(f, "date"), templates["ds"]; got != want {
			t.Errorf("ingest --date = %q, want the logical date %s", got, want)
		}
	}
	if f := found["shoplake transform"]; f != nil {
		if got, want := flagValue(f, "as-of"), templates["next_ds"]; got != want {
			t.Errorf("transform --as-of = %q, want the day after the logical date, %s", got, want)
		}
	}

	t.Run("PyCompile", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("python3 is not on PATH: CI byte-compiles the Airflow DAG with it")
			}
			t.Skip("python3 is not on PATH")
		}
		cmd := exec.Command(py, "-m", "py_compile", airflowDAG)
		// The .pyc goes to a temporary directory, not into deploy/.
		cmd.Env = append(os.Environ(), "PYTHONPYCACHEPREFIX="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python3 -m py_compile %s: %v\n%s", airflowDAG, err, out)
		}
	})
}

// parseCLI finds args' subcommand in a fresh root command, parses its flags
// and validates its positional arguments, as cobra would before running it.
func parseCLI(args []string) (string, *pflag.FlagSet, error) {
	root := newRootCmd()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return "", nil, err
	}
	if cmd == root {
		return "", nil, errors.New("no subcommand")
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return "", nil, fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return "", nil, fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	return cmd.CommandPath(), cmd.Flags(), nil
}

// dateFlag reports whether f takes a date.
func dateFlag(f *pflag.Flag) bool {
	switch f.Name {
	case "date", "from", "to", "as-of", "start":
		return true
	}
	return strings.Contains(f.Usage, "YYYY-MM-DD")
}

func flagValue(fs *pflag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil && f.Changed {
		return f.Value.String()
	}
	return ""
}

func TestAirflowDAG_Helpers(t *testing.T) {
	t.Run("PythonStrings", func(t *testing.T) {
		src := "# 'not a string'\nA = 'shoplake a' # \"no\"\nB = (\n    \"shoplake b \"  # part\n    'c'\n)\nC = r'\\d' \nD = \"\"\"doc \"q\" \\\"\"\"\"\nE = f\"x{1}\"\nF = 'it\\'s'\n"
		lits, err := pythonStrings(src)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lits {
			got = append(got, fmt.Sprintf("%d:%v:%s", l.line, l.fString, l.value))
		}
		want := []string{"2:false:shoplake a", "4:false:shoplake b c", `7:false:\d`, `8:false:doc "q" "`, "9:true:x{1}", "10:false:it's"}
		if g, w := strings.Join(got, "|"), strings.Join(want, "|"); g != w {
			t.Fatalf("got  %s\nwant %s", g, w)
		}
		if _, err := pythonStrings("A = 'open\n"); err == nil {
			t.Fatal("an unterminated string was accepted")
		}
	})
	t.Run("RenderJinja", func(t *testing.T) {
		vars := map[string]string{"ds": "2026-01-06"}
		if got, err := renderJinja("a {{ds}} b {{  ds }}", vars); err != nil || got != "a 2026-01-06 b 2026-01-06" {
			t.Fatalf("got %q, %v", got, err)
		}
		for _, bad := range []string{"{{ ts }}", "{{ ds | ds_add(1) }}", "{% if x %}", "{# c #}", "{{ ds"} {
			if _, err := renderJinja(bad, vars); err == nil {
				t.Errorf("%q was accepted", bad)
			}
		}
	})
	t.Run("ParseCLI", func(t *testing.T) {
		if path, _, err := parseCLI([]string{"check", "--json"}); err != nil || path != "shoplake check" {
			t.Fatalf("got %q, %v", path, err)
		}
		for _, bad := range [][]string{{"nope"}, {"check", "--nope"}, {"check", "extra"}, {"transform", "--as-of"}, {}} {
			if _, _, err := parseCLI(bad); err == nil {
				t.Errorf("%q was accepted", bad)
			}
		}
	})
	t.Run("ShellWords", func(t *testing.T) {
		env := map[string]string{"DSN": "a b", "E": ""}
		got, err := shellWords(`x --p "$DSN" '$DSN' "${DSN}x" "" "$E" a\ b "q\"\$"`, env)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := fmt.Sprintf("%q", got), fmt.Sprintf("%q", []string{"x", "--p", "a b", "$DSN", "a bx", "", "", "a b", `q"$`}); g != w {
			t.Fatalf("got  %s\nwant %s", g, w)
		}
		for _, bad := range []string{"x $DSN", `x "$NOPE"`, "x; y", "x | y", "x `y`", `x "$(y)"`, "x > f", `x "open`, "x *", "x && y"} {
			if _, err := shellWords(bad, env); err == nil {
				t.Errorf("%q was accepted", bad)
			}
		}
	})
}

// pyString is one Python string literal of a source file; adjacent literals
// are one, as Python concatenates them.
type pyString struct {
	line    int // where it starts
	value   string
	fString bool
}

// pythonStrings returns the string literals of a Python source, comments
// skipped. It knows prefixes (r, b, u, f), triple quotes and the common
// escapes; enough to read a DAG's constants, not a Python tokenizer.
func pythonStrings(src string) ([]pyString, error) {
	var (
		out      []pyString
		line     = 1
		depth    int  // open brackets: a newline inside them ends no statement
		adjacent bool // only whitespace and comments since the last literal
	)
	for i := 0; i < len(src); {
		c := src[i]
		prefix := ""
		switch {
		case c == '\n':
			line++
			i++
			if depth == 0 {
				adjacent = false
			}
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
			continue
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			line++
			i += 2
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case isIdent(c):
			j := i
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			word := src[i:j]
			i = j
			if j == len(src) || (src[j] != '"' && src[j] != '\'') || len(word) > 2 || strings.Trim(word, "rRbBuUfF") != "" {
				adjacent = false
				continue
			}
			prefix = strings.ToLower(word)
		case c == '"' || c == '\'':
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth = max(depth-1, 0)
			}
			i++
			adjacent = false
			continue
		}
		quote := src[i : i+1]
		if strings.HasPrefix(src[i:], strings.Repeat(quote, 3)) {
			quote = strings.Repeat(quote, 3)
		}
		i += len(quote)
		raw := strings.Contains(prefix, "r")
		startLine := line
		var b strings.Builder
		for {
			if i >= len(src) || (len(quote) == 1 && src[i] == '\n') {
				return nil, fmt.Errorf("line %d: unterminated string", startLine)
			}
			if strings.HasPrefix(src[i:], quote) {
				i += len(quote)
				break
			}
			c := src[i]
			if c == '\n' {
				line++
			}
			if c != '\\' || i+1 >= len(src) {
				b.WriteByte(c)
				i++
				continue
			}
			next := src[i+1]
			i += 2
			switch {
			case next == '\n':
				line++
				if raw {
					b.WriteString("\\\n")
				}
			case raw:
				b.WriteByte('\\')
				b.WriteByte(next)
			case next == 'n':
				b.WriteByte('\n')
			case next == 't':
				b.WriteByte('\t')
			case next == '\\' || next == '\'' || next == '"':
				b.WriteByte(next)
			default:
				b.WriteByte('\\')
				b.WriteByte(next)
			}
		}
		fString := strings.Contains(prefix, "f")
		if adjacent && len(out) > 0 {
			last := &out[len(out)-1]
			last.value += b.String()
			last.fString = last.fString || fString
		} else {
			out = append(out, pyString{line: startLine, value: b.String(), fString: fString})
		}
		adjacent = true
	}
	return out, nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

var jinjaExpr = regexp.MustCompile(`\{\{\s*(.*?)\s*\}\}`)

// renderJinja replaces each {{ name }} with vars[name]. Anything else Jinja
// would interpret (other expressions, filters, statements, comments) is an
// error, so that a new template is not accepted unchecked.
func renderJinja(s string, vars map[string]string) (string, error) {
	var errs []error
	out := jinjaExpr.ReplaceAllStringFunc(s, func(m string) string {
		name := jinjaExpr.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			errs = append(errs, fmt.Errorf("template %s is not handled by this test: teach it what the expression renders to", m))
		}
		return v
	})
	for _, open := range []string{"{{", "{%", "{#"} {
		if strings.Contains(out, open) {
			errs = append(errs, fmt.Errorf("unhandled Jinja %q in %q", open, s))
		}
	}
	return out, errors.Join(errs...)
}

var (
	shellName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
	shellBraced = regexp.MustCompile(`^\{([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// shellWords splits a command line as bash would split a simple command:
// single quotes, double quotes, backslashes, and $NAME or ${NAME} expanded
// from env inside double quotes. What would make it more than one simple
// command with literal arguments (operators, redirections, substitutions,
// globs, unquoted expansions, which bash would split again) is an error.
func shellWords(s string, env map[string]string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	expand := func(i int) (string, int, error) { // s[i] == '$'
		rest, n := s[i+1:], 0
		name := shellName.FindString(rest)
		if braced := shellBraced.FindStringSubmatch(rest); braced != nil {
			name, n = braced[1], len(braced[0])
		} else {
			n = len(name)
		}
		if name == "" {
			return "", 0, fmt.Errorf("unsupported expansion at %q", s[i:])
		}
		v, ok := env[name]
		if !ok {
			return "", 0, fmt.Errorf("$%s is not set by this test: unknown variable", name)
		}
		return v, i + 1 + n, nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			inWord = true
			i += end + 2
		case c == '"':
			inWord = true
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("unterminated double quote")
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				switch c {
				case '\\':
					if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
						if s[i+1] != '\n' {
							cur.WriteByte(s[i+1])
						}
						i += 2
						continue
					}
					cur.WriteByte(c)
					i++
				case '$':
					v, next, err := expand(i)
					if err != nil {
						return nil, err
					}
					cur.WriteString(v)
					i = next
				case '`':
					return nil, errors.New("command substitution")
				default:
					cur.WriteByte(c)
					i++
				}
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			if s[i+1] != '\n' {
				cur.WriteByte(s[i+1])
				inWord = true
			}
			i += 2
		case c == '$':
			return nil, fmt.Errorf("unquoted expansion at %q: quote it, bash would split its value", s[i:])
		case strings.IndexByte(";&|<>()`*?[", c) >= 0 || (c == '#' || c == '~') && !inWord:
			return nil, fmt.Errorf("%q at %q: not a simple command with literal arguments", c, s[i:])
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
