package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxHistory bounds 戻る: enough for any flow, small enough for Redis.
const maxHistory = 30

// Engine moves users through a Graph. It is pure: Next depends only on its
// arguments, so it can be replayed, tested exhaustively and run anywhere.
type Engine struct {
	g     *Graph
	m     *matcher
	staff *StaffChat // nil: staff chat is off
	sec   secretWords
}

// NewEngine prepares g for matching.
func NewEngine(g *Graph, opts ...EngineOption) *Engine {
	e := &Engine{g: g, m: g.prepared(), sec: newSecretWords(g.Language.Secrets)}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Understand says what typed text s would be taken to mean at a step,
// without changing anything: the evaluation and chat --explain use it.
func (e *Engine) Understand(step, s string) Understanding {
	return e.m.understand(s, step)
}

// Graph returns the flows the engine runs.
func (e *Engine) Graph() *Graph { return e.g }

// Postback data keys. The step and version let a tap on an old message be
// recognised; they are ours, at most 300 bytes (LINE's limit).
const (
	keyStep     = "s"
	keyVersion  = "v"
	keyChoice   = "c"
	keyCommand  = "g"
	keyReminder = "r" // accept (a) or pick a time (p) for the step's offer
	keyCancel   = "x" // cancel one reminder, or "*" for all
	keyJump     = "j" // a choice of a reminder's step, from a pushed reminder
)

// Internal commands carried by postbacks only.
const (
	cmdResume    = "resume"
	cmdDeleteYes = "delete_yes"
	cmdDeleteNo  = "delete_no"
	// cmdSmallTalk is the matcher's target for Language.SmallTalk: never
	// acted on.
	cmdSmallTalk = "small_talk"
)

// turn is one call of Next in progress.
type turn struct {
	e   *Engine
	now time.Time
	st  State
	res Result
	// notes go before the step's own messages (a warning, an acknowledgement).
	notes []Message
	// quote is the input's quote token, for a warning about what was typed.
	quote string
}

// Next applies one input to a state and returns the new state, the reply and
// the reminder changes. The input state is not modified.
func (e *Engine) Next(st State, in Input, now time.Time) Result {
	t := &turn{e: e, now: now, st: st.clone(), quote: in.QuoteToken}
	t.st.Version = st.Version + 1
	t.pruneReminders()
	if t.st.Step == "" || e.g.Steps[t.st.Step] == nil {
		// A new user, or a step removed by a flow update: start over gently.
		t.st.Step, t.st.Flow, t.st.History = e.g.Start, e.g.FlowOf(e.g.Start).ID, nil
	}
	if !t.st.QuietUntil.IsZero() && in.Kind != InputFollow {
		if e.staff == nil {
			t.st.QuietUntil = time.Time{} // staff chat was turned off: the bot answers
		} else if t.quiet(in) {
			return t.finish()
		}
	}
	switch in.Kind {
	case InputFollow:
		t.follow(st.Step != "")
	case InputPostback:
		t.postback(in)
	case InputText:
		t.text(in.Text)
	default:
		t.note(e.g.Texts.Other)
		t.quickOnly()
	}
	return t.finish()
}

func (t *turn) follow(returning bool) {
	g := t.e.g
	if returning && t.st.Step != g.Start {
		t.note(g.Texts.Resume)
		t.res.Reply.QuickReplies = []QuickReply{
			t.quick(g.Texts.ResumeLabel, cmdData(cmdResume)),
			t.quick(g.Texts.RestartLabel, cmdData(CmdMenu)),
		}
		return
	}
	t.note(g.Texts.Welcome)
	t.enter(g.Start, false)
}

func (t *turn) postback(in Input) {
	q, err := url.ParseQuery(in.Data)
	if err != nil {
		t.stale()
		return
	}
	if cmd := q.Get(keyCommand); cmd != "" {
		t.command(cmd)
		return
	}
	if id := q.Get(keyCancel); id != "" {
		t.cancelReminder(id)
		return
	}
	if id := q.Get(keyJump); id != "" {
		def := t.e.g.Reminders[id]
		i, err := strconv.Atoi(q.Get(keyChoice))
		if def == nil || err != nil || i < 0 || i >= len(t.e.g.Steps[def.Step].Choices) {
			t.stale()
			return
		}
		t.st.Step = def.Step
		t.choose(i)
		return
	}
	v, err := strconv.ParseInt(q.Get(keyVersion), 10, 64)
	if q.Get(keyStep) != t.st.Step || err != nil || v > t.st.Version-1 || v < 0 {
		// A tap on an old message, or forged data: show where the user is.
		t.stale()
		return
	}
	switch q.Get(keyReminder) {
	case "a":
		t.acceptReminder(time.Time{})
		return
	case "p":
		t.acceptReminder(in.Time)
		return
	}
	i, err := strconv.Atoi(q.Get(keyChoice))
	if err != nil || i < 0 || i >= len(t.step().Choices) {
		t.stale()
		return
	}
	t.choose(i)
}

func (t *turn) stale() {
	t.note(t.e.g.Texts.Stale)
	t.present(t.st.Step)
}

func (t *turn) text(s string) {
	g := t.e.g
	r := t.e.m.read(s)
	if u := t.e.m.urgent(r); u != nil {
		// Before anything else, even a typed card number: a life first.
		t.understood(Understanding{Caught: "urgent:" + u.ID})
		t.urgent(u)
		return
	}
	if warn := t.e.sensitive(s); warn != "" {
		t.understood(Understanding{Caught: "secret"})
		t.notes = append(t.notes, Message{Text: warn, QuoteToken: t.quote})
		t.quickOnly()
		return
	}
	if t.checkMessage(s) {
		return
	}
	if c := g.mentionedDiscontinued(s); c != nil {
		t.note(fill(g.Texts.Discontinued, "name", c.Name, "instead", c.Instead))
		t.quickOnly()
		return
	}
	if t.st.Confirm == CmdDelete {
		if cmd := t.e.m.confirms(r, t.e.m.deleteYes, t.e.m.deleteNo); cmd != "" {
			t.command(cmd)
			return
		}
	}
	if def := g.Reminders[t.step().Offer]; def != nil && !t.hasReminder(def.ID) && t.e.m.confirms(r, t.e.m.accept, example{}) == cmdDeleteYes {
		t.acceptReminder(time.Time{})
		return
	}
	if n := t.e.m.buttonNumber(s); n > 0 {
		if tg, ok := t.numberedButton(n); ok {
			t.understood(Understanding{Caught: "number", Decision: DecideAct, Best: tg, Score: 1})
			t.act(tg)
			return
		}
	}
	u := t.e.m.decide(r, t.st.Step)
	t.understood(u)
	switch u.Decision {
	case DecideAct:
		t.act(u.Best)
	case DecideAsk:
		t.ask(u.Candidates)
	default:
		t.note(g.Texts.Unmatched)
		t.quickOnly()
	}
}

// act follows a matched target.
func (t *turn) act(tg Target) {
	if tg.Command != "" {
		t.command(tg.Command)
		return
	}
	t.choose(tg.Choice)
}

// ask offers the candidates as buttons, then the step's own: 「もしかして」.
func (t *turn) ask(cands []Target) {
	var qs []QuickReply
	seen := map[string]bool{}
	for _, c := range cands {
		q := t.quick(c.Label, cmdData(c.Command))
		if c.Command == "" {
			q.Data = t.stepData(keyChoice, strconv.Itoa(c.Choice))
		}
		seen[q.Data] = true
		qs = append(qs, q)
	}
	for _, q := range t.stepQuickReplies() {
		if !seen[q.Data] {
			qs = append(qs, q)
		}
	}
	t.note(t.e.g.Texts.DidYouMean)
	t.res.Reply.QuickReplies = qs
}

// numberedButton is the n-th button the user sees (「3番」) as a target:
// the reminder offer's accept, a choice, 戻る or メニュー. A time picker, or
// a number with no button, is not one.
func (t *turn) numberedButton(n int) (Target, bool) {
	i := n - 1
	if def := t.e.g.Reminders[t.step().Offer]; def != nil && !t.hasReminder(def.ID) {
		if i < 2 {
			return Target{}, false // accept is typed as words; 2 is the time picker
		}
		i -= 2
	}
	qs := t.stepQuickReplies()
	if i < 0 || i >= len(qs) {
		return Target{}, false
	}
	q, err := url.ParseQuery(qs[i].Data)
	if err != nil {
		return Target{}, false
	}
	if cmd := q.Get(keyCommand); cmd != "" {
		return Target{Command: cmd, Choice: -1, Label: qs[i].Label}, true
	}
	c, err := strconv.Atoi(q.Get(keyChoice))
	if err != nil {
		return Target{}, false
	}
	return Target{Choice: c, Label: qs[i].Label}, true
}

// understood records what typed text was taken to mean, for chat --explain
// and the evaluation. It never holds the text.
func (t *turn) understood(u Understanding) {
	u.Step = t.st.Step
	t.res.Understood = &u
}

// urgent answers a person in crisis or in danger: the message, the lines
// open now as call buttons, and the way back to where they were.
func (t *turn) urgent(u *Urgent) {
	g := t.e.g
	var bs []Button
	for _, id := range u.Call {
		c := g.Contacts[id]
		if c != nil && c.Kind == "phone" && (c.Hours.Always || g.OpenAt(c.Hours, t.now)) && len(bs) < maxButtons {
			bs = append(bs, Button{Kind: ButtonCall, Label: c.Name, Value: c.Value})
		}
	}
	t.notes = append(t.notes, Message{Text: u.Text, Buttons: bs})
	t.note(g.Texts.WayBack)
	t.quickOnly()
}

// choose follows choice i of the current step.
func (t *turn) choose(i int) {
	c := t.step().Choices[i]
	for _, item := range c.Completes {
		if !slices.Contains(t.st.Done, item) {
			t.st.Done = append(t.st.Done, item)
		}
		t.st.DoneAt = markTime(t.st.DoneAt, item, t.now)
	}
	if len(c.Set) > 0 {
		// Copy on write: the input state's map is shared until here.
		answers := make(map[string]string, len(t.st.Answers)+len(c.Set))
		maps.Copy(answers, t.st.Answers)
		maps.Copy(answers, c.Set)
		t.st.Answers = answers
	}
	t.st.Confirm = ""
	t.enter(c.Next, true)
}

// enter moves to a step, applies what reaching it means and presents it.
func (t *turn) enter(id string, remember bool) {
	if remember && id != t.st.Step {
		t.st.History = append(t.st.History, t.st.Step)
		if len(t.st.History) > maxHistory {
			t.st.History = t.st.History[len(t.st.History)-maxHistory:]
		}
	}
	if id == t.e.g.Start {
		t.st.History = nil
	}
	t.st.Step = id
	t.st.Flow = t.e.g.FlowOf(id).ID
	st := t.e.g.Steps[id]
	if f := t.e.g.FlowOf(id); len(f.Checklist) > 0 && !slices.Contains(t.st.Flows, f.ID) {
		t.st.Flows = append(t.st.Flows, f.ID)
		t.st.Entered = markTime(t.st.Entered, f.ID, t.now)
	}
	for _, r := range st.Cancel {
		t.dropReminder(r)
	}
	t.present(id)
}

// present sends a step: its texts with buttons on the last, the summary and
// the reminder offer when it has them, and its choices as quick replies.
func (t *turn) present(id string) {
	g := t.e.g
	st := g.Steps[id]
	for i, s := range st.Text {
		m := Message{Text: s}
		if i == len(st.Text)-1 {
			m.Buttons = t.buttons(st.Actions)
			if closed := t.closedLinesText(st.Actions); closed != "" {
				m.Text += "\n\n" + closed
			}
		}
		t.res.Reply.Messages = append(t.res.Reply.Messages, m)
		if i == 0 && g.coverageRule(st) != nil {
			t.res.Reply.Messages = append(t.res.Reply.Messages, Message{Text: t.coverageWindowText(st)})
		}
	}
	if st.Script != nil {
		t.res.Reply.Messages = append(t.res.Reply.Messages, t.scriptMessage(st.Script))
	}
	if st.Summary {
		t.res.Reply.Messages = append(t.res.Reply.Messages, Message{Text: t.progressText() + "\n\n" + t.contactsText()})
	}
	var offer []QuickReply
	if def := g.Reminders[st.Offer]; def != nil && !t.hasReminder(def.ID) {
		due := t.due(def)
		t.res.Reply.Messages = append(t.res.Reply.Messages, Message{
			Text: fill(g.Texts.ReminderOffer, "title", def.Title, "when", g.FormatWhen(due)),
		})
		offer = append(offer,
			t.quick(g.Texts.ReminderAccept, t.stepData(keyReminder, "a")),
			t.timePicker(g.Texts.ReminderPick, t.stepData(keyReminder, "p"), due),
		)
	}
	t.res.Reply.QuickReplies = append(offer, t.stepQuickReplies()...)
}

// quickOnly re-offers the current step's buttons without repeating it.
func (t *turn) quickOnly() {
	st := t.step()
	var offer []QuickReply
	if def := t.e.g.Reminders[st.Offer]; def != nil && !t.hasReminder(def.ID) {
		offer = append(offer,
			t.quick(t.e.g.Texts.ReminderAccept, t.stepData(keyReminder, "a")),
			t.timePicker(t.e.g.Texts.ReminderPick, t.stepData(keyReminder, "p"), t.due(def)),
		)
	}
	t.res.Reply.QuickReplies = append(offer, t.stepQuickReplies()...)
}

// stepQuickReplies are the current step's choices, then 戻る and メニュー
// while there is room, so a lost user is always one tap from a way out.
func (t *turn) stepQuickReplies() []QuickReply {
	g := t.e.g
	st := t.step()
	qs := make([]QuickReply, 0, min(len(st.Choices)+2, linelimit.QuickReplies))
	for i, c := range st.Choices {
		qs = append(qs, t.quick(c.Label, t.stepData(keyChoice, strconv.Itoa(i))))
	}
	if t.callsClosedLine(st.Actions) && len(qs) < linelimit.QuickReplies {
		// The step's line is closed: 相談窓口 lists and dials what is open now.
		qs = append(qs, t.quick(g.commandLabel(CmdContacts), cmdData(CmdContacts)))
	}
	if st.Summary && len(qs) < linelimit.QuickReplies {
		// The end of a flow is where a victim goes on to the police or 188.
		qs = append(qs, t.quick(g.commandLabel(CmdMemo), cmdData(CmdMemo)))
	}
	if len(t.st.History) > 0 && len(qs) < linelimit.QuickReplies-2 {
		qs = append(qs, t.quick(g.commandLabel(CmdBack), cmdData(CmdBack)))
	}
	if t.st.Step != g.Start && len(qs) < linelimit.QuickReplies-2 && !st.leadsTo(g.Start) {
		qs = append(qs, t.quick(g.commandLabel(CmdMenu), cmdData(CmdMenu)))
	}
	return qs
}

func (s *Step) leadsTo(id string) bool {
	for _, c := range s.Choices {
		if c.Next == id {
			return true
		}
	}
	return false
}

func (t *turn) step() *Step { return t.e.g.Steps[t.st.Step] }

// stepData is postback data bound to the current step and version:
// key=val&s=<step>&v=<version>, byte for byte what url.Values.Encode gives
// (keys sorted; key is c or r, both before s), built with one allocation.
func (t *turn) stepData(key, val string) string {
	return key + "=" + url.QueryEscape(val) +
		"&" + keyStep + "=" + url.QueryEscape(t.st.Step) +
		"&" + keyVersion + "=" + strconv.FormatInt(t.st.Version, 10)
}

// cmdData is the postback data of a global or internal command.
func cmdData(cmd string) string { return keyCommand + "=" + url.QueryEscape(cmd) }

func (t *turn) quick(label, data string) QuickReply {
	return QuickReply{Kind: QuickPostback, Label: label, Data: data, DisplayText: label}
}

func (t *turn) timePicker(label, data string, initial time.Time) QuickReply {
	const layout = "2006-01-02T15:04"
	now := t.now.In(Tokyo)
	return QuickReply{
		Kind:    QuickTimePicker,
		Label:   label,
		Data:    data,
		Initial: initial.In(Tokyo).Format(layout),
		Min:     now.Format(layout),
		Max:     now.AddDate(0, 0, 60).Format(layout),
	}
}

// buttons are a step's actions as buttons. A call to a line that is closed
// now is left out: a victim at 23:30 must not dial a line that will not
// answer (closedLinesText says when it opens instead).
func (t *turn) buttons(actions []Action) []Button {
	var bs []Button
	for _, a := range actions {
		switch {
		case a.Call != "":
			c := t.e.g.Contacts[a.Call]
			if !t.e.g.OpenAt(c.Hours, t.now) {
				continue
			}
			bs = append(bs, Button{Kind: ButtonCall, Label: c.Name, Value: c.Value})
		case a.Link != "":
			c := t.e.g.Contacts[a.Link]
			bs = append(bs, Button{Kind: ButtonLink, Label: c.Name, Value: c.Value})
		case a.Copy != nil:
			bs = append(bs, Button{Kind: ButtonCopy, Label: a.Copy.Label, Value: a.Copy.Text})
		}
	}
	return bs
}

// callsClosedLine reports whether one of the step's call buttons is
// withheld because its line is closed now.
func (t *turn) callsClosedLine(actions []Action) bool {
	for _, a := range actions {
		if a.Call != "" && !t.e.g.OpenAt(t.e.g.Contacts[a.Call].Hours, t.now) {
			return true
		}
	}
	return false
}

// closedLinesText says, for each withheld call button, that the line is
// closed and when it opens, then where the lines open now are; "" when
// every line of the step is open.
func (t *turn) closedLinesText(actions []Action) string {
	g := t.e.g
	var lines []string
	for _, a := range actions {
		if a.Call == "" {
			continue
		}
		c := g.Contacts[a.Call]
		if g.OpenAt(c.Hours, t.now) {
			continue
		}
		lines = append(lines, fill(g.Texts.CallClosed, "name", c.Name, "when", t.opensText(c)))
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(append(lines, g.Texts.CallClosedOpenNow), "\n")
}

// opensText is when a closed line next opens, or its hours when it does not
// open within the fortnight NextOpen looks at.
func (t *turn) opensText(c *Contact) string {
	if next := t.e.g.NextOpen(c.Hours, t.now); !next.IsZero() {
		return t.e.g.FormatWhen(next)
	}
	return c.Hours.Text
}

func (t *turn) note(s string) { t.notes = append(t.notes, Message{Text: s}) }

func (t *turn) finish() Result {
	t.res.Reply.Messages = append(t.notes, t.res.Reply.Messages...)
	if len(t.res.Reply.Messages) > linelimit.Messages {
		// The validator keeps steps short enough; this guards LINE's hard limit.
		t.res.Reply.Messages = t.res.Reply.Messages[:linelimit.Messages]
	}
	if len(t.res.Reply.QuickReplies) > linelimit.QuickReplies {
		t.res.Reply.QuickReplies = t.res.Reply.QuickReplies[:linelimit.QuickReplies]
	}
	t.res.State = t.st
	return t.res
}

// clone copies the slices a turn changes in place. Answers stay shared:
// the engine never writes to the map, it replaces it (see choose).
func (s State) clone() State {
	c := s
	c.History = slices.Clone(s.History)
	c.Done = slices.Clone(s.Done)
	c.Flows = slices.Clone(s.Flows)
	c.Reminders = slices.Clone(s.Reminders)
	return c
}

// fill replaces {key} placeholders in a text from the flow files.
func fill(s string, kv ...string) string {
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func (g *Graph) commandLabel(id string) string {
	for _, c := range g.Commands {
		if c.ID == id {
			return c.Label
		}
	}
	return id
}

// FormatDate writes a day the way the texts file says ("11月25日(水)").
func (g *Graph) FormatDate(t time.Time) string {
	t = t.In(Tokyo)
	return fill(g.Texts.Date,
		"month", strconv.Itoa(int(t.Month())),
		"day", strconv.Itoa(t.Day()),
		"weekday", g.weekdayName(t),
	)
}

func (g *Graph) weekdayName(t time.Time) string {
	if wd := []rune(g.Texts.Weekdays); len(wd) == 7 {
		return string(wd[t.Weekday()])
	}
	return ""
}

// FormatWhen writes a time the way the texts file says ("11/25(水) 9:00").
func (g *Graph) FormatWhen(t time.Time) string {
	t = t.In(Tokyo)
	return fill(g.Texts.When,
		"month", strconv.Itoa(int(t.Month())),
		"day", strconv.Itoa(t.Day()),
		"weekday", g.weekdayName(t),
		"time", t.Format("15:04"),
	)
}
