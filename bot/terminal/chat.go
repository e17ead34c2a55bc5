// Package terminal lets anyone talk to the bot in a terminal: the same
// engine as the LINE webhook, with the state in memory and LINE's buttons
// drawn as text.
package terminal

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
)

// Chat is one terminal conversation.
type Chat struct {
	Engine *flows.Engine
	// Clock is the clock; a fixed one makes the open-now routing repeatable.
	Clock flows.Clock
	In    io.Reader
	Out   io.Writer
	// Echo repeats each input line, so a piped conversation reads as a transcript.
	Echo bool
	// Explain prints what each typed message was understood as.
	Explain bool

	session Session
	choices []flows.QuickReply
}

// Session is one user's conversation with the state in memory, as a local
// tool keeps it (the terminal chat, the browser preview): the engine's new
// state replaces the old, and a deletion starts afresh.
type Session struct {
	state flows.State
}

// Next applies one input at now and returns the engine's result.
func (s *Session) Next(e *flows.Engine, in flows.Input, now time.Time) flows.Result {
	res := e.Next(s.state, in, now)
	s.state = res.State
	if res.Delete {
		s.state = flows.State{}
	}
	return res
}

// Reset forgets the conversation.
func (s *Session) Reset() { s.state = flows.State{} }

// Run talks until the input ends or the user types /quit.
func (c *Chat) Run() error {
	c.apply(flows.Input{Kind: flows.InputFollow})
	sc := bufio.NewScanner(c.In)
	for {
		fmt.Fprint(c.Out, "> ")
		if !sc.Scan() {
			fmt.Fprintln(c.Out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if c.Echo {
			fmt.Fprintln(c.Out, line)
		}
		switch line {
		case "":
			continue
		case "/quit", "/exit":
			return nil
		}
		c.apply(c.input(line))
	}
}

// input turns a line into an input: a number picks a button (a time picker
// takes an optional time after it, "2 2026-11-25T10:00"), anything else is text.
func (c *Chat) input(line string) flows.Input {
	num, rest, _ := strings.Cut(line, " ")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > len(c.choices) {
		return flows.Input{Kind: flows.InputText, Text: line}
	}
	q := c.choices[n-1]
	fmt.Fprintf(c.Out, "(tapped %s)\n", q.Label)
	in := flows.Input{Kind: flows.InputPostback, Data: q.Data}
	if q.Kind == flows.QuickTimePicker {
		v := strings.TrimSpace(rest)
		if v == "" {
			v = q.Initial
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", v, flows.Tokyo)
		if err != nil {
			fmt.Fprintf(c.Out, "time must look like %s\n", q.Initial)
			return flows.Input{Kind: flows.InputOther}
		}
		in.Time = t
	}
	return in
}

func (c *Chat) apply(in flows.Input) {
	c.print(c.session.Next(c.Engine, in, c.Clock()))
}

func (c *Chat) print(res flows.Result) {
	w := c.Out
	if c.Explain && res.Understood != nil {
		explain(w, res.Understood)
	}
	for _, m := range res.Reply.Messages {
		fmt.Fprintln(w, "bot:", indent(m.Text))
		for _, b := range m.Buttons {
			switch b.Kind {
			case flows.ButtonCall:
				fmt.Fprintf(w, "  [call %s] dials %s\n", b.Label, b.Value)
			case flows.ButtonCopy:
				fmt.Fprintf(w, "  [copy %s] copies:\n    %s\n", b.Label, indent(b.Value))
			case flows.ButtonLink:
				fmt.Fprintf(w, "  [link %s] opens %s\n", b.Label, b.Value)
			}
		}
	}
	for _, rc := range res.Reminders {
		op := "scheduled"
		if rc.Op == flows.ReminderCancel {
			op = "cancelled"
		}
		fmt.Fprintf(w, "  (reminder %s %s: %s)\n", rc.ID, op, rc.Due.In(flows.Tokyo).Format("2006-01-02 15:04"))
	}
	c.choices = res.Reply.QuickReplies
	for i, q := range c.choices {
		extra := ""
		if q.Kind == flows.QuickTimePicker {
			extra = fmt.Sprintf(" (time picker: type %d %s)", i+1, q.Initial)
		}
		fmt.Fprintf(w, "  [%d] %s%s\n", i+1, q.Label, extra)
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// explain writes what the matcher made of a typed message, for a content
// editor: the step, the target and its score, the runner-up, and whether
// the second reading (naive Bayes) decided.
func explain(w io.Writer, u *flows.Understanding) {
	if u.Caught != "" && u.Caught != "number" {
		fmt.Fprintf(w, "  (explain: step %s, caught as %s)\n", u.Step, u.Caught)
		return
	}
	runner := "none"
	if u.RunnerScore > 0 {
		runner = fmt.Sprintf("%s %.2f", u.Runner.Name(), u.RunnerScore)
	}
	best := "nothing"
	if u.Score > 0 {
		best = fmt.Sprintf("%s %.2f", u.Best.Name(), u.Score)
	}
	reading := ""
	if u.Reading != "" {
		reading = ", by the second reading (" + u.Reading + ")"
	}
	fmt.Fprintf(w, "  (explain: step %s, %s: %s, runner-up %s%s)\n", u.Step, u.Decision, best, runner, reading)
}
