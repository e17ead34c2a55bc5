package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// at puts a fresh user on a step of the real flows.
func at(t *testing.T, e *Engine, step string) *convo {
	t.Helper()
	if e.g.Steps[step] == nil {
		t.Fatalf("no step %q", step)
	}
	return &convo{t: t, e: e, now: night, st: State{Step: step, Flow: e.g.FlowOf(step).ID, Version: 1}}
}

// TestTypedTextReachesWhatItMeans: the failures issue 12 reported, at the
// step where they happened, with what the bot must do now.
func TestTypedTextReachesWhatItMeans(t *testing.T) {
	e := contentEngine(t)
	tests := []struct {
		step, say string
		wantStep  string // where the user must be afterwards
	}{
		// Polite, past and contracted forms, Kansai.
		{"amazon_start", "ログインできませんでした", "amazon_locked"},
		{"amazon_start", "ログインできひん", "amazon_locked"},
		{"menu", "カードを盗まれました", "lost_start"},
		{"menu", "カードを無くしてしまいました", "lost_start"},
		{"menu", "アマゾンで知らん注文されてもうた", "amazon_start"},
		{"menu", "怪しいリンクを押しちゃった", "phishing_start"},
		// A mail saying the account will be stopped is checked first (issue 15, defect 1).
		{"menu", "アカウントが停止されますというメールが来た", "msgcheck_paste"},
		// A gift card is not a credit card.
		{"scamcall_paid", "iTunesカードの番号を伝えた", "scamcall_giftcard"},
		// A person or a number, without 相談 or 窓口: the lines, in place.
		{"card_words", "電話番号を教えて", "card_words"},
		// Typed button numbers, full width too.
		{"menu", "3番", "card_number"},
		{"menu", "２", "card_start"},
		{"phishing_start", "三番", "phishing_report"}, // a kanji numeral with 番
		// Reported speech keeps the polarity of what was said.
		{"card_after", "必要って言われました", "card_police"},
		{"card_after", "届け出はいらないそうです", "card_comp"},
		// 「どうしたらいい」 is a question about the topic, not a call for ヘルプ.
		{"menu", "カードを止めるにはどうしたらいいですか", "card_number"},
		// A Google Play card is a gift card, written in any script.
		{"scamcall_paid", "Googleプレイカードの番号を教えた", "scamcall_giftcard"},
		{"scamcall_paid", "アップルカードの番号を伝えた", "scamcall_giftcard"},
		{"scamcall_paid", "コンビニで買ったカードの番号を教えた", "scamcall_giftcard"},
		// Kin are the family case, in any word for them.
		{"menu", "母が詐欺にあったみたい", "family_start"},
		{"menu", "夫が変な電話でカード番号を言ってしまった", "family_start"},
		// A suspicious message received is checked, not taken for a scam call.
		{"menu", "変なショートメッセージが届いた", "msgcheck_paste"},
	}
	for _, tt := range tests {
		c := at(t, e, tt.step)
		c.say(tt.say)
		if c.st.Step != tt.wantStep {
			t.Errorf("at %s, %q took the user to %s, want %s (understood %+v)", tt.step, tt.say, c.st.Step, tt.wantStep, c.res.Understood)
		}
	}
}

// TestSmallTalkMovesNoOne: a pause or thanks typed mid-flow is not 戻る
// or any other command; the step is shown again.
func TestSmallTalkMovesNoOne(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ step, say string }{
		{"card_after", "ちょっと待ってね"},
		{"card_reissue", "ありがとうございます"},
		{"amazon_mail", "こんばんは"},
	} {
		c := at(t, e, tt.step)
		c.say(tt.say)
		if c.st.Step != tt.step || c.res.Understood == nil || c.res.Understood.Decision != DecideNone {
			t.Errorf("at %s, %q moved the user to %s (understood %+v), want the step again", tt.step, tt.say, c.st.Step, c.res.Understood)
		}
	}
	// A real answer that says thanks as well still moves.
	c := at(t, e, "amazon_start")
	c.say("ありがとう、ログインできました")
	if c.st.Step != "amazon_mail" {
		t.Errorf("「ありがとう、ログインできました」 took the user to %s, want amazon_mail", c.st.Step)
	}
}

