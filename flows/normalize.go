package flows

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds the ways Japanese text varies without changing its
// meaning, so that typed text can be compared with labels: NFKC (half-width
// katakana and full-width ASCII become standard), katakana to hiragana, small
// kana to full size (people type つ for っ), lower case, and no spaces,
// punctuation or long-vowel marks.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'ァ' && r <= 'ヶ':
			b.WriteRune(fullSize(r - 0x60))
		case r >= 'ぁ' && r <= 'ゖ':
			b.WriteRune(fullSize(r))
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

// fullSize maps a small hiragana to its full-size form.
func fullSize(r rune) rune {
	switch r {
	case 'ぁ', 'ぃ', 'ぅ', 'ぇ', 'ぉ', 'っ', 'ゃ', 'ゅ', 'ょ', 'ゎ':
		return r + 1
	case 'ゕ':
		return 'か'
	case 'ゖ':
		return 'け'
	}
	return r
}

// plainForms turns polite, past, contracted and Kansai verb endings into one
// plain form, pass by pass, so that 「止めてしまいました」 and 「止めちゃった」
// meet 「止めた」. The rules are data (language.yaml); within a pass the
// longest ending wins.
type plainForms struct {
	passes []*strings.Replacer
}

func newPlainForms(l Language) *plainForms {
	p := &plainForms{}
	for _, pass := range l.PlainForms {
		froms := make([]string, 0, len(pass))
		for from := range pass {
			froms = append(froms, from)
		}
		// Longest first: strings.Replacer tries the pairs in order.
		sort.Slice(froms, func(i, j int) bool {
			if len(froms[i]) != len(froms[j]) {
				return len(froms[i]) > len(froms[j])
			}
			return froms[i] < froms[j]
		})
		pairs := make([]string, 0, 2*len(froms))
		for _, from := range froms {
			pairs = append(pairs, from, pass[from])
		}
		p.passes = append(p.passes, strings.NewReplacer(pairs...))
	}
	return p
}

// of returns s with its endings in plain form, after NFKC (so that
// half-width kana meet the rules) and before any other folding.
func (p *plainForms) of(s string) string {
	s = norm.NFKC.String(s)
	for _, r := range p.passes {
		s = r.Replace(s)
	}
	return s
}

// variants folds the words of Language.Variants to one spelling, on text
// already in plain form and folded; within a place the longest word wins.
type variants struct{ r *strings.Replacer }

// newVariants prepares the table; fold is what both sides went through.
func newVariants(table map[string][]string, fold func(string) string) variants {
	to := map[string]string{}
	for canon, words := range table {
		c := fold(canon)
		// The word itself is kept whole: 「乗っ取られ」 is not read as
		// 「乗っ」 and a variant 「取られ」.
		to[c] = c
		for _, w := range words {
			if f := fold(w); f != "" {
				to[f] = c
			}
		}
	}
	froms := make([]string, 0, len(to))
	for f := range to {
		froms = append(froms, f)
	}
	sort.Slice(froms, func(i, j int) bool {
		if len(froms[i]) != len(froms[j]) {
			return len(froms[i]) > len(froms[j])
		}
		return froms[i] < froms[j]
	})
	pairs := make([]string, 0, 2*len(froms))
	for _, f := range froms {
		pairs = append(pairs, f, to[f])
	}
	return variants{strings.NewReplacer(pairs...)}
}

func (v variants) of(s string) string {
	if v.r == nil {
		return s
	}
	return v.r.Replace(s)
}
