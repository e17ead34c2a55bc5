package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Our limits; LINE's are in package linelimit.
const (
	maxStepMessages  = linelimit.Messages - 1 // one is kept for the engine's own note (a warning, an ack)
	maxButtons       = 4                      // buttons in one message: beyond that a phone screen is a wall
	maxStepID        = 200                    // keeps the postback data under LINE's 300
	maxReminderTitle = 40                     // one line of the reminder list
)

// officialDomains are the only sites the bot links to. Adding one is a code
// change on purpose: a content edit must not be able to send a victim to
// an arbitrary page.
var officialDomains = []string{
	"npa.go.jp",
	"gov-online.go.jp",
	"kokusen.go.jp",
	"caa.go.jp",
	"antiphishing.jp",
	"ipa.go.jp",
	"j-credit.or.jp",
	"amazon.co.jp",
	// Only the gift-card scam help pages (facts-2 §2.5, §2.7), not the companies' whole sites.
	"support.google.com",
	"support.apple.com",
	// Apple's own page for reporting a purchase (facts-2 §6.6).
	"reportaproblem.apple.com",
}

// OfficialURL reports whether u is an https URL on an official domain.
func OfficialURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.User != nil {
		return false
	}
	host := strings.ToLower(p.Hostname())
	for _, d := range officialDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

