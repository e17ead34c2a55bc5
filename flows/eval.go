package flows

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// EvalCase is one row of an evaluation file: at a step, a victim types
// something and means a target.
//
// The file is tab-separated: step, utterance, expected, category; lines
// starting with # are comments. Expected is a choice label, cmd:<id>,
// urgent:<id>, secret (the warning), ask (a question back, no move) or none
// (no move: chit-chat must not move anyone).
type EvalCase struct {
	Line     int
	Step     string
	Say      string
	Want     string
	Category string
}

// ReadEvalCases reads an evaluation file.
func ReadEvalCases(r io.Reader) ([]EvalCase, error) {
	var cases []EvalCase
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: want 4 tab-separated columns (step, utterance, expected, category), got %d", line, len(f))
		}
		cases = append(cases, EvalCase{Line: line, Step: f[0], Say: f[1], Want: f[2], Category: f[3]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read evaluation file: %w", err)
	}
	return cases, nil
}

// EvalOutcome is what the engine did with one case.
type EvalOutcome struct {
	Case EvalCase
	Got  string // what the bot did, in the file's terms
	// Right: the bot did what was meant, or asked with it among the
	// buttons where the target cannot be undone (asking is the design).
	Right bool
	// WrongMove: the bot acted, and not as meant.
	WrongMove bool
	// Irreversible: a wrong move into the card-stop call or data deletion.
	Irreversible bool
	// Offered: not right, but the bot asked with the meant target among
	// the buttons: one tap away. Not counted as right.
	Offered bool
	Score   float64
}

// EvalReport sums up an evaluation.
type EvalReport struct {
	Outcomes []EvalOutcome
}

// Evaluate runs every case through the engine, from a fresh user at the
// case's step, at time now.
func (e *Engine) Evaluate(cases []EvalCase, now time.Time) (EvalReport, error) {
	var r EvalReport
	for _, c := range cases {
		if e.g.Steps[c.Step] == nil {
			return r, fmt.Errorf("line %d: no step %q", c.Line, c.Step)
		}
		res := e.Next(State{Step: c.Step, Flow: e.g.FlowOf(c.Step).ID, Version: 1}, Input{Kind: InputText, Text: c.Say}, now)
		r.Outcomes = append(r.Outcomes, e.judge(c, res.Understood))
	}
	return r, nil
}

func (e *Engine) judge(c EvalCase, u *Understanding) EvalOutcome {
	o := EvalOutcome{Case: c, Got: "none"}
	acted := false
	switch {
	case u == nil:
	case strings.HasPrefix(u.Caught, "urgent:") || u.Caught == "secret":
		o.Got = u.Caught
	case u.Decision == DecideAct:
		o.Got, o.Score, acted = u.Best.Name(), u.Score, true
		o.Irreversible = u.Best.Irreversible
	case u.Decision == DecideAsk:
		o.Got, o.Score = "ask", u.Score
	}
	switch {
	case o.Got == c.Want, c.Want == "none" && o.Got == "ask":
		o.Right = true
	case acted && e.sameDestination(c.Step, c.Want, o.Got):
		o.Right = true
	case o.Got == "ask" && e.irreversible(c.Step, c.Want) && slices.ContainsFunc(u.Candidates, func(t Target) bool { return t.Name() == c.Want }):
		o.Right = true
	}
	o.WrongMove = acted && !o.Right
	o.Irreversible = o.WrongMove && o.Irreversible
	o.Offered = !o.Right && o.Got == "ask" && slices.ContainsFunc(u.Candidates, func(t Target) bool {
		return t.Name() == c.Want || e.sameDestination(c.Step, c.Want, t.Name())
	})
	return o
}

// destination is the step a target leads to, or "" for commands other than
// メニュー.
func (e *Engine) destination(step, name string) string {
	if name == "cmd:"+CmdMenu {
		return e.g.Start
	}
	for _, c := range e.g.Steps[step].Choices {
		if c.Label == name {
			return c.Next
		}
	}
	return ""
}

// sameDestination: メニュー typed where the step offers 「メニューに戻る」 is right.
func (e *Engine) sameDestination(step, a, b string) bool {
	da, db := e.destination(step, a), e.destination(step, b)
	return da != "" && da == db
}

func (e *Engine) irreversible(step, name string) bool {
	if name == "cmd:"+CmdDelete {
		return true
	}
	next := e.g.Steps[e.destination(step, name)]
	return next != nil && next.Irreversible
}

// Tally is right out of total.
type Tally struct{ Right, Total int }

// Rate is the share right, 0 for no cases.
func (t Tally) Rate() float64 {
	if t.Total == 0 {
		return 0
	}
	return float64(t.Right) / float64(t.Total)
}

// Overall is the tally of every case.
func (r EvalReport) Overall() Tally {
	var t Tally
	for _, o := range r.Outcomes {
		t.Total++
		if o.Right {
			t.Right++
		}
	}
	return t
}

