package linkcheck

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Rules are the data the checks run on: linkcheck.yaml.
type Rules struct {
	// PasteStep asks the user to paste a message; ResultStep follows every
	// answer with the next steps. Both are step ids of the flow files.
	PasteStep  string     `yaml:"paste_step"`
	ResultStep string     `yaml:"result_step"`
	Brands     []Brand    `yaml:"brands"`
	Shorteners []string   `yaml:"shorteners"`
	Pressure   []Pressure `yaml:"pressure"`
	Texts      Texts      `yaml:"texts"`
}

// Brand is a company or public body a message may claim to be from.
type Brand struct {
	ID string `yaml:"id"`
	// Name is how the answer calls it: 三井住友カード.
	Name string `yaml:"name"`
	// Domains are its registrable domains (amazon.co.jp): a host under one
	// of them is the brand's own.
	Domains []string `yaml:"domains"`
	// Keywords are what look-alike hosts put in a subdomain or path
	// (smbc, amazon), lower-case ASCII.
	Keywords []string `yaml:"keywords"`
	// Names are how a message mentions it (Amazon, アマゾン).
	Names []string `yaml:"names"`
	// Source is the official page the domains were taken from.
	Source  string `yaml:"source"`
	Checked string `yaml:"checked"`
}

// Pressure is one classic pressure pattern of a phishing message.
type Pressure struct {
	ID string `yaml:"id"`
	// Label is what the answer calls it: 「アカウント停止」.
	Label string   `yaml:"label"`
	Match []string `yaml:"match"`
}

// Texts are the sentences of the answer, with {placeholders}.
type Texts struct {
	Official       string `yaml:"official"`        // {domain} {brand}
	NotBrand       string `yaml:"not_brand"`       // {domain} {brand}
	Dangerous      string `yaml:"dangerous"`       // {domain}
	Shortener      string `yaml:"shortener"`       // {domain}
	Unknown        string `yaml:"unknown"`         // {domain}
	ReasonIP       string `yaml:"reason_ip"`       //
	ReasonIDN      string `yaml:"reason_idn"`      // {unicode}
	ReasonMixed    string `yaml:"reason_mixed"`    //
	ReasonBrandIn  string `yaml:"reason_brand_in"` // {brand}
	ReasonJPSuffix string `yaml:"reason_jp_suffix"`
	ReasonFreeHost string `yaml:"reason_free_host"` // {suffix}
	ReasonPort     string `yaml:"reason_port"`
	ReasonUserinfo string `yaml:"reason_userinfo"`
	MoreLinks      string `yaml:"more_links"` // {count}
	NoLink         string `yaml:"no_link"`
	Pressure       string `yaml:"pressure"` // {labels}
	PressureJoin   string `yaml:"pressure_join"`
	Phone          string `yaml:"phone"`
	AdviceOfficial string `yaml:"advice_official"`
	AdviceDanger   string `yaml:"advice_danger"`
	AdviceUnknown  string `yaml:"advice_unknown"`
}

// Problem is one thing wrong in the rules, at a YAML path.
type Problem struct {
	Path   string
	Reason string
}

// Validate reports every problem: a domain that is not a registrable
// domain or belongs to two brands, a brand without a source, an empty
// text. Problems are returned, not stopped at, so an editor sees them all.
func (r *Rules) Validate() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
	}
	if r.PasteStep == "" || r.ResultStep == "" {
		add("$", "paste_step and result_step are required")
	}
	owner := map[string]string{}
	ids := map[string]bool{}
	for i, b := range r.Brands {
		at := fmt.Sprintf("$.brands[%d]", i)
		if b.ID == "" || ids[b.ID] {
			add(at+".id", "brand id %q is empty or defined twice", b.ID)
		}
		ids[b.ID] = true
		if b.Name == "" {
			add(at+".name", "brand %q has no name", b.ID)
		}
		if len(b.Domains) == 0 {
			add(at+".domains", "brand %q has no official domain", b.ID)
		}
		for j, d := range b.Domains {
			dat := fmt.Sprintf("%s.domains[%d]", at, j)
			if reg, err := publicsuffix.EffectiveTLDPlusOne(d); err != nil || reg != d || d != strings.ToLower(d) {
				add(dat, "brand %q: %q is not a lower-case registrable domain (want %q)", b.ID, d, reg)
			}
			if o, dup := owner[d]; dup {
				add(dat, "domain %q belongs to both %q and %q", d, o, b.ID)
			}
			owner[d] = b.ID
		}
		for j, k := range b.Keywords {
			if len(k) < 3 || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				add(fmt.Sprintf("%s.keywords[%d]", at, j), "keyword %q must be 3 or more lower-case ASCII letters, digits or '-'", k)
			}
		}
		src, err := url.Parse(b.Source)
		if err != nil || src.Scheme != "https" || !b.owns(strings.ToLower(src.Hostname())) {
			add(at+".source", "brand %q: source %q must be an https page on one of its own domains", b.ID, b.Source)
		}
		if _, err := time.Parse(time.DateOnly, b.Checked); err != nil {
			add(at+".checked", "brand %q: checked must be a YYYY-MM-DD date, got %q", b.ID, b.Checked)
		}
	}
	for i, s := range r.Shorteners {
		if reg, err := publicsuffix.EffectiveTLDPlusOne(s); err != nil || reg != s {
			add(fmt.Sprintf("$.shorteners[%d]", i), "shortener %q is not a registrable domain", s)
		}
		if o, dup := owner[s]; dup {
			add(fmt.Sprintf("$.shorteners[%d]", i), "shortener %q is also an official domain of %q", s, o)
		}
	}
	for i, p := range r.Pressure {
		if p.ID == "" || p.Label == "" || len(p.Match) == 0 {
			add(fmt.Sprintf("$.pressure[%d]", i), "pressure pattern %q needs an id, a label and phrases", p.ID)
		}
	}
	for key, s := range r.Texts.All() {
		if strings.TrimSpace(s) == "" {
			add("$.texts."+key, "text %q is missing", key)
		}
	}
	return ps
}

// All returns every text by its YAML key: the flow validator checks each
// one for numbers and URLs that are not contacts.
func (t Texts) All() map[string]string {
	return map[string]string{
		"official": t.Official, "not_brand": t.NotBrand, "dangerous": t.Dangerous,
		"shortener": t.Shortener, "unknown": t.Unknown, "reason_ip": t.ReasonIP,
		"reason_idn": t.ReasonIDN, "reason_mixed": t.ReasonMixed, "reason_brand_in": t.ReasonBrandIn,
		"reason_jp_suffix": t.ReasonJPSuffix, "reason_free_host": t.ReasonFreeHost,
		"reason_port": t.ReasonPort, "reason_userinfo": t.ReasonUserinfo, "more_links": t.MoreLinks,
		"no_link": t.NoLink, "pressure": t.Pressure, "pressure_join": t.PressureJoin, "phone": t.Phone,
		"advice_official": t.AdviceOfficial, "advice_danger": t.AdviceDanger, "advice_unknown": t.AdviceUnknown,
	}
}

// owns reports whether host is under one of the brand's domains.
func (b *Brand) owns(host string) bool {
	for _, d := range b.Domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
