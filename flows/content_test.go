package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// contentEngine is an engine on the built-in flows. The graph is loaded
// once for the whole package (the content is embedded; no test changes it).
func contentEngine(t testing.TB) *Engine {
	t.Helper()
	g, err := loadContent()
	if err != nil {
		t.Fatalf("the built-in flows do not load: %v", err)
	}
	return NewEngine(g)
}

var loadContent = sync.OnceValues(func() (*Graph, error) { return Load(Content()) })

// skipSweepUnderRace skips a test that runs every example through the
// matcher when the race detector is on: such a sweep starts no goroutine
// for it to watch and runs ten times slower under it (a minute each); the
// runs without -race (go test ./..., and CI's time-zone runs) keep it.
func skipSweepUnderRace(t *testing.T) {
	t.Helper()
	if raceDetector {
		t.Skip("a sweep over every example: run without -race")
	}
}

// freshContentEngine is an engine on a graph of its own, for a test that
// changes it.
func freshContentEngine(t testing.TB) *Engine {
	t.Helper()
	g, err := Load(Content())
	if err != nil {
		t.Fatalf("the built-in flows do not load: %v", err)
	}
	return NewEngine(g)
}

// checkReply asserts what LINE and a victim need of every reply: within
// LINE's limits, never a dead end, and only sourced, active contacts.
func checkReply(t *testing.T, e *Engine, where string, r Result) {
	t.Helper()
	msgs := r.Reply.Messages
	if len(msgs) == 0 || len(msgs) > linelimit.Messages {
		t.Errorf("%s: %d messages, want 1–%d", where, len(msgs), linelimit.Messages)
	}
	if len(r.Reply.QuickReplies) == 0 && !r.Delete {
		t.Errorf("%s: dead end: no buttons to go on", where)
	}
	if len(r.Reply.QuickReplies) > linelimit.QuickReplies {
		t.Errorf("%s: %d quick replies", where, len(r.Reply.QuickReplies))
	}
	for _, q := range r.Reply.QuickReplies {
		if n := linelimit.Label.Len(q.Label); n < 1 || n > linelimit.Label.Max {
			t.Errorf("%s: quick reply label %q has %d characters", where, q.Label, n)
		}
		if len(q.Data) > 300 {
			t.Errorf("%s: postback data of %q is %d bytes", where, q.Label, len(q.Data))
		}
	}
	for _, m := range msgs {
		if n := linelimit.Text.Len(m.Text); n == 0 || n > linelimit.Text.Max {
			t.Errorf("%s: text of %d UTF-16 units", where, n)
		}
		if len(m.Buttons) > maxButtons {
			t.Errorf("%s: %d buttons in one message", where, len(m.Buttons))
		}
		for _, b := range m.Buttons {
			switch b.Kind {
			case ButtonCall:
				c := e.g.contactByValue(b.Value)
				if c == nil || c.Status != "active" || c.Source == "" || c.Kind != "phone" {
					t.Errorf("%s: call button to %q is not an active, sourced phone contact", where, b.Value)
				}
				if strings.Contains(strings.ToLower(c.Name), "amazon") {
					t.Errorf("%s: an Amazon number is a call button: %q", where, b.Value)
				}
			case ButtonLink:
				if !OfficialURL(b.Value) || e.g.contactByValue(b.Value) == nil {
					t.Errorf("%s: link %q is not an official contact URL", where, b.Value)
				}
			case ButtonCopy:
				if n := linelimit.Clipboard.Len(b.Value); n == 0 || n > linelimit.Clipboard.Max {
					t.Errorf("%s: copy text of %d characters", where, n)
				}
			}
		}
	}
}

