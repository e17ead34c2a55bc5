package linkcheck

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Verdict is what the answer says of a link.
type Verdict int

const (
	// Unknown: an ordinary domain that is no brand's: it cannot be confirmed.
	Unknown Verdict = iota
	// Official: a host under a brand's official domain.
	Official
	// Shortener: a URL shortener; the real destination is unknown.
	Shortener
	// Dangerous: a sign of deception (a look-alike, an IP address, a
	// brand's name on someone else's domain).
	Dangerous
)

// Reason is one sign found in a link.
type Reason int

const (
	ReasonIP       Reason = iota + 1 // the host is an IP address
	ReasonIDN                        // an internationalised (punycode) host
	ReasonMixed                      // letters of several scripts in one label
	ReasonBrandIn                    // a brand's name or domain in a subdomain or path
	ReasonJPSuffix                   // co.jp, ne.jp… placed in a subdomain
	ReasonFreeHost                   // under a private suffix anyone can register on
	ReasonPort                       // an unusual port
	ReasonUserinfo                   // an @ in the authority: the real host is after it
)

// Link is the analysis of one link.
type Link struct {
	// Host is the host in ASCII (punycode), lower case.
	Host string
	// Owner is its registrable domain: the name someone registered, which
	// the answer names. For an IP address, the address.
	Owner string
	// Unicode is the host as a look-alike shows it, when it is an IDN.
	Unicode string
	// Suffix is the private suffix (workers.dev) it sits on, if any.
	Suffix  string
	Verdict Verdict
	Reasons []Reason
	// Brand is the brand it belongs to (Official) or imitates.
	Brand *Brand
}

// Analyze looks at one link without opening it. claimed is the brand the
// message names, or nil.
func (r *Rules) Analyze(raw string, claimed *Brand) Link {
	a := parseAuthority(raw)
	var l Link
	if a.userinfo {
		l.Reasons = append(l.Reasons, ReasonUserinfo)
	}
	if a.port != "" && a.port != "80" && a.port != "443" {
		l.Reasons = append(l.Reasons, ReasonPort)
	}
	host := a.host
	if isIP(host) {
		l.Host, l.Owner = host, strings.Trim(host, "[]")
		l.Reasons = append(l.Reasons, ReasonIP)
		l.Brand = r.brandIn(a.rest, claimed)
		l.Verdict = Dangerous
		return l
	}
	ascii, err := idna.Punycode.ToASCII(host)
	if err != nil || ascii == "" {
		ascii = host
	}
	ascii = strings.ToLower(ascii)
	l.Host = ascii
	if strings.Contains(ascii, "xn--") {
		l.Reasons = append(l.Reasons, ReasonIDN)
		if u, err := idna.Punycode.ToUnicode(ascii); err == nil {
			l.Unicode = u
			if mixedScripts(u) {
				l.Reasons = append(l.Reasons, ReasonMixed)
			}
		}
	}
	l.Owner = registrable(ascii)
	if suffix, icann := publicsuffix.PublicSuffix(ascii); !icann && strings.Contains(suffix, ".") {
		l.Suffix = suffix
		l.Reasons = append(l.Reasons, ReasonFreeHost)
	}
	if b := r.owner(l.Owner); b != nil && l.Suffix == "" {
		l.Brand = b
		l.Verdict = Official
		if hasAny(l.Reasons, ReasonUserinfo, ReasonPort, ReasonIDN) {
			l.Verdict = Dangerous
		}
		return l
	}
	if r.isShortener(l.Owner) {
		l.Verdict = Shortener
		return l
	}
	sub := strings.TrimSuffix(ascii, l.Owner)
	if jpSuffixInside.MatchString(sub) || jpSuffixInside.MatchString(strings.TrimSuffix(l.Owner, "."+lastLabel(l.Owner))) {
		l.Reasons = append(l.Reasons, ReasonJPSuffix)
	}
	if b := r.brandIn(ascii+a.rest, claimed); b != nil {
		l.Brand = b
		l.Reasons = append(l.Reasons, ReasonBrandIn)
	} else if l.Unicode != "" {
		if b := r.owner(registrable(skeleton(l.Unicode))); b != nil {
			l.Brand = b
			l.Reasons = append(l.Reasons, ReasonBrandIn)
		}
	}
	if l.Brand == nil {
		// The message says it is from a brand; the link is not the brand's.
		l.Brand = claimed
	}
	// A free host alone is common for harmless pages; with a brand, or with
	// any other sign, the link is a deception.
	if l.Brand != nil || len(l.Reasons) > 0 && !(len(l.Reasons) == 1 && l.Reasons[0] == ReasonFreeHost) {
		l.Verdict = Dangerous
	}
	return l
}

// jpSuffixInside: a Japanese suffix written into the part of a host that
// is not the suffix: amzaon.co.jp.example.cn, monex-co-jp.example.cn.
var jpSuffixInside = regexp.MustCompile(`(?:^|[.-])(?:co|ne|or|go|ac)[.-]jp(?:$|[.-])`)

