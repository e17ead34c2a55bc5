package flows

import (
	"math"
	"unicode/utf8"
)

// The second reading is naive Bayes over the same examples and grams. The
// nearest example (similarity) says how close a message comes to one thing
// an editor wrote: a long story is diluted by the words no example holds,
// and its evidence is split between examples that each hold a part of it.
// Naive Bayes sums the evidence of every gram over all of a target's
// examples. On six writers the examples had not been tuned on (1,900
// rows), its first choice was the meant target 89.7–98.5 % of the time,
// the nearest example's 82.8–91.3 %. It decides only where it is sure:
// it acts where the first reading would ask, and asks where the two
// disagree.
const (
	// bayesSmoothing is the Laplace prior of a gram in a target's
	// examples: 0.1 rather than 0.5 or 1, which punish the targets with
	// many examples (the commands) for every gram they lack.
	bayesSmoothing = 0.1
	// bayesSure is the least posterior, among the step's choices, the
	// commands and small talk, at which the second reading decides.
	bayesSure = 0.99
	// bayesFloor is the least similarity to one of its examples the
	// second reading's target must have to be acted on.
	bayesFloor = 0.1
)

// gramCounts is the log probability of each gram in a target's examples:
// the share of them holding it, smoothed.
type gramCounts struct {
	logShare map[gram]float64
	// missing is the log probability of a gram none of them holds.
	missing float64
}

func newGramCounts(examples []example) gramCounts {
	holding := map[gram]float64{}
	for _, e := range examples {
		for _, g := range e.grams {
			holding[g]++
		}
	}
	n := float64(len(examples)) + 2*bayesSmoothing
	c := gramCounts{logShare: make(map[gram]float64, len(holding)), missing: math.Log(bayesSmoothing / n)}
	for g, h := range holding {
		c.logShare[g] = math.Log((h + bayesSmoothing) / n)
	}
	return c
}

// logLikelihood is the log probability of x's grams under the target's
// examples, each gram independent of the others.
func (c gramCounts) logLikelihood(x example) float64 {
	ll := 0.0
	for _, g := range x.grams {
		if l, ok := c.logShare[g]; ok {
			ll += l
		} else {
			ll += c.missing
		}
	}
	return ll
}

// maxBayesTargets bounds the targets weighed without allocating: a step's
// choices, the commands and small talk.
const maxBayesTargets = 32

// bayesBest is the target naive Bayes prefers for x among the step's
// choices, the commands and small talk that have the words they need, with
// its posterior among them.
func (m *matcher) bayesBest(x example, step string) (*matchTarget, float64) {
	var buf [maxBayesTargets]float64
	lls := buf[:0]
	var targets [maxBayesTargets]*matchTarget
	ts := targets[:0]
	add := func(t *matchTarget) {
		// A target lacking the words it needs is no reading at all.
		if !t.hasNeeded(x) {
			return
		}
		ts = append(ts, t)
		lls = append(lls, t.counts.logLikelihood(x))
	}
	choices := m.choices[step]
	for i := range choices {
		add(&choices[i])
	}
	for i := range m.commands {
		add(&m.commands[i])
	}
	if m.smallTalk != nil {
		add(m.smallTalk)
	}
	if len(ts) == 0 || len(x.grams) == 0 {
		return nil, 0
	}
	best := 0
	for i, ll := range lls {
		if ll > lls[best] {
			best = i
		}
	}
	z := 0.0
	for _, ll := range lls {
		z += math.Exp(ll - lls[best])
	}
	return ts[best], 1 / z
}

// sameMove reports whether targets a and b do the same: the same target, or
// two that lead to the same step (「メニューに戻る」 and the command メニュー).
func sameMove(a, b *matchTarget) bool {
	return a == b || a.next != "" && a.next == b.next
}

// secondReading lets naive Bayes decide where it is sure: it acts on its
// target where the first reading u would ask or answer nothing, if the
// target can be undone, has an example the message is near enough, within
// margin of the first reading's best, and of the same polarity; and it asks
// between the two where the first reading acts on something else, unless
// the message is an example as written. It reads only messages of
// choiceActRunes or more (normalised n). shared is what x shares with each
// example (sharedWith).
func (m *matcher) secondReading(u Understanding, first *matchTarget, n string, x example, step string, shared []float64) Understanding {
	// On a few characters it is too sure: 「どうしよう」 is no answer.
	if utf8.RuneCountInString(n) < choiceActRunes {
		return u
	}
	b, p := m.bayesBest(x, step)
	if b == nil || b == m.smallTalk || p < bayesSure {
		return u
	}
	switch {
	case u.Decision == DecideAct:
		// An example typed as written is what its editor said it means.
		if first != nil && !sameMove(first, b) && u.Score <= exact {
			u.Decision = DecideAsk
			u.Candidates = []Target{u.Best, b.Target}
			u.Reading = "bayes"
		}
	case !b.Irreversible:
		// b has its needed words (bayesBest): its nearest example's
		// similarity is its score.
		e, sc := b.nearest(x, shared)
		if sc < bayesFloor || sc < u.Score-margin || e == nil || e.negative != x.negative {
			return u
		}
		if first != nil && !sameMove(first, b) {
			u.Runner, u.RunnerScore = u.Best, u.Score
		}
		u.Best, u.Score = b.Target, sc
		u.Decision, u.Candidates, u.Reading = DecideAct, nil, "bayes"
	}
	return u
}
