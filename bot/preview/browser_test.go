package preview

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
)

var update = flag.Bool("update", false, "write the README's screenshot, docs/preview.png, from the browser test")

// screenshotFile is the README's picture of the preview at 23:30.
const screenshotFile = "../../docs/preview.png"

// chromium is Debian's chromium. Without it the browser test skips, except
// in CI (CI=true), where .ci/run installs it and a skip would hide a failure.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (apt-get install chromium); CI=true needs the browser test to run")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	return path
}

// newPreview serves the shipped flows and rich menu, its clock starting at
// 10:30 on a Wednesday.
func newPreview(t *testing.T) *httptest.Server {
	t.Helper()
	fsys := flows.Content()
	g, err := flows.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	img, err := fs.ReadFile(fsys, "richmenu.png")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Engine:        flows.NewEngine(g),
		Clock:         flows.FixedClock(flowstest.JST(2026, 11, 25, 10, 30)),
		RichMenu:      g.RichMenu,
		RichMenuImage: img,
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// newBrowser starts a headless chromium with a phone-sized window.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root, where chromium's sandbox will not start
	)
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	// Start the browser on a context without a deadline (chromedp stops the
	// browser when that context ends), then bound what runs in it: a hung
	// browser fails the test instead of hanging it; not a timing assertion.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// screen is what one answer put on the screen, read from the page.
type screen struct {
	Answer  string   // the bot's messages of the last answer, as shown
	Buttons []string // what each Flex button of the last answer says it does
	Chips   []string // the quick replies
	User    string   // the user's last message, as shown
}

const readScreen = `(() => {
  const n = document.body.dataset.answers;
  const rows = [...document.querySelectorAll('.msg.bot[data-answer="' + n + '"]')];
  const users = [...document.querySelectorAll('.msg.user')];
  return {
    Answer: rows.map(r => r.innerText).join("\n"),
    Buttons: rows.flatMap(r => [...r.querySelectorAll('.flex-button .does')].map(b => b.innerText)),
    Chips: [...document.querySelectorAll('#quick .chip')].map(c => c.innerText),
    User: users.length ? users[users.length - 1].innerText : "",
  };
})()`

