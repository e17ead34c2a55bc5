package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// command runs a global command, from a typed word or a tapped button.
func (t *turn) command(cmd string) {
	g := t.e.g
	if cmd != cmdDeleteYes && cmd != CmdDelete {
		t.st.Confirm = ""
	}
	switch cmd {
	case CmdMenu:
		t.enter(g.Start, false)
	case cmdResume:
		t.present(t.st.Step)
	case CmdBack:
		if len(t.st.History) == 0 {
			t.note(g.Texts.BackAtStart)
			t.present(t.st.Step)
			return
		}
		prev := t.st.History[len(t.st.History)-1]
		t.st.History = t.st.History[:len(t.st.History)-1]
		if g.Steps[prev] == nil {
			prev = g.Start
		}
		t.st.Step, t.st.Flow = prev, g.FlowOf(prev).ID
		t.present(prev)
	case CmdProgress:
		t.note(t.progressText())
		t.quickOnly()
	case CmdContacts:
		t.res.AskedForPerson = true
		defer t.offerStaff() // after the quick replies are set
		t.res.Reply.Messages = append(t.res.Reply.Messages, Message{Text: t.contactsText(), Buttons: t.openLineButtons()})
		t.quickOnly()
	case CmdMemo:
		t.res.Reply.Messages = append(t.res.Reply.Messages, t.memoMessages()...)
		t.quickOnly()
	case CmdHelp:
		t.note(g.Texts.Help)
		t.quickOnly()
	case CmdReminders:
		t.listReminders()
	case CmdStopReminders:
		t.cancelReminder("*")
	case CmdDelete:
		t.st.Confirm = CmdDelete
		t.note(g.Texts.DeleteConfirm)
		t.res.Reply.QuickReplies = []QuickReply{
			t.quick(g.Texts.DeleteYes, cmdData(cmdDeleteYes)),
			t.quick(g.Texts.DeleteNo, cmdData(cmdDeleteNo)),
		}
	case cmdDeleteYes:
		if t.st.Confirm != CmdDelete {
			t.stale()
			return
		}
		for _, r := range t.st.Reminders {
			t.res.Reminders = append(t.res.Reminders, ReminderChange{Op: ReminderCancel, ID: r.ID, Due: r.Due})
		}
		t.res.Delete = true
		t.st = State{Version: t.st.Version}
		t.note(g.Texts.Deleted)
		t.res.Reply.QuickReplies = []QuickReply{t.quick(g.commandLabel(CmdMenu), cmdData(CmdMenu))}
	case cmdDeleteNo:
		t.present(t.st.Step)
	case cmdStaff:
		t.askStaff()
	case cmdBot:
		t.st.QuietUntil = time.Time{}
		t.note(g.Texts.StaffBack)
		t.present(t.st.Step)
	default:
		t.stale()
	}
}

// progressText is the checklist of the incident: what is done, what is
// left in every situation the user entered, and the reminders still to come.
// It is the same from the menu as from inside a flow.
func (t *turn) progressText() string {
	g := t.e.g
	var done, left []string
	for _, f := range g.incident(t.st) {
		for _, it := range f.Checklist {
			if !t.applies(it) {
				continue
			}
			if slices.Contains(t.st.Done, it.ID) {
				done = append(done, "✅ "+it.Label)
			} else {
				left = append(left, "⬜ "+it.Label)
			}
		}
	}
	var b strings.Builder
	b.WriteString(g.Texts.ProgressTitle)
	if len(done)+len(left) == 0 {
		b.WriteString("\n" + g.Texts.ProgressNone)
	}
	if len(done) > 0 {
		b.WriteString("\n\n" + g.Texts.ProgressDone + "\n" + strings.Join(done, "\n"))
	}
	if len(left) > 0 {
		b.WriteString("\n\n" + g.Texts.ProgressLeft + "\n" + strings.Join(left, "\n"))
	} else if len(done) > 0 {
		b.WriteString("\n\n" + g.Texts.ProgressAllDone)
	}
	for _, r := range t.upcoming() {
		if def := g.Reminders[r.ID]; def != nil {
			b.WriteString("\n" + fill(g.Texts.ProgressReminder, "title", def.Title, "when", g.FormatWhen(r.Due)))
		}
	}
	return b.String()
}

