package flows

import (
	"fmt"
	"os"
	"testing"
)

func TestZZPrune(t *testing.T) {
	g, err := Load(Content())
	if err != nil {
		t.Fatal(err)
	}
	m := newMatcher(g)
	out, _ := os.Create(os.Getenv("PRUNE_OUT"))
	defer out.Close()
	culprit := func(s, step string, best Target) {
		var texts []string
		key := step
		if best.Command != "" {
			key = "*"
			for _, c := range g.Commands {
				if c.ID == best.Command {
					texts = append(append(texts, c.Examples...), c.Match...)
				}
			}
		} else if best.Choice >= 0 {
			c := g.Steps[step].Choices[best.Choice]
			texts = append(append(texts, c.Examples...), c.Match...)
		}
		x := m.read(s).x
		bs, bt := -1.0, ""
		for _, tx := range texts {
			if sc := similarity(x, m.read(tx).x); sc > bs {
				bs, bt = sc, tx
			}
		}
		if bt != "" {
			fmt.Fprintf(out, "CULPRIT\t%s\t%s\t%s\n", key, bt, best.Name())
		}
	}
	check := func(step, s string, want Target) {
		u := m.understand(s, step)
		if u.Decision == DecideAct && u.Best.Command == want.Command && (want.Command != "" || u.Best.Choice == want.Choice) {
			return
		}
		if u.Decision == DecideAsk && u.Best.Irreversible && u.Best.Command == want.Command && (want.Command != "" || u.Best.Choice == want.Choice) {
			return
		}
		key := step
		if want.Command != "" {
			key = "*"
		}
		fmt.Fprintf(out, "FAIL\t%s\t%s\t%s\n", key, s, want.Name())
		if u.Decision != DecideNone && !(u.Best.Command == want.Command && (want.Command != "" || u.Best.Choice == want.Choice)) {
			culprit(s, step, u.Best)
		} else if u.Decision == DecideAsk {
			culprit(s, step, u.Runner)
		}
	}
	for _, f := range g.Flows {
		for i := range f.Steps {
			st := &f.Steps[i]
			for j, c := range st.Choices {
				want := Target{Choice: j, Label: c.Label}
				for _, s := range append(append([]string{}, c.Match...), c.Examples...) {
					check(st.ID, s, want)
				}
			}
		}
	}
	for _, c := range g.Commands {
		want := Target{Command: c.ID, Choice: -1, Label: c.Label}
		for _, s := range append(append([]string{}, c.Match...), c.Examples...) {
			check("", s, want)
		}
	}
}
