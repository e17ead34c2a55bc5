package flows

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// openPerFacts is when a line answers according to the facts files, written
// out here independently of contacts.yaml and hours.go: 110 always; 188 on
// weekdays 9–17 and on weekends and holidays 10–16, closed 12/29–1/3; #9110
// on weekdays 8:30–17:15 only (not holidays, not 12/29–1/3). A line this
// test does not know fails it: a new call button needs its facts here.
func openPerFacts(t *testing.T, id string, at time.Time) bool {
	t.Helper()
	at = at.In(Tokyo)
	// The national holidays among the days the tests below use.
	holiday := map[string]bool{"2026-11-23": true, "2027-01-01": true}[at.Format(time.DateOnly)]
	md := at.Format("01-02")
	yearEnd := md >= "12-29" || md <= "01-03"
	workday := at.Weekday() != time.Saturday && at.Weekday() != time.Sunday && !holiday && !yearEnd
	hm := at.Format("15:04")
	switch id {
	case "police_110":
		return true
	case "hotline_188":
		if yearEnd {
			return false
		}
		if workday {
			return hm >= "09:00" && hm < "17:00"
		}
		return hm >= "10:00" && hm < "16:00"
	case "police_9110":
		return workday && hm >= "08:30" && hm < "17:15"
	case "fsa_consumer": // facts-2 §1.14: weekdays 10:00–17:00
		return workday && hm >= "10:00" && hm < "17:00"
	case "ipa_anshin_phone": // facts-2 §7.2: 10:00–12:00, 13:30–17:00, not weekends, holidays, New Year
		return workday && (hm >= "10:00" && hm < "12:00" || hm >= "13:30" && hm < "17:00")
	}
	t.Fatalf("contact %s has a call button but no facts in openPerFacts", id)
	return false
}

// hourTestDays are a whole week (Monday 2026-11-30 to Sunday 12-06), a
// national holiday (2026-11-23, a Monday) and the year-end closure
// (2026-12-29 to 2027-01-03, with 1/1 a holiday and 1/2–1/3 a weekend).
func hourTestDays() []time.Time {
	var days []time.Time
	for d := 0; d < 7; d++ {
		days = append(days, time.Date(2026, 11, 30+d, 0, 0, 0, 0, Tokyo))
	}
	days = append(days, time.Date(2026, 11, 23, 0, 0, 0, 0, Tokyo))
	for d := 0; d < 6; d++ {
		days = append(days, time.Date(2026, 12, 29+d, 0, 0, 0, 0, Tokyo))
	}
	return days
}

// shownAt is what a user at step id sees at now (as after 「続きから」).
func shownAt(e *Engine, id string, now time.Time) Result {
	st := State{Step: id, Flow: e.g.FlowOf(id).ID, Version: 7}
	return e.Next(st, Input{Kind: InputPostback, Data: cmdData(cmdResume)}, now)
}

// TestNoClosedLineIsOfferedAsACall shows every step at every hour of a week,
// of a national holiday and of 12/29–1/3 (each hour at :00, :15, :30 and
// :45, which catches 8:30 and 17:15): a line closed then is never a call
// button; it is named with when it opens, next to a way to the lines open
// now (相談窓口); a line open then, like 110, stays one tap away.
func TestNoClosedLineIsOfferedAsACall(t *testing.T) {
	e := contentEngine(t)
	contactsLabel := e.g.commandLabel(CmdContacts)
	pairs, instants := 0, 0
	for _, day := range hourTestDays() {
		for h := 0; h < 24; h++ {
			for _, f := range e.g.Flows {
				for _, st := range f.Steps {
					pairs++
					for _, m := range []int{0, 15, 30, 45} {
						instants++
						now := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
						checkCallsAt(t, e, &st, shownAt(e, st.ID, now), now, contactsLabel)
					}
				}
			}
		}
	}
	t.Logf("checked %d (step, hour) pairs, %d (step, instant) replies", pairs, instants)
}

func checkCallsAt(t *testing.T, e *Engine, st *Step, r Result, now time.Time, contactsLabel string) {
	t.Helper()
	where := st.ID + " at " + now.Format("2006-01-02 Mon 15:04")
	var dialled []string
	for _, m := range r.Reply.Messages {
		for _, b := range m.Buttons {
			if b.Kind != ButtonCall {
				continue
			}
			c := e.g.contactByValue(b.Value)
			dialled = append(dialled, c.ID)
			if !openPerFacts(t, c.ID, now) {
				t.Errorf("%s: %s is closed but offered as a call button", where, c.Name)
			}
		}
	}
	text := allText(r)
	for _, a := range st.Actions {
		if a.Call == "" {
			continue
		}
		c := e.g.Contacts[a.Call]
		switch open := openPerFacts(t, a.Call, now); {
		case open && !slices.Contains(dialled, a.Call):
			t.Errorf("%s: %s is open but not offered as a call button", where, c.Name)
		case !open && !strings.Contains(text, fill(e.g.Texts.CallClosed, "name", c.Name, "when", e.g.FormatWhen(e.g.NextOpen(c.Hours, now)))):
			t.Errorf("%s: %s is closed and the step does not say when it opens:\n%s", where, c.Name, text)
		case !open && !slices.Contains(labels(r.Reply.QuickReplies), contactsLabel):
			t.Errorf("%s: %s is closed and the step offers no way to the lines open now (%v)", where, c.Name, labels(r.Reply.QuickReplies))
		}
	}
}

