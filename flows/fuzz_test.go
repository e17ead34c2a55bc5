package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"
)

// The fuzz targets of the flows package. .ci/fuzz runs each for a bounded
// time; the seeds are in testdata/fuzz/<target> and run as ordinary tests
// with `go test`.

// FuzzEngine walks the real flows to a random reachable step by tapping the
// buttons path picks, then sends one random input: typed text (Japanese,
// binary, card numbers, codes), forged postback data with a random picked
// time, a follow or a sticker. Every reply must be within LINE's limits,
// every state one the bot can store and resume, and text that looks like a
// card number or a secret must never be repeated or move the user.
func FuzzEngine(f *testing.F) {
	e := contentEngine(f)
	f.Fuzz(func(t *testing.T, path []byte, kind uint8, text, data string, minutes int64) {
		if len(path) > 64 || linelimit.Text.Len(text) > linelimit.Text.Max || len(data) > 2000 {
			t.Skip("beyond what LINE delivers")
		}
		now := night
		r := e.Next(State{}, Input{Kind: InputFollow}, now)
		checkTurn(t, e, "follow", State{}, Input{Kind: InputFollow}, now, r)
		for i, b := range path {
			prev := r.State
			in := pathInput(e, r, b, now)
			r = e.Next(prev, in, now)
			checkTurn(t, e, "path step "+strconv.Itoa(i), prev, in, now, r)
		}
		// The final input comes a random while later (reminders fall due).
		if minutes < 0 {
			minutes = -minutes
		}
		now = now.Add(time.Duration(minutes%(90*24*60)) * time.Minute)
		in := Input{Text: text, Data: data}
		switch kind % 4 {
		case 0:
			in.Kind = InputText
		case 1:
			in.Kind = InputPostback
			if kind&0x80 != 0 {
				in.Time = now.Add(time.Duration(int64(kind)*int64(minutes%100000)) * time.Minute)
			}
		case 2:
			in.Kind = InputFollow
		case 3:
			in.Kind = InputOther
		}
		prev := r.State
		r = e.Next(prev, in, now)
		checkTurn(t, e, "fuzzed input", prev, in, now, r)
	})
}

// pathInput turns one byte of the walk into what a user does: mostly a tap
// on one of the quick replies shown, sometimes a global command typed.
func pathInput(e *Engine, r Result, b byte, now time.Time) Input {
	qs := r.Reply.QuickReplies
	if b >= 0xE0 || len(qs) == 0 {
		cmds := e.g.Commands
		return Input{Kind: InputText, Text: cmds[int(b)%len(cmds)].Label}
	}
	q := qs[int(b)%len(qs)]
	in := Input{Kind: InputPostback, Data: q.Data}
	if q.Kind == QuickTimePicker {
		in.Time = now.Add(time.Duration(b%72+1) * time.Hour)
	}
	return in
}

