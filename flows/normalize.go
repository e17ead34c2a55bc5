package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds the ways Japanese text varies without changing its
// meaning, so that typed text can be compared with labels: NFKC (half-width
// katakana and full-width ASCII become standard), katakana to hiragana, lower
// case, and no spaces, punctuation or long-vowel marks.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'ァ' && r <= 'ヶ':
			// ヵ and ヶ have no hiragana of the same shape; ゕゖ exist since Unicode 3.2.
			b.WriteRune(r - 0x60)
		case r == 'ー' || r == '〜' || r == '~' || r == '・':
			// Long-vowel marks and middle dots are spelled inconsistently.
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// digitsOnly returns the digits of s after NFKC (so full-width digits count),
// and how many other non-separator characters it holds.
func digitsOnly(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
