package flows

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// How the matcher decides, on scores from 0 (nothing shared) to 1 (the
// same words). The figures come from the tune part of the evaluation set
// (testdata/eval/tune.tsv); the held-out part checks them.
const (
	// actScore is the least score acted on without asking.
	actScore = 0.36
	// choiceActScore is the least score acted on for a choice of the step
	// when the answer has at least choiceActRunes characters and the
	// polarity of its best example. On five writers who had not been
	// tuned on (1,585 rows), 0.25 instead of 0.36 turned 27 questions
	// back into right moves for 2 more wrong ones; the tuning files stayed
	// as they were.
	choiceActScore = 0.25
	// askScore is the least score worth offering as a candidate.
	askScore = 0.18
	// sureScore is the least score acted on when the target cannot be
	// undone (the card-stop call, data deletion).
	sureScore = 0.6
	// specificScore is the least score at which a best whose example
	// explains all the runner-up's evidence acts however close the
	// runner-up is.
	specificScore = 0.5
	// margin is how far ahead of the runner-up the best must be to act.
	// 0.12 rather than 0.08: on tune.tsv and test.tsv together it leaves
	// the share right as it was (94.2 %) with 2 confident wrong moves
	// instead of 5; asking costs a tap, a wrong move costs trust.
	margin = 0.12
	// inputWeight is how much the part of the input an example leaves
	// unexplained counts against it (0: not at all).
	inputWeight = 0.35
	// negationPenalty scales the score of an example whose polarity differs
	// from the input's.
	negationPenalty = 0.5
	// closeShare is how near the second of two weak choices must score to
	// the first for the text to be asked about between them.
	closeShare = 0.6
	// tailShare is the least share of the message's weight its last clause
	// after a contrast must carry to decide against the whole: 「〜けど、
	// その前に番号を言ってしまった」 does, a bare 「〜けど怪しい」 does not.
	tailShare = 0.4
	// exact is the score of an example typed as written, give or take
	// floating point.
	exact = 0.999
)

// choiceActRunes is the least length, normalised, of an answer acted on at
// choiceActScore.
const choiceActRunes = 8

// maxCandidates bounds the もしかして buttons.
const maxCandidates = 3

// Decision is what the engine does with a typed message.
type Decision int

const (
	DecideNone Decision = iota // nothing fits: reprompt
	DecideAsk                  // several fit or the best is unsure: ask
	DecideAct                  // follow Target
)

func (d Decision) String() string {
	switch d {
	case DecideAct:
		return "act"
	case DecideAsk:
		return "ask"
	}
	return "none"
}

// Target is a choice of the current step or a global command.
type Target struct {
	Command string // a global command id, or ""
	Choice  int    // a choice index, or -1
	Label   string // the button label, for people reading an explanation
	// Irreversible targets start what cannot be undone: the card-stop
	// call, data deletion.
	Irreversible bool
}

// Name is the choice label, or "cmd:<id>" for a command: the form the
// evaluation files use.
func (t Target) Name() string {
	if t.Command != "" {
		return "cmd:" + t.Command
	}
	return t.Label
}

// Understanding is what the matcher made of one typed message at one step.
type Understanding struct {
	Step        string
	Decision    Decision
	Best        Target
	Score       float64
	Runner      Target
	RunnerScore float64
	// Candidates are the targets to offer when Decision is DecideAsk.
	Candidates []Target
	// Caught says what answered the text before any matching: an urgent
	// message ("urgent:crisis"), a secret ("secret"), a typed button
	// number ("number"), or "" when the matcher decided.
	Caught string
	// Reading is "bayes" when the second reading (bayes.go) decided, ""
	// when the nearest example did.
	Reading string
}

// gram is a character bigram, two runes packed, or a single character (a
// kanji, which carries meaning alone: 盗 in 盗難 and 盗まれた; or a
// one-character text).
type gram uint64

// example is one normalised example of a target: its distinct grams (sorted)
// with their weights, and their total weight.
type example struct {
	grams    []gram
	weights  []float64
	total    float64
	negative bool  // it says that something is not, or was not
	id       int32 // its place in the matcher's index (a target's examples only)
}