// TestNegationIsNotNone: 「まだ確認していない」 shares ない with 「心当たりはない」
// but means the opposite; it must never lead to the card-stop script.
func TestNegationIsNotNone(t *testing.T) {
	e := contentEngine(t)
	for _, say := range []string{"まだ確認していない", "まだ確認していません", "まだ家族に聞いてない"} {
		c := at(t, e, "card_start")
		c.say(say)
		if c.st.Step != "card_start" {
			t.Errorf("%q at card_start moved the user to %s", say, c.st.Step)
		}
	}
}

// TestSeveralAtOnceAreAsked: 「…も…も両方」, or 「…も…も」 alone, is asked
// about with both as buttons, not answered with one of them.
func TestSeveralAtOnceAreAsked(t *testing.T) {
	e := contentEngine(t)
	var c *convo
	for _, say := range []string{"カードもパスワードも両方入れた", "カードもパスワードも入れた"} {
		c = at(t, e, "phishing_start")
		c.say(say)
		if c.st.Step != "phishing_start" {
			t.Fatalf("%q moved to %s", say, c.st.Step)
		}
		if !strings.Contains(allText(c.res), e.g.Texts.DidYouMean) {
			t.Fatalf("%q: no もしかして question: %q", say, allText(c.res))
		}
		got := labels(c.res.Reply.QuickReplies)
		for _, want := range []string{"カード情報を入力した", "パスワードを入力した"} {
			if !strings.Contains(strings.Join(got[:3], "|"), want) {
				t.Errorf("%q: candidates %v lack %q among the first", say, got, want)
			}
		}
	}
	c.tap("パスワードを入力した")
	if c.st.Step != "phishing_password" {
		t.Errorf("tapping the candidate went to %s", c.st.Step)
	}
}

// TestIrreversibleNeedsASureMatch: a guess that would open the card-stop
// script asks instead.
func TestIrreversibleNeedsASureMatch(t *testing.T) {
	e := contentEngine(t)
	// Vague or doubtful answers: a doubt is no sure no.
	for _, say := range []string{"ないかな", "心当たりがあるかまだわからない", "心当たりはないかもしれない", "たぶん心当たりはない"} {
		if u := e.Understand("card_start", say); u.Decision == DecideAct && u.Best.Irreversible {
			t.Errorf("a doubtful %q enters the card-stop script: %+v", say, u)
		}
	}
	u := e.Understand("card_start", "心当たりはありません")
	if u.Decision != DecideAct || !u.Best.Irreversible {
		t.Fatalf("a clear 「心当たりはありません」 should go on to the card-stop script: %+v", u)
	}
}

// TestCrisisComesFirst: words of suicide or danger get the lines before any
// step logic, gently, with only open lines as buttons, and the user keeps
// their place.
func TestCrisisComesFirst(t *testing.T) {
	e := contentEngine(t)
	crisis, danger := e.g.Urgent[0], e.g.Urgent[1]
	tests := []struct {
		step, say string
		now       time.Time
		want      Urgent
		calls     []string // the call buttons, in order
	}{
		{"menu", "もう死にたい", night, crisis, []string{"0120-279-338", "119", "110"}},
		{"card_words", "死にたいです", time.Date(2026, 11, 24, 18, 0, 0, 0, Tokyo), crisis, []string{"0120-279-338", "0120-783-556", "119", "110"}},
		// A card number in the same message: the life first, the number never echoed.
		{"card_number", "消えたい 4111 1111 1111 1111", night, crisis, []string{"0120-279-338", "119", "110"}},
		{"scamcall_start", "家に来ると脅された", night, danger, []string{"110"}},
	}
	for _, tt := range tests {
		c := at(t, e, tt.step)
		c.now = tt.now
		c.say(tt.say)
		if c.st.Step != tt.step {
			t.Errorf("%q moved the user from %s to %s", tt.say, tt.step, c.st.Step)
		}
		r := c.res
		if len(r.Reply.Messages) == 0 || r.Reply.Messages[0].Text != tt.want.Text {
			t.Errorf("%q: the urgent message is not first: %q", tt.say, allText(r))
			continue
		}
		var calls []string
		for _, b := range r.Reply.Messages[0].Buttons {
			calls = append(calls, b.Value)
		}
		if strings.Join(calls, ",") != strings.Join(tt.calls, ",") {
			t.Errorf("%q at %s: call buttons %v, want %v", tt.say, tt.now.Format("15:04"), calls, tt.calls)
		}
		if strings.Contains(allText(r), "4111") {
			t.Errorf("%q: the card number is echoed", tt.say)
		}
		if len(r.Reply.QuickReplies) == 0 {
			t.Errorf("%q: no way back to the step", tt.say)
		}
	}
}

