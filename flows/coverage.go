package flows

import (
	"fmt"
	"strconv"
	"time"
)

// CoverageRule is how far back from the day of the report a kind of
// payment covers fraud (texts.yaml coverage_rules:): 60 days for most
// credit cards, 30 for bank cash cards, 90 for au's carrier billing, 120
// from the charge for Google Play. Each comes from the facts files; none
// promises a refund.
type CoverageRule struct {
	ID   string `yaml:"id"`
	Days int    `yaml:"days"`
	// Today {today} {since} {days}: the user has not reported yet, so the
	// window counts from today.
	Today string `yaml:"today"`
	// Reported {reported} {since} {days}: the window counts from the day
	// the user tapped that they reached the company.
	Reported string `yaml:"reported"`
}

// defaultCoverageRule is the rule of a step that gives only
// coverage_window_days: the card companies' (the steps written before
// there were other rules).
const defaultCoverageRule = "card"

// coverageRule is the rule a step tells, or nil.
func (g *Graph) coverageRule(st *Step) *CoverageRule {
	id := st.CoverageWindowRule
	if id == "" && st.CoverageWindowDays > 0 {
		id = defaultCoverageRule
	}
	if id == "" {
		return nil
	}
	for i := range g.CoverageRules {
		if g.CoverageRules[i].ID == id {
			return &g.CoverageRules[i]
		}
	}
	return nil
}

// windowStart is the first day a report made on day covers: days before
// it, in Tokyo, the day itself included. Calendar days, so that month ends
// and 2/29 fall where a person counting on a calendar puts them.
func windowStart(day time.Time, days int) time.Time {
	d := day.In(Tokyo)
	return time.Date(d.Year(), d.Month(), d.Day()-days, 0, 0, 0, 0, Tokyo)
}

// coverageWindowText is the window of a step's rule: from the day the
// user tapped that they reached the company (the step's
// coverage_window_from item), or from today when they have not yet.
func (t *turn) coverageWindowText(st *Step) string {
	g := t.e.g
	r := g.coverageRule(st)
	days := strconv.Itoa(r.Days)
	if at, ok := t.st.DoneAt[st.CoverageWindowFrom]; ok && st.CoverageWindowFrom != "" {
		return fill(r.Reported, "reported", g.FormatDate(at), "since", g.FormatDate(windowStart(at, r.Days)), "days", days)
	}
	return fill(r.Today, "today", g.FormatDate(t.now), "since", g.FormatDate(windowStart(t.now, r.Days)), "days", days)
}

// validateCoverageRules checks the rules of texts.yaml: each has its days
// and both texts.
func validateCoverageRules(l *loader) {
	seen := map[string]bool{}
	for i, r := range l.g.CoverageRules {
		at := fmt.Sprintf("$.coverage_rules[%d]", i)
		if r.ID == "" || seen[r.ID] {
			l.problem(textsFile, at+".id", "coverage rule %q is empty or defined twice", r.ID)
		}
		seen[r.ID] = true
		if r.Days < 1 || r.Days > 366 {
			l.problem(textsFile, at+".days", "coverage rule %q: days %d is not 1–366", r.ID, r.Days)
		}
		l.checkText(textsFile, at+".today", r.Today)
		l.checkText(textsFile, at+".reported", r.Reported)
	}
}

// validateCoverageWindow checks a step that tells a window: its rule
// exists, coverage_window_days (kept for the steps written before rules)
// agrees with it, and the day of the report is an item of this flow.
func validateCoverageWindow(l *loader, f *Flow, st *Step, at string, items map[string]bool) {
	r := l.g.coverageRule(st)
	switch {
	case st.CoverageWindowRule == "" && st.CoverageWindowDays == 0:
		l.problem(f.File, at+".coverage_window_from", "step %q: coverage_window_from without coverage_window_rule", st.ID)
	case r == nil:
		name := st.CoverageWindowRule
		if name == "" {
			name = defaultCoverageRule
		}
		l.problem(f.File, at+".coverage_window_rule", "step %q: coverage rule %q is not in %s coverage_rules", st.ID, name, textsFile)
	case st.CoverageWindowDays != 0 && st.CoverageWindowDays != r.Days:
		l.problem(f.File, at+".coverage_window_days", "step %q: coverage_window_days %d, but rule %q counts %d days", st.ID, st.CoverageWindowDays, r.ID, r.Days)
	}
	if st.CoverageWindowFrom != "" && !items[st.CoverageWindowFrom] {
		l.problem(f.File, at+".coverage_window_from", "step %q: the day of the report is item %q, which is not in this file's checklist", st.ID, st.CoverageWindowFrom)
	}
}

// due is when a reminder accepted now is pushed: Days after today or, for
// a reminder counted from the day of the report (From), Days after that
// day. One whose day has passed counts from today: late is better than
// never, and a reminder is never scheduled in the past.
func (t *turn) due(def *ReminderDef) time.Time {
	if at, ok := t.st.DoneAt[def.From]; ok && def.From != "" {
		if d := t.e.g.Due(def, at); d.After(t.now) {
			return d
		}
	}
	return t.e.g.Due(def, t.now)
}
