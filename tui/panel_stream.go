package tui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/scenarios"
)

// renderStream renders the stream: the last streamed hour and the totals,
// the shards as the consumer sees them, and the records per hour.
func renderStream(v view, s styles, width, height int) string {
	st := v.st
	var lines []pnlLine

	head := s.Header.Render("STREAM") + "  "
	if n := len(st.Hours); n > 0 {
		h := st.Hours[n-1]
		throttled := pnlInt(int64(h.Throttled)) + " throttled"
		if h.Throttled > 0 {
			throttled = s.Warn.Render(throttled)
		}
		head += s.Dim.Render("hour ") + h.Hour.UTC().Format("2006-01-02 15:04") + "  " +
			pnlInt(int64(h.Records)) + s.Dim.Render(" acked") + "  " + throttled + "  " +
			s.Dim.Render("put ") + strconv.FormatFloat(h.PutSeconds, 'f', 1, 64) + " s"
	} else {
		head += s.Dim.Render("no hour streamed yet")
	}
	lines = append(lines, pnlLine{text: head, prio: 100})

	t := st.Totals
	rejected := pnlInt(int64(t.Rejected))
	if t.Rejected > 0 {
		rejected = s.Warn.Render(rejected)
	}
	lines = append(lines, pnlLine{prio: 90, text: s.Dim.Render("totals  sent ") + pnlInt(int64(t.Sent)) +
		s.Dim.Render("  acked ") + pnlInt(int64(t.Acknowledged)) +
		s.Dim.Render("  rejected ") + rejected +
		s.Dim.Render("  duplicates dropped ") + pnlInt(int64(t.Duplicates))})

	lines = append(lines, pnlLine{prio: 10})
	const row = "  %-7s %-6s %-13s %-5s %9s %8s %-10s %-4s"
	lines = append(lines, pnlLine{prio: 80, text: s.Header.Render(fmt.Sprintf(row,
		"shard", "state", "parents", "lease", "read", "behind", "checkpoint", "done"))})
	if len(st.Shards) == 0 {
		lines = append(lines, pnlLine{prio: 70, text: s.Dim.Render("  no shard yet")})
	}
	for _, sh := range st.Shards {
		state := "open"
		if !sh.Open {
			state = "closed"
		}
		parents := make([]string, len(sh.Parents))
		for i, p := range sh.Parents {
			parents[i] = pnlShard(p)
		}
		par := strings.Join(parents, ",")
		if par == "" {
			par = "—"
		}
		cp := "—"
		if c := sh.Checkpoint; c != "" {
			cp = c
			if len(c) > 6 {
				cp = "…" + c[len(c)-6:]
			}
		}
		text := fmt.Sprintf(row, pnlShard(sh.ShardID), state, ansi.Truncate(par, 13, "…"),
			pnlYes(sh.Leased), pnlInt(int64(sh.Read)), pnlMillis(sh.MillisBehindLatest), cp, pnlYes(sh.Finished))
		switch {
		case sh.MillisBehindLatest >= 60_000:
			text = s.Warn.Render(text)
		case !sh.Open && sh.Finished:
			text = s.Dim.Render(text)
		}
		lines = append(lines, pnlLine{prio: 70, group: 1, text: text})
	}

	if spark := pnlSpark(st.Hours, s, width); spark != "" {
		lines = append(lines, pnlLine{prio: 10}, pnlLine{prio: 40, text: spark})
	}
	return pnlRender(lines, s, width, height)
}

// pnlSpark renders the records per hour of the last hours that fit in
// width, or "" when too few fit.
func pnlSpark(hours []scenarios.HourMetrics, s styles, width int) string {
	if len(hours) == 0 {
		return ""
	}
	label := "records/h "
	peak := 0
	for _, h := range hours {
		peak = max(peak, h.Records)
	}
	tail := "  max " + pnlInt(int64(peak))
	n := min(len(hours), width-len(label)-len(tail))
	if n < 4 {
		return ""
	}
	shown := hours[len(hours)-n:]
	peak = 0
	for _, h := range shown {
		peak = max(peak, h.Records)
	}
	const levels = "▁▂▃▄▅▆▇█"
	blocks := []rune(levels)
	var b strings.Builder
	for _, h := range shown {
		switch {
		case h.Records <= 0 || peak == 0:
			b.WriteByte(' ')
		default:
			i := (h.Records*len(blocks) - 1) / peak
			b.WriteRune(blocks[min(max(i, 0), len(blocks)-1)])
		}
	}
	return s.Dim.Render(label) + s.Bar.Render(b.String()) + s.Dim.Render("  max ") + pnlInt(int64(peak))
}

// pnlLine is a line of a panel. When the panel is short of room, the
// lines of lowest prio go first (the later ones first among equals); a
// table (group > 0) cut short to two rows or more ends with "… n more".
type pnlLine struct {
	text  string
	prio  int
	group int
}

// pnlRender keeps the height lines of highest prio, in their order, each
// truncated to width.
func pnlRender(lines []pnlLine, s styles, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	idx := make([]int, len(lines))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lines[idx[a]].prio > lines[idx[b]].prio })
	keep := make([]bool, len(lines))
	for _, i := range idx[:min(height, len(idx))] {
		keep[i] = true
	}
	total, kept, last := map[int]int{}, map[int]int{}, map[int]int{}
	for i, l := range lines {
		if l.group > 0 {
			total[l.group]++
			if keep[i] {
				kept[l.group]++
				last[l.group] = i
			}
		}
	}
	out := make([]string, 0, height)
	for i, l := range lines {
		if !keep[i] {
			continue
		}
		text := l.text
		if g := l.group; g > 0 && kept[g] > 1 && kept[g] < total[g] && last[g] == i {
			text = s.Dim.Render(fmt.Sprintf("  … %d more", total[g]-kept[g]+1))
		}
		out = append(out, ansi.Truncate(text, width, "…"))
	}
	return strings.Join(out, "\n")
}

// pnlShard shortens a shard id: "shardId-000000000003" is "…0003".
func pnlShard(id string) string {
	if r := []rune(id); len(r) > 5 {
		return "…" + string(r[len(r)-4:])
	}
	return id
}

// pnlMillis renders a lag: "0 ms", "450 ms", "1.2 s", "3.5 min".
func pnlMillis(ms int64) string {
	switch {
	case ms < 1000:
		return strconv.FormatInt(ms, 10) + " ms"
	case ms < 60_000:
		return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + " s"
	case ms < 3_600_000:
		return strconv.FormatFloat(float64(ms)/60_000, 'f', 1, 64) + " min"
	default:
		return strconv.FormatFloat(float64(ms)/3_600_000, 'f', 1, 64) + " h"
	}
}

// pnlInt renders n with thousands separators: 12,345.
func pnlInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func pnlYes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