var (
	// Phone numbers and URLs written into a text, which must all come from the contacts file.
	phoneInText = regexp.MustCompile(`[#＃][0-9０-９]{3,4}|[0-9０-９]{2,4}[-－‐ー][0-9０-９]{2,4}[-－‐ー][0-9０-９]{3,4}|0[0-9０-９]{9,10}`)
	emailInText = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+`)
	urlInText   = regexp.MustCompile(`(?i)https?://[^\s」）)]+|www\.[a-z0-9.-]+|[a-z0-9-]+\.(?:go\.jp|co\.jp|or\.jp|jp|com|net)\b`)
	clockTime   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

func validate(l *loader) {
	g := l.g
	validateContacts(l)
	validateTexts(l)
	known := g.answerValues()
	validateMemo(l, known)
	validateCoverageRules(l)
	for _, f := range g.Flows {
		validateFlow(l, f, known)
	}
	if g.Start != "" && g.Steps[g.Start] == nil {
		l.problem(textsFile, "$.start", "start step %q does not exist", g.Start)
	}
	if g.Start == "" {
		l.problem(textsFile, "$.start", "no start step")
	}
	validateLinkcheck(l)
	validateReachable(l)
	validateUrgent(l)
	validateVariants(l)
	l.checkRichMenu()
}

// validateVariants checks the spellings table of language.yaml: a variant
// that folds to nothing, or that two spellings claim (one of them would
// silently lose), is reported.
func validateVariants(l *loader) {
	p := newPlainForms(l.g.Language)
	fold := func(s string) string { return Normalize(p.of(s)) }
	owner := map[string]string{}
	for _, canon := range slices.Sorted(maps.Keys(l.g.Language.Variants)) {
		for i, w := range l.g.Language.Variants[canon] {
			at := fmt.Sprintf("$.variants.%s[%d]", canon, i)
			f := fold(w)
			switch prev, dup := owner[f]; {
			case f == "":
				l.problem(languageFile, at, "variant %q is empty after normalisation", w)
			case dup && prev != canon:
				l.problem(languageFile, at, "variant %q is also a variant of %q: one spelling per variant", w, prev)
			}
			owner[f] = canon
		}
	}
}

// validateUrgent checks the crisis and danger messages: they exist, and
// what they dial comes from the contacts file.
func validateUrgent(l *loader) {
	have := map[string]bool{}
	for i, u := range l.g.Urgent {
		at := fmt.Sprintf("$.urgent[%d]", i)
		have[u.ID] = true
		if u.Text == "" || len(u.Words) == 0 {
			l.problem(textsFile, at, "urgent message %q needs a text and words", u.ID)
		}
		l.checkText(textsFile, at+".text", u.Text)
		for j, id := range u.Call {
			l.checkContact(textsFile, fmt.Sprintf("%s.call[%d]", at, j), id, "phone")
		}
		for j, w := range u.Words {
			if Normalize(w) == "" {
				l.problem(textsFile, fmt.Sprintf("%s.words[%d]", at, j), "word %q is empty after normalisation", w)
			}
		}
	}
	for _, id := range []string{"crisis", "danger"} {
		if !have[id] {
			l.problem(textsFile, "$.urgent", "urgent message %q is missing: a person in crisis or in danger must get the lines first", id)
		}
	}
}

// validateExamples proves that the matcher takes every example, match word
// and label to its own target: at its step for a choice, at the start step
// for a command, where no step's choice competes. An example that lands elsewhere, or only gets a question
// back, is reported where it is written.
func validateExamples(l *loader) {
	m := l.g.prepared()
	check := func(file, at, step, s string, want Target) {
		u := m.understand(s, step)
		if u.Decision == DecideAct && u.Best.Command == want.Command && (want.Command != "" || u.Best.Choice == want.Choice) {
			return
		}
		// What cannot be undone may be asked, with it among the buttons:
		// the evaluation counts that as right too.
		if u.Decision == DecideAsk && u.Best.Irreversible && u.Best.Command == want.Command && (want.Command != "" || u.Best.Choice == want.Choice) {
			return
		}
		got := "nothing"
		switch u.Decision {
		case DecideAct:
			got = fmt.Sprintf("%q (%.2f)", u.Best.Name(), u.Score)
		case DecideAsk:
			got = fmt.Sprintf("a question between %q (%.2f) and %q (%.2f)", u.Best.Name(), u.Score, u.Runner.Name(), u.RunnerScore)
		}
		l.problem(file, at, "example %q at step %q should mean %q but the matcher takes it as %s", s, step, want.Name(), got)
	}
	for k, s := range l.g.Language.SmallTalk {
		// Small talk is never acted on: it is right when it silences
		// every command.
		if u := m.understand(s, ""); u.Best.Command != cmdSmallTalk && u.Decision != DecideNone {
			l.problem(languageFile, fmt.Sprintf("$.small_talk[%d]", k), "small talk %q should move no one but the matcher takes it as %q (%.2f)", s, u.Best.Name(), u.Score)
		}
	}
	for _, f := range l.g.Flows {
		for i := range f.Steps {
			st := &f.Steps[i]
			for j, c := range st.Choices {
				want := Target{Choice: j, Label: c.Label}
				cat := fmt.Sprintf("$.steps[%d].choices[%d]", i, j)
				for k, s := range c.Match {
					check(f.File, fmt.Sprintf("%s.match[%d]", cat, k), st.ID, s, want)
				}
				for k, s := range c.Examples {
					check(f.File, fmt.Sprintf("%s.examples[%d]", cat, k), st.ID, s, want)
				}
			}
		}
	}
	for i, c := range l.g.Commands {
		want := Target{Command: c.ID, Choice: -1, Label: c.Label}
		for k, s := range c.Match {
			check(textsFile, fmt.Sprintf("$.commands[%d].match[%d]", i, k), "", s, want)
		}
		for k, s := range c.Examples {
			check(textsFile, fmt.Sprintf("$.commands[%d].examples[%d]", i, k), "", s, want)
		}
	}
}

// validateLinkcheck checks linkcheck.yaml: its own rules, the steps it
// names, and its texts like any other (no unsourced number or URL).
func validateLinkcheck(l *loader) {
	r := l.g.Check
	if r == nil {
		return
	}
	for _, p := range r.Validate() {
		l.problem(linkcheckFile, p.Path, "%s", p.Reason)
	}
	for key, id := range map[string]string{"paste_step": r.PasteStep, "result_step": r.ResultStep} {
		if id != "" && l.g.Steps[id] == nil {
			l.problem(linkcheckFile, "$."+key, "%s %q does not exist", key, id)
		}
	}
	texts := r.Texts.All()
	for _, key := range slices.Sorted(maps.Keys(texts)) {
		if s := texts[key]; s != "" {
			l.checkText(linkcheckFile, "$.texts."+key, s)
		}
	}
}

func validateContacts(l *loader) {
	for i, id := range l.g.contactOrder {
		c := l.g.Contacts[id]
		at := func(field string) string { return fmt.Sprintf("$.contacts[%d].%s", i, field) }
		if c.ID == "" {
			l.problem(contactsFile, at("id"), "contact without an id")
		}
		if c.Name == "" {
			l.problem(contactsFile, at("name"), "contact %q has no name", c.ID)
		}
		switch c.Kind {
		case "phone", "email", "route":
		case "url", "form":
			if !OfficialURL(c.Value) {
				l.problem(contactsFile, at("value"), "contact %q: %q is not an https URL on an official domain", c.ID, c.Value)
			}
		default:
			l.problem(contactsFile, at("kind"), "contact %q: kind %q is not phone, email, url, form or route", c.ID, c.Kind)
		}
		if c.Value == "" {
			l.problem(contactsFile, at("value"), "contact %q has no value", c.ID)
		}
		if u, err := url.Parse(c.Source); err != nil || u.Scheme != "https" || u.Host == "" {
			l.problem(contactsFile, at("source"), "contact %q: source must be an https URL, got %q", c.ID, c.Source)
		}
		if _, err := parseDate(c.Checked); err != nil {
			l.problem(contactsFile, at("checked"), "contact %q: checked must be a YYYY-MM-DD date, got %q", c.ID, c.Checked)
		}
		switch c.Status {
		case "active":
		case "discontinued":
			if c.Instead == "" {
				l.problem(contactsFile, at("instead"), "discontinued contact %q must say what to do instead", c.ID)
			}
		default:
			l.problem(contactsFile, at("status"), "contact %q: status %q is not active or discontinued", c.ID, c.Status)
		}
		for j, p := range c.Hours.Weekdays {
			validatePeriod(l, at(fmt.Sprintf("hours.weekdays[%d]", j)), c.ID, p)
		}
		for j, p := range c.Hours.Weekends {
			validatePeriod(l, at(fmt.Sprintf("hours.weekends[%d]", j)), c.ID, p)
		}
		for j, d := range c.Hours.Closed {
			if _, err := time.Parse("01-02", d); err != nil {
				l.problem(contactsFile, at(fmt.Sprintf("hours.closed[%d]", j)), "contact %q: closed day %q is not MM-DD", c.ID, d)
			}
		}
		if c.Human && c.Status == "active" {
			if c.Hours.Text == "" {
				l.problem(contactsFile, at("hours"), "contact %q is listed as a human line but has no hours text", c.ID)
			}
			if !c.Hours.Always && len(c.Hours.Weekdays)+len(c.Hours.Weekends) == 0 {
				l.problem(contactsFile, at("hours"), "contact %q is listed as a human line but its hours say neither always nor when: 相談窓口 could not tell whether it is open", c.ID)
			}
		}
	}
}

func validatePeriod(l *loader, at, id string, p Period) {
	if !clockTime.MatchString(p.From) || !(clockTime.MatchString(p.To) || p.To == "24:00") || p.From >= p.To {
		l.problem(contactsFile, at, "contact %q: opening period %q–%q is not HH:MM–HH:MM", id, p.From, p.To)
	}
}

func validateTexts(l *loader) {
	v := reflect.ValueOf(l.g.Texts)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("yaml")
		s := v.Field(i).String()
		if s == "" {
			l.problem(textsFile, "$.texts", "text %q is missing", key)
			continue
		}
		l.checkText(textsFile, "$.texts."+key, s)
		if strings.HasSuffix(key, "_label") || key == "reminder_accept" || key == "reminder_pick" || key == "delete_yes" || key == "delete_no" {
			l.checkLabel(textsFile, "$.texts."+key, s)
		}
	}
	have := map[string]bool{}
	for i, c := range l.g.Commands {
		at := fmt.Sprintf("$.commands[%d]", i)
		if have[c.ID] {
			l.problem(textsFile, at+".id", "command %q is defined twice", c.ID)
		}
		have[c.ID] = true
		l.checkLabel(textsFile, at+".label", c.Label)
	}
	for _, id := range []string{CmdMenu, CmdBack, CmdProgress, CmdContacts, CmdHelp, CmdReminders, CmdStopReminders, CmdDelete, CmdMemo} {
		if !have[id] {
			l.problem(textsFile, "$.commands", "global command %q is missing", id)
		}
	}
}

