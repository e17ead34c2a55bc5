package flows

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// contentCopy copies the built-in flows to a directory, applying edits by file name.
func contentCopy(t *testing.T, edits map[string]func(t *testing.T, s string) string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("content")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("content", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if edit := edits[e.Name()]; edit != nil {
			data = []byte(edit(t, string(data)))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// brokenCopy copies the built-in flows to a directory and breaks them the
// ways a content editor might.
func brokenCopy(t *testing.T) string {
	t.Helper()
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"amazon.yaml": func(t *testing.T, s string) string {
			s = replaceOnce(t, s, "        next: amazon_password\n", "        next: amazon_nowhere\n")
			s = replaceOnce(t, s, "  - id: amazon_mail\n", "  - id: amazon_mail\n    colour: red\n")
			s = replaceOnce(t, s, "title: 新しいカードを登録し直す\n", "title: 届いた新しいカードを登録し直すのを忘れずに\n")
			return replaceOnce(t, s, "label: ログインできる\n", "label: ログインはできるけれどメールがとても心配だ\n")
		},
	})
	var b strings.Builder
	b.WriteString("id: extra\ntitle: 壊れた例\nstart: extra_start\nsteps:\n  - id: extra_start\n    summary: true\n    text: [選んでください]\n    actions:\n      - call: amazon_old_freedial\n    choices:\n")
	for i := range 14 {
		b.WriteString("      - {label: 選択肢" + string(rune('A'+i)) + ", next: menu}\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// problemWant is a problem a broken copy of the flows must be reported with.
type problemWant struct{ file, reason string }

// wantProblems loads dir and asserts that each wanted problem is reported
// in its file, at a line, with its reason.
func wantProblems(t *testing.T, dir string, wants []problemWant) {
	t.Helper()
	_, err := Load(os.DirFS(dir))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("broken flows loaded: err = %v", err)
	}
	for _, want := range wants {
		found := false
		for _, p := range verr.Problems {
			found = found || (p.File == want.file && p.Line > 1 && strings.Contains(p.Reason, want.reason))
		}
		if !found {
			t.Errorf("no problem in %s with a line saying %q; got:\n%v", want.file, want.reason, verr)
		}
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("the built-in flows changed: %q not found; update this test", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestCheckReportsEveryProblemWithFileAndLine(t *testing.T) {
	_, err := Load(os.DirFS(brokenCopy(t)))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("broken flows loaded: err = %v", err)
	}
	want := []struct {
		file, reason string
	}{
		{"amazon.yaml", `goes to "amazon_nowhere", which does not exist`},
		{"amazon.yaml", `unknown field "colour"`},
		{"amazon.yaml", "has 21 characters; LINE allows 1–20"},
		// The reminder list's 「停止:<title>」 button would be cut (issue 15, defect 7).
		{"amazon.yaml", "more than a button's 20"},
		{"extra.yaml", "has 14 choices"},
		{"extra.yaml", `contact "amazon_old_freedial" is discontinued`},
	}
	for _, w := range want {
		found := false
		for _, p := range verr.Problems {
			if p.File == w.file && strings.Contains(p.Reason, w.reason) && p.Line > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem in %s with a line saying %q; got:\n%v", w.file, w.reason, verr)
		}
	}
	// Each problem points at the line of the broken thing.
	for _, p := range verr.Problems {
		if p.File == "extra.yaml" && strings.Contains(p.Reason, "discontinued") && p.Line != 9 {
			t.Errorf("discontinued call reported at line %d, want 9", p.Line)
		}
	}
}

func TestContentLoads(t *testing.T) {
	skipSweepUnderRace(t)
	g, err := Check(Content())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Steps[g.Start].Choices) < 4 {
		t.Fatalf("the menu offers %d situations, want at least 4", len(g.Steps[g.Start].Choices))
	}
	for _, id := range []string{"188", "#9110"} {
		c := g.contactByValue(id)
		if c == nil || c.Status != "active" || c.Kind != "phone" {
			t.Errorf("%s is not an active phone contact", id)
		}
	}
	for _, old := range []string{"0120-999-373", "011-330-3000"} {
		if c := g.contactByValue(old); c == nil || c.Status != "discontinued" {
			t.Errorf("the seed's number %s is not kept as discontinued", old)
		}
	}
}

// TestExampleForAnotherTargetIsReported: an example that the matcher takes
// to another choice is an error of flows check, at its file and line; a
// starting server (Load) does not pay for the check.
func TestExampleForAnotherTargetIsReported(t *testing.T) {
	skipSweepUnderRace(t)
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"card.yaml": func(t *testing.T, s string) string {
			const anchor = "      - label: 心当たりがあった\n        examples:\n"
			if !strings.Contains(s, anchor) {
				t.Fatal("card.yaml changed: no 心当たりがあった choice")
			}
			return strings.Replace(s, anchor, anchor+"          - 心当たりはない\n", 1)
		},
	})
	if _, err := Load(os.DirFS(dir)); err != nil {
		t.Fatalf("Load checks examples: %v", err)
	}
	_, err := Check(os.DirFS(dir))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Check: %v, want a ValidationError", err)
	}
	found := false
	for _, p := range verr.Problems {
		if p.File == "card.yaml" && p.Line > 0 && strings.Contains(p.Reason, "心当たりはない") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the misplaced example is not reported at card.yaml with a line: %v", verr)
	}
}

// TestSmallTalkThatIsACommandIsReported: small talk that reads as a command
// would silently swallow it; flows check says where.
func TestSmallTalkThatIsACommandIsReported(t *testing.T) {
	skipSweepUnderRace(t)
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"language.yaml": func(t *testing.T, s string) string {
			const anchor = "small_talk:\n"
			if !strings.Contains(s, anchor) {
				t.Fatal("language.yaml changed: no small_talk")
			}
			return strings.Replace(s, anchor, anchor+"  - メニュー\n", 1)
		},
	})
	_, err := Check(os.DirFS(dir))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Check: %v, want a ValidationError", err)
	}
	for _, p := range verr.Problems {
		if p.File == "language.yaml" && p.Line > 0 && strings.Contains(p.Reason, "メニュー") {
			return
		}
	}
	t.Fatalf("the small talk that is a command is not reported at language.yaml with a line: %v", verr)
}

