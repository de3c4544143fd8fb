package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/warehouse"
)

// renderWarehouse renders the consumer and the warehouse: deduplication,
// the watermark and the late events, the last load and transform, the
// MERGE counts per core table and the data-quality checks.
func renderWarehouse(v view, s styles, width, height int) string {
	st := v.st
	tr := st.Transform
	ld := st.Load
	var lines []pnlLine
	label := func(l string) string { return s.Header.Render(fmt.Sprintf("%-11s", l)) }
	dot := s.Dim.Render(" · ")

	wm := "—"
	if tr.Watermark != nil {
		wm = tr.Watermark.UTC().Format("2006-01-02 15:04")
	}
	late := pnlInt(st.Late) + " late events"
	if st.Late > 0 {
		late = s.Warn.Render(late)
	}
	queued := pnlInt(st.Queued) + " days queued"
	if st.Queued > 0 {
		queued = s.Warn.Render(queued)
	}
	lines = append(lines,
		pnlLine{prio: 100, text: label("CONSUMER") + pnlInt(int64(st.Totals.Duplicates)) + " events deduplicated"},
		pnlLine{prio: 99, text: label("WATERMARK") + wm + dot + late + dot + queued})

	quar := pnlInt(ld.Quarantined) + " quarantined"
	if ld.Quarantined > 0 {
		quar = s.Warn.Render(quar)
	}
	lines = append(lines, pnlLine{prio: 95, text: label("LOAD") +
		pnlInt(int64(ld.ObjectsLoaded)) + " loaded" + dot + pnlInt(int64(ld.ObjectsSkipped)) + " skipped" + dot +
		pnlInt(int64(ld.ObjectsUncommitted)) + " uncommitted" + dot + quar + dot + pnlInt(ld.Repaired) + " repaired"})

	if tr.Status == "" && tr.Mode == "" {
		lines = append(lines, pnlLine{prio: 94, text: label("TRANSFORM") + s.Dim.Render("none yet")})
	} else {
		status := tr.Status
		if status == "promoted" {
			status = s.OK.Render(status)
		} else {
			status = s.Bad.Render(status)
		}
		lines = append(lines, pnlLine{prio: 94, text: label("TRANSFORM") + string(tr.Mode) + " " + status + dot +
			pnlInt(tr.EventsIn) + " events in" + dot + pnlInt(tr.DaysRebuilt) + " days rebuilt"})
	}
	lines = append(lines, pnlLine{prio: 10})

	// MERGE per core table.
	// The deleted column only when it fits (merges seldom delete).
	mrow, mcols := "  %-19s %10s %10s %10s", 3
	if width >= 65 {
		mrow, mcols = mrow+" %10s", 4
	}
	mergeRow := func(name string, n ...any) string { return fmt.Sprintf(mrow, append([]any{name}, n[:mcols]...)...) }
	lines = append(lines, pnlLine{prio: 80, text: s.Header.Render(mergeRow("MERGE", "inserted", "updated", "unchanged", "deleted"))})
	tables := make([]string, 0, len(tr.Core))
	for name := range tr.Core {
		tables = append(tables, name)
	}
	sort.Strings(tables)
	if len(tables) == 0 {
		lines = append(lines, pnlLine{prio: 70, text: s.Dim.Render("  none yet")})
	}
	for _, name := range tables {
		m := tr.Core[name]
		text := mergeRow(ansi.Truncate(name, 19, "…"), pnlInt(m.Inserted), pnlInt(m.Updated), pnlInt(m.Unchanged), pnlInt(m.Deleted))
		if m == (warehouse.MergeStats{}) {
			text = s.Dim.Render(text)
		}
		lines = append(lines, pnlLine{prio: 70, group: 1, text: text})
	}
	lines = append(lines, pnlLine{prio: 10})

	// The checks, the failing ones first, in two columns when they fit.
	checks := slices.Clone(tr.Checks)
	rank := func(c warehouse.CheckResult) int {
		switch c.Status {
		case "fail":
			return 0
		case "warn":
			return 1
		case "pass":
			return 3
		default:
			return 2
		}
	}
	slices.SortStableFunc(checks, func(a, b warehouse.CheckResult) int { return rank(a) - rank(b) })
	counts := map[string]int{}
	for _, c := range checks {
		counts[c.Status]++
	}
	head := s.Header.Render("CHECKS")
	if len(checks) == 0 {
		head += "  " + s.Dim.Render("none yet")
	} else {
		var parts []string
		for _, k := range []string{"fail", "warn", "pass", "skipped"} {
			if n := counts[k]; n > 0 {
				p := fmt.Sprintf("%d %s", n, k)
				switch k {
				case "fail":
					p = s.Bad.Render(p)
				case "warn":
					p = s.Warn.Render(p)
				case "pass":
					p = s.OK.Render(p)
				}
				parts = append(parts, p)
			}
		}
		head += "  " + strings.Join(parts, dot)
	}
	lines = append(lines, pnlLine{prio: 80, text: head})
	cols, colW, indent := 1, width-2, "  "
	if (width-2)/2 >= 36 {
		cols, colW, indent = 2, (width-2)/2, " "
	}
	for i := 0; i < len(checks); i += cols {
		var cells []string
		prio := 60
		for j := i; j < min(i+cols, len(checks)); j++ {
			cells = append(cells, pnlCheck(checks[j], s, colW))
			if rank(checks[j]) < 2 {
				prio = 75 // a failing or warning check goes before the MERGE rows
			}
		}
		lines = append(lines, pnlLine{prio: prio, group: 2, text: indent + strings.Join(cells, " ")})
	}
	return pnlRender(lines, s, width, height)
}

// pnlCheck renders one check in w cells: a mark, its name and its status
// (with its failures when it found rows).
func pnlCheck(c warehouse.CheckResult, s styles, w int) string {
	const statusW = 9
	nameW := max(w-2-1-statusW, 4)
	mark, style := "·", s.Dim
	status := c.Status
	switch c.Status {
	case "pass":
		mark, style = "✓", s.OK
	case "warn":
		mark, style = "!", s.Warn
		status += " " + pnlCompact(c.Failures)
	case "fail":
		mark, style = "✗", s.Bad
		status += " " + pnlCompact(c.Failures)
	}
	name := fmt.Sprintf("%-*s", nameW, ansi.Truncate(c.Name, nameW, "…"))
	if c.Status == "fail" || c.Status == "warn" {
		name = style.Render(name)
	}
	return style.Render(mark) + " " + name + " " + style.Render(fmt.Sprintf("%-*s", statusW, ansi.Truncate(status, statusW, "…")))
}

// pnlCompact renders a count in at most 4 cells: 9999, 12k, 1.2M, 12M.
func pnlCompact(n int64) string {
	switch {
	case n < 10_000:
		return fmt.Sprint(n)
	case n < 1_000_000:
		return fmt.Sprintf("%dk", n/1000)
	case n < 10_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	default:
		return fmt.Sprintf("%dM", n/1_000_000)
	}
}
