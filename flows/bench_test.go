package flows

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// benchState is a user of the real flows two taps in: past the menu, one
// step into a flow, with history and a version, as most events find them.
func benchState(b *testing.B) (*Engine, State, Result) {
	b.Helper()
	g, err := Load(Content())
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(g)
	res := e.Next(State{}, Input{Kind: InputFollow}, night)
	for range 2 {
		res = e.Next(res.State, Input{Kind: InputPostback, Data: res.Reply.QuickReplies[0].Data}, night)
	}
	if len(res.Reply.QuickReplies) == 0 {
		b.Fatalf("step %s offers nothing to tap", res.State.Step)
	}
	return e, res.State, res
}

// BenchmarkNextTap is one engine step on a typical event: a tap on one of
// the quick replies the last reply offered.
//
//	go test -run '^$' -bench . -benchmem ./flows/
func BenchmarkNextTap(b *testing.B) {
	e, st, last := benchState(b)
	in := Input{Kind: InputPostback, Data: last.Reply.QuickReplies[0].Data}
	b.ReportAllocs()
	for b.Loop() {
		res := e.Next(st, in, night)
		if res.State.Version != st.Version+1 {
			b.Fatal("no step taken")
		}
	}
}

// BenchmarkNextText is one engine step on typed text: normalisation and
// matching against the step's choices and the global commands.
func BenchmarkNextText(b *testing.B) {
	e, st, last := benchState(b)
	// A choice's words typed in half-width katakana where there is any.
	in := Input{Kind: InputText, Text: strings.ToUpper(last.Reply.QuickReplies[0].Label) + "です"}
	b.ReportAllocs()
	for b.Loop() {
		e.Next(st, in, night)
	}
}

// BenchmarkNextUnmatched is typed text that matches nothing: every example
// of every choice and command is scored.
func BenchmarkNextUnmatched(b *testing.B) {
	e, st, _ := benchState(b)
	in := Input{Kind: InputText, Text: "ちょっとよくわからないのですがどうすればいいでしょうか"}
	b.ReportAllocs()
	for b.Loop() {
		e.Next(st, in, night)
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Normalize("ｶｰﾄﾞ会社に 電話しました！")
	}
}

// TestStepDataIsWhatURLValuesEncodes: the hand-built postback data of the
// hot path must stay byte for byte what url.Values.Encode gave, so taps on
// messages sent before the change still parse the same.
func TestStepDataIsWhatURLValuesEncodes(t *testing.T) {
	g, err := Load(Content())
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(g)
	for id := range g.Steps {
		tr := &turn{e: e, st: State{Step: id, Version: 1234567}}
		for _, kv := range [][2]string{{keyChoice, "0"}, {keyChoice, "12"}, {keyReminder, "a"}, {keyReminder, "p"}} {
			want := url.Values{kv[0]: {kv[1]}, keyStep: {id}, keyVersion: {"1234567"}}.Encode()
			if got := tr.stepData(kv[0], kv[1]); got != want {
				t.Fatalf("stepData(%s, %s) at %s = %q, url.Values gives %q", kv[0], kv[1], id, got, want)
			}
		}
	}
	for _, c := range []string{CmdMenu, CmdBack, cmdResume, cmdDeleteYes, cmdDeleteNo} {
		if got, want := cmdData(c), (url.Values{keyCommand: {c}}).Encode(); got != want {
			t.Fatalf("cmdData(%s) = %q, want %q", c, got, want)
		}
	}
}

// BenchmarkPastedMessage5000: a 5,000-character pasted message with links,
// pressure phrases and phone numbers, answered in the middle of a flow.
func BenchmarkPastedMessage5000(b *testing.B) {
	e := contentEngine(b)
	var sb strings.Builder
	for sb.Len() < 5000*3 {
		sb.WriteString("【Amazon】アカウント停止のお知らせ。至急 https://amazon-co-jp.example.top/login?id=1 へ。お問い合わせ 050-1234-5678 ")
	}
	msg := string([]rune(sb.String())[:5000])
	st := State{Step: "card_start", Flow: "card", Version: 3}
	b.ReportAllocs()
	for b.Loop() {
		e.Next(st, Input{Kind: InputText, Text: msg}, night)
	}
}

// BenchmarkUnderstand is the matcher alone on one typed message.
func BenchmarkUnderstand(b *testing.B) {
	e, _, _ := benchState(b)
	b.ReportAllocs()
	for b.Loop() {
		e.Understand("card_start", "まだ確認していません")
	}
}

// BenchmarkMatchTypedMessage is the matcher on one typed message, taken in
// turn from the tune part of the evaluation set (so the figure is an average
// over what people type, not one lucky sentence): normalisation, plain
// forms, variants and scoring against the step's choices and the commands.
//
//	go test -run '^$' -bench Match -benchmem ./flows/
func BenchmarkMatchTypedMessage(b *testing.B) {
	e := contentEngine(b)
	f, err := os.Open("testdata/eval/tune.tsv")
	if err != nil {
		b.Fatal(err)
	}
	cases, err := ReadEvalCases(f)
	f.Close()
	if err != nil || len(cases) == 0 {
		b.Fatalf("read tune.tsv: %v (%d cases)", err, len(cases))
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		c := cases[i%len(cases)]
		e.Understand(c.Step, c.Say)
		i++
	}
}

// BenchmarkLoadAndPrepare is what start-up pays for the flows: loading and
// validating the content, and preparing the matcher (plain forms, variants,
// every example's grams).
func BenchmarkLoadAndPrepare(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		g, err := Load(Content())
		if err != nil {
			b.Fatal(err)
		}
		NewEngine(g)
	}
}

// BenchmarkSensitive is the secret detector alone, on each message of
// testdata/secrets.tsv in turn (secrets and near misses).
func BenchmarkSensitive(b *testing.B) {
	e := contentEngine(b)
	data, err := os.ReadFile("testdata/secrets.tsv")
	if err != nil {
		b.Fatal(err)
	}
	var texts []string
	for _, row := range strings.Split(string(data), "\n") {
		if cols := strings.Split(row, "\t"); len(cols) >= 2 && !strings.HasPrefix(row, "# ") {
			texts = append(texts, strings.ReplaceAll(cols[0], `\n`, "\n"))
		}
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		e.sensitive(texts[i%len(texts)])
		i++
	}
}