// TestUrgentWordsCoverFamilies: the ways people say they want to die or
// are in danger now get the urgent message, and idioms that only sound like
// it do not.
func TestUrgentWordsCoverFamilies(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ say, want string }{
		{"朝が来なければいいのに", "crisis"},
		{"生まれてこなければよかった", "crisis"},
		{"私なんかいないほうがいい", "crisis"},
		{"生きていても仕方ないです", "crisis"},
		{"自分を傷つけてしまいそう", "crisis"},
		{"i dont want to live anymore", "crisis"},
		{"死にたくなってきた", "crisis"},
		{"自分なんていないほうがいい", "crisis"}, // ていない folds to てない: the word must fold too
		{"飛び降りようかな", "crisis"},      // りよう folds to 利用
		{"消えちゃいたい", "crisis"},
		{"玄関先に男が立ってる", "danger"},
		{"うちに来るって言われた", "danger"},
		{"キャッシュカードを受け取りに来ると言われて怖い", "danger"},
		{"誰かにつきまとわれている", "danger"},
		{"孫に何かあってもいいのかと言われた", "danger"},
		{"死ぬほど驚いた", ""},
		{"死ぬ気で電話しました", ""},
		{"これから警察に行きます", ""},
		{"通知が消えればいいのに", ""},
		{"どんどん請求が来る", ""},
	} {
		got := ""
		if u := e.m.urgent(e.m.read(tt.say)); u != nil {
			got = u.ID
		}
		if got != tt.want {
			t.Errorf("%q: urgent %q, want %q", tt.say, got, tt.want)
		}
	}
}

// TestUrgentWordsOnWrittenSets runs the urgent words over the two written
// safety sets (testdata/train/out-safety.tsv, out5-safety.tsv: text, then
// crisis, danger or none). The words were written from these sets, so the
// figures are no accuracy claim; the floors catch a word lost or a new
// word that fires on ordinary worries. A person in crisis who gets
// 「ボタンから選んでください」 is the failure that matters most.
func TestUrgentWordsOnWrittenSets(t *testing.T) {
	e := contentEngine(t)
	type tally struct{ hit, total int }
	got := map[string]*tally{"crisis": {}, "danger": {}, "none": {}}
	for _, file := range []string{"testdata/train/out-safety.tsv", "testdata/train/out5-safety.tsv"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
			text, kind, ok := strings.Cut(line, "\t")
			tl := got[kind]
			if !ok || tl == nil {
				t.Fatalf("%s:%d: want text<TAB>crisis|danger|none", file, i+1)
			}
			id := "none"
			if u := e.m.urgent(e.m.read(text)); u != nil {
				id = u.ID
			}
			tl.total++
			if id == kind {
				tl.hit++
			}
		}
	}
	for _, tt := range []struct {
		kind  string
		least float64
	}{{"crisis", 0.97}, {"danger", 0.97}, {"none", 0.95}} {
		tl := got[tt.kind]
		rate := float64(tl.hit) / float64(tl.total)
		t.Logf("%s: %d/%d", tt.kind, tl.hit, tl.total)
		if rate < tt.least {
			t.Errorf("%s: %d/%d (%.1f%%) read as such, want at least %.0f%%", tt.kind, tl.hit, tl.total, 100*rate, 100*tt.least)
		}
	}
}

// TestExplainSaysWhatWasUnderstood is what chat --explain prints from.
func TestExplainSaysWhatWasUnderstood(t *testing.T) {
	e := contentEngine(t)
	c := at(t, e, "amazon_start")
	c.say("ログインできません")
	u := c.res.Understood
	if u == nil || u.Step != "amazon_start" || u.Best.Name() != "ログインできない" || u.Score <= 0 || u.Decision != DecideAct {
		t.Fatalf("understood %+v", u)
	}
	c.tap("戻る")
	if c.res.Understood != nil {
		t.Errorf("a tap is explained as typed text: %+v", c.res.Understood)
	}
}