// checkTurn asserts what every turn of the engine must satisfy.
func checkTurn(t *testing.T, e *Engine, where string, prev State, in Input, now time.Time, r Result) {
	t.Helper()
	g := e.g
	msgs := r.Reply.Messages
	if len(msgs) == 0 || len(msgs) > linelimit.Messages {
		t.Fatalf("%s: %d messages, LINE takes 1–%d", where, len(msgs), linelimit.Messages)
	}
	for _, m := range msgs {
		if n := linelimit.Text.Len(m.Text); n == 0 || n > linelimit.Text.Max {
			t.Fatalf("%s: a text of %d UTF-16 units", where, n)
		}
		if !utf8.ValidString(m.Text) {
			t.Fatalf("%s: a text that is not UTF-8", where)
		}
		if len(m.Buttons) > maxButtons {
			t.Fatalf("%s: %d buttons in one message", where, len(m.Buttons))
		}
	}
	if n := len(r.Reply.QuickReplies); n > linelimit.QuickReplies || (n == 0 && !r.Delete) {
		t.Fatalf("%s: %d quick replies, want 1–%d", where, n, linelimit.QuickReplies)
	}
	for _, q := range r.Reply.QuickReplies {
		if n := linelimit.Label.Len(q.Label); n < 1 || n > linelimit.Label.Max {
			t.Fatalf("%s: quick reply label %q of %d characters", where, q.Label, n)
		}
		if q.Data == "" || len(q.Data) > 300 {
			t.Fatalf("%s: postback data of %d bytes", where, len(q.Data))
		}
		if q.Kind == QuickTimePicker {
			for _, v := range []string{q.Initial, q.Min, q.Max} {
				if _, err := time.ParseInLocation("2006-01-02T15:04", v, Tokyo); err != nil {
					t.Fatalf("%s: time picker bound %q: %v", where, v, err)
				}
			}
		}
	}

	st := r.State
	if st.Version != prev.Version+1 {
		t.Fatalf("%s: version %d after %d", where, st.Version, prev.Version)
	}
	if r.Delete {
		if !reflect.DeepEqual(st, State{Version: st.Version}) {
			t.Fatalf("%s: data deleted but the state keeps %+v", where, st)
		}
	} else {
		if g.Steps[st.Step] == nil {
			t.Fatalf("%s: the user is at step %q, which does not exist", where, st.Step)
		}
		if f := g.FlowOf(st.Step); f == nil || f.ID != st.Flow {
			t.Fatalf("%s: step %q recorded in flow %q", where, st.Step, st.Flow)
		}
	}
	if len(st.History) > maxHistory {
		t.Fatalf("%s: history of %d steps", where, len(st.History))
	}
	for _, h := range st.History {
		if g.Steps[h] == nil {
			t.Fatalf("%s: history holds unknown step %q", where, h)
		}
	}
	for _, c := range r.Reminders {
		if g.Reminders[c.ID] == nil {
			t.Fatalf("%s: reminder change for unknown reminder %q", where, c.ID)
		}
		if c.Op == ReminderSchedule && (!c.Due.After(now) || c.Due.After(now.AddDate(0, 0, 62))) {
			t.Fatalf("%s: reminder %s scheduled for %v at %v", where, c.ID, c.Due, now)
		}
	}
	// The bot stores the state as JSON: it must come back the same.
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("%s: state does not encode: %v", where, err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil || !statesEqual(back, st) {
		t.Fatalf("%s: state does not survive storage: %v\n%+v\n%+v", where, err, st, back)
	}

	// Card numbers and secrets: warned about, never repeated, never acted on.
	if in.Kind != InputText {
		return
	}
	warn := e.sensitive(in.Text)
	if ContainsCardNumber(in.Text) && warn != g.Texts.CardNumber {
		t.Fatalf("%s: a card number got the warning %q", where, warn)
	}
	if warn == "" {
		return
	}
	if msgs[0].Text != warn {
		t.Fatalf("%s: sensitive text answered with %q, not the warning", where, msgs[0].Text)
	}
	from := prev.Step
	if g.Steps[from] == nil {
		from = g.Start // a new or deleted user starts at the menu
	}
	if st.Step != from || len(r.Reminders) != 0 || r.Delete {
		t.Fatalf("%s: sensitive text acted on (step %q → %q)", where, prev.Step, st.Step)
	}
	out := replyText(r)
	if s := strings.TrimSpace(in.Text); utf8.RuneCountInString(s) >= 4 && strings.Contains(out, s) {
		t.Fatalf("%s: sensitive text repeated in the reply", where)
	}
	if d := digitsOnly(in.Text); len(d) >= 13 && strings.Contains(digitsOnly(out), d) {
		t.Fatalf("%s: the digits of a card number repeated in the reply", where)
	}
}

// replyText is everything a reply shows or carries.
func replyText(r Result) string {
	var b strings.Builder
	for _, m := range r.Reply.Messages {
		b.WriteString(m.Text + "\n")
		for _, btn := range m.Buttons {
			b.WriteString(btn.Label + "\n" + btn.Value + "\n")
		}
	}
	for _, q := range r.Reply.QuickReplies {
		b.WriteString(q.Label + "\n" + q.Data + "\n" + q.DisplayText + "\n")
	}
	return b.String()
}

// statesEqual compares states as storage sees them: times by instant, and
// empty and nil collections alike.
func statesEqual(a, b State) bool {
	a2, b2 := a, b
	a2.Reminders, b2.Reminders = nil, nil
	for _, s := range []*State{&a2, &b2} {
		if len(s.History) == 0 {
			s.History = nil
		}
		if len(s.Done) == 0 {
			s.Done = nil
		}
		if len(s.Answers) == 0 {
			s.Answers = nil
		}
	}
	if !reflect.DeepEqual(a2, b2) || len(a.Reminders) != len(b.Reminders) {
		return false
	}
	for i := range a.Reminders {
		if a.Reminders[i].ID != b.Reminders[i].ID || !a.Reminders[i].Due.Equal(b.Reminders[i].Due) {
			return false
		}
	}
	return true
}

// FuzzLoad replaces one file of a copy of the flow files with random YAML.
// Load must never panic, and must return either a graph or a
// *ValidationError naming at least one problem, never both or neither. A
// graph that loads must run: every step presented within LINE's limits.
//
// The low bits of which pick the file; the high bit takes the small test
// flows (testdata/mini) instead of the real ones (flows/content), which
// parse about twenty times faster, so that the parser and the validator
// get many more inputs per second.
func FuzzLoad(f *testing.F) {
	content := readFlowFiles(f, "content")
	mini := readFlowFiles(f, "testdata/mini")
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		if len(data) > 64<<10 {
			t.Skip("larger than any flow file")
		}
		base := content
		if which&0x80 != 0 {
			base = mini
		}
		names := make([]string, 0, len(base))
		for n := range base {
			names = append(names, n)
		}
		sort.Strings(names)
		fsys := fstest.MapFS{}
		for n, b := range base {
			fsys[n] = &fstest.MapFile{Data: b}
		}
		name := names[int(which&0x7f)%len(names)]
		fsys[name] = &fstest.MapFile{Data: data}

		g, err := Load(fsys)
		var verr *ValidationError
		switch {
		case err == nil && g == nil:
			t.Fatal("no graph and no error")
		case err != nil && g != nil:
			t.Fatalf("a graph and an error: %v", err)
		case err != nil && !errors.As(err, &verr):
			t.Fatalf("error %T is not a *ValidationError: %v", err, err)
		case err != nil:
			if len(verr.Problems) == 0 {
				t.Fatal("a ValidationError without problems")
			}
			for _, p := range verr.Problems {
				if p.File == "" || p.Reason == "" {
					t.Fatalf("a problem without a file or a reason: %+v", p)
				}
			}
			return
		}
		// It loaded: the engine must be able to show every step.
		e := NewEngine(g)
		r := e.Next(State{}, Input{Kind: InputFollow}, night)
		checkTurn(t, e, "follow", State{}, Input{Kind: InputFollow}, night, r)
		ids := make([]string, 0, len(g.Steps))
		for id := range g.Steps {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			st := State{Step: id, Flow: g.FlowOf(id).ID, Version: 3}
			in := Input{Kind: InputOther}
			checkTurn(t, e, "step "+id, st, in, night, e.Next(st, in, night))
		}
	})
}

