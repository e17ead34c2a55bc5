package flows

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWindowStartCountsCalendarDays: the first covered day of each rule,
// counted back from the day of the report over month ends and 2/29.
func TestWindowStartCountsCalendarDays(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Tokyo) }
	tests := []struct {
		rule     string
		reported time.Time
		want     time.Time
	}{
		{"card", time.Date(2028, 2, 29, 23, 59, 0, 0, Tokyo), day(2027, 12, 31)},
		{"card", time.Date(2028, 4, 29, 0, 1, 0, 0, Tokyo), day(2028, 2, 29)},
		{"card", time.Date(2026, 12, 31, 12, 0, 0, 0, Tokyo), day(2026, 11, 1)},
		{"cash_card", time.Date(2028, 2, 29, 9, 0, 0, 0, Tokyo), day(2028, 1, 30)},
		{"cash_card", time.Date(2026, 3, 31, 9, 0, 0, 0, Tokyo), day(2026, 3, 1)},
		{"carrier", time.Date(2026, 5, 31, 9, 0, 0, 0, Tokyo), day(2026, 3, 2)},
		{"google_play", time.Date(2028, 2, 29, 9, 0, 0, 0, Tokyo), day(2027, 11, 1)},
		// 15:30 UTC is already the next day in Tokyo.
		{"card", time.Date(2026, 1, 31, 15, 30, 0, 0, time.UTC), day(2025, 12, 3)},
	}
	e := contentEngine(t)
	for _, tt := range tests {
		t.Run(tt.rule+" "+tt.reported.Format(time.RFC3339), func(t *testing.T) {
			r := e.g.coverageRule(&Step{CoverageWindowRule: tt.rule})
			if r == nil {
				t.Fatalf("no coverage rule %q in texts.yaml", tt.rule)
			}
			if got := windowStart(tt.reported, r.Days); !got.Equal(tt.want) {
				t.Errorf("%d days before %s: %s, want %s", r.Days, tt.reported, got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
		})
	}
}

// TestCoverageRulesGiveTheDateAndPromiseNothing: every rule of texts.yaml,
// before and after the report, names the first covered day and never
// promises a refund (issue 15, defect 6; build 5).
func TestCoverageRulesGiveTheDateAndPromiseNothing(t *testing.T) {
	e := contentEngine(t)
	wantDays := map[string]int{"card": 60, "cash_card": 30, "carrier": 90, "google_play": 120}
	reported := time.Date(2028, 2, 29, 1, 0, 0, 0, Tokyo)
	viewed := time.Date(2028, 3, 2, 22, 0, 0, 0, Tokyo)
	for _, r := range e.g.CoverageRules {
		t.Run(r.ID, func(t *testing.T) {
			if want, ok := wantDays[r.ID]; !ok || r.Days != want {
				t.Errorf("rule %s counts %d days; the facts files source %v", r.ID, r.Days, wantDays)
			}
			st := &Step{CoverageWindowRule: r.ID, CoverageWindowFrom: "k_call"}
			before := (&turn{e: e, now: viewed}).coverageWindowText(st)
			after := (&turn{e: e, now: viewed, st: State{DoneAt: map[string]time.Time{"k_call": reported}}}).coverageWindowText(st)
			for _, tc := range []struct {
				name, text string
				from       time.Time
			}{{"before the report", before, viewed}, {"after the report", after, reported}} {
				for _, want := range []string{e.g.FormatDate(tc.from), e.g.FormatDate(windowStart(tc.from, r.Days)) + "以降"} {
					if !strings.Contains(tc.text, want) {
						t.Errorf("%s: does not say %q:\n%s", tc.name, want, tc.text)
					}
				}
				for _, promise := range []string{"返金されます", "補償されます", "戻ってきます"} {
					if strings.Contains(tc.text, promise) {
						t.Errorf("%s: promises %q:\n%s", tc.name, promise, tc.text)
					}
				}
			}
		})
	}
	if len(e.g.CoverageRules) != len(wantDays) {
		t.Errorf("%d coverage rules, want %d", len(e.g.CoverageRules), len(wantDays))
	}
}

// TestCoverageWindowCountsFromTheDayOfTheCall: a victim calls the card
// company just before midnight on a month's last day and reads the
// compensation step two days later: the window counts from the day of the
// call, not from the day it is read, there and in the case summary.
func TestCoverageWindowCountsFromTheDayOfTheCall(t *testing.T) {
	e := contentEngine(t)
	c := newConvo(t, e)
	c.now = time.Date(2026, 3, 31, 23, 50, 0, 0, Tokyo)
	for _, l := range []string{"カードに知らない請求", "心当たりはない", "番号がわかった・次へ", "かけた・次へ"} {
		c.tap(l)
	}
	c.now = time.Date(2026, 4, 2, 10, 0, 0, 0, Tokyo)
	c.tap("必要ないと言われた")
	if c.st.Step != "card_comp" {
		t.Fatalf("after 「必要ないと言われた」 at %s, want card_comp", c.st.Step)
	}
	got := allText(c.res)
	for _, want := range []string{"3月31日(火)", "1月30日(金)以降"} {
		if !strings.Contains(got, want) {
			t.Errorf("the window does not say %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "2月1日") {
		t.Errorf("the window counts from the day it is read:\n%s", got)
	}
	// The case summary carries the same window to the card company or the police.
	if memo, _ := memoOf(t, c); !strings.Contains(memo, "3月31日(火)の連絡から60日さかのぼると、1月30日(金)以降") {
		t.Errorf("the memo does not give the window of the call:\n%s", memo)
	}
}

// TestStatementReminderCountsFromTheDayOfTheCall: the reminder to check
// the next statement, before its 60 days for card-not-present charges run
// out, is due 30 days after the call, not 30 days after the step is read;
// once that day has passed it counts from today, never in the past.
func TestStatementReminderCountsFromTheDayOfTheCall(t *testing.T) {
	e := contentEngine(t)
	tests := []struct {
		name         string
		called, read time.Time
		due          time.Time
	}{
		{"read ten days after a call on a month's last night", time.Date(2026, 3, 31, 23, 55, 0, 0, Tokyo), time.Date(2026, 4, 10, 12, 0, 0, 0, Tokyo), time.Date(2026, 4, 30, 10, 0, 0, 0, Tokyo)},
		{"called on the leap day", time.Date(2028, 2, 29, 9, 15, 0, 0, Tokyo), time.Date(2028, 3, 1, 20, 0, 0, 0, Tokyo), time.Date(2028, 3, 30, 10, 0, 0, 0, Tokyo)},
		{"read after the day has passed", time.Date(2026, 1, 2, 9, 0, 0, 0, Tokyo), time.Date(2026, 3, 1, 9, 0, 0, 0, Tokyo), time.Date(2026, 3, 31, 10, 0, 0, 0, Tokyo)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConvo(t, e)
			c.now = tt.called
			for _, l := range []string{"カードに知らない請求", "心当たりはない", "番号がわかった・次へ", "かけた・次へ"} {
				c.tap(l)
			}
			c.now = tt.read
			c.st.Step, c.st.Flow = "card_statement", "card"
			c.do(Input{Kind: InputPostback, Data: cmdData(cmdResume)})
			if want := e.g.FormatWhen(tt.due); !strings.Contains(allText(c.res), want) {
				t.Errorf("the reminder is not offered for %s:\n%s", want, allText(c.res))
			}
			r := c.tap(e.g.Texts.ReminderAccept)
			if len(r.Reminders) != 1 || !r.Reminders[0].Due.Equal(tt.due) {
				t.Errorf("scheduled %+v, want one at %s", r.Reminders, tt.due)
			}
		})
	}
}

// TestCheckRejectsWindowsThatDoNotAgree: a step whose days disagree with
// its rule, a rule that does not exist, and a day of report or reminder
// counted from an item of another flow are reported with file and line.
func TestCheckRejectsWindowsThatDoNotAgree(t *testing.T) {
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"card.yaml": func(t *testing.T, s string) string {
			s = replaceOnce(t, s, "    coverage_window_days: 60\n    coverage_window_from: k_call\n", "    coverage_window_days: 60\n    coverage_window_rule: cash_card\n    coverage_window_from: c_call\n")
			return replaceOnce(t, s, "    from: k_call\n", "    from: c_call\n")
		},
		"phishing.yaml": func(t *testing.T, s string) string {
			return replaceOnce(t, s, "    coverage_window_days: 60\n", "    coverage_window_rule: paypay\n")
		},
	})
	wantProblems(t, dir, []problemWant{
		{"card.yaml", `step "card_comp": coverage_window_days 60, but rule "cash_card" counts 30 days`},
		{"card.yaml", `step "card_comp": the day of the report is item "c_call", which is not in this file's checklist`},
		{"card.yaml", `reminder "card_rem_statement" counts from item "c_call"`},
		{"phishing.yaml", `coverage rule "paypay" is not in texts.yaml`},
	})
}

// TestEveryCoverageRuleIsTold: each rule is told where the user is about to
// report (the bank's loss desk, the carrier, Google Play), so a victim of
// each kind reads their own window and not the card companies'.
func TestEveryCoverageRuleIsTold(t *testing.T) {
	e := contentEngine(t)
	// The card companies' rule is checked in scenario_test.go.
	want := map[string]string{"cash_card": "lost_cash", "carrier": "carrier_billing", "google_play": "carrier_google"}
	told := map[string][]string{}
	for _, f := range e.g.Flows {
		for _, st := range f.Steps {
			if r := e.g.coverageRule(&st); r != nil {
				told[r.ID] = append(told[r.ID], st.ID)
			}
		}
	}
	for rule, step := range want {
		if !slices.Contains(told[rule], step) {
			t.Errorf("rule %s is told at %v, want at %s", rule, told[rule], step)
		}
	}
}