// TestHeldOutEvaluation scores the matcher on every part of the evaluation
// set. All five files are tuning data now, so their floors sit just under
// what the matcher reaches and catch regressions (issue 12, t12): tune.tsv
// 97.9 % (its weakest category 96.7 %), test.tsv 97.2 % (93.5 %),
// blind-dev.tsv 99.4 % (98.6 %); holdout.tsv, the other half of the first
// blind set, was held out at 82.5 % (global 68.2 %) and then tuned on, now
// 95.9 % (90.9 %), its floor two points under; blind2-dev.tsv, the
// development half of the second blind set, 75.5 % (menu 61.7 %) when it
// came and 96.5 % (90.2 %) after tuning on it. The honest figures are the
// second set's other half, blind2-test.tsv, and the third set, blind3.tsv,
// never tuned on; their floors sit two points under what the bulk examples
// of 2026-12-02 reached. No wrong move into the card-stop script or data
// deletion is tolerated on any.
func TestHeldOutEvaluation(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct {
		file     string
		minCases int
		th       Thresholds
	}{
		{"testdata/eval/tune.tsv", 200, Thresholds{Overall: 0.975, PerCategory: 0.96}},
		{"testdata/eval/test.tsv", 200, Thresholds{Overall: 0.965, PerCategory: 0.93}},
		{"testdata/eval/blind-dev.tsv", 170, Thresholds{Overall: 0.985, PerCategory: 0.97}},
		// Tuned on since issue 12's t12 branch (it was held out before):
		// its floor stays two points under its figure (95.9 %).
		{"testdata/eval/holdout.tsv", 170, Thresholds{Overall: 0.93, PerCategory: 0.88}},
		// The development half of the second blind set, tuned on.
		{"testdata/eval/blind2-dev.tsv", 220, Thresholds{Overall: 0.95, PerCategory: 0.89}},
		// Its held-out half, never tuned on: 73.3 % (menu 66.7 %) before the
		// bulk examples, 85.3 % (menu 80.0 %) after, 94.7 % (chit-chat 78.6 %
		// of 14, secret 85.7 % of 7) with the second reading and nine more
		// rounds of writers (2026-12-03); issue 12's bar is 95 % (90 % per
		// category). The floors, two points under, only catch a regression.
		{"testdata/eval/blind2-test.tsv", 220, Thresholds{Overall: 0.927, PerCategory: 0.76}},
		// The third blind set, sealed: 82.5 % (menu 80.0 %) before the bulk
		// examples, 90.6 % (menu 84.4 %) after, 98.1 % (chit-chat 92.0 %)
		// on 2026-12-03.
		{"testdata/eval/blind3.tsv", 300, Thresholds{Overall: 0.96, PerCategory: 0.90}},
		// The fourth, sealed (2026-12-03): 89.3 % (crisis 84.0 %) before the
		// examples of that day, 97.2 % (menu 95.5 %) after.
		{"testdata/eval/blind4.tsv", 450, Thresholds{Overall: 0.95, PerCategory: 0.935}},
	} {
		f, err := os.Open(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := ReadEvalCases(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if len(cases) < tt.minCases {
			t.Fatalf("%s: %d cases, want at least %d", tt.file, len(cases), tt.minCases)
		}
		rep, err := e.Evaluate(cases, night)
		if err != nil {
			t.Fatal(err)
		}
		ov := rep.Overall()
		t.Logf("%s: %d/%d (%.1f%%), %d confident wrong moves", tt.file, ov.Right, ov.Total, 100*ov.Rate(), len(rep.WrongMoves()))
		if err := rep.Meets(tt.th); err != nil {
			var b strings.Builder
			rep.Write(&b)
			t.Errorf("%s: %v\n%s", tt.file, err, b.String())
		}
	}
}

// TestScriptsAreTrueOnEveryPath: the words to read out must be true for
// every user who reaches them (issue 15, 5): the locked-out script is also
// for users the attacker locked out, and the card script is also reached by
// 「先にカードを止めたい」 before Amazon was contacted.
func TestScriptsAreTrueOnEveryPath(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ step, never string }{
		{"amazon_locked", "パスワードを変更したあと"},
		{"amazon_card_words", "すでに連絡して"},
	} {
		for _, a := range e.g.Steps[tt.step].Actions {
			if a.Copy != nil && strings.Contains(a.Copy.Text, tt.never) {
				t.Errorf("%s: the script says %q, untrue for some who reach it", tt.step, tt.never)
			}
		}
		if strings.Contains(strings.Join(e.g.Steps[tt.step].Text, "\n"), tt.never) {
			t.Errorf("%s: the text says %q", tt.step, tt.never)
		}
	}
}

// TestLastClauseAfterAContrastDecides: 「〜けど、〜」 is answered by what
// comes after the contrast when it carries the message, never by a trailing
// question about it.
func TestLastClauseAfterAContrastDecides(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ step, say, want string }{
		{"support_close", "閉じたけど、その前に電話してしまった", "電話してしまった"},
		{"scamcall_start", "電話は切ったけど、その前にカードの番号を言ってしまった", "教えた・払ってしまった"},
	} {
		if u := e.Understand(tt.step, tt.say); u.Decision != DecideAct || u.Best.Name() != tt.want {
			t.Errorf("at %s %q: %s %q, want %q", tt.step, tt.say, u.Decision, u.Best.Name(), tt.want)
		}
	}
	if u := e.Understand("menu", "電話で不正利用がありますと言われたんですけど本当ですか"); u.Decision == DecideAct && u.Best.Name() != "「不正利用」と連絡が来た" {
		t.Errorf("a trailing 本当ですか decided: %q", u.Best.Name())
	}
}

