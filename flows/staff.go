package flows

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// StaffChat is the operator's staff answering in LINE Official Account
// Manager's chat, beside the bot. A user who asks for a person is told who
// answers and when, and the bot keeps quiet for them (only the warning about
// a typed card number or code, and the answer to a crisis, still go out)
// until they send 「ボットに戻る」 or QuietFor has passed.
type StaffChat struct {
	Hours    Hours         // when the staff answer, Japan time
	QuietFor time.Duration // how long the bot keeps quiet after a request
}

// EngineOption configures an engine.
type EngineOption func(*Engine)

// WithStaffChat turns staff chat on; without it (the default) a request for
// a person lists the phone lines (相談窓口) and the bot never goes quiet.
func WithStaffChat(s StaffChat) EngineOption {
	return func(e *Engine) { e.staff = &s }
}

// Internal commands of staff chat, carried by postbacks only.
const (
	cmdStaff = "staff" // ask for a person in this chat
	cmdBot   = "bot"   // back to the bot
)

// ErrStaffHours is a staff-hours setting that cannot be read.
var ErrStaffHours = errors.New(`staff hours: want "10:00-17:00" (weekdays) or "10:00-17:00,10:00-16:00" (weekdays, then Saturdays, Sundays and holidays)`)

// ParseStaffHours reads staff hours as an operator writes them in an
// environment variable: the weekday period, and optionally after a comma the
// period of Saturdays, Sundays and national holidays. 12/29–1/3 are closed.
func ParseStaffHours(s string) (Hours, error) {
	var h Hours
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return h, fmt.Errorf("%q: %w", s, ErrStaffHours)
	}
	for i, part := range parts {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		p := Period{From: strings.TrimSpace(from), To: strings.TrimSpace(to)}
		if !ok || !clockTime.MatchString(p.From) || !clockTime.MatchString(p.To) || p.From >= p.To {
			return h, fmt.Errorf("%q: %w", s, ErrStaffHours)
		}
		if i == 0 {
			h.Weekdays = []Period{p}
		} else {
			h.Weekends = []Period{p}
		}
	}
	h.Closed = []string{"12-29", "12-30", "12-31", "01-01", "01-02", "01-03"}
	return h, nil
}

// quiet handles an input while the bot keeps quiet for a user who asked for
// a person; it reports false when the input ends the quiet (「ボットに戻る」,
// or the time has passed) and the turn goes on as usual.
func (t *turn) quiet(in Input) bool {
	g := t.e.g
	if !t.now.Before(t.st.QuietUntil) {
		// The time has passed: the bot answers again, and says so.
		t.st.QuietUntil = time.Time{}
		t.note(g.Texts.StaffBack)
		return false
	}
	switch in.Kind {
	case InputPostback:
		if q, err := url.ParseQuery(in.Data); err == nil && q.Get(keyCommand) == cmdBot {
			return false
		}
	case InputText:
		if strings.Contains(t.e.m.read(in.Text).n, t.e.m.read(g.Texts.StaffBackLabel).n) {
			t.command(cmdBot)
			return true
		}
		if u := t.e.m.urgent(t.e.m.read(in.Text)); u != nil {
			// A life first, staff or not.
			t.urgent(u)
			return true
		}
		if warn := t.e.sensitive(in.Text); warn != "" {
			t.notes = append(t.notes, Message{Text: warn, QuoteToken: t.quote})
			t.res.Reply.QuickReplies = []QuickReply{t.quick(g.Texts.StaffBackLabel, cmdData(cmdBot))}
		}
	}
	return true // nothing else: the staff answer in the chat
}

// askStaff answers a request for a person: who answers and when, and the
// bot keeps quiet for this user from now.
func (t *turn) askStaff() {
	g, s := t.e.g, t.e.staff
	if s == nil {
		// A chip from before the operator turned staff chat off: the
		// phone lines are the people to talk to.
		t.command(CmdContacts)
		return
	}
	t.res.AskedForPerson = true
	t.st.QuietUntil = t.now.Add(s.QuietFor)
	wd := s.Hours.Weekdays[0]
	hours := fill(g.Texts.StaffHours, "from", wd.From, "to", wd.To)
	if len(s.Hours.Weekends) > 0 {
		we := s.Hours.Weekends[0]
		hours = fill(g.Texts.StaffHoursWeekends, "from", wd.From, "to", wd.To, "weekend_from", we.From, "weekend_to", we.To)
	}
	open := g.Texts.StaffOpenNow
	if !g.OpenAt(s.Hours, t.now) {
		open = fill(g.Texts.StaffOpensAt, "when", g.FormatWhen(g.NextOpen(s.Hours, t.now)))
	}
	t.note(fill(g.Texts.StaffAnswer, "hours", hours, "open", open, "until", g.FormatWhen(t.st.QuietUntil)))
	t.res.Reply.QuickReplies = []QuickReply{t.quick(g.Texts.StaffBackLabel, cmdData(cmdBot))}
}

// offerStaff puts the chip that asks for a person in this chat first under
// 相談窓口, when staff chat is on.
func (t *turn) offerStaff() {
	if t.e.staff == nil {
		return
	}
	offer := t.quick(t.e.g.Texts.StaffOfferLabel, cmdData(cmdStaff))
	t.res.Reply.QuickReplies = append([]QuickReply{offer}, t.res.Reply.QuickReplies...)
}
