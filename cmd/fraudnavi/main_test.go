package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
)

// testClock is the commands' clock in tests: a Tuesday night in Tokyo.
var testClock = flows.FixedClock(flowstest.JST(2026, 11, 24, 23, 30))

// skipSweepUnderRace skips a test whose command runs every example through
// the matcher (flows check) when the race detector is on: it starts no
// goroutine for it to watch and runs ten times slower under it; the runs
// without -race keep it.
func skipSweepUnderRace(t *testing.T) {
	t.Helper()
	if raceDetector {
		t.Skip("flows check sweeps every example: run without -race")
	}
}

func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err = run(context.Background(), args, getenv, testClock, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// cardWords is the copy button of the Amazon flow's card-company step for
// a user who chose 「先にカードを止めたい」: the exact words they read out.
func cardWords(t *testing.T) string {
	t.Helper()
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	words := flows.NewEngine(g).Words(flows.State{Step: "amazon_card_words", Answers: map[string]string{"login": "later", "pay": "card"}})
	if words == "" {
		t.Fatal("amazon_card_words has no words to say")
	}
	return words
}

func TestChatReachesTheCardCompanyWords(t *testing.T) {
	// Amazon → 先にカードを止めたい → 番号がわかった: three inputs, one typed.
	input := "1\n先にカードを止めたい\n1\n/quit\n"
	out, _, err := runCmd(t, input, nil, "chat", "--now", "2026-11-24T23:30")
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	words := cardWords(t)
	for _, line := range strings.Split(words, "\n") {
		if !strings.Contains(out, "[copy") || !strings.Contains(out, line) {
			t.Fatalf("the words to say are not shown verbatim (%q missing):\n%s", line, out)
		}
	}
}

func TestChatEndsAtEOFAndNumbersChoices(t *testing.T) {
	out, _, err := runCmd(t, "", nil, "chat")
	if err != nil {
		t.Fatalf("chat at EOF: %v", err)
	}
	if !strings.Contains(out, "[1] ") || !strings.Contains(out, "[4] ") {
		t.Fatalf("the menu's choices are not numbered:\n%s", out)
	}
}

func TestChatShowsCallButtonsAndOpenLines(t *testing.T) {
	out, _, err := runCmd(t, "相談窓口\n", nil, "chat", "--now", "2026-11-25T10:00")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "dials 188") {
		t.Fatalf("at 10:00 on a weekday 188 is open, but no call button:\n%s", out)
	}
	out, _, _ = runCmd(t, "相談窓口\n", nil, "chat", "--now", "2026-11-24T23:30")
	if strings.Contains(out, "dials 188") {
		t.Fatalf("at 23:30 188 is closed, but offered as a call:\n%s", out)
	}
}