// incident returns the flows of the user's incident: those entered, then the
// current one and any holding a done item (states saved before Flows existed).
func (g *Graph) incident(st State) []*Flow {
	var fs []*Flow
	add := func(f *Flow) {
		if f != nil && len(f.Checklist) > 0 && !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	for _, id := range st.Flows {
		for _, f := range g.Flows {
			if f.ID == id {
				add(f)
			}
		}
	}
	add(g.FlowOf(st.Step))
	for _, f := range g.Flows {
		if slices.ContainsFunc(f.Checklist, func(it ChecklistItem) bool { return slices.Contains(st.Done, it.ID) }) {
			add(f)
		}
	}
	return fs
}

// Left returns the checklist items of the user's incident that apply to
// their answers and are not done yet.
func (e *Engine) Left(st State) []string {
	t := &turn{e: e, st: st}
	var left []string
	for _, f := range e.g.incident(st) {
		for _, it := range f.Checklist {
			if t.applies(it) && !slices.Contains(st.Done, it.ID) {
				left = append(left, it.ID)
			}
		}
	}
	return left
}

// applies reports whether a checklist item fits the user's answers.
func (t *turn) applies(it ChecklistItem) bool {
	for k, v := range it.When {
		if t.st.Answers[k] != v {
			return false
		}
	}
	return true
}

// contactsText lists the human lines: open now first, then when the others open.
func (t *turn) contactsText() string {
	g := t.e.g
	var open, closed []string
	for _, id := range g.contactOrder {
		c := g.Contacts[id]
		if !c.Human || c.Status != "active" {
			continue
		}
		switch {
		case c.Kind == "form" && g.OpenAt(c.Hours, t.now):
			open = append(open, fill(g.Texts.ContactsForm, "name", c.Name, "hours", c.Hours.Text))
		case c.Kind == "form":
			// A form is sent now and read later: it is never "closed".
			date := ""
			if next := g.NextOpen(c.Hours, t.now); !next.IsZero() {
				date = g.FormatDate(next)
			}
			open = append(open, fill(g.Texts.ContactsFormWaits, "name", c.Name, "hours", c.Hours.Text, "date", date))
		case c.Hours.Always:
			open = append(open, fill(g.Texts.ContactsAlways, "name", c.Name, "hours", c.Hours.Text))
		case g.OpenAt(c.Hours, t.now):
			open = append(open, fill(g.Texts.ContactsOpen, "name", c.Name, "hours", c.Hours.Text))
		default:
			when := ""
			if next := g.NextOpen(c.Hours, t.now); !next.IsZero() {
				when = g.FormatWhen(next)
			}
			closed = append(closed, fill(g.Texts.ContactsClosed, "name", c.Name, "hours", c.Hours.Text, "when", when))
		}
	}
	return g.Texts.ContactsTitle + "\n" + strings.Join(append(open, closed...), "\n")
}

// openLineButtons are call buttons for the human phone lines open now.
func (t *turn) openLineButtons() []Button {
	g := t.e.g
	var bs []Button
	for _, id := range g.contactOrder {
		c := g.Contacts[id]
		if c.Human && c.Status == "active" && c.Kind == "phone" && g.OpenAt(c.Hours, t.now) && len(bs) < maxButtons {
			bs = append(bs, Button{Kind: ButtonCall, Label: c.Name, Value: c.Value})
		}
	}
	return bs
}

func (t *turn) hasReminder(id string) bool {
	for _, r := range t.upcoming() {
		if r.ID == id {
			return true
		}
	}
	return false
}

// reminderGrace is how long a reminder is kept after it was due: a push
// waiting for the morning, a retry or a new month's quota must still find it
// in the state, or it would be dropped as stale.
const reminderGrace = 24 * time.Hour

// pruneReminders forgets reminders long past their time.
func (t *turn) pruneReminders() {
	t.st.Reminders = slices.DeleteFunc(t.st.Reminders, func(r Reminder) bool {
		if t.e.g.Reminders[r.ID] == nil {
			// Dropped by a flow update since it was accepted: its task
			// goes too, and nothing else of the engine meets it.
			t.res.Reminders = append(t.res.Reminders, ReminderChange{Op: ReminderCancel, ID: r.ID, Due: r.Due})
			return true
		}
		return !r.Due.Add(reminderGrace).After(t.now)
	})
}

// upcoming are the accepted reminders still to come, the ones a user sees.
func (t *turn) upcoming() []Reminder {
	var rs []Reminder
	for _, r := range t.st.Reminders {
		if r.Due.After(t.now) {
			rs = append(rs, r)
		}
	}
	return rs
}

// acceptReminder schedules the current step's offer, at its usual time or at
// the time the user picked.
func (t *turn) acceptReminder(picked time.Time) {
	g := t.e.g
	def := g.Reminders[t.step().Offer]
	if def == nil {
		t.stale()
		return
	}
	due := t.due(def)
	if !picked.IsZero() {
		if !picked.After(t.now) || picked.After(t.now.AddDate(0, 0, 61)) {
			t.note(g.Texts.ReminderTooLate)
			t.quickOnly()
			return
		}
		due = g.At(def, picked)
	}
	t.dropReminder(def.ID)
	t.st.Reminders = append(t.st.Reminders, Reminder{ID: def.ID, Due: due})
	t.res.Reminders = append(t.res.Reminders, ReminderChange{Op: ReminderSchedule, ID: def.ID, Due: due})
	t.note(fill(g.Texts.ReminderSet, "title", def.Title, "when", g.FormatWhen(due)))
	t.quickOnly()
}

// dropReminder cancels an accepted reminder, if there is one.
func (t *turn) dropReminder(id string) bool {
	for i, r := range t.st.Reminders {
		if r.ID == id {
			t.res.Reminders = append(t.res.Reminders, ReminderChange{Op: ReminderCancel, ID: r.ID, Due: r.Due})
			t.st.Reminders = slices.Delete(t.st.Reminders, i, i+1)
			return true
		}
	}
	return false
}

func (t *turn) listReminders() {
	g := t.e.g
	if len(t.upcoming()) == 0 {
		t.note(g.Texts.RemindersNone)
		t.quickOnly()
		return
	}
	lines := []string{g.Texts.RemindersTitle}
	var qs []QuickReply
	for _, r := range t.upcoming() {
		def := g.Reminders[r.ID]
		if def == nil {
			continue
		}
		lines = append(lines, "・"+g.FormatWhen(r.Due)+" "+def.Title)
		// The loader keeps 「停止:<title>」 within a label; the cut is for safety.
		label := g.Texts.ReminderCancel + def.Title
		label = label[:linelimit.Label.Prefix(label, linelimit.Label.Max)]
		qs = append(qs, t.quick(label, url.Values{keyCancel: {r.ID}}.Encode()))
	}
	qs = append(qs, t.quick(g.Texts.StopAllLabel, url.Values{keyCancel: {"*"}}.Encode()))
	t.note(strings.Join(lines, "\n"))
	t.res.Reply.QuickReplies = append(qs, t.stepQuickReplies()...)
	if len(t.res.Reply.QuickReplies) > linelimit.QuickReplies {
		t.res.Reply.QuickReplies = t.res.Reply.QuickReplies[:linelimit.QuickReplies]
	}
}

// cancelReminder stops one reminder, or all with "*".
func (t *turn) cancelReminder(id string) {
	g := t.e.g
	switch {
	case id == "*" && len(t.st.Reminders) == 0:
		t.note(g.Texts.RemindersNone)
	case id == "*":
		for len(t.st.Reminders) > 0 {
			t.dropReminder(t.st.Reminders[0].ID)
		}
		t.note(g.Texts.RemindersStopped)
	case g.Reminders[id] != nil && t.dropReminder(id):
		t.note(fill(g.Texts.ReminderStopped, "title", g.Reminders[id].Title))
	default:
		t.note(g.Texts.RemindersNone)
	}
	t.quickOnly()
}

// Remind is what a reminder pushes when it comes due, or false when it no
// longer applies: cancelled, rescheduled, reset, or its work already done.
func (e *Engine) Remind(st State, id string, due time.Time) (Reply, bool) {
	def := e.g.Reminders[id]
	if def == nil {
		return Reply{}, false
	}
	i := slices.IndexFunc(st.Reminders, func(r Reminder) bool { return r.ID == id && r.Due.Equal(due) })
	if i < 0 {
		return Reply{}, false
	}
	if len(def.Done) > 0 && !slices.ContainsFunc(def.Done, func(item string) bool { return !slices.Contains(st.Done, item) }) {
		return Reply{}, false
	}
	step := e.g.Steps[def.Step]
	r := Reply{Messages: []Message{{Text: def.Text}}}
	for i, c := range step.Choices {
		r.QuickReplies = append(r.QuickReplies, QuickReply{
			Kind:        QuickPostback,
			Label:       c.Label,
			Data:        url.Values{keyJump: {id}, keyChoice: {strconv.Itoa(i)}}.Encode(),
			DisplayText: c.Label,
		})
	}
	return r, true
}
