package tui

import (
	"fmt"
	"slices"

	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/scenarios"
)

// renderLake renders the lake: the RAW objects written and those already
// present, the last batch ingestion and QUARANTINE by reason.
func renderLake(v view, s styles, width, height int) string {
	st := v.st
	t := st.Totals
	var lines []pnlLine

	const raw = "%-9s written %9s   already present %9s  "
	lines = append(lines,
		pnlLine{prio: 100, text: s.Header.Render("RAW") + "  " +
			fmt.Sprintf(raw, "events", pnlInt(int64(t.RawObjects)), pnlInt(int64(t.RawExisting))) +
			s.Dim.Render("(replays)")},
		pnlLine{prio: 95, text: "     " +
			fmt.Sprintf(raw, "batches", pnlInt(int64(t.IngestWrites)), pnlInt(int64(t.IngestSkips))) +
			s.Dim.Render("(same content)")},
		pnlLine{prio: 10})

	in := st.Ingest
	head := s.Header.Render("BATCH INGESTION") + "  "
	if in.Date.IsZero() && in.Status == "" && len(in.Objects) == 0 {
		lines = append(lines, pnlLine{prio: 85, text: head + s.Dim.Render("none yet")})
	} else {
		status := string(in.Status)
		switch in.Status {
		case ingest.StatusCommitted:
			status = s.OK.Render(status)
		case ingest.StatusUnchanged:
			status = s.Dim.Render(status)
		case ingest.StatusRunning:
			status = s.Warn.Render(status)
		default:
			status = s.Bad.Render(status)
		}
		retries := pnlInt(int64(in.Retries))
		if in.Retries > 0 {
			retries = s.Warn.Render(retries)
		}
		lines = append(lines, pnlLine{prio: 85, text: head + in.Date.UTC().Format("2006-01-02") + "  " + status +
			s.Dim.Render("  requests ") + pnlInt(int64(in.Requests)) + s.Dim.Render("  retries ") + retries})
		if in.Error != "" {
			lines = append(lines, pnlLine{prio: 84, text: "  " + s.Bad.Render(in.Error)})
		}
		if len(in.Objects) > 0 {
			const row = "  %-14s %9s  %-22s "
			lines = append(lines, pnlLine{prio: 80, text: s.Header.Render(fmt.Sprintf(row, "entity", "rows", "object"))})
			for _, o := range in.Objects {
				text := fmt.Sprintf(row, ansi.Truncate(o.Entity, 14, "…"), pnlInt(int64(o.Rows)), "written")
				if o.Written {
					text = s.OK.Render(text)
				} else {
					text = s.Dim.Render(fmt.Sprintf(row, ansi.Truncate(o.Entity, 14, "…"), pnlInt(int64(o.Rows)), "skipped (same content)"))
				}
				lines = append(lines, pnlLine{prio: 65, group: 1, text: text + s.Dim.Render(o.Key)})
			}
		}
	}
	lines = append(lines, pnlLine{prio: 10})

	nameW := min(max(width-14, 8), 50)
	const qrow = "%-*s  %9s"
	total := 0
	for _, c := range st.Quarantine {
		total += c.N
	}
	lines = append(lines, pnlLine{prio: 80, text: s.Header.Render(fmt.Sprintf(qrow, nameW+2, "QUARANTINE by reason", "records"))})
	if len(st.Quarantine) == 0 {
		lines = append(lines, pnlLine{prio: 60, text: s.Dim.Render("  none")})
	}
	qs := slices.Clone(st.Quarantine)
	slices.SortStableFunc(qs, func(a, b scenarios.Count) int {
		if a.N != b.N {
			return b.N - a.N
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	for _, c := range qs {
		text := "  " + fmt.Sprintf(qrow, nameW, ansi.Truncate(c.Name, nameW, "…"), pnlInt(int64(c.N)))
		lines = append(lines, pnlLine{prio: 60, group: 2, text: text})
	}
	if len(qs) > 1 {
		lines = append(lines, pnlLine{prio: 5, text: s.Dim.Render(fmt.Sprintf("  "+qrow, nameW, "total", pnlInt(int64(total))))})
	}
	return pnlRender(lines, s, width, height)
}
