// Package linkcheck answers 「このメール、本物？」 for a message a user
// pastes: it finds the links in it, says who really owns each one and
// whether that is the official site of the brand the message claims to be
// from, and reads the wording for the pressure of a phishing message.
//
// Everything is offline and deterministic: no URL is ever fetched or
// resolved, and nothing of the text is kept. The brands, their official
// domains (with sources), the pressure phrases and every Japanese sentence
// are data (flows/content/linkcheck.yaml), loaded and validated by package
// flows.
package linkcheck

import (
	"net"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Bounds that keep the work linear in the message's length: a message with
// more links is answered on its first ones, a longer one on its first
// 20,000 bytes (LINE delivers at most 5,000 characters), and a link is not
// joined past 2,048 bytes (longer than any browser keeps).
const (
	maxLinks   = 10
	maxInput   = 20000
	maxLinkLen = 2048
)

// defang undoes the ways a link is written so that it does not work
// (hxxp, [.]) and the ways phones break it (a full stop in Japanese width).
var defang = strings.NewReplacer(
	"hxxps://", "https://", "hxxp://", "http://",
	"hXXps://", "https://", "hXXp://", "http://",
	"[.]", ".", "(.)", ".", "[dot]", ".", "[:]", ":", "[://]", "://",
	"。", ".", "．", ".",
)

// Fold prepares pasted text for extraction: NFKC (full-width letters and
// digits become ASCII), then defanged.
func Fold(s string) string {
	if len(s) > maxInput {
		s = strings.ToValidUTF8(s[:maxInput], "")
	}
	return defang.Replace(norm.NFKC.String(s))
}

// extractFolded returns the links in folded text (Fold), as written: with
// a scheme (http://…), or bare domains whose suffix is a real public suffix
// (amazon-co-jp.example.top/login). A link broken by a space or a line
// break, as SMS and mail clients do, is joined again.
func extractFolded(s string) []string {
	toks := urlTokens(s)
	var links []string
	for i := 0; i < len(toks) && len(links) < maxLinks; i++ {
		tok := toks[i].text
		if !looksLikeLink(tok) {
			continue
		}
		// Join the pieces a line break or a space split off.
		for i+1 < len(toks) && len(tok) < maxLinkLen && toks[i+1].afterSpace && continues(tok, toks[i+1].text) {
			tok += toks[i+1].text
			i++
		}
		links = append(links, trimLink(tok))
	}
	return links
}

type token struct {
	text string
	// afterSpace: only whitespace separates it from the previous token.
	afterSpace bool
}

// urlTokens splits s into runs of characters a link can hold. Japanese
// text, brackets and quotes end a run; so does whitespace, but the tokens
// remember it so a broken link can be joined.
func urlTokens(s string) []token {
	var toks []token
	start := -1
	onlySpace := false // since the previous token, only whitespace
	for i, r := range s {
		if isLinkRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			toks = append(toks, token{text: s[start:i], afterSpace: onlySpace && len(toks) > 0})
			start = -1
			onlySpace = true
		}
		if !unicode.IsSpace(r) {
			onlySpace = false
		}
	}
	if start >= 0 {
		toks = append(toks, token{text: s[start:], afterSpace: onlySpace && len(toks) > 0})
	}
	return toks
}

// isLinkRune: ASCII that may appear in a URL, and letters of scripts that
// are not Japanese (a Cyrillic а in a look-alike host).
func isLinkRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7f && !strings.ContainsRune("\"<>\\^`{|}()[]'", r)
	}
	if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
		return false
	}
	return !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) && r != 'ー'
}

// looksLikeLink: a scheme, or a host with a dot and a public suffix.
func looksLikeLink(tok string) bool {
	tok = strings.TrimLeft(tok, ".,;:!?*-_=~")
	lower := strings.ToLower(tok)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return len(tok) > len("https://")
	}
	if strings.Contains(lower, "://") {
		return false
	}
	authority, _, _ := strings.Cut(tok, "/")
	if strings.Contains(authority, "@") {
		return false // an e-mail address, not a link
	}
	host := hostOf(trimLink(tok))
	if net.ParseIP(host) != nil && strings.Count(host, ".") == 3 {
		return true // a bare dotted address; other forms only after a scheme
	}
	return strings.Contains(host, ".") && hasPublicSuffix(host)
}

// continues decides whether next, after a space or line break, is the rest
// of link: the host is not complete yet, or the break is inside the path.
func continues(link, next string) bool {
	if looksLikeLink(next) && strings.Contains(next, "://") {
		return false
	}
	rest := link
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if !strings.ContainsAny(rest, "/?#") && !hasPublicSuffix(hostOf(rest)) {
		return true // "https://amaz" + "on-co-jp.top": the host was cut
	}
	if !looksLikeLink(next) && strings.ContainsAny(next, "/?=&") && strings.ContainsAny(rest, "/?#") {
		return true // "https://example.top/ab" + "cd/ef": the path was cut
	}
	last := link[len(link)-1]
	first := next[0]
	return strings.IndexByte("/.-_?=&%#", last) >= 0 || strings.IndexByte("/.-_?=&%#", first) >= 0
}

// trimLink drops what ends a sentence rather than a link.
func trimLink(s string) string {
	s = strings.TrimLeft(s, ".,;:!?*-_=~")
	return strings.TrimRight(s, ".,;:!?*")
}