func validateFlow(l *loader, f *Flow, known map[string][]string) {
	file := f.File
	if f.ID == "" {
		l.problem(file, "$.id", "flow without an id")
	}
	if f.Title == "" {
		l.problem(file, "$.title", "flow %q has no title", f.ID)
	}
	if st := l.g.Steps[f.Start]; st == nil || l.g.flowOf[f.Start] != f {
		l.problem(file, "$.start", "start step %q is not a step of this file", f.Start)
	}
	items := map[string]bool{}
	for i, it := range f.Checklist {
		at := fmt.Sprintf("$.checklist[%d]", i)
		if it.ID == "" || items[it.ID] {
			l.problem(file, at+".id", "checklist item %q is empty or defined twice", it.ID)
		}
		items[it.ID] = true
		if it.Label == "" {
			l.problem(file, at+".label", "checklist item %q has no label", it.ID)
		}
		l.checkAnswers(file, at+".when", fmt.Sprintf("checklist item %q", it.ID), it.When, known)
	}
	for i := range f.Reminders {
		r := &f.Reminders[i]
		at := fmt.Sprintf("$.reminders[%d]", i)
		if r.Title == "" || linelimit.Label.Len(r.Title) > maxReminderTitle {
			l.problem(file, at+".title", "reminder %q: title must be 1–%d characters", r.ID, maxReminderTitle)
		}
		if n := linelimit.Label.Len(l.g.Texts.ReminderCancel + r.Title); n > linelimit.Label.Max {
			// The reminder list offers 「停止:<title>」 as a button: LINE would cut it mid-word.
			l.problem(file, at+".title", "reminder %q: %q and its title are %d characters, more than a button's %d", r.ID, l.g.Texts.ReminderCancel, n, linelimit.Label.Max)
		}
		l.checkText(file, at+".text", r.Text)
		if r.Days < 0 || r.Days > 60 {
			l.problem(file, at+".days", "reminder %q: days must be 0–60, got %d", r.ID, r.Days)
		}
		if !clockTime.MatchString(r.At) {
			l.problem(file, at+".at", "reminder %q: at must be HH:MM, got %q", r.ID, r.At)
		}
		if l.g.Steps[r.Step] == nil {
			l.problem(file, at+".step", "reminder %q continues at step %q, which does not exist", r.ID, r.Step)
		}
		if r.From != "" && !items[r.From] {
			l.problem(file, at+".from", "reminder %q counts from item %q, which is not in this file's checklist", r.ID, r.From)
		}
		for j, d := range r.Done {
			if !items[d] {
				l.problem(file, fmt.Sprintf("%s.done[%d]", at, j), "reminder %q: checklist item %q is not in this file", r.ID, d)
			}
		}
	}
	hasSummary := false
	for i := range f.Steps {
		st := &f.Steps[i]
		at := fmt.Sprintf("$.steps[%d]", i)
		hasSummary = hasSummary || st.Summary
		if st.ID == "" || len(st.ID) > maxStepID || strings.ContainsAny(st.ID, "&= ") {
			l.problem(file, at+".id", "step id %q must be 1–%d characters without '&', '=' or spaces", st.ID, maxStepID)
		}
		if len(st.Text) == 0 {
			l.problem(file, at+".text", "step %q has no text", st.ID)
		}
		msgs := len(st.Text)
		if st.Summary {
			msgs++ // the checklist and the human lines
		}
		if st.Offer != "" {
			msgs++ // the offer
		}
		if st.Script != nil {
			msgs++ // the words to say
			validateScript(l, f, st, at+".script", known)
		}
		if st.CoverageWindowDays != 0 || st.CoverageWindowRule != "" || st.CoverageWindowFrom != "" {
			msgs++ // the coverage window
			validateCoverageWindow(l, f, st, at, items)
		}
		if msgs > maxStepMessages {
			l.problem(file, at+".text", "step %q sends %d messages; at most %d fit in one reply with the engine's note", st.ID, msgs, maxStepMessages)
		}
		for j, s := range st.Text {
			l.checkText(file, fmt.Sprintf("%s.text[%d]", at, j), s)
		}
		validateChoices(l, f, st, at, items)
		validateActions(l, f, st, at)
		if len(st.Completes) > 0 {
			l.problem(file, at+".completes", "step %q completes %v when it is shown: an item is done only when the user says so; put completes on the choice that says it is done (「できた」「やった」)", st.ID, st.Completes)
		}
		if st.Offer != "" && l.g.Reminders[st.Offer] == nil {
			l.problem(file, at+".offer_reminder", "step %q offers reminder %q, which does not exist", st.ID, st.Offer)
		}
		for j, r := range st.Cancel {
			if l.g.Reminders[r] == nil {
				l.problem(file, fmt.Sprintf("%s.cancel_reminders[%d]", at, j), "step %q cancels reminder %q, which does not exist", st.ID, r)
			}
		}
	}
	if !hasSummary && f.Start != l.g.Start {
		l.problem(file, "$.steps", "flow %q has no summary step: every flow ends at one", f.ID)
	}
}