// TestWalkEveryChoice taps every button of every reachable step (with every
// combination of branch answers that leads there) and checks each reply.
func TestWalkEveryChoice(t *testing.T) {
	e := contentEngine(t)
	type node struct {
		st    State
		reply Result
	}
	start := e.Next(State{}, Input{Kind: InputFollow}, nightTime())
	checkReply(t, e, "follow", start)
	queue := []node{{start.State, start}}
	seen := map[string]bool{}
	visitedSteps := map[string]bool{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		visitedSteps[n.st.Step] = true
		type tap struct {
			in    Input
			label string
		}
		var taps []tap
		for _, q := range n.reply.Reply.QuickReplies {
			in := Input{Kind: InputPostback, Data: q.Data}
			if q.Kind == QuickTimePicker {
				in.Time = nightTime().Add(36 * 60 * 60 * 1e9)
			}
			taps = append(taps, tap{in, q.Label})
		}
		if n.st.Step == e.g.Check.PasteStep {
			// The step asks for a pasted message: the result step follows it.
			taps = append(taps, tap{Input{Kind: InputText, Text: "https://example.com/"}, "(pasted a link)"})
		}
		for _, tp := range taps {
			r := e.Next(n.st, tp.in, nightTime())
			where := n.st.Step + " → " + tp.label
			checkReply(t, e, where, r)
			key := r.State.Step + "|" + answersKey(e.g.FlowOf(r.State.Step), r.State.Answers)
			if seen[key] || r.Delete {
				continue
			}
			seen[key] = true
			queue = append(queue, node{r.State, r})
		}
		if len(seen) > 20000 {
			t.Fatal("the walk does not end: too many distinct states")
		}
	}
	for _, f := range e.g.Flows {
		for _, st := range f.Steps {
			if !visitedSteps[st.ID] {
				t.Errorf("step %s (%s) was never reached by tapping", st.ID, f.File)
			}
		}
	}
	t.Logf("walked %d distinct states over %d steps", len(seen), len(visitedSteps))
}

// answersKey names the answers that matter in flow f: those its own choices
// set. Answers from other flows would only multiply identical states.
func answersKey(f *Flow, a map[string]string) string {
	own := map[string]bool{}
	for _, st := range f.Steps {
		for _, c := range st.Choices {
			for k := range c.Set {
				own[k] = true
			}
		}
	}
	var ks []string
	for k, v := range a {
		if own[k] {
			ks = append(ks, k+"="+v)
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func nightTime() time.Time { return night }

// TestMainPathCompletesTheChecklist follows the first choice of every step
// from each situation of the menu to its summary: everything on that flow's
// checklist that applies must be done there.
func TestMainPathCompletesTheChecklist(t *testing.T) {
	e := contentEngine(t)
	menu := e.Next(State{}, Input{Kind: InputFollow}, night)
	for _, situation := range e.g.Steps[e.g.Start].Choices {
		t.Run(situation.Label, func(t *testing.T) {
			r := menu
			var path []string
			r = tapLabel(t, e, r, situation.Label)
			for i := 0; !e.g.Steps[r.State.Step].Summary; i++ {
				if i > 60 {
					t.Fatalf("no summary after 60 steps: %v", path)
				}
				if r.State.Step == e.g.Check.PasteStep {
					// The step asks for a pasted message, not a tap.
					path = append(path, "(pasted a link)")
					r = e.Next(r.State, Input{Kind: InputText, Text: "https://example.com/"}, night)
					continue
				}
				first := e.g.Steps[r.State.Step].Choices[0].Label
				path = append(path, first)
				r = tapLabel(t, e, r, first)
			}
			if left := e.Left(r.State); len(left) > 0 {
				t.Fatalf("at the summary %s after %v, still left: %v", r.State.Step, path, left)
			}
			if f := e.g.FlowOf(r.State.Step); len(f.Checklist) == 0 && f.ID != "menu" {
				t.Fatalf("flow %s has no checklist", f.ID)
			}
		})
	}
}

func tapLabel(t *testing.T, e *Engine, r Result, label string) Result {
	t.Helper()
	for _, q := range r.Reply.QuickReplies {
		if q.Label == label && q.Kind == QuickPostback {
			return e.Next(r.State, Input{Kind: InputPostback, Data: q.Data}, night)
		}
	}
	t.Fatalf("at %s no button %q (have %v)", r.State.Step, label, labels(r.Reply.QuickReplies))
	return Result{}
}

// TestPostbackDataFitsLINE keeps every choice's data within LINE's 300 bytes.
func TestPostbackDataFitsLINE(t *testing.T) {
	e := contentEngine(t)
	for id := range e.g.Steps {
		d := url.Values{keyStep: {id}, keyVersion: {"9223372036854775807"}, keyChoice: {"12"}, keyReminder: {"p"}}.Encode()
		if len(d) > 300 {
			t.Errorf("step %s: postback data %d bytes", id, len(d))
		}
	}
}