// ByCategory tallies each category.
func (r EvalReport) ByCategory() map[string]Tally {
	m := map[string]Tally{}
	for _, o := range r.Outcomes {
		t := m[o.Case.Category]
		t.Total++
		if o.Right {
			t.Right++
		}
		m[o.Case.Category] = t
	}
	return m
}

// Offered counts the cases asked about with the meant target among the
// buttons.
func (r EvalReport) Offered() int { return r.count(func(o EvalOutcome) bool { return o.Offered }) }

// count counts the outcomes for which f holds.
func (r EvalReport) count(f func(EvalOutcome) bool) int {
	n := 0
	for _, o := range r.Outcomes {
		if f(o) {
			n++
		}
	}
	return n
}

// WrongMoves are the cases where the bot acted against the meaning.
func (r EvalReport) WrongMoves() []EvalOutcome {
	var w []EvalOutcome
	for _, o := range r.Outcomes {
		if o.WrongMove {
			w = append(w, o)
		}
	}
	return w
}

// IrreversibleWrongMoves counts wrong moves into what cannot be undone.
func (r EvalReport) IrreversibleWrongMoves() int {
	return r.count(func(o EvalOutcome) bool { return o.Irreversible })
}

// Write prints accuracy per category, the confusion of targets and every
// confident wrong move, for a content editor.
func (r EvalReport) Write(w io.Writer) error {
	ov := r.Overall()
	fmt.Fprintf(w, "overall: %d/%d right (%.1f%%)\n", ov.Right, ov.Total, 100*ov.Rate())
	if n := r.Offered(); n > 0 {
		fmt.Fprintf(w, "  not counted: %d more asked with the meant target among the buttons (one tap away)\n", n)
	}
	cats := r.ByCategory()
	for _, n := range slices.Sorted(maps.Keys(cats)) {
		t := cats[n]
		fmt.Fprintf(w, "  %-10s %3d/%-3d %5.1f%%\n", n, t.Right, t.Total, 100*t.Rate())
	}
	type pair struct{ want, got string }
	confusion := map[pair]int{}
	for _, o := range r.Outcomes {
		if !o.Right {
			confusion[pair{o.Case.Want, o.Got}]++
		}
	}
	pairs := make([]pair, 0, len(confusion))
	for p := range confusion {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(confusion[b]-confusion[a], strings.Compare(a.want, b.want), strings.Compare(a.got, b.got))
	})
	fmt.Fprintln(w, "\nconfusion (expected → got: count):")
	for _, p := range pairs {
		fmt.Fprintf(w, "  %s → %s: %d\n", p.want, p.got, confusion[p])
	}
	fmt.Fprintln(w, "\nmisses:")
	for _, o := range r.Outcomes {
		if !o.Right && !o.WrongMove {
			fmt.Fprintf(w, "  line %d at %s: %q → %s (%.2f), want %s\n", o.Case.Line, o.Case.Step, o.Case.Say, o.Got, o.Score, o.Case.Want)
		}
	}
	wrong := r.WrongMoves()
	fmt.Fprintf(w, "\nconfident wrong moves: %d (into card-stop or data deletion: %d)\n", len(wrong), r.IrreversibleWrongMoves())
	for _, o := range wrong {
		mark := ""
		if o.Irreversible {
			mark = " [IRREVERSIBLE]"
		}
		fmt.Fprintf(w, "  line %d at %s: %q → %s (%.2f), want %s%s\n", o.Case.Line, o.Case.Step, o.Case.Say, o.Got, o.Score, o.Case.Want, mark)
	}
	return nil
}

// Thresholds are what an evaluation must reach.
type Thresholds struct {
	Overall, PerCategory float64
	// IrreversibleWrongMoves is how many wrong moves into the card-stop
	// call or data deletion are tolerated.
	IrreversibleWrongMoves int
}

// EvalThresholds are issue 12's bar for the held-out set.
var EvalThresholds = Thresholds{Overall: 0.95, PerCategory: 0.90, IrreversibleWrongMoves: 0}

// ErrBelowThreshold is returned by Meets when an evaluation falls short.
var ErrBelowThreshold = errors.New("below the evaluation threshold")

// Meets reports which thresholds the evaluation misses.
func (r EvalReport) Meets(th Thresholds) error {
	var short []string
	if ov := r.Overall(); ov.Rate() < th.Overall {
		short = append(short, fmt.Sprintf("overall %.1f%% < %.0f%%", 100*ov.Rate(), 100*th.Overall))
	}
	cats := r.ByCategory()
	for _, n := range slices.Sorted(maps.Keys(cats)) {
		if t := cats[n]; t.Rate() < th.PerCategory {
			short = append(short, fmt.Sprintf("%s %.1f%% < %.0f%%", n, 100*t.Rate(), 100*th.PerCategory))
		}
	}
	if n := r.IrreversibleWrongMoves(); n > th.IrreversibleWrongMoves {
		short = append(short, fmt.Sprintf("%d wrong move(s) into card-stop or data deletion", n))
	}
	if len(short) > 0 {
		return fmt.Errorf("%w: %s", ErrBelowThreshold, strings.Join(short, "; "))
	}
	return nil
}