func validateChoices(l *loader, f *Flow, st *Step, at string, items map[string]bool) {
	n := len(st.Choices)
	if n == 0 {
		l.problem(f.File, at+".choices", "step %q is a dead end: it has no choices", st.ID)
	}
	limit := linelimit.QuickReplies
	if st.Offer != "" {
		limit -= 2 // accept and pick a time
	}
	if l.g.callsLineWithHours(st) {
		limit-- // 相談窓口, offered when the line is closed
	}
	if st.Summary {
		limit-- // 経緯メモ
	}
	if n > limit {
		l.problem(f.File, at+".choices", "step %q has %d choices; at most %d fit (LINE shows 13 quick replies)", st.ID, n, limit)
	}
	for j, c := range st.Choices {
		cat := fmt.Sprintf("%s.choices[%d]", at, j)
		l.checkLabel(f.File, cat+".label", c.Label)
		if l.g.Steps[c.Next] == nil {
			l.problem(f.File, cat+".next", "choice %q of step %q goes to %q, which does not exist", c.Label, st.ID, c.Next)
		}
		for k, m := range c.Match {
			if Normalize(m) == "" {
				l.problem(f.File, fmt.Sprintf("%s.match[%d]", cat, k), "match %q is empty after normalisation", m)
			}
		}
		for k, v := range c.Set {
			if k == "" || v == "" {
				l.problem(f.File, cat+".set", "choice %q sets an empty answer", c.Label)
			}
		}
		for k, item := range c.Completes {
			if !items[item] {
				l.problem(f.File, fmt.Sprintf("%s.completes[%d]", cat, k), "choice %q of step %q completes %q, which is not in this file's checklist", c.Label, st.ID, item)
			}
		}
		if w := l.g.notDoneWord(c.Label); w != "" && len(c.Completes) > 0 {
			l.problem(f.File, cat+".completes", "choice %q of step %q says %q, not done, yet completes %v", c.Label, st.ID, w, c.Completes)
		}
	}
}