// TestNeedsKeepATargetToItsWords: a target that names the words it needs
// is no confident reading of a text without them.
func TestNeedsKeepATargetToItsWords(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ step, say, not string }{
		{"menu", "カードは止めなくていい", "cmd:" + CmdStopReminders},
		{"menu", "カードが勝手に使われていました", "家族のことで相談"},
	} {
		if u := e.Understand(tt.step, tt.say); u.Decision == DecideAct && u.Best.Name() == tt.not {
			t.Errorf("at %s %q went to %q", tt.step, tt.say, tt.not)
		}
	}
	if u := e.Understand("menu", "母のカードが勝手に使われている"); u.Decision != DecideAct || u.Best.Name() != "家族のことで相談" {
		t.Errorf("a family member's card: %s %q", u.Decision, u.Best.Name())
	}
}

// TestAmbiguousIrreversibleIsAsked: a word two choices share (「カード」
// where クレジットカード and キャッシュカード are offered) does not start
// the card-stop script, it asks.
func TestAmbiguousIrreversibleIsAsked(t *testing.T) {
	e := contentEngine(t)
	u := e.Understand("lost_start", "カード")
	if u.Decision == DecideAct && u.Best.Irreversible {
		t.Fatalf("「カード」 at lost_start entered %q", u.Best.Name())
	}
	if u := e.Understand("amazon_account_check", "まだ"); u.Decision != DecideAsk {
		t.Errorf("「まだ」, said by two choices, is %s, want a question", u.Decision)
	}
}

// TestButtonNumbersInWords: 「上から2つ目」「ふたつめ」 pick that button.
func TestButtonNumbersInWords(t *testing.T) {
	e := contentEngine(t)
	for say, want := range map[string]int{"上から2つ目": 2, "ふたつめ": 2, "3番のボタン": 3, "２番目をお願いします": 2, "ひとつ": 0, "二": 0, "みっつめ": 3, "いつか": 0} {
		if got := e.m.buttonNumber(say); got != want {
			t.Errorf("buttonNumber(%q) = %d, want %d", say, got, want)
		}
	}
}

// TestDeniedNegationIsPositive: 「ログインできないわけではない」 can log in.
func TestDeniedNegationIsPositive(t *testing.T) {
	e := contentEngine(t)
	if u := e.Understand("amazon_start", "ログインできないわけではないです"); u.Decision == DecideAct && u.Best.Name() == "ログインできない" {
		t.Errorf("a denied negation read as negative: %q", u.Best.Name())
	}
}

