package flows

import "strings"

// matchTarget is a choice or a command with its phrases normalised.
type matchTarget struct {
	command string // a global command id, or ""
	choice  int    // a choice index, or -1
	phrases []phrase
}

// phrase is a normalised phrase, with its runes for the typo tolerance.
type phrase struct {
	s     string
	runes []rune
}

func newTarget(label string, match []string, command string, choice int) matchTarget {
	t := matchTarget{command: command, choice: choice}
	for _, p := range append([]string{label}, match...) {
		if n := Normalize(p); n != "" {
			t.phrases = append(t.phrases, phrase{s: n, runes: []rune(n)})
		}
	}
	return t
}

// input is normalised text with its runes, converted once per event.
type input struct {
	s     string
	runes []rune
}

func newInput(n string) input { return input{s: n, runes: []rune(n)} }

// score says how well normalised input n matches a phrase: an exact match
// beats containment, a longer contained phrase beats a shorter one, and a
// one-character slip in a long phrase still counts, a little.
func score(n input, p phrase) int {
	pl := len(p.runes)
	switch {
	case n.s == p.s:
		return 1000 + pl
	case strings.Contains(n.s, p.s):
		return 100 + pl*2
	case pl >= 5 && nearlyContains(n.runes, p.runes):
		return fuzzy + pl
	}
	return 0
}

// fuzzy is the score tier of a near miss, below any real containment.
const fuzzy = 50

// nearlyContains reports whether some part of n is within one edit of p: the
// typo tolerance. One edit only: two would turn 「できる」 into 「できない」.
func nearlyContains(n, p []rune) bool {
	pl := len(p)
	for w := pl - 1; w <= pl+1; w++ {
		if w <= 0 || w > len(n) {
			continue
		}
		for i := 0; i+w <= len(n); i++ {
			if withinOneEdit(n[i:i+w], p) {
				return true
			}
		}
	}
	return false
}

// withinOneEdit reports whether a Levenshtein distance of at most one
// separates a and b: one substitution for equal lengths, one insertion or
// deletion for lengths one apart. It allocates nothing.
func withinOneEdit(a, b []rune) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				if diff++; diff > 1 {
					return false
				}
			}
		}
		return true
	case 1:
		// Skip the first mismatch in the longer one; the rest must match.
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		for ; i < len(b); i++ {
			if a[i+1] != b[i] {
				return false
			}
		}
		return true
	}
	return false
}

// editDistance is Levenshtein's, giving up past max. The matcher uses
// withinOneEdit; this is its reference in the tests.
func editDistance(a, b []rune, max int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// match finds what normalised input n asks for at a step: a choice index
// (≥0) or a global command id. The best score wins; a step's choice wins a
// tie with a command; two choices tied leave the input unmatched, because
// guessing between them could send a victim down the wrong path.
func (e *Engine) match(n, step string) (cmd string, choice int) {
	return e.matchInput(newInput(n), step)
}

// matchInput is match on text already converted to runes.
func (e *Engine) matchInput(n input, step string) (cmd string, choice int) {
	choice = -1
	if n.s == "" {
		return "", -1
	}
	best, tied, fuzzyHits := 0, false, 0
	for _, t := range e.choices[step] {
		s := t.best(n)
		if s > 0 && s < 100 {
			fuzzyHits++
		}
		switch {
		case s > best:
			best, choice, tied = s, t.choice, false
		case s == best && s > 0 && t.choice != choice:
			tied = true
		}
	}
	if tied || (best < 100 && fuzzyHits > 1) {
		// Two choices fit as well, or two near misses: do not guess.
		choice, best = -1, 0
	}
	bestCmd := 0
	for _, t := range e.commands {
		if s := t.best(n); s > bestCmd {
			bestCmd, cmd = s, t.command
		}
	}
	if bestCmd > best || (choice < 0 && bestCmd > 0) {
		return cmd, -1
	}
	if choice >= 0 {
		return "", choice
	}
	return "", -1
}

func (t matchTarget) best(n input) int {
	b := 0
	for _, p := range t.phrases {
		b = max(b, score(n, p))
	}
	return b
}

// matchConfirm reads a typed yes or no to the delete question.
func (e *Engine) matchConfirm(n input) string {
	yes := newTarget(e.g.Texts.DeleteYes, nil, cmdDeleteYes, -1)
	no := newTarget(e.g.Texts.DeleteNo, nil, cmdDeleteNo, -1)
	switch ys, ns := yes.best(n), no.best(n); {
	case ys > ns:
		return cmdDeleteYes
	case ns > ys:
		return cmdDeleteNo
	}
	return ""
}
