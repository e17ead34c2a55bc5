package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MemoTexts word the case summary (経緯メモ) a victim pastes to the police,
// 188 or the card company. It is built only from the engine's state — the
// answers tapped, the flows entered and the items marked done, with their
// times — never from anything the user typed.
type MemoTexts struct {
	// Intro says what the memo is for and what it is made of.
	Intro string `yaml:"intro"`
	// Title {date}: the day the memo was made.
	Title string `yaml:"title"`
	// Situation heads the flows of the incident; SituationItem {title} {date}.
	Situation     string `yaml:"situation"`
	SituationItem string `yaml:"situation_item"`
	// Known heads what the answers say (Facts) and the coverage windows
	// opened by a report; Window {reported} {since} {days} is one of those.
	Known  string `yaml:"known"`
	Window string `yaml:"window"`
	// Done heads the items done; DoneItem {label} {when}, DoneItemUndated {label}
	// for items marked done before their times were kept.
	Done            string `yaml:"done"`
	DoneItem        string `yaml:"done_item"`
	DoneItemUndated string `yaml:"done_item_undated"`
	// Left heads the items still to do; LeftItem {label}.
	Left     string `yaml:"left"`
	LeftItem string `yaml:"left_item"`
	// None fills a section with nothing in it.
	None string `yaml:"none"`
	// Numbers heads the blanks for the numbers to ask for (受理番号).
	Numbers string `yaml:"numbers"`
	// Copy labels the copy button; CopyPart {n} {total} the buttons of a
	// memo longer than the clipboard holds.
	Copy     string `yaml:"copy"`
	CopyPart string `yaml:"copy_part"`
	// Facts are what the answers say happened, as parts.
	Facts []Part `yaml:"facts"`
	// NumberItems are the blanks, as parts (by flow: the card company's
	// only where a card was involved).
	NumberItems []Part `yaml:"number_items"`
}

// memo is the case summary of the user's incident.
func (t *turn) memo() string {
	g := t.e.g
	m := g.Memo
	var b strings.Builder
	section := func(head string, lines []string) {
		if len(lines) == 0 {
			lines = []string{m.None}
		}
		b.WriteString("\n\n" + head + "\n" + strings.Join(lines, "\n"))
	}
	b.WriteString(fill(m.Title, "date", g.FormatDate(t.now)))
	var situation, done, left []string
	for _, f := range g.incident(t.st) {
		date := ""
		if at, ok := t.st.Entered[f.ID]; ok {
			date = g.FormatDate(at)
		}
		situation = append(situation, strings.TrimSpace(fill(m.SituationItem, "title", f.Title, "date", date)))
		for _, it := range f.Checklist {
			switch at, ok := t.st.DoneAt[it.ID]; {
			case !t.applies(it):
			case ok:
				done = append(done, fill(m.DoneItem, "label", it.Label, "when", g.FormatWhen(at)))
			case slices.Contains(t.st.Done, it.ID):
				done = append(done, fill(m.DoneItemUndated, "label", it.Label))
			default:
				left = append(left, fill(m.LeftItem, "label", it.Label))
			}
		}
	}
	section(m.Situation, situation)
	var known []string
	if facts := assemble(g, t.st, m.Facts); facts != "" {
		known = strings.Split(facts, "\n")
	}
	if known = append(known, t.memoWindows()...); len(known) > 0 {
		section(m.Known, known)
	}
	section(m.Done, done)
	section(m.Left, left)
	section(m.Numbers, strings.Split(assemble(g, t.st, m.NumberItems), "\n"))
	return b.String()
}

// memoWindows are the coverage windows the user's reports opened: for
// each step of the incident that tells one counted from an item the user
// marked done, the first covered day, once per rule and day.
func (t *turn) memoWindows() []string {
	g := t.e.g
	var lines []string
	for _, f := range g.incident(t.st) {
		for i := range f.Steps {
			st := &f.Steps[i]
			r := g.coverageRule(st)
			at, ok := t.st.DoneAt[st.CoverageWindowFrom]
			if r == nil || !ok || st.CoverageWindowFrom == "" {
				continue
			}
			line := fill(g.Memo.Window, "reported", g.FormatDate(at), "since", g.FormatDate(windowStart(at, r.Days)), "days", strconv.Itoa(r.Days))
			if !slices.Contains(lines, line) {
				lines = append(lines, line)
			}
		}
	}
	return lines
}

// memoMessages are the intro and the memo with its copy button, or buttons
// when it is longer than LINE's clipboard holds.
func (t *turn) memoMessages() []Message {
	m := t.e.g.Memo
	text := t.memo()
	chunks := splitLines(text, linelimit.Clipboard)
	if len(chunks) > maxButtons {
		chunks = chunks[:maxButtons]
	}
	var bs []Button
	for i, c := range chunks {
		label := m.Copy
		if len(chunks) > 1 {
			label = fill(m.CopyPart, "n", strconv.Itoa(i+1), "total", strconv.Itoa(len(chunks)))
		}
		bs = append(bs, Button{Kind: ButtonCopy, Label: label, Value: c})
	}
	return []Message{{Text: m.Intro}, {Text: text, Buttons: bs}}
}

// splitLines cuts s at line ends into pieces within limit; a single longer
// line is cut where it must be, between grapheme clusters.
func splitLines(s string, limit linelimit.Limit) []string {
	var out []string
	cur, n := "", 0
	for _, line := range strings.SplitAfter(s, "\n") {
		if w := limit.Len(line); n+w > limit.Max && cur != "" {
			out = append(out, strings.TrimRight(cur, "\n"))
			cur, n = "", 0
		}
		for !limit.Fits(line) {
			cut := limit.Prefix(line, limit.Max)
			if cut == 0 {
				break // one cluster longer than the limit: LINE will say so
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		cur += line
		n += limit.Len(line)
	}
	if cur != "" {
		out = append(out, strings.TrimRight(cur, "\n"))
	}
	return out
}

// markTime records, copy on write, when the user first entered a flow or
// marked an item done. The time is kept in UTC to the second: what the
// memo shows, and what comes back from storage unchanged.
func markTime(m map[string]time.Time, key string, at time.Time) map[string]time.Time {
	if _, ok := m[key]; ok {
		return m
	}
	c := make(map[string]time.Time, len(m)+1)
	maps.Copy(c, m)
	c[key] = at.UTC().Truncate(time.Second)
	return c
}

// validateMemo checks that every memo text is there and that its parts'
// conditions can be met.
func validateMemo(l *loader, known map[string][]string) {
	v := reflect.ValueOf(l.g.Memo)
	for i := 0; i < v.NumField(); i++ {
		key := v.Type().Field(i).Tag.Get("yaml")
		if v.Field(i).Kind() != reflect.String {
			continue
		}
		at := "$.memo." + key
		s := v.Field(i).String()
		if s == "" {
			l.problem(textsFile, "$.memo", "memo text %q is missing", key)
			continue
		}
		l.checkText(textsFile, at, s)
	}
	for _, label := range []string{l.g.Memo.Copy, fill(l.g.Memo.CopyPart, "n", "1", "total", "4")} {
		if label != "" && !linelimit.Label.Fits(label) {
			l.problem(textsFile, "$.memo.copy", "memo button label %q has more than %d characters", label, linelimit.Label.Max)
		}
	}
	if len(l.g.Memo.NumberItems) == 0 {
		l.problem(textsFile, "$.memo.number_items", "the memo needs blanks for the numbers to ask for (受理番号)")
	}
	l.checkParts(textsFile, "$.memo.facts", "memo fact", l.g.Memo.Facts, known)
	l.checkParts(textsFile, "$.memo.number_items", "memo number", l.g.Memo.NumberItems, known)
	for at, parts := range map[string][]Part{"$.memo.facts": l.g.Memo.Facts, "$.memo.number_items": l.g.Memo.NumberItems} {
		for i, p := range parts {
			if p.FillIn {
				l.problem(textsFile, fmt.Sprintf("%s[%d].fill_in", at, i), "fill_in explains the blanks of words to say; the memo's blanks explain themselves")
			}
		}
	}
}