// TestEvalReportsOneTapAway: a question back with the meant target among
// its buttons is not counted as right, and is reported apart, so a content
// editor sees how many cases were one tap away.
func TestEvalReportsOneTapAway(t *testing.T) {
	e := contentEngine(t)
	res := e.Next(State{Step: e.g.Start, Flow: e.g.FlowOf(e.g.Start).ID, Version: 1}, Input{Kind: InputText, Text: "カード"}, night)
	u := res.Understood
	if u == nil || u.Decision != DecideAsk {
		t.Fatalf("「カード」 at the menu: want a question back, got %+v", u)
	}
	want := ""
	for _, c := range u.Candidates {
		if !e.irreversible(e.g.Start, c.Name()) {
			want = c.Name()
		}
	}
	if want == "" {
		t.Fatalf("no reversible candidate among %+v", u.Candidates)
	}
	rep, err := e.Evaluate([]EvalCase{{Line: 1, Step: e.g.Start, Say: "カード", Want: want, Category: "menu"}}, night)
	if err != nil {
		t.Fatal(err)
	}
	if o := rep.Outcomes[0]; o.Right || !o.Offered || o.WrongMove {
		t.Fatalf("outcome %+v: want not right, offered, no wrong move", o)
	}
	var b strings.Builder
	rep.Write(&b)
	if !strings.Contains(b.String(), "1 more asked with the meant target among the buttons") {
		t.Fatalf("report does not say the case was one tap away:\n%s", b.String())
	}
}

// TestSecondReading: naive Bayes (bayes.go) acts on a long story the
// nearest example only half explains, asks where the two readings
// disagree (the issue's own 「クレカ不正利用されたっぽい」, once a confident
// move into the scam-contact flow), and leaves a few characters to the
// first reading.
func TestSecondReading(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct {
		step, say string
		want      Decision
		best      string
		reading   string
	}{
		// From a writer kept out of the examples (testdata/train/out7-menu.tsv).
		{"menu", "年金暮らしなのにカードで10万も使われたことになっていて驚いています", DecideAct, "カードに知らない請求", "bayes"},
		{"menu", "高齢の母が何かやられたみたいで、本人はよくわかっていない", DecideAct, "家族のことで相談", "bayes"},
		{"menu", "クレカ不正利用されたっぽい", DecideAsk, "カードに知らない請求", "bayes"},
		{"scamcall_start", "どうしよう", DecideAsk, "いま電話がつながっている", ""},
	} {
		u := e.Understand(tt.step, tt.say)
		if u.Decision != tt.want || u.Best.Name() != tt.best || u.Reading != tt.reading {
			t.Errorf("at %s %q: %s %s (reading %q), want %s %s (reading %q)", tt.step, tt.say, u.Decision, u.Best.Name(), u.Reading, tt.want, tt.best, tt.reading)
		}
	}
}

// TestSecondReadingNeverStartsWhatCannotBeUndone runs every written
// utterance (testdata/train) through the matcher: the second reading never
// acts on the card-stop call or data deletion, nor on a target whose
// needed words the message lacks.
func TestSecondReadingNeverStartsWhatCannotBeUndone(t *testing.T) {
	skipSweepUnderRace(t)
	e := contentEngine(t)
	files, err := filepath.Glob("testdata/train/out*.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no written utterances: %v", err)
	}
	read := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, "\t")
			if len(f) < 3 || e.g.Steps[f[0]] == nil {
				continue
			}
			u := e.Understand(f[0], f[1])
			if u.Reading != "bayes" || u.Decision != DecideAct {
				continue
			}
			read++
			if u.Best.Irreversible {
				t.Errorf("%s: at %s %q the second reading acts on %s, which cannot be undone", file, f[0], f[1], u.Best.Name())
			}
		}
	}
	if read == 0 {
		t.Fatal("the second reading acted on nothing: the test tests nothing")
	}
}

// TestNegationInsideAYesIsNoCardStop: 「カードの明細にはなくて携帯代のほうに
// のってた」 (an unseen writer, now an example) once went to the card stop as
// 「カードで払われていた」. A negation inside the message keeps a yes that
// cannot be undone from being acted on.
func TestNegationInsideAYesIsNoCardStop(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ step, say string }{
		{"amazon_pay_check", "カードの請求書にはなくて、スマホの料金のほうに入ってました"},
		{"amazon_pay_check", "明細を見たらカードじゃなくて携帯のほうに載ってた"},
		{"menu", "カードを止めたいわけじゃなくて請求を確かめたい"},
		{"menu", "カードを今すぐ止めたいとは思わない"},
		{"menu", "カード止めるのはまだしなくていいかな"},
	} {
		if u := e.Understand(tt.step, tt.say); u.Decision == DecideAct && u.Best.Irreversible {
			t.Errorf("at %s %q: act %s, which cannot be undone", tt.step, tt.say, u.Best.Name())
		}
	}
}
