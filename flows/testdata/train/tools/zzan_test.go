package flows

import (
	"fmt"
	"os"
	"testing"
)

// TestZZAn reads $EVAL and prints how the misses break down, and top-1 accuracy.
func TestZZAn(t *testing.T) {
	e := contentEngine(t)
	fh, err := os.Open(os.Getenv("EVAL"))
	if err != nil {
		t.Skip()
	}
	cases, _ := ReadEvalCases(fh)
	fh.Close()
	right, asks, askTop, nones, noneTop, wrong, top1 := 0, 0, 0, 0, 0, 0, 0
	for _, c := range cases {
		res := e.Next(State{Step: c.Step, Flow: e.g.FlowOf(c.Step).ID, Version: 1}, Input{Kind: InputText, Text: c.Say}, night)
		o := e.judge(c, res.Understood)
		u := res.Understood
		if u != nil && (u.Best.Name() == c.Want || e.sameDestination(c.Step, c.Want, u.Best.Name())) {
			top1++
		}
		switch {
		case o.Right:
			right++
		case o.Got == "ask":
			asks++
			if u.Best.Name() == c.Want {
				askTop++
			}
		case o.WrongMove:
			wrong++
		default:
			nones++
			if u != nil && u.Best.Name() == c.Want {
				noneTop++
			}
		}
	}
	fmt.Printf("n=%d right=%d asks=%d(top1 %d) none=%d(top1 %d) wrong=%d top1=%d (%.1f%%)\n", len(cases), right, asks, askTop, nones, noneTop, wrong, top1, 100*float64(top1)/float64(len(cases)))
}