// The review's times (issue 15, defect 3), as a user meets them: the
// 「その他」 screen lists 188 and #9110 and the emergency screen 110 and #9110.
func TestCallButtonsFollowTheClock(t *testing.T) {
	e := contentEngine(t)
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, Tokyo) }
	tests := []struct {
		name     string
		step     string
		now      time.Time
		callable []string // the numbers dialled with one tap
	}{
		{"weekday 23:30", "menu_other", at(2026, 11, 24, 23, 30), nil},
		{"weekday 10:30", "menu_other", at(2026, 11, 24, 10, 30), []string{"188", "#9110"}},
		{"Saturday 10:30: 188 keeps weekend hours", "menu_other", at(2026, 11, 28, 10, 30), []string{"188"}},
		{"Sunday 17:00", "menu_other", at(2026, 11, 29, 17, 0), nil},
		{"national holiday 11:00", "menu_other", at(2026, 11, 23, 11, 0), []string{"188"}},
		{"12/29 11:00 (a Tuesday)", "menu_other", at(2026, 12, 29, 11, 0), nil},
		{"1/1 10:30", "menu_other", at(2027, 1, 1, 10, 30), nil},
		{"1/4 10:30, the first working day", "menu_other", at(2027, 1, 4, 10, 30), []string{"188", "#9110"}},
		{"110 at 23:30", "menu_emergency", at(2026, 11, 24, 23, 30), []string{"110"}},
		{"110 on 1/1 03:00", "menu_emergency", at(2027, 1, 1, 3, 0), []string{"110"}},
		{"police step at 23:30", "amazon_police", at(2026, 11, 24, 23, 30), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shownAt(e, tt.step, tt.now)
			var got []string
			for _, m := range r.Reply.Messages {
				for _, b := range m.Buttons {
					if b.Kind == ButtonCall {
						got = append(got, b.Value)
					}
				}
			}
			if !slices.Equal(got, tt.callable) {
				t.Errorf("call buttons %v, want %v\n%s", got, tt.callable, allText(r))
			}
		})
	}
}

// The police form is a form: at any hour it can be sent, and 相談窓口 never
// calls it open or closed like a phone line; on a weekend or 12/29–1/3 it
// says from which day it is read.
func TestTheFormIsAFormNotALine(t *testing.T) {
	e := contentEngine(t)
	form := e.g.Contacts["npa_form"]
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, Tokyo) }
	tests := []struct {
		name     string
		now      time.Time
		readFrom time.Time // zero: read on this working day
	}{
		{"weekday 23:30", at(2026, 11, 24, 23, 30), time.Time{}},
		{"Saturday 10:30", at(2026, 11, 28, 10, 30), at(2026, 11, 30, 0, 0)},
		{"national holiday", at(2026, 11, 23, 11, 0), at(2026, 11, 24, 0, 0)},
		{"12/29, a Tuesday", at(2026, 12, 29, 11, 0), at(2027, 1, 4, 0, 0)},
		{"12/30", at(2026, 12, 30, 23, 30), at(2027, 1, 4, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Next(State{}, Input{Kind: InputText, Text: e.g.commandLabel(CmdContacts)}, tt.now)
			line := ""
			for _, l := range strings.Split(allText(r), "\n") {
				if strings.Contains(l, form.Name) {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("相談窓口 does not list the form:\n%s", allText(r))
			}
			head := func(s string) string { return strings.SplitN(fill(s, "name", form.Name), "\n", 2)[0] }
			for _, wrong := range []string{head(e.g.Texts.ContactsOpen), strings.SplitN(head(e.g.Texts.ContactsClosed), "{when}", 2)[0]} {
				if strings.Contains(line, wrong) {
					t.Errorf("the form is shown like a phone line: %q", line)
				}
			}
			want := head(e.g.Texts.ContactsForm)
			if !tt.readFrom.IsZero() {
				want = fill(head(e.g.Texts.ContactsFormWaits), "date", e.g.FormatDate(tt.readFrom))
			}
			if line != want {
				t.Errorf("form line %q, want %q", line, want)
			}
			for _, m := range r.Reply.Messages {
				for _, b := range m.Buttons {
					if b.Value == form.Value && b.Kind == ButtonCall {
						t.Errorf("the form is a call button")
					}
				}
			}
		})
	}
}
