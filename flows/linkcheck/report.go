package linkcheck

import (
	"regexp"
	"strconv"
	"strings"
)

// Report is the analysis of one pasted message. It holds the links'
// owners, never the text.
type Report struct {
	Links []Link
	// Pressure are the pressure patterns found, in file order.
	Pressure []*Pressure
	// UnknownPhone: the message holds a phone number that is not one of
	// the bot's active contacts.
	UnknownPhone bool
}

// Dangerous reports whether any link is a sign of deception.
func (r Report) Dangerous() bool {
	for _, l := range r.Links {
		if l.Verdict == Dangerous {
			return true
		}
	}
	return false
}

// phoneNumber is a Japanese phone number as messages write it, on folded
// text: 0120-123-456, 03(1234)5678, 09012345678, +81 90 1234 5678.
var phoneNumber = regexp.MustCompile(`(?:\+81[ -]?|0)\d{1,4}[ -]?\(?\d{1,4}\)?[ -]?\d{3,4}`)

// Check analyses pasted text. isContact says whether a number (its digits)
// is one of the bot's own active contacts, which the message may quote.
func (r *Rules) Check(text string, isContact func(digits string) bool) Report {
	s := Fold(text)
	links := extractFolded(s)
	// The words, not the links: a link's "smbc" is no claim to be SMBC.
	rest := s
	for _, l := range links {
		rest = strings.ReplaceAll(rest, l, " ")
	}
	lower := strings.ToLower(rest)
	claimed := r.claimedBrand(lower)
	var rep Report
	for _, raw := range links {
		rep.Links = append(rep.Links, r.Analyze(raw, claimed))
	}
	for i := range r.Pressure {
		for _, m := range r.Pressure[i].Match {
			if strings.Contains(lower, strings.ToLower(m)) {
				rep.Pressure = append(rep.Pressure, &r.Pressure[i])
				break
			}
		}
	}
	// Numbers inside links (ids, dates in paths) are not phone numbers.
	for _, m := range phoneNumber.FindAllString(rest, 5) {
		d := digits(m)
		if strings.HasPrefix(d, "81") {
			d = "0" + d[2:]
		}
		if len(d) >= 10 && len(d) <= 11 && (isContact == nil || !isContact(d)) {
			rep.UnknownPhone = true
		}
	}
	return rep
}

// claimedBrand is the first brand the message names (Amazon, 三井住友カード).
// The longest name wins, so 三井住友カード is not taken for 三井住友銀行's 三井住友.
func (r *Rules) claimedBrand(lower string) *Brand {
	var best *Brand
	bestLen := 0
	for i := range r.Brands {
		for _, n := range r.Brands[i].Names {
			if len(n) > bestLen && strings.Contains(lower, strings.ToLower(n)) {
				best, bestLen = &r.Brands[i], len(n)
			}
		}
	}
	return best
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// maxShown bounds the links described in one answer.
const maxShown = 3

// Answer writes the report in plain Japanese from the rules' texts: one
// sentence per link with its reasons, the pressure and the phone number
// found, and what to do.
func (r *Rules) Answer(rep Report) string {
	t := r.Texts
	var b strings.Builder
	line := func(s string) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s)
	}
	if len(rep.Links) == 0 {
		line(t.NoLink)
	}
	for i, l := range rep.Links {
		if i == maxShown {
			line(fill(t.MoreLinks, "count", strconv.Itoa(len(rep.Links)-maxShown)))
			break
		}
		line(r.linkSentence(l))
	}
	if len(rep.Pressure) > 0 {
		labels := make([]string, len(rep.Pressure))
		for i, p := range rep.Pressure {
			labels[i] = p.Label
		}
		line(fill(t.Pressure, "labels", strings.Join(labels, t.PressureJoin)))
	}
	if rep.UnknownPhone {
		line(t.Phone)
	}
	b.WriteString("\n\n")
	switch {
	case rep.Dangerous():
		b.WriteString(t.AdviceDanger)
	case len(rep.Links) > 0 && allOfficial(rep.Links) && len(rep.Pressure) == 0 && !rep.UnknownPhone:
		b.WriteString(t.AdviceOfficial)
	default:
		b.WriteString(t.AdviceUnknown)
	}
	return b.String()
}

func allOfficial(ls []Link) bool {
	for _, l := range ls {
		if l.Verdict != Official {
			return false
		}
	}
	return true
}

func (r *Rules) linkSentence(l Link) string {
	t := r.Texts
	brand := ""
	if l.Brand != nil {
		brand = l.Brand.Name
	}
	var s string
	switch {
	case l.Verdict == Official:
		s = fill(t.Official, "domain", l.Owner, "brand", brand)
	case l.Verdict == Shortener:
		s = fill(t.Shortener, "domain", l.Owner)
	case l.Brand != nil:
		s = fill(t.NotBrand, "domain", l.Owner, "brand", brand)
	case l.Verdict == Dangerous:
		s = fill(t.Dangerous, "domain", l.Owner)
	default:
		s = fill(t.Unknown, "domain", l.Owner)
	}
	for _, reason := range l.Reasons {
		var why string
		switch reason {
		case ReasonIP:
			why = t.ReasonIP
		case ReasonIDN:
			why = fill(t.ReasonIDN, "unicode", l.Unicode)
		case ReasonMixed:
			why = t.ReasonMixed
		case ReasonBrandIn:
			why = fill(t.ReasonBrandIn, "brand", brand)
		case ReasonJPSuffix:
			why = t.ReasonJPSuffix
		case ReasonFreeHost:
			why = fill(t.ReasonFreeHost, "suffix", l.Suffix)
		case ReasonPort:
			why = t.ReasonPort
		case ReasonUserinfo:
			why = t.ReasonUserinfo
		}
		s += "\n・" + why
	}
	return s
}

// fill replaces {key} placeholders.
func fill(s string, kv ...string) string {
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
