package flows

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestZZGuard: dev cases right in BASE (a list of file:line) that are wrong now
// name the example that took them (CULPRIT lines appended to $PRUNE_OUT); with
// BASE_OUT set, it writes the list of right cases instead.
func TestZZGuard(t *testing.T) {
	e := contentEngine(t)
	g := e.g
	base := map[string]bool{}
	if b, err := os.ReadFile(os.Getenv("BASE")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			base[l] = true
		}
	}
	var rightOut *os.File
	if p := os.Getenv("BASE_OUT"); p != "" {
		rightOut, _ = os.Create(p)
		defer rightOut.Close()
	}
	out, _ := os.OpenFile(os.Getenv("PRUNE_OUT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	defer out.Close()
	texts := func(step string, tg Target) []string {
		if tg.Command != "" {
			for _, c := range g.Commands {
				if c.ID == tg.Command {
					return append(append([]string{}, c.Examples...), c.Match...)
				}
			}
			return nil
		}
		if tg.Choice < 0 {
			return nil
		}
		c := g.Steps[step].Choices[tg.Choice]
		return append(append([]string{}, c.Examples...), c.Match...)
	}
	culprit := func(say, step string, tg Target) {
		x := e.m.read(say).x
		bs, bt := -1.0, ""
		for _, tx := range texts(step, tg) {
			if sc := similarity(x, e.m.read(tx).x); sc > bs {
				bs, bt = sc, tx
			}
		}
		if bt != "" {
			fmt.Fprintf(out, "CULPRIT\t%s\t%s\t%s\n", step, bt, tg.Name())
		}
	}
	for _, f := range []string{"tune", "test", "blind-dev", "holdout", "blind2-dev"} {
		fh, _ := os.Open("testdata/eval/" + f + ".tsv")
		cases, _ := ReadEvalCases(fh)
		fh.Close()
		for _, c := range cases {
			res := e.Next(State{Step: c.Step, Flow: g.FlowOf(c.Step).ID, Version: 1}, Input{Kind: InputText, Text: c.Say}, night)
			o := e.judge(c, res.Understood)
			key := fmt.Sprintf("%s:%d", f, c.Line)
			if o.Right {
				if rightOut != nil {
					fmt.Fprintln(rightOut, key)
				}
				continue
			}
			if !base[key] || res.Understood == nil {
				continue
			}
			u := res.Understood
			fmt.Fprintf(out, "REGRESS\t%s\t%s\t%s\n", key, c.Say, c.Want)
			if u.Best.Name() != c.Want && u.Best.Command != cmdSmallTalk {
				culprit(c.Say, c.Step, u.Best)
			}
			if u.Runner.Name() != c.Want && u.Runner.Command != cmdSmallTalk {
				culprit(c.Say, c.Step, u.Runner)
			}
			for _, cd := range u.Candidates {
				if cd.Name() != c.Want {
					culprit(c.Say, c.Step, cd)
				}
			}
		}
	}
}