// notDoneWord returns the word of texts.yaml's not_done list in label, if any.
func (g *Graph) notDoneWord(label string) string {
	n := Normalize(label)
	for _, w := range g.NotDone {
		if nw := Normalize(w); nw != "" && strings.Contains(n, nw) {
			return w
		}
	}
	return ""
}

// callsLineWithHours reports whether a step has a call button to a line
// that is not always open: the engine may withhold it and offer 相談窓口.
func (g *Graph) callsLineWithHours(st *Step) bool {
	for _, a := range st.Actions {
		if c := g.Contacts[a.Call]; a.Call != "" && c != nil && !c.Hours.Always {
			return true
		}
	}
	return false
}

func validateActions(l *loader, f *Flow, st *Step, at string) {
	if len(st.Actions) > maxButtons {
		l.problem(f.File, at+".actions", "step %q has %d buttons; at most %d", st.ID, len(st.Actions), maxButtons)
	}
	for j, a := range st.Actions {
		aat := fmt.Sprintf("%s.actions[%d]", at, j)
		set := 0
		for _, b := range []bool{a.Call != "", a.Link != "", a.Copy != nil} {
			if b {
				set++
			}
		}
		if set != 1 {
			l.problem(f.File, aat, "an action needs exactly one of call, link or copy")
			continue
		}
		switch {
		case a.Call != "":
			l.checkContact(f.File, aat+".call", a.Call, "phone")
		case a.Link != "":
			if c := l.checkContact(f.File, aat+".link", a.Link, "url", "form"); c != nil && !linelimit.URI.Fits(c.Value) {
				l.problem(f.File, aat+".link", "link %q is longer than %d characters", a.Link, linelimit.URI.Max)
			}
		case a.Copy != nil:
			l.checkLabel(f.File, aat+".copy.label", a.Copy.Label)
			if a.Copy.Text == "" || !linelimit.Clipboard.Fits(a.Copy.Text) {
				l.problem(f.File, aat+".copy.text", "copy text must be 1–%d UTF-16 units", linelimit.Clipboard.Max)
			}
			l.checkNumbers(f.File, aat+".copy.text", a.Copy.Text)
		}
	}
}