// TestVariantOfTwoSpellingsIsReported: a variant listed under two spellings
// would silently follow only one of them; flows check says where.
func TestVariantOfTwoSpellingsIsReported(t *testing.T) {
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"language.yaml": func(t *testing.T, s string) string {
			return replaceOnce(t, s, "  SMS:\n    - ショートメール\n", "  SMS:\n    - ショートメール\n    - アマギフ\n")
		},
	})
	_, err := Check(os.DirFS(dir))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Check: %v, want a ValidationError", err)
	}
	for _, p := range verr.Problems {
		if p.File == "language.yaml" && p.Line > 0 && strings.Contains(p.Reason, "アマギフ") {
			return
		}
	}
	t.Fatalf("the variant of two spellings is not reported at language.yaml with a line: %v", verr)
}

// TestLabelLengthCountsGraphemes: LINE counts a label in grapheme clusters,
// so twenty emoji families (a hundred code points, 160 UTF-16 units) fit on
// a button and twenty-one do not; the renderer (bot/line) counts the same.
func TestLabelLengthCountsGraphemes(t *testing.T) {
	family := "👨‍👩‍👧"
	for _, tt := range []struct {
		label   string
		problem string // "" when the flows load
	}{
		{strings.Repeat(family, 20), ""},
		{strings.Repeat("🇯🇵", 19) + "か\u3099", ""},
		{strings.Repeat(family, 21), "has 21 characters; LINE allows 1–20"},
		{strings.Repeat("👍🏽", 21), "has 21 characters; LINE allows 1–20"},
	} {
		dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
			"amazon.yaml": func(t *testing.T, s string) string {
				return replaceOnce(t, s, "label: ログインできる\n", "label: "+tt.label+"\n")
			},
		})
		if tt.problem != "" {
			wantProblems(t, dir, []problemWant{{"amazon.yaml", tt.problem}})
			continue
		}
		if _, err := Load(os.DirFS(dir)); err != nil {
			t.Errorf("label %q (%d graphemes) rejected: %v", tt.label, 20, err)
		}
	}
}

// TestUnknownButtonKindIsReported: a button that is not a call, a link or a
// copy is refused at load with its file and line, never sent as something
// else (the renderer refuses it too: bot/line TestUnknownButtonKindIsAnError).
func TestUnknownButtonKindIsReported(t *testing.T) {
	for _, tt := range []struct{ action, reason string }{
		{"      - open: npa_form\n", `unknown field "open"`},
		{"      - {}\n", "an action needs exactly one of call, link or copy"},
		{"      - {call: police_9110, link: npa_form}\n", "an action needs exactly one of call, link or copy"},
	} {
		dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
			"amazon.yaml": func(t *testing.T, s string) string {
				return replaceOnce(t, s, "      - link: npa_form\n", tt.action)
			},
		})
		wantProblems(t, dir, []problemWant{{"amazon.yaml", tt.reason}})
	}
}