// matchTarget is a choice or a command with its examples prepared.
type matchTarget struct {
	Target
	examples []example
	// needs are the grams of each word the target needs (Choice.Needs).
	needs [][]gram
	// counts are its examples' grams, for the second reading (bayes.go).
	counts gramCounts
	// next is the step it leads to: a choice's, or the menu for the
	// command メニュー; "" for the other commands.
	next string
}

// needPenalty scales the score of a target none of whose needed words the
// input holds.
const needPenalty = 0.5

// grams appends the distinct grams of normalised text n to dst, sorted.
func grams(dst []gram, n string) []gram {
	var prev rune = -1
	for _, r := range n {
		if prev >= 0 {
			dst = append(dst, gram(uint64(prev)<<32|uint64(r)))
		}
		if unicode.Is(unicode.Han, r) {
			dst = append(dst, gram(uint64(r)<<32))
		}
		prev = r
	}
	if len(dst) == 0 && prev >= 0 {
		dst = append(dst, gram(uint64(prev)<<32))
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// weights is the inverse document frequency of each gram over every example
// of the graph: a gram many examples share (ない, した) says little.
type weights struct {
	idf        map[gram]float64
	unknown    float64  // the weight of a gram no example has
	negations  []string // normalised negation markers
	carry      []string // normalised endings that carry the polarity before them
	concessive []string // normalised endings after which a negation is a reason
	notYet     []string // normalised words that put the action ahead
}

func newWeights(texts []string) weights {
	df := map[gram]int{}
	var buf []gram
	for _, s := range texts {
		buf = grams(buf[:0], s)
		for _, g := range buf {
			df[g]++
		}
	}
	n := float64(len(texts))
	w := weights{idf: make(map[gram]float64, len(df)), unknown: math.Log(1 + n)}
	for g, d := range df {
		w.idf[g] = math.Log(1 + n/float64(d))
	}
	return w
}

func (w weights) of(g gram) float64 {
	if v, ok := w.idf[g]; ok {
		return v
	}
	return w.unknown
}

func (w weights) example(n string) example {
	e := example{grams: grams(nil, n), negative: containsAny(n, w.notYet) || !endsWithAny(n, w.concessive) && endsNegative(n, w.negations, w.carry)}
	e.weights = make([]float64, len(e.grams))
	for i, g := range e.grams {
		e.weights[i] = w.of(g)
		e.total += e.weights[i]
	}
	return e
}

// similarity scores input x against example e: the share of the example's
// weight found in the input, damped by how much of the input the example
// leaves unexplained. A short common word inside a long sentence (「ない」 in
// 「まだ確認していない」) scores low; the same words score 1.
func similarity(x, e example) float64 {
	if e.total == 0 || x.total == 0 {
		return 0
	}
	shared := 0.0
	i, j := 0, 0
	for i < len(x.grams) && j < len(e.grams) {
		switch {
		case x.grams[i] < e.grams[j]:
			i++
		case x.grams[i] > e.grams[j]:
			j++
		default:
			shared += e.weights[j]
			i++
			j++
		}
	}
	if shared == 0 {
		return 0
	}
	return sharedSimilarity(x, &e, shared)
}

// scoreShared is the best similarity of x to the target's examples, on the
// weight each example shares with x, summed once for all examples through
// the index (sharedWith): the same figures as similarity, without walking
// every example's grams.
func (t *matchTarget) scoreShared(x example, shared []float64) float64 {
	_, best := t.nearest(x, shared)
	return t.needed(x, best)
}

// sharedSimilarity is similarity(x, e) from the weight sh they share.
func sharedSimilarity(x example, e *example, sh float64) float64 {
	s := sh / e.total * math.Pow(sh/x.total, inputWeight)
	if x.negative != e.negative {
		s *= negationPenalty
	}
	return s
}

// nearest is the example of t nearest x and its similarity, on the weight
// each example shares with x (sharedWith); nil when none shares any.
func (t *matchTarget) nearest(x example, shared []float64) (*example, float64) {
	if x.total == 0 {
		return nil, 0
	}
	var b *example
	best := 0.0
	for i := range t.examples {
		e := &t.examples[i]
		sh := shared[e.id]
		if sh == 0 || e.total == 0 {
			continue
		}
		if s := sharedSimilarity(x, e, sh); s > best {
			b, best = e, s
		}
	}
	return b, best
}

// needed scales score best of t on x when x holds none of its needed words.
func (t *matchTarget) needed(x example, best float64) float64 {
	if best > 0 && !t.hasNeeded(x) {
		best *= needPenalty
	}
	return best
}

// hasNeeded reports whether x holds one of t's needed words, or t needs none.
func (t *matchTarget) hasNeeded(x example) bool {
	return len(t.needs) == 0 || slices.ContainsFunc(t.needs, func(g []gram) bool { return contains(x.grams, g) })
}

// contains reports whether sorted grams a hold every one of sorted b.
func contains(a, b []gram) bool {
	for _, g := range b {
		if _, ok := slices.BinarySearch(a, g); !ok {
			return false
		}
	}
	return true
}

// best is the example of t nearest x.
func (t *matchTarget) best(x example) *example {
	var b *example
	bs := 0.0
	for i := range t.examples {
		if s := similarity(x, t.examples[i]); s > bs {
			b, bs = &t.examples[i], s
		}
	}
	return b
}

// says reports whether an example of t scoring at least least on x holds
// all the evidence of example b and more; shared is what x shares with each
// example (sharedWith).
func (t *matchTarget) says(x example, shared []float64, b *example, least float64) bool {
	for i := range t.examples {
		e := &t.examples[i]
		if sh := shared[e.id]; sh > 0 && sharedSimilarity(x, e, sh) >= least && explainedBy(x, e, b) && !explainedBy(x, b, e) {
			return true
		}
	}
	return false
}

// explainedBy reports whether every gram of x that example b shares is
// also shared by example a: b's evidence is part of a's, so a is the more
// specific reading (「通知がうるさい」 over 「通知」 for 「通知うるさいから止めて」).
func explainedBy(x example, a, b *example) bool {
	if a == nil || b == nil {
		return false
	}
	for _, g := range b.grams {
		if _, inX := slices.BinarySearch(x.grams, g); !inX {
			continue
		}
		if _, inA := slices.BinarySearch(a.grams, g); !inA {
			return false
		}
	}
	return true
}

// matcher holds every target of the graph, prepared once.
type matcher struct {
	w        weights
	plain    *plainForms
	variants variants
	commands []matchTarget
	choices  map[string][]matchTarget
	// smallTalk holds Language.SmallTalk, or is nil: it is never acted on,
	// and silences a match it clearly beats (decideOne).
	smallTalk *matchTarget
	// numbers are the suffixes of a typed button number (「3番」), prefixes
	// what may come before it (「上から」), numberWords the numbers said in
	// words (「ふたつめ」), all folded (Normalize).
	numbers     map[string]bool
	prefixes    []string
	numberWords map[string]int
	// contrast are the conjunctions after which the last clause decides
	// (NFKC only: 「が、」 keeps its comma).
	contrast []string
	// urgentWords are the normalised words of each urgent message, and
	// urgentFolded the same words only folded (Normalize): a word is found
	// in either form, so that a plain form or a variant that happens to
	// rewrite it (「飛び降りよう」: りよう is 利用) cannot hide it.
	urgentWords  [][]string
	urgentFolded [][]string
	urgentMsgs   []*Urgent
	both         []string // normalised
	unsure       []string // only folded (Normalize)
	also         string   // normalised
	notAlso      []string // normalised
	// commandIndex lists, for each gram, the examples of the commands that
	// hold it, and stepIndex the same for each step's choices: a message is
	// only compared with what its step offers. indexed is how many examples
	// they number, scratch the slices that sum what one message shares with
	// each.
	commandIndex map[gram][]posting
	stepIndex    map[string]map[gram][]posting
	indexed      int
	scratch      sync.Pool
	// The yes and no of the delete question and the accept of a reminder
	// offer, read once.
	deleteYes, deleteNo, accept example
}

func newMatcher(g *Graph) *matcher {
	m := &matcher{plain: newPlainForms(g.Language), choices: map[string][]matchTarget{}, numbers: map[string]bool{"": true}}
	m.variants = newVariants(g.Language.Variants, func(s string) string { return Normalize(m.plain.of(s)) })
	for _, s := range g.Language.NumberSuffixes {
		m.numbers[Normalize(s)] = true
	}
	for _, s := range g.Language.NumberPrefixes {
		m.prefixes = append(m.prefixes, Normalize(s))
	}
	m.numberWords = map[string]int{}
	for w, v := range g.Language.NumberWords {
		m.numberWords[Normalize(w)] = v
	}
	for _, s := range g.Language.Contrast {
		m.contrast = append(m.contrast, norm.NFKC.String(s))
	}
	for _, w := range g.Language.Both {
		m.both = append(m.both, m.normalize(w))
	}
	m.also = m.normalize(g.Language.Also)
	for _, w := range g.Language.Unsure {
		m.unsure = append(m.unsure, Normalize(w))
	}
	for _, w := range g.Language.NotAlso {
		m.notAlso = append(m.notAlso, m.normalize(w))
	}
	for i := range g.Urgent {
		u := &g.Urgent[i]
		var words, folded []string
		for _, w := range u.Words {
			words = append(words, m.normalize(w))
			folded = append(folded, Normalize(w))
		}
		m.urgentWords = append(m.urgentWords, words)
		m.urgentFolded = append(m.urgentFolded, folded)
		m.urgentMsgs = append(m.urgentMsgs, u)
	}
	var all []string
	for _, c := range g.Commands {
		all = append(all, m.normAll(c.Label, c.Match, c.Examples)...)
	}
	all = append(all, m.normAll("", g.Language.SmallTalk)...)
	for _, st := range g.Steps {
		for _, c := range st.Choices {
			all = append(all, m.normAll(c.Label, c.Match, c.Examples)...)
		}
	}
	m.w = newWeights(all)
	m.deleteYes = m.w.example(m.normalize(g.Texts.DeleteYes))
	m.deleteNo = m.w.example(m.normalize(g.Texts.DeleteNo))
	m.accept = m.w.example(m.normalize(g.Texts.ReminderAccept))
	for _, s := range g.Language.Negations {
		m.w.negations = append(m.w.negations, m.normalize(s))
	}
	for _, s := range g.Language.NotYet {
		m.w.notYet = append(m.w.notYet, m.normalize(s))
	}
	for _, s := range g.Language.Concessive {
		m.w.concessive = append(m.w.concessive, m.normalize(s))
	}
	for _, s := range g.Language.CarryPolarity {
		m.w.carry = append(m.w.carry, m.normalize(s))
	}
	for _, c := range g.Commands {
		t := m.target(Target{Command: c.ID, Choice: -1, Label: c.Label}, c.ID == CmdDelete, c.Match, c.Examples)
		t.needs = m.needs(c.Needs)
		if c.ID == CmdMenu {
			t.next = g.Start
		}
		m.commands = append(m.commands, t)
	}
	if len(g.Language.SmallTalk) > 0 {
		t := m.target(Target{Command: cmdSmallTalk, Choice: -1}, false, g.Language.SmallTalk)
		m.smallTalk = &t
	}
	for id, st := range g.Steps {
		for i, c := range st.Choices {
			next := g.Steps[c.Next]
			irreversible := next != nil && next.Irreversible && !st.Irreversible
			t := m.target(Target{Choice: i, Label: c.Label}, irreversible, c.Match, c.Examples)
			t.needs = m.needs(c.Needs)
			t.next = c.Next
			m.choices[id] = append(m.choices[id], t)
		}
	}
	m.buildIndex()
	return m
}

// buildIndex numbers every example of every target and lists, for each
// gram, the examples that hold it with its weight: the commands' in one
// index, each step's choices' in its own.
func (m *matcher) buildIndex() {
	add := func(index map[gram][]posting, ts []matchTarget) {
		for i := range ts {
			for k := range ts[i].examples {
				e := &ts[i].examples[k]
				e.id = int32(m.indexed)
				m.indexed++
				for j, g := range e.grams {
					index[g] = append(index[g], posting{e.id, e.weights[j]})
				}
			}
		}
	}
	m.commandIndex = map[gram][]posting{}
	add(m.commandIndex, m.commands)
	m.stepIndex = map[string]map[gram][]posting{}
	for _, id := range slices.Sorted(maps.Keys(m.choices)) {
		m.stepIndex[id] = map[gram][]posting{}
		add(m.stepIndex[id], m.choices[id])
	}
	m.scratch.New = func() any { s := make([]float64, m.indexed); return &s }
}

// posting is an example holding a gram, with the gram's weight.
type posting struct {
	id     int32
	weight float64
}

// sharedWith sums, for every example of the commands and of the step's
// choices, the weight of the grams it shares with x, in the order
// similarity does (x's grams ascending). The slice is the pool's: give it
// back with release.
func (m *matcher) sharedWith(x example, step string) *[]float64 {
	p := m.scratch.Get().(*[]float64)
	sh := *p
	for _, index := range []map[gram][]posting{m.commandIndex, m.stepIndex[step]} {
		for _, g := range x.grams {
			for _, q := range index[g] {
				sh[q.id] += q.weight
			}
		}
	}
	return p
}

// release zeroes what sharedWith added for x at step and gives the slice
// back.
func (m *matcher) release(x example, step string, p *[]float64) {
	sh := *p
	for _, index := range []map[gram][]posting{m.commandIndex, m.stepIndex[step]} {
		for _, g := range x.grams {
			for _, q := range index[g] {
				sh[q.id] = 0
			}
		}
	}
	m.scratch.Put(p)
}

// normalize is what every typed text and every example goes through: the
// folding of Normalize over the plain (dictionary) form of the verbs, then
// one spelling for each word's variants.
func (m *matcher) normalize(s string) string { return m.variants.of(Normalize(m.plain.of(s))) }

func (m *matcher) normAll(label string, lists ...[]string) []string {
	out := []string{m.normalize(label)}
	for _, l := range lists {
		for _, s := range l {
			out = append(out, m.normalize(s))
		}
	}
	return out
}

func (m *matcher) target(t Target, irreversible bool, lists ...[]string) matchTarget {
	t.Irreversible = irreversible
	mt := matchTarget{Target: t}
	for _, n := range m.normAll(t.Label, lists...) {
		if n != "" {
			mt.examples = append(mt.examples, m.w.example(n))
		}
	}
	mt.counts = newGramCounts(mt.examples)
	return mt
}

// needs prepares the words a target needs, as grams.
func (m *matcher) needs(words []string) [][]gram {
	var out [][]gram
	for _, w := range words {
		if n := m.normalize(w); n != "" {
			out = append(out, grams(nil, n))
		}
	}
	return out
}

type scored struct {
	t     *matchTarget
	score float64
}

// typed is a message read once: normalised, only folded (for the urgent
// words), and as grams; with its last clause after a contrast
// (「〜けど、〜」), read the same way.
type typed struct {
	n, folded string
	x         example
	// doubt: the whole message holds a word of doubt.
	doubt bool
	tail  *typed
}

func (m *matcher) read(s string) typed {
	r := m.readOne(s)
	r.doubt = containsAny(r.folded, m.unsure)
	if tail := m.lastClause(s); tail != "" {
		t := m.readOne(tail)
		t.doubt = r.doubt
		if t.n != "" && t.n != r.n {
			r.tail = &t
		}
	}
	return r
}

func (m *matcher) readOne(s string) typed {
	n := m.normalize(s)
	return typed{n: n, folded: Normalize(s), x: m.w.example(n)}
}

// lastClause is what follows the last contrast in s (「できたけど、
// できなかった」: the second clause), or "" when s has none, or nothing of
// two characters or more after it.
func (m *matcher) lastClause(s string) string {
	s = norm.NFKC.String(s)
	at, size := -1, 0
	for _, c := range m.contrast {
		if i := strings.LastIndex(s, c); i > at || i == at && i >= 0 && len(c) > size {
			at, size = i, len(c)
		}
	}
	if at < 0 {
		return ""
	}
	tail := s[at+size:]
	if utf8.RuneCountInString(Normalize(tail)) < 2 {
		return ""
	}
	return tail
}

// understand decides what typed text s asks for at a step.
func (m *matcher) understand(s, step string) Understanding { return m.decide(m.read(s), step) }

// decide is understand on a message already read. After a contrast the last
// clause decides when it is clear on its own (「電話は切ったけど、番号を
// 言ってしまった」); otherwise the whole message does.
func (m *matcher) decide(r typed, step string) Understanding {
	whole := m.decideOne(r, step)
	// An example typed as written means what its editor said, clauses and
	// all.
	if r.tail == nil || whole.Decision == DecideAct && whole.Score > exact {
		return whole
	}
	// The last clause decides when it is clear on its own and carries
	// enough of the message: a bare 「本当ですか」 after the story is a
	// question about it, not the answer.
	if u := m.decideOne(*r.tail, step); u.Decision == DecideAct && r.tail.x.total >= tailShare*r.x.total {
		return u
	}
	return whole
}

func (m *matcher) decideTargets(r typed, step string) Understanding {
	u := Understanding{Step: step, Best: Target{Choice: -1}, Runner: Target{Choice: -1}}
	n, x := r.n, r.x
	if n == "" {
		return u
	}
	var top [maxCandidates + 1]scored
	shp := m.sharedWith(x, step)
	defer m.release(x, step, shp)
	shared := *shp
	near := func(t *matchTarget) *example { e, _ := t.nearest(x, shared); return e }
	consider := func(t *matchTarget) {
		sc := t.scoreShared(x, shared)
		if sc <= 0 {
			return
		}
		for i := range top {
			if top[i].t == nil || sc > top[i].score {
				copy(top[i+1:], top[i:len(top)-1])
				top[i] = scored{t, sc}
				return
			}
		}
	}
	choices := m.choices[step]
	for i := range choices {
		consider(&choices[i])
	}
	for i := range m.commands {
		consider(&m.commands[i])
	}
	if top[0].t == nil {
		return m.askSeveral(u, n, x, choices, top[:])
	}
	// Between a command and a choice that are close, the one whose example
	// says all the other's says and more is the more specific reading:
	// 「通知もういらない」 at a step whose 次へ takes 「いらない」 asks to stop
	// the reminders; 「母がだまされたので相談したい」 at the menu is the
	// family's case, not a call for the contacts.
	swapped := false
	for k := 1; k < len(top) && top[k].t != nil; k++ {
		c := top[k]
		if c.score < specificScore || top[0].score-c.score >= margin {
			continue
		}
		if c.t.says(x, shared, near(top[0].t), top[0].score-margin) {
			copy(top[1:k+1], top[:k])
			top[0] = c
			swapped = true
		}
		break
	}
	u.Best, u.Score = top[0].t.Target, top[0].score
	if top[1].t != nil {
		u.Runner, u.RunnerScore = top[1].t.Target, top[1].score
	}
	need := actScore
	// A step's choice is the context: an answer of some length that says
	// what its best example says, with the same polarity, is acted on
	// lower, as the story around it (words no example holds) dilutes its
	// score. A short 「不安です」 or a 「まだ確認していない」 against
	// 「確認した」 is still asked.
	if top[0].t.Command == "" && utf8.RuneCountInString(n) >= choiceActRunes {
		if b, _ := top[0].t.nearest(x, shared); b != nil && b.negative == x.negative {
			need = choiceActScore
		}
	}
	if top[0].t.Irreversible {
		need = sureScore
		// A doubt is no sure answer: what cannot be undone is asked.
		if r.doubt || containsAny(r.folded, m.unsure) {
			need = math.Inf(1)
		}
		// Nor is a negation inside a yes: 「カードの明細にはなくて携帯代の
		// ほうにのってた」 is not 「カードで払われていた」.
		if b, _ := top[0].t.nearest(x, shared); b != nil && !b.negative && containsAny(n, m.w.negations) {
			need = math.Inf(1)
		}
		// Nor is a word another choice says as well: 「カード」 where both
		// クレジットカード and キャッシュカード are offered.
		// It is asked even when the other choice scores low: its example
		// holds every word the best one found.
		// And a command that cannot be undone is asked about wherever a
		// choice of the step also fits: 「sakujo shitai」 where the SMS is
		// to be deleted.
		for _, c := range top[1:] {
			if c.t != nil && c.t.Command == "" && (explainedBy(x, near(c.t), near(top[0].t)) || top[0].t.Command != "" && c.score >= askScore) {
				need = math.Inf(1)
			}
		}
	}
	// A step's choice wins over a command it ties with: the step is the
	// context (「わからない」 is an answer there, not a call for help).
	// The reading it won over (above) is no rival either.
	others := top[1:]
	if swapped {
		others = top[2:]
	}
	rival := 0.0
	if others[0].t != nil {
		rival = others[0].score
	}
	if top[0].t.Command == "" {
		rival = 0
		for _, c := range others {
			if c.t != nil && c.t.Command == "" {
				rival = c.score
				break
			}
		}
	}
	// A runner-up whose evidence a clear best explains too is no rival.
	if u.Score >= specificScore && top[1].t != nil && explainedBy(x, near(top[0].t), near(top[1].t)) {
		rival = 0
	}
	// Naming several things asks, unless the text is one of the best's
	// examples as written: its editor has said what it means.
	several := u.Score <= exact && (containsAny(n, m.both) || m.namesSeveral(n)) && top[1].t != nil && top[1].score >= askScore
	switch {
	case !several && u.Score >= need && (u.Score-rival >= margin || u.Score > exact && rival <= exact):
		// An example typed as written wins unless another is too.
		u.Decision = DecideAct
	case u.Score >= askScore:
		u.Decision = DecideAsk
		for _, c := range top[:maxCandidates] {
			if c.t != nil && c.score >= askScore && c.score >= u.Score/2 {
				u.Candidates = append(u.Candidates, c.t.Target)
			}
		}
	}
	if u.Decision == DecideNone {
		// Words two choices say alike are asked about, whatever the
		// second reading would say.
		if u = m.askSeveral(u, n, x, choices, top[:]); u.Decision != DecideNone {
			return u
		}
	}
	if several {
		return u
	}
	return m.secondReading(u, top[0].t, n, x, step, shared)
}

// decideOne decides on the targets, then lets small talk that clearly
// beats the match silence it: 「ちょっと待って」 is no 戻る, while
// 「ありがとう、ログインできました」 still answers.
func (m *matcher) decideOne(r typed, step string) Understanding {
	u := m.decideTargets(r, step)
	if m.smallTalk == nil || u.Decision == DecideNone {
		return u
	}
	if b := m.smallTalk.best(r.x); b != nil {
		if s := similarity(r.x, *b); s >= actScore && s-u.Score >= margin {
			u.Runner, u.RunnerScore = u.Best, u.Score
			u.Best, u.Score = m.smallTalk.Target, s
			u.Decision, u.Candidates = DecideNone, nil
		}
	}
	return u
}

// askSeveral asks, when nothing fits, between the choices a short answer
// could mean: 「両方」 names several of them, and 「まだ」 is said by both
// 「まだ・ログインできる」 and 「まだ・ログインできない」.
func (m *matcher) askSeveral(u Understanding, n string, x example, choices []matchTarget, top []scored) Understanding {
	if len(choices) < 2 {
		return u
	}
	if containsAny(n, m.both) {
		u.Decision = DecideAsk
		for i := range choices[:min(maxCandidates, len(choices))] {
			u.Candidates = append(u.Candidates, choices[i].Target)
		}
		return u
	}
	var in []Target
	for i := range choices {
		for _, e := range choices[i].examples {
			if len(x.grams) > 0 && contains(e.grams, x.grams) {
				in = append(in, choices[i].Target)
				break
			}
		}
	}
	if len(in) < 2 {
		// Or two choices that the text touches alike, neither enough:
		// 「アプリの課金です」 is Apple's or Google's.
		in = in[:0]
		for _, c := range top {
			if c.t != nil && c.t.Command == "" && c.score >= askScore/2 && (len(in) == 0 || c.score >= closeShare*top[0].score) {
				in = append(in, c.t.Target)
			}
		}
	}
	if len(in) >= 2 {
		u.Decision = DecideAsk
		u.Candidates = in[:min(maxCandidates, len(in))]
	}
	return u
}

// buttonNumber reads a typed button number: 「3」「３番」「3ばんめ」「三番」.
// It returns 0 when s is not one.
func (m *matcher) buttonNumber(s string) int {
	n := Normalize(s)
	for _, p := range m.prefixes {
		if p != "" && strings.HasPrefix(n, p) {
			n = n[len(p):]
			break
		}
	}
	// 「ふたつめ」「ひとつ目」: the word, then a suffix.
	for w, v := range m.numberWords {
		if rest := n[min(len(w), len(n)):]; strings.HasPrefix(n, w) && rest != "" && m.numbers[rest] {
			return v
		}
	}
	// A kanji numeral counts only with its suffix: 「一番」 is the first
	// button, but 「一」 alone could be anything.
	if r, size := utf8.DecodeRuneInString(n); size < len(n) && m.numbers[n[size:]] {
		if v := strings.IndexRune(kanjiDigits, r); v >= 0 {
			return v/utf8.RuneLen(r) + 1
		}
	}
	i := 0
	for i < len(n) && n[i] >= '0' && n[i] <= '9' {
		i++
	}
	if i == 0 || i > 2 || !m.numbers[n[i:]] {
		return 0
	}
	v, _ := strconv.Atoi(n[:i])
	return v
}

// kanjiDigits are the kanji numerals of the first nine buttons, in order.
const kanjiDigits = "一二三四五六七八九"

// confirms reads a typed yes or no (the delete question, a reminder offer).
func (m *matcher) confirms(r typed, yes, no example) string {
	ys, ns := similarity(r.x, yes), similarity(r.x, no)
	switch {
	case ys >= actScore && ys > ns:
		return cmdDeleteYes
	case ns >= actScore && ns > ys:
		return cmdDeleteNo
	}
	return ""
}

// namesSeveral reports whether normalised n names several things with the
// particle said twice: 「カードもパスワードも入れた」.
func (m *matcher) namesSeveral(n string) bool {
	if m.also == "" {
		return false
	}
	c := strings.Count(n, m.also)
	for _, w := range m.notAlso {
		if w != "" {
			c -= strings.Count(n, w) * strings.Count(w, m.also)
		}
	}
	return c >= 2
}

// endsWithAny reports whether normalised n ends with one of the words.
func endsWithAny(n string, words []string) bool {
	for _, w := range words {
		if w != "" && strings.HasSuffix(n, w) {
			return true
		}
	}
	return false
}

// containsAny reports whether normalised n contains one of the words.
func containsAny(n string, words []string) bool {
	for _, w := range words {
		if w != "" && strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// urgent returns the urgent message whose words r contains, if any.
func (m *matcher) urgent(r typed) *Urgent {
	for i, words := range m.urgentWords {
		if containsAny(r.n, words) || containsAny(r.folded, m.urgentFolded[i]) {
			return m.urgentMsgs[i]
		}
	}
	return nil
}

// endsNegative reports whether the predicate of normalised n is negative:
// a negation at its end, or followed only by a particle or two (ないよ,
// なかったけど). A negation inside (「知らない請求がある」) describes a noun and
// does not make the sentence negative, nor does one before a noun at the
// end (「知らない請求」): only kana are cut as particles. Reported speech
// and a state have the polarity of what comes before them:
// 「必要ないと言われた」「ログインできない状態」 are negative.
func endsNegative(n string, negations, carry []string) bool {
	if negativeEnd(n, negations) {
		return true
	}
	// The ending may itself be followed by a particle or two (言われたわ).
	r := []rune(n)
	for cut := 0; cut <= 2 && cut < len(r); cut++ {
		if cut > 0 && !unicode.Is(unicode.Hiragana, r[len(r)-cut]) {
			break
		}
		head := string(r[:len(r)-cut])
		for _, q := range carry {
			if q != "" && strings.HasSuffix(head, q) && len(q) < len(head) {
				return negativeEnd(strings.TrimSuffix(head, q), negations)
			}
		}
	}
	return false
}

func negativeEnd(n string, negations []string) bool {
	r := []rune(n)
	for cut := 0; cut <= 2 && cut < len(r); cut++ {
		if cut > 0 && !unicode.Is(unicode.Hiragana, r[len(r)-cut]) {
			break
		}
		head := string(r[:len(r)-cut])
		for _, neg := range negations {
			if neg != "" && strings.HasSuffix(head, neg) {
				return true
			}
		}
	}
	return false
}
