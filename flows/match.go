package flows

import (
	"strings"
	"unicode/utf8"
)

// matchTarget is a choice or a command with its phrases normalised.
type matchTarget struct {
	command string // a global command id, or ""
	choice  int    // a choice index, or -1
	phrases []string
}

func newTarget(label string, match []string, command string, choice int) matchTarget {
	t := matchTarget{command: command, choice: choice}
	for _, p := range append([]string{label}, match...) {
		if n := Normalize(p); n != "" {
			t.phrases = append(t.phrases, n)
		}
	}
	return t
}

// score says how well normalised input n matches a phrase: an exact match
// beats containment, a longer contained phrase beats a shorter one, and a
// one-character slip in a long phrase still counts, a little.
func score(n, p string) int {
	pl := utf8.RuneCountInString(p)
	switch {
	case n == p:
		return 1000 + pl
	case strings.Contains(n, p):
		return 100 + pl*2
	case pl >= 5 && nearlyContains(n, p):
		return fuzzy + pl
	}
	return 0
}

// fuzzy is the score tier of a near miss, below any real containment.
const fuzzy = 50

// nearlyContains reports whether some part of n is within one edit of p: the
// typo tolerance. One edit only: two would turn 「できる」 into 「できない」.
func nearlyContains(n, p string) bool {
	const max = 1
	nr, pr := []rune(n), []rune(p)
	pl := len(pr)
	for w := pl - max; w <= pl+max; w++ {
		if w <= 0 || w > len(nr) {
			continue
		}
		for i := 0; i+w <= len(nr); i++ {
			if editDistance(nr[i:i+w], pr, max) <= max {
				return true
			}
		}
	}
	return false
}

// editDistance is Levenshtein's, giving up past max.
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
	choice = -1
	if n == "" {
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

func (t matchTarget) best(n string) int {
	b := 0
	for _, p := range t.phrases {
		b = max(b, score(n, p))
	}
	return b
}

// matchConfirm reads a typed yes or no to the delete question.
func (e *Engine) matchConfirm(n string) string {
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
