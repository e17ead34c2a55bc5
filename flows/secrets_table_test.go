package flows

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestSecretsTable runs flows/testdata/secrets.tsv, a set of messages written
// from a frightened user's side without reading the detector: each row is
// text, "secret" or "none", and a note. Every secret row must get a warning
// (card number or secret) and no none row may; the counts are reported so a
// change shows what it gained or lost:
//
//	go test -run TestSecretsTable -v ./flows/
func TestSecretsTable(t *testing.T) {
	e := contentEngine(t)
	f, err := os.Open("testdata/secrets.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var secrets, nones, misses, alarms int
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		row := sc.Text()
		if row == "" || strings.HasPrefix(row, "# ") {
			continue
		}
		cols := strings.Split(row, "\t")
		if len(cols) < 2 {
			t.Fatalf("secrets.tsv:%d: want text<TAB>secret|none<TAB>note", line)
		}
		text := strings.ReplaceAll(cols[0], `\n`, "\n")
		warned := e.sensitive(text) != ""
		switch cols[1] {
		case "secret":
			secrets++
			if !warned {
				misses++
				t.Errorf("secrets.tsv:%d: missed secret %q", line, text)
			}
		case "none":
			nones++
			if warned {
				alarms++
				t.Errorf("secrets.tsv:%d: false alarm %q", line, text)
			}
		default:
			t.Fatalf("secrets.tsv:%d: label %q, want secret or none", line, cols[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("secrets caught %d/%d, false alarms %d/%d", secrets-misses, secrets, alarms, nones)
}