// authority is the part of a link that decides where it goes.
type authority struct {
	host, port string
	userinfo   bool
	// rest is the path, query and fragment.
	rest string
}

// parseAuthority splits a link by hand rather than with net/url: pasted
// links are often not valid URLs (a stray %, a space) and must still be
// analysed, the way a browser would read them.
func parseAuthority(raw string) authority {
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimLeft(s, "/\\")
	end := strings.IndexAny(s, "/?#\\")
	var a authority
	auth := s
	if end >= 0 {
		auth, a.rest = s[:end], s[end:]
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		a.userinfo = true
		auth = auth[i+1:]
	}
	if strings.HasPrefix(auth, "[") {
		if i := strings.IndexByte(auth, ']'); i > 0 {
			a.host = auth[:i+1]
			a.port = strings.TrimPrefix(auth[i+1:], ":")
			return a
		}
	}
	if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		auth, a.port = auth[:i], auth[i+1:]
	}
	a.host = strings.TrimSuffix(strings.ToLower(auth), ".")
	return a
}

// hostOf is the host of a link, lower case.
func hostOf(raw string) string { return parseAuthority(raw).host }

func isIP(host string) bool {
	h := strings.Trim(host, "[]")
	if net.ParseIP(h) != nil {
		return true
	}
	// 0x7f.1 and 2130706433: forms browsers still accept.
	if strings.HasPrefix(h, "0x") {
		return true
	}
	if _, err := strconv.ParseUint(h, 10, 32); err == nil && h != "" {
		return true
	}
	return false
}

// hasPublicSuffix: the host ends in a suffix of the Public Suffix List
// (ICANN or private), not just any last label.
func hasPublicSuffix(host string) bool {
	ascii, err := idna.Punycode.ToASCII(host)
	if err != nil {
		return false
	}
	suffix, icann := publicsuffix.PublicSuffix(strings.ToLower(ascii))
	if suffix == ascii {
		return false
	}
	return icann || strings.Contains(suffix, ".")
}

// registrable is the host's registrable domain, or the host itself when it
// has none (a bare suffix, one label).
func registrable(host string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

func lastLabel(d string) string {
	if i := strings.LastIndexByte(d, '.'); i >= 0 {
		return d[i+1:]
	}
	return d
}

// owner is the brand whose official domain d is.
func (r *Rules) owner(d string) *Brand {
	for i := range r.Brands {
		for _, od := range r.Brands[i].Domains {
			if d == od {
				return &r.Brands[i]
			}
		}
	}
	return nil
}

func (r *Rules) isShortener(d string) bool {
	for _, s := range r.Shorteners {
		if d == s {
			return true
		}
	}
	return false
}

// brandIn finds a brand whose keyword or official domain appears in s (a
// host and path not the brand's own). The claimed brand is preferred, so
// the answer names the company the message pretends to be.
func (r *Rules) brandIn(s string, claimed *Brand) *Brand {
	s = strings.ToLower(s)
	if claimed != nil && claimed.mentionedIn(s) {
		return claimed
	}
	for i := range r.Brands {
		if r.Brands[i].mentionedIn(s) {
			return &r.Brands[i]
		}
	}
	return nil
}

func (b *Brand) mentionedIn(s string) bool {
	for _, k := range b.Keywords {
		if strings.Contains(s, k) {
			return true
		}
	}
	for _, d := range b.Domains {
		if strings.Contains(s, d) || strings.Contains(s, strings.ReplaceAll(d, ".", "-")) {
			return true
		}
	}
	return false
}

// mixedScripts reports a label mixing Latin with Cyrillic or Greek, the
// look-alike trick (аmazon with a Cyrillic а).
func mixedScripts(host string) bool {
	for _, label := range strings.Split(host, ".") {
		var latin, other bool
		for _, r := range label {
			switch {
			case r < 0x80:
				latin = latin || unicode.IsLetter(r)
			case unicode.In(r, unicode.Cyrillic, unicode.Greek, unicode.Armenian):
				other = true
			case unicode.Is(unicode.Latin, r):
				latin = true
			}
		}
		if latin && other {
			return true
		}
	}
	return false
}

// confusables map the letters look-alike hosts borrow to the Latin letter
// they imitate (a few of Unicode's confusables list: the common ones).
var confusables = strings.NewReplacer(
	"а", "a", "е", "e", "о", "o", "р", "p", "с", "c", "х", "x", "у", "y",
	"і", "i", "ј", "j", "ԁ", "d", "ѕ", "s", "һ", "h", "ո", "n", "ս", "u",
	"α", "a", "ο", "o", "ν", "v", "τ", "t", "ρ", "p", "ı", "i", "ɡ", "g",
	"á", "a", "à", "a", "ä", "a", "é", "e", "ó", "o", "ö", "o", "í", "i", "ü", "u",
)

// skeleton is an IDN host with its look-alike letters replaced.
func skeleton(unicodeHost string) string { return confusables.Replace(unicodeHost) }

func hasAny(rs []Reason, want ...Reason) bool {
	for _, r := range rs {
		for _, w := range want {
			if r == w {
				return true
			}
		}
	}
	return false
}