// readFlowFiles reads the *.yaml files of a directory.
func readFlowFiles(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	names, err := fs.Glob(os.DirFS(dir), "*.yaml")
	if err != nil || len(names) == 0 {
		tb.Fatalf("no flow files in %s: %v", dir, err)
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			tb.Fatal(err)
		}
		files[n] = b
	}
	return files
}

// TestWriteSeedCorpus rewrites testdata/fuzz from the real flows. It runs
// only when asked:
//
//	FRAUDNAVI_WRITE_CORPUS=1 go test ./flows -run TestWriteSeedCorpus
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("FRAUDNAVI_WRITE_CORPUS") == "" {
		t.Skip("set FRAUDNAVI_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	e := contentEngine(t)
	// Real postback data, as the bot renders it, from a walk of the flows.
	var datas []string
	seen := map[string]bool{}
	r := e.Next(State{}, Input{Kind: InputFollow}, night)
	for i := 0; i < 12; i++ {
		for _, q := range r.Reply.QuickReplies[:min(3, len(r.Reply.QuickReplies))] {
			if !seen[q.Data] {
				seen[q.Data] = true
				datas = append(datas, q.Data)
			}
		}
		r = e.Next(r.State, pathInput(e, r, byte(i), night), night)
	}
	datas = append(datas,
		"g=delete_yes", "x=*", "j=check_mail&c=0", "%zz%", "s=menu&v=99999999999999999999&c=0",
		"s=menu&v=-1&c=-1", "s=menu&v=1&c=999", "s=menu&v=1&r=p", strings.Repeat("s=a&", 80))
	texts := []string{
		"Amazonから身に覚えのない注文のメールが来た", "カード止めたい", "ログインできない", "ｶｰﾄﾞ会社の電話",
		"助けて", "相談窓口", "戻る", "進捗", "データ削除", "削除する", "リマインド停止",
		"4111 1111 1111 1111", "４１１１－１１１１－１１１１－１１１１", "カード番号は5555555555554444です",
		"確認コードは123456", "123456", "パスワードはabc12345", "Tanaka2024!", "AQ12-345678-BCDE",
		"0120-999-373に電話したけどつながらない", "11月24日に3,980円の請求", "188",
		"\x00\x01\x7f\xff\xfe", "🙏😱\u200d\u202e", strings.Repeat("あ", 5000), "",
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzEngine")
	for i, text := range texts {
		path := []byte{byte(i), byte(i * 7), byte(i * 13)}[:i%4]
		data := datas[i%len(datas)]
		writeSeed(t, dir, "text", i, path, uint8(0), text, data, int64(i*97))
	}
	for i, data := range datas {
		kind := uint8(1)
		if i%2 == 1 {
			kind = 0x81 // with a picked time
		}
		writeSeed(t, dir, "postback", i, []byte{byte(i)}, kind, "", data, int64(i*1440))
	}
	writeSeed(t, dir, "follow", 0, []byte{0, 0, 0, 0}, uint8(2), "", "", int64(0))
	writeSeed(t, dir, "sticker", 0, []byte{1, 1}, uint8(3), "", "", int64(0))

	dir = filepath.Join("testdata", "fuzz", "FuzzLoad")
	for hi, base := range []map[string][]byte{readFlowFiles(t, "content"), readFlowFiles(t, "testdata/mini")} {
		names := make([]string, 0, len(base))
		for n := range base {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			writeSeed(t, dir, strings.TrimSuffix(n, ".yaml"), hi, uint8(hi<<7|i), base[n])
		}
	}
	broken := []string{
		"id: x\nsteps: &a [*a]\n",
		"a: &a [1,2]\nb: [*a,*a,*a]\nc: [*b]\n",
		"id: x\n\tsteps: []\n",
		"id: x\nid: y\n",
		"--- \nid: x\n---\nid: y\n",
		"{",
		"\xff\xfe\x00i\x00d",
		"steps:\n  - id: menu\n    text: [" + strings.Repeat("長", 6000) + "]\n",
	}
	for i, b := range broken {
		writeSeed(t, dir, "broken", i, uint8(i), []byte(b))
	}
}

// writeSeed writes one seed in the format of `go test fuzz v1`.
func writeSeed(t *testing.T, dir, name string, i int, args ...any) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			b.WriteString("[]byte(" + strconv.Quote(string(v)) + ")\n")
		case string:
			b.WriteString("string(" + strconv.Quote(v) + ")\n")
		case uint8:
			b.WriteString("uint8(" + strconv.Itoa(int(v)) + ")\n")
		case int64:
			b.WriteString("int64(" + strconv.FormatInt(v, 10) + ")\n")
		default:
			t.Fatalf("seed value %T", a)
		}
	}
	file := filepath.Join(dir, name+"-"+strconv.Itoa(i))
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