// TestPreviewInBrowser drives the preview in a real browser as a content
// editor does: the rich menu's 相談窓口 in the morning and at night, a quick
// reply, and the card company's words at 23:30, each checked on the screen.
// With -update it saves the screen of the words at 23:30 as the README's
// screenshot.
func TestPreviewInBrowser(t *testing.T) {
	srv := newPreview(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(430, 900, chromedp.EmulateScale(2)),
		chromedp.Navigate(srv.URL),
		waitAnswers(1),
	); err != nil {
		t.Fatalf("open the preview: %v", err)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[screen](readScreen))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.Answer, "このボットが、カード番号・パスワード・暗証番号・確認コードを聞くことはありません") ||
		!slices.Contains(first.Chips, "カードを今すぐ止めたい") {
		t.Fatalf("the greeting and the menu's chips are not on the screen: %+v", first)
	}

	menuArea := func(label string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`#richmenu .area[data-label="` + label + `"]`))
	}
	chip := func(label string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.Search(`//div[@id="quick"]/button[normalize-space()="` + label + `"]`))
	}
	tests := []struct {
		name      string
		clock     string // the clock control's time
		tap       chromedp.Action[chromedp.Void]
		user      string   // what the chat shows the user sent
		want      []string // on the screen, in the bot's answer
		wantDoes  []string // what the answer's buttons say they do
		notDoes   string   // no button says this
		wantChips []string
		// copiesShown: there is a copy button, and each copies words the
		// screen shows (whatever the content's words are today)
		copiesShown bool
		// screenshot: with -update, this screen is the README's picture
		screenshot bool
	}{
		{
			name: "相談窓口 on a weekday morning", clock: "2026-11-25T10:30", tap: menuArea("相談窓口"), user: "相談窓口",
			want:      []string{"警察相談専用電話 #9110（いま受付中）"},
			wantDoes:  []string{"📞 #9110 に電話", "📞 188 に電話"},
			wantChips: []string{"カードを今すぐ止めたい"},
		},
		{
			name: "相談窓口 at 23:30: #9110 shown closed, no call button", clock: "2026-11-24T23:30", tap: menuArea("相談窓口"), user: "相談窓口",
			want:      []string{"警察相談専用電話 #9110（いまは時間外。次は 11月25日(水) 08:30 から）"},
			notDoes:   "#9110 に電話",
			wantChips: []string{"カードを今すぐ止めたい"},
		},
		{
			name: "quick reply カードを今すぐ止めたい", clock: "2026-11-24T23:30", tap: chip("カードを今すぐ止めたい"), user: "カードを今すぐ止めたい",
			want:      []string{"カード会社の「紛失・盗難」の窓口に電話します。24時間つながります。"},
			wantChips: []string{"番号がわかった・次へ", "番号が見つからない"},
		},
		{
			name: "the words to say, with their copy button", clock: "2026-11-24T23:30", tap: chip("番号がわかった・次へ"), user: "番号がわかった・次へ",
			want:        []string{"【カード会社に伝えること】", "伝えることをコピー"},
			copiesShown: true,
			wantChips:   []string{"かけた・次へ", "つながらない"},
			screenshot:  true,
		},
		{
			name: "a typed card number: the warning quotes it", clock: "2026-11-24T23:30", tap: typeText("4111 1111 1111 1111"), user: "4111 1111 1111 1111",
			// The quote above the warning shows the message to unsend.
			want:      []string{"4111 1111 1111 1111\n", "カード番号のようなものが送られました", "送信取消"},
			wantChips: []string{"かけた・次へ"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := chromedp.Do(ctx,
				chromedp.SetValue(chromedp.ID("clock"), tt.clock),
				tt.tap,
				waitAnswers(i+2),
			); err != nil {
				t.Fatalf("tap: %v", err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[screen](readScreen))
			if err != nil {
				t.Fatal(err)
			}
			if got.User != tt.user {
				t.Errorf("the chat shows the user sent %q, want %q", got.User, tt.user)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.Answer, w) {
					t.Errorf("%q is not on the screen; the answer shows:\n%s", w, got.Answer)
				}
			}
			for _, w := range tt.wantDoes {
				if !hasPrefix(got.Buttons, w) {
					t.Errorf("no button says %q; buttons say %q", w, got.Buttons)
				}
			}
			if tt.copiesShown {
				checkCopiesShown(t, got)
			}
			if tt.notDoes != "" && hasSubstring(got.Buttons, tt.notDoes) {
				t.Errorf("a button says %q: %q", tt.notDoes, got.Buttons)
			}
			for _, w := range tt.wantChips {
				if !slices.Contains(got.Chips, w) {
					t.Errorf("no quick reply %q; chips: %q", w, got.Chips)
				}
			}
			if tt.screenshot && *update {
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(screenshotFile, png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s (%d bytes)", screenshotFile, len(png))
			}
		})
	}
}

// typeText types s into the message field and sends it.
func typeText(s string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("text"), s),
		chromedp.Click(chromedp.ID("send")),
	)
}

// checkCopiesShown checks that the answer has a copy button and that each
// says it copies words the answer shows.
func checkCopiesShown(t *testing.T, got screen) {
	t.Helper()
	shown := strings.Join(strings.Fields(got.Answer), " ")
	copies := 0
	for _, b := range got.Buttons {
		words, ok := strings.CutPrefix(b, "コピー: ")
		if !ok {
			continue
		}
		copies++
		if w := strings.Join(strings.Fields(words), " "); len(w) < 20 || !strings.Contains(shown, w) {
			t.Errorf("a copy button copies %q, which the answer does not show:\n%s", w, got.Answer)
		}
	}
	if copies == 0 {
		t.Errorf("no copy button; buttons say %q", got.Buttons)
	}
}

// waitAnswers waits until the page has drawn n answers.
func waitAnswers(n int) chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`body[data-answers="%d"]`, n)))
}

func hasPrefix(xs []string, p string) bool {
	for _, x := range xs {
		if strings.HasPrefix(x, p) {
			return true
		}
	}
	return false
}

func hasSubstring(xs []string, s string) bool {
	for _, x := range xs {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