func TestFlowsCheck(t *testing.T) {
	skipSweepUnderRace(t)
	out, _, err := runCmd(t, "", nil, "flows", "check")
	if err != nil || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("flows check on the built-in flows: %v %q", err, out)
	}
	dir := t.TempDir()
	data, err := os.ReadFile("../../flows/content/menu.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"contacts.yaml", "texts.yaml", flows.CalendarFile} {
		b, err := os.ReadFile(filepath.Join("../../flows/content", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	broken := strings.Replace(string(data), "next: amazon_start", "next: amazon_gone", 1)
	os.WriteFile(filepath.Join(dir, "menu.yaml"), []byte(broken), 0o644)
	_, stderr, err := runCmd(t, "", nil, "flows", "check", dir)
	if err == nil {
		t.Fatal("flows check passed a broken flow")
	}
	if !strings.Contains(stderr, "menu.yaml:") || !strings.Contains(stderr, "amazon_gone") {
		t.Fatalf("the problem is not named with file and line:\n%s", stderr)
	}
}

// copyContent copies the built-in flow files to a directory of the test's.
func copyContent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, flows.Content()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// flows check fails, naming the file and its last line, when the holiday
// calendar ends within 120 days of the check's date, and passes otherwise.
func TestFlowsCheckWarnsBeforeTheCalendarEnds(t *testing.T) {
	skipSweepUnderRace(t)
	shipped, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	end := shipped.Calendar.PublishedUntil()
	check := func(clock flows.Clock, dir string) (string, error) {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"flows", "check", dir}, func(string) string { return "" }, clock, strings.NewReader(""), &out, &errb)
		return errb.String(), err
	}
	if stderr, err := check(flows.FixedClock(end.AddDate(0, 0, -200)), copyContent(t)); err != nil {
		t.Fatalf("200 days before the end: %v\n%s", err, stderr)
	}
	// A copy whose calendar ends 60 days after the check.
	dir := copyContent(t)
	csvPath := filepath.Join(dir, flows.CalendarFile)
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	var kept []string
	for _, l := range lines {
		if !strings.HasPrefix(l, strconv.Itoa(end.Year())+"/") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(csvPath, []byte(strings.Join(kept, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	lastLine := strings.Count(strings.Join(kept, ""), "\n")
	newEnd := end.AddDate(-1, 0, 0)
	stderr, err := check(flows.FixedClock(newEnd.AddDate(0, 0, -60)), dir)
	if err == nil {
		t.Fatalf("flows check passed a calendar that ends in 60 days:\n%s", stderr)
	}
	if want := fmt.Sprintf("%s:%d:", flows.CalendarFile, lastLine); !strings.Contains(stderr, want) || !strings.Contains(stderr, "60 days") {
		t.Fatalf("stderr %q, want %q and 60 days", stderr, want)
	}
}

// flows holidays converts the CSV as 内閣府 publishes it (Shift_JIS, CRLF)
// into the shipped form.
func TestFlowsHolidaysConvertsTheOfficialCSV(t *testing.T) {
	shipped, sjis := flowstest.ShippedCalendarCSV(t)
	file := filepath.Join(t.TempDir(), "syukujitsu.csv")
	if err := os.WriteFile(file, sjis, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, "", nil, "flows", "holidays", file)
	if err != nil || out != string(shipped) {
		t.Fatalf("flows holidays: %v %s\n%s", err, stderr, out)
	}
	if _, _, err := runCmd(t, "2026/1/1,元日\n", nil, "flows", "holidays", "-"); err == nil {
		t.Fatal("a file without the official header was converted")
	}
}

func TestFlowsGraphIsMermaid(t *testing.T) {
	out, _, err := runCmd(t, "", nil, "flows", "graph")
	if err != nil || !strings.HasPrefix(out, "flowchart TD") || !strings.Contains(out, "amazon_start") {
		t.Fatalf("flows graph: %v\n%.300s", err, out)
	}
}

func TestServeRefusesWithoutSecretsAndRedacts(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://:hunter2@127.0.0.1:1/0", "LOG_LEVEL": "loud", "ADDR": "nope"}
	_, _, err := runCmd(t, "", env, "serve")
	if err == nil {
		t.Fatal("serve started without LINE secrets")
	}
	msg := err.Error()
	for _, want := range []string{"LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LOG_LEVEL", "ADDR"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not name %s:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("the error shows a password:\n%s", msg)
	}
}

func TestCheckPrintsTheAnalysis(t *testing.T) {
	tests := []struct {
		name, stdin string
		says        []string
	}{
		{"look-alike", "【三井住友カード】ご利用を一時停止しました https://smbcard.verify.co.jp.dfg538.com/login", []string{"dfg538.com", "三井住友カードの公式サイトではありません"}},
		{"official", "https://www.amazon.co.jp/", []string{"Amazonの公式のドメインです", "公式アプリ"}},
		{"shortener", "https://bit.ly/3abcd", []string{"短縮URL"}},
		{"nothing", "", []string{"リンクは見つかりませんでした"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runCmd(t, tt.stdin, nil, "check")
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(out, s) {
					t.Errorf("the output lacks %q:\n%s", s, out)
				}
			}
			if tt.stdin != "" && strings.Contains(out, "/login") {
				t.Errorf("the output echoes the link:\n%s", out)
			}
		})
	}
}

func TestChatExplainPrintsStepTargetAndRunnerUp(t *testing.T) {
	out, _, err := runCmd(t, "カードを盗まれました\n", nil, "chat", "--explain", "--now", "2026-11-24T23:30")
	if err != nil {
		t.Fatalf("chat --explain: %v", err)
	}
	if !strings.Contains(out, "(explain: step menu, act: カード・財布をなくした ") || !strings.Contains(out, "runner-up ") {
		t.Fatalf("no explanation of the typed message:\n%s", out)
	}
}

func TestFlowsEvalFailsBelowTheThreshold(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "eval.tsv")
	rows := "menu\tカードを盗まれました\tカード・財布をなくした\tmenu\nmenu\tありがとう\tカードに知らない請求\tmenu\n"
	if err := os.WriteFile(file, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "", nil, "flows", "eval", file)
	if err == nil || !strings.Contains(out, "overall: 1/2") || !strings.Contains(out, "confusion") {
		t.Fatalf("flows eval: err %v\n%s", err, out)
	}
}
