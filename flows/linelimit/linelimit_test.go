package linelimit

import (
	"strings"
	"testing"
)

// The texts a user can paste or a content editor can write that count
// differently in code points, UTF-16 units and graphemes.
var samples = []struct {
	name, s          string
	utf16, graphemes int
}{
	{"ascii", "abc", 3, 3},
	{"kanji", "詐欺", 2, 2},
	{"surrogate pair", "🍎", 2, 1},
	{"ZWJ family", "👨‍👩‍👧", 8, 1},
	{"skin tone", "👍🏽", 4, 1},
	{"two flags", "🇯🇵🇺🇸", 8, 2},
	{"variation selector", "❤️", 2, 1},
	{"combining voiced mark", "か\u3099", 2, 1},
	{"half-width voiced mark", "ｶﾞ", 2, 1},
	{"combining acute", "e\u0301x", 3, 2},
	{"keycap", "1️⃣", 3, 1},
	{"CR LF", "a\r\nb", 4, 3},
}

func TestLenCountsLikeLINE(t *testing.T) {
	for _, tt := range samples {
		if got := Text.Len(tt.s); got != tt.utf16 {
			t.Errorf("%s: a text message counts %d UTF-16 units, want %d", tt.name, got, tt.utf16)
		}
		if got := Label.Len(tt.s); got != tt.graphemes {
			t.Errorf("%s: a label counts %d graphemes, want %d", tt.name, got, tt.graphemes)
		}
	}
}

// TestTruncateKeepsWholeClusters: a cut label is exactly at the limit, ends
// in "…" and never leaves half a flag, family or voiced kana on a button.
func TestTruncateKeepsWholeClusters(t *testing.T) {
	for _, tt := range samples {
		for _, l := range []Limit{Label, {Max: 20, Unit: UTF16}} {
			s := strings.Repeat(tt.s, 30)
			got := l.Truncate(s)
			if n := l.Len(got); n > l.Max {
				t.Errorf("%s, unit %d: truncated to %d, over %d", tt.name, l.Unit, n, l.Max)
			}
			kept, ok := strings.CutSuffix(got, "…")
			if !ok {
				t.Fatalf("%s, unit %d: %q was cut without an ellipsis", tt.name, l.Unit, got)
			}
			if !strings.HasPrefix(s, kept) || Label.Len(kept)+Label.Len(s[len(kept):]) != Label.Len(s) {
				t.Errorf("%s, unit %d: %q splits a grapheme cluster", tt.name, l.Unit, got)
			}
			if fit := strings.Repeat(tt.s, l.Max/max(1, l.Len(tt.s))); l.Truncate(fit) != fit {
				t.Errorf("%s, unit %d: %q fits and was cut", tt.name, l.Unit, fit)
			}
		}
	}
}