// checkContact reports a reference to a contact that is missing, not active,
// unsourced or of the wrong kind for the button.
func (l *loader) checkContact(file, at, id string, kinds ...string) *Contact {
	c := l.g.Contacts[id]
	switch {
	case c == nil:
		l.problem(file, at, "contact %q does not exist in %s", id, contactsFile)
	case c.Status != "active":
		l.problem(file, at, "contact %q is %s: it must never be offered as a button", id, c.Status)
	case c.Source == "":
		l.problem(file, at, "contact %q has no source", id)
	case !slices.Contains(kinds, c.Kind):
		l.problem(file, at, "contact %q is a %s, not a %s", id, c.Kind, strings.Join(kinds, " or "))
	case !linelimit.Label.Fits(c.Name):
		l.problem(file, at, "contact %q: its name %q labels the button and has more than %d characters", id, c.Name, linelimit.Label.Max)
	default:
		return c
	}
	return nil
}

func (l *loader) checkLabel(file, at, s string) {
	if n := linelimit.Label.Len(s); n < 1 || n > linelimit.Label.Max {
		l.problem(file, at, "label %q has %d characters; LINE allows 1–%d", s, n, linelimit.Label.Max)
	}
}

func (l *loader) checkText(file, at, s string) {
	if strings.TrimSpace(s) == "" {
		l.problem(file, at, "empty text")
		return
	}
	if n := linelimit.Text.Len(s); n > linelimit.Text.Max {
		l.problem(file, at, "text has %d UTF-16 units; LINE allows %d", n, linelimit.Text.Max)
	}
	l.checkNumbers(file, at, s)
}

// checkNumbers finds phone numbers, addresses and URLs written into a text:
// each must be the value of an active contact, so none is shown unsourced.
func (l *loader) checkNumbers(file, at, s string) {
	emails := emailInText.FindAllString(s, -1)
	// An address is checked whole; its domain alone is not a link.
	rest := emailInText.ReplaceAllString(s, " ")
	check := func(found []string) {
		for _, m := range found {
			if c := l.g.contactByValue(m); c == nil || c.Status != "active" {
				l.problem(file, at, "%q is not an active contact's value: numbers and URLs come from %s", m, contactsFile)
			}
		}
	}
	check(emails)
	check(phoneInText.FindAllString(rest, -1))
	check(urlInText.FindAllString(rest, -1))
}

// contactByValue finds the contact whose number, address or URL is v.
func (g *Graph) contactByValue(v string) *Contact {
	nv := Normalize(v)
	for _, id := range g.contactOrder {
		c := g.Contacts[id]
		cv := Normalize(c.Value)
		if cv == nv || ((c.Kind == "url" || c.Kind == "form") && strings.Contains(cv, nv)) {
			return c
		}
	}
	return nil
}

func validateReachable(l *loader) {
	g := l.g
	if g.Steps[g.Start] == nil {
		return
	}
	seen := map[string]bool{g.Start: true}
	queue := []string{g.Start}
	if r := g.Check; r != nil && g.Steps[r.ResultStep] != nil && !seen[r.ResultStep] {
		// The engine enters it after answering a pasted message.
		seen[r.ResultStep] = true
		queue = append(queue, r.ResultStep)
	}
	for len(queue) > 0 {
		st := g.Steps[queue[0]]
		queue = queue[1:]
		for _, c := range st.Choices {
			if g.Steps[c.Next] != nil && !seen[c.Next] {
				seen[c.Next] = true
				queue = append(queue, c.Next)
			}
		}
	}
	for _, f := range g.Flows {
		for i, st := range f.Steps {
			if !seen[st.ID] {
				l.problem(f.File, fmt.Sprintf("$.steps[%d].id", i), "step %q cannot be reached from %q", st.ID, g.Start)
			}
		}
	}
}

func parseDate(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }
