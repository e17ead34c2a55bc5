package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Part is a piece of text kept only for users whose answers fit: every
// When answer is what they chose, no Unless answer is, and, with Flows,
// one of those flows is part of their incident. The words a user says on
// the phone, and the case summary, are assembled from parts, so that each
// says only what is true for this user (issue 15, defect 5).
type Part struct {
	When   map[string]string `yaml:"when"`
	Unless map[string]string `yaml:"unless"`
	Flows  []string          `yaml:"flows"`
	Text   string            `yaml:"text"`
	// FillIn marks words with blanks (○月○日・□□・○○円): when a part
	// that has them is said, Texts.ScriptFillIn follows the words, telling
	// what the blanks stand for (利用日・加盟店名・金額) and where to read them.
	FillIn bool `yaml:"fill_in"`
}

// Script is the words to say to a company on the phone.
type Script struct {
	// Title heads the message (【カード会社に伝えること】).
	Title string `yaml:"title"`
	// Copy labels the button that copies the words.
	Copy  string `yaml:"copy"`
	Parts []Part `yaml:"parts"`
}

// fits reports whether a part applies to a user's state.
func (p Part) fits(g *Graph, st State) bool {
	for k, v := range p.When {
		if st.Answers[k] != v {
			return false
		}
	}
	for k, v := range p.Unless {
		if st.Answers[k] == v {
			return false
		}
	}
	if len(p.Flows) == 0 {
		return true
	}
	return slices.ContainsFunc(g.incident(st), func(f *Flow) bool { return slices.Contains(p.Flows, f.ID) })
}

// assemble joins, one a line, the parts that fit the user.
func assemble(g *Graph, st State, parts []Part) string {
	var lines []string
	for _, p := range parts {
		if p.fits(g, st) {
			lines = append(lines, p.Text)
		}
	}
	return strings.Join(lines, "\n")
}

// scriptMessage is a step's words to say with the button that copies them.
func (t *turn) scriptMessage(s *Script) Message {
	words := assemble(t.e.g, t.st, s.Parts)
	text := s.Title + "\n" + words
	if slices.ContainsFunc(s.Parts, func(p Part) bool { return p.FillIn && p.fits(t.e.g, t.st) }) {
		text += "\n\n" + t.e.g.Texts.ScriptFillIn
	}
	return Message{Text: text, Buttons: []Button{{Kind: ButtonCopy, Label: s.Copy, Value: words}}}
}

// answerValues are the answers the choices of the flow files can set: key
// → values. A condition on anything else could never be met, or is a typo.
func (g *Graph) answerValues() map[string][]string {
	known := map[string][]string{}
	for _, f := range g.Flows {
		for _, st := range f.Steps {
			for _, c := range st.Choices {
				for k, v := range c.Set {
					if !slices.Contains(known[k], v) {
						known[k] = append(known[k], v)
					}
				}
			}
		}
	}
	return known
}

// checkAnswers reports a condition on an answer no choice sets, where it
// is written.
func (l *loader) checkAnswers(file, at, what string, cond map[string]string, known map[string][]string) {
	for _, k := range slices.Sorted(maps.Keys(cond)) {
		vals, ok := known[k]
		sort.Strings(vals)
		switch v := cond[k]; {
		case !ok:
			l.problem(file, at+"."+k, "%s: no choice sets the answer %q (set: %s)", what, k, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		case !slices.Contains(vals, v):
			l.problem(file, at+"."+k, "%s: no choice sets %s to %q (it is set to %s)", what, k, v, strings.Join(vals, ", "))
		}
	}
}

// checkParts validates assembled text: its conditions, its flows, and each
// text as a text.
func (l *loader) checkParts(file, at, what string, parts []Part, known map[string][]string) {
	for i, p := range parts {
		pat := fmt.Sprintf("%s[%d]", at, i)
		l.checkText(file, pat+".text", p.Text)
		l.checkAnswers(file, pat+".when", what, p.When, known)
		l.checkAnswers(file, pat+".unless", what, p.Unless, known)
		for j, id := range p.Flows {
			if !slices.ContainsFunc(l.g.Flows, func(f *Flow) bool { return f.ID == id }) {
				l.problem(file, fmt.Sprintf("%s.flows[%d]", pat, j), "%s: flow %q does not exist", what, id)
			}
		}
	}
}

// validateScript checks a step's script: a title, a label, parts whose
// conditions can be met, and words that fit the clipboard even when every
// part applies.
func validateScript(l *loader, f *Flow, st *Step, at string, known map[string][]string) {
	s := st.Script
	what := fmt.Sprintf("script of step %q", st.ID)
	if s.Title == "" || len(s.Parts) == 0 {
		l.problem(f.File, at, "%s needs a title and parts", what)
	}
	l.checkLabel(f.File, at+".copy", s.Copy)
	l.checkParts(f.File, at+".parts", what, s.Parts, known)
	n := 0
	for _, p := range s.Parts {
		n += linelimit.Clipboard.Len(p.Text) + 1
	}
	if n > linelimit.Clipboard.Max {
		l.problem(f.File, at+".parts", "%s: all parts together have %d UTF-16 units; the clipboard holds %d", what, n, linelimit.Clipboard.Max)
	}
}

// Words are the words to say at the user's step, assembled from their
// answers, or "" at a step without them: what its copy button copies.
func (e *Engine) Words(st State) string {
	s := e.g.Steps[st.Step]
	if s == nil || s.Script == nil {
		return ""
	}
	return assemble(e.g, st, s.Script.Parts)
}
