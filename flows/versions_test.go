package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"os"
	"slices"
	"testing"
	"time"
)

// versions are flow sets a stored state can come from and go to: the built-in
// flows, the small test flows (other steps, other reminders), and the
// built-in flows after an update that dropped every reminder.
func versions(tb testing.TB) []*Engine {
	tb.Helper()
	mini, err := Load(os.DirFS("testdata/mini"))
	if err != nil {
		tb.Fatal(err)
	}
	dropped := freshContentEngine(tb)
	dropped.g.Reminders = map[string]*ReminderDef{}
	for _, f := range dropped.g.Flows {
		f.Reminders = nil
	}
	for _, st := range dropped.g.Steps {
		st.Offer = ""
	}
	return []*Engine{contentEngine(tb), NewEngine(mini), dropped}
}

// FuzzEngineAcrossVersions walks one version of the flows, then sends the
// last input (a fuzzed one, or a tap on a button the old version showed)
// to another version, as after a flow update: any stored state with any
// input must give a reply the bot can send, and a state it can store.
func FuzzEngineAcrossVersions(f *testing.F) {
	vs := versions(f)
	f.Add([]byte{0, 1, 2}, uint8(1), uint8(0), "停止", "x=check_mail", int64(0))
	f.Add([]byte{5, 5, 0xF0}, uint8(2), uint8(1), "", "s=card_kind&v=3&i=0", int64(60))
	f.Fuzz(func(t *testing.T, path []byte, from, kind uint8, text, data string, minutes int64) {
		if len(path) > 64 || linelimit.Text.Len(text) > linelimit.Text.Max || len(data) > 2000 {
			t.Skip("beyond what LINE delivers")
		}
		old, cur := vs[int(from)%len(vs)], vs[int(from/16)%len(vs)]
		now := night
		r := old.Next(State{}, Input{Kind: InputFollow}, now)
		for _, b := range path {
			r = old.Next(r.State, pathInput(old, r, b, now), now)
		}
		if minutes < 0 {
			minutes = -minutes
		}
		now = now.Add(time.Duration(minutes%(90*24*60)) * time.Minute)
		var in Input
		switch kind % 5 {
		case 0:
			in = Input{Kind: InputText, Text: text}
		case 1:
			in = Input{Kind: InputPostback, Data: data}
		case 2:
			in = Input{Kind: InputFollow}
		case 3:
			in = Input{Kind: InputOther}
		case 4:
			in = pathInput(old, r, kind, now) // a button the old version showed
		}
		prev := r.State
		next := cur.Next(prev, in, now)
		checkReplyShape(t, cur, "across versions", next)
		// And the user can go on from there.
		after := cur.Next(next.State, Input{Kind: InputText, Text: cur.g.Commands[0].Label}, now)
		checkReplyShape(t, cur, "the turn after", after)
	})
}

// checkReplyShape asserts a reply the bot can send and a state that names
// steps of e's flows.
func checkReplyShape(t *testing.T, e *Engine, where string, r Result) {
	t.Helper()
	if n := len(r.Reply.Messages); n == 0 || n > linelimit.Messages {
		t.Fatalf("%s: %d messages", where, n)
	}
	for _, m := range r.Reply.Messages {
		if n := linelimit.Text.Len(m.Text); n == 0 || n > linelimit.Text.Max {
			t.Fatalf("%s: a text of %d UTF-16 units", where, n)
		}
	}
	if n := len(r.Reply.QuickReplies); n > linelimit.QuickReplies || (n == 0 && !r.Delete) {
		t.Fatalf("%s: %d quick replies", where, n)
	}
	if !r.Delete && e.g.Steps[r.State.Step] == nil {
		t.Fatalf("%s: at unknown step %q", where, r.State.Step)
	}
	for _, c := range r.Reminders {
		if c.Op == ReminderSchedule && e.g.Reminders[c.ID] == nil {
			t.Fatalf("%s: schedules unknown reminder %q", where, c.ID)
		}
	}
}

// TestOldStopButtonAfterTheReminderWasDropped is the crash an outside test
// found: a user taps 「停止:…」 on a list shown before a flow update that
// removed the reminder.
func TestOldStopButtonAfterTheReminderWasDropped(t *testing.T) {
	vs := versions(t)
	old, cur := vs[0], vs[2]
	var st State
	for id := range old.g.Reminders {
		st = State{Step: old.g.Start, Flow: old.g.FlowOf(old.g.Start).ID, Version: 3,
			Reminders: []Reminder{{ID: id, Due: night.Add(time.Hour)}}}
		for _, data := range []string{keyCancel + "=" + id, keyCancel + "=*"} {
			r := cur.Next(st, Input{Kind: InputPostback, Data: data}, night)
			checkReplyShape(t, cur, data, r)
			if len(r.State.Reminders) != 0 {
				t.Errorf("%s: reminders %+v still held", data, r.State.Reminders)
			}
			if want := (ReminderChange{Op: ReminderCancel, ID: id, Due: night.Add(time.Hour)}); !slices.Contains(r.Reminders, want) {
				t.Errorf("%s: changes %+v, want its task cancelled", data, r.Reminders)
			}
		}
		for _, cmd := range cur.g.Commands {
			r := cur.Next(st, Input{Kind: InputText, Text: cmd.Label}, night)
			checkReplyShape(t, cur, cmd.Label, r)
		}
		// The reminder comes due after the update: nothing is pushed.
		if _, ok := cur.Remind(st, id, night.Add(time.Hour)); ok {
			t.Errorf("reminder %s pushed after the flows dropped it", id)
		}
	}
	if len(old.g.Reminders) == 0 {
		t.Fatal("the built-in flows have no reminder to drop")
	}
}
