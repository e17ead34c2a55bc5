package linkcheck_test

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// FuzzCheck: any text, however broken, is analysed without a panic, within
// LINE's limits, and the answer repeats nothing of the text but the owners
// of its links.
func FuzzCheck(f *testing.F) {
	r := rules(f)
	for _, s := range []string{
		"【Amazon】至急 https://amazon-co-jp.example.top/login 0120-111-222",
		"hxxps://smbcard.verify.co.jp.dfg538[.]com/\nlogin?id=1",
		"ｈｔｔｐｓ：／／ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ／",
		"https://user:pass@[::1]:8080/x https://xn--mazon-3ve.co.jp/ https://www.аmazon.co.jp/",
		"https://%zz%/ http:// https://. https://.. .com ..jp a..b.com",
		"https://0x7f.1/ http://2130706433/ https://bit.ly/x monex-co-jp.oixvg.cn",
		strings.Repeat("https://a.example.com/ ", 50),
		strings.Repeat("あ", 5000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rep := r.Check(s, nil)
		if len(rep.Links) > 10 {
			t.Fatalf("%d links analysed, the bound is 10", len(rep.Links))
		}
		answer := r.Answer(rep)
		if n := len(utf16.Encode([]rune(answer))); n > 5000 {
			t.Fatalf("answer of %d UTF-16 units, over LINE's 5,000", n)
		}
		for _, l := range rep.Links {
			if l.Owner == "" && l.Host != "" {
				t.Fatalf("a link on %q with no owner", l.Host)
			}
		}
	})
}

// BenchmarkCheck5000: a 5,000-character message, the longest LINE
// delivers, full of link-like text.
func BenchmarkCheck5000(b *testing.B) {
	r := rules(b)
	var sb strings.Builder
	for sb.Len() < 5000*3 {
		sb.WriteString("お客様のアカウント停止 https://amazon-co-jp.example.top/login?id=123 至急ご確認ください 0120-111-222 smbc.verify.co.jp.dfg538.com ")
	}
	msg := string([]rune(sb.String())[:5000])
	b.ReportAllocs()
	for b.Loop() {
		r.Answer(r.Check(msg, nil))
	}
}

// BenchmarkCheckWorst5000: 5,000 characters of dots and letters, the
// input that makes the most candidate hosts.
func BenchmarkCheckWorst5000(b *testing.B) {
	r := rules(b)
	msg := strings.Repeat("a.b.", 1250)
	b.ReportAllocs()
	for b.Loop() {
		r.Answer(r.Check(msg, nil))
	}
}

// BenchmarkCheckJoins5000: a link broken after every character, the input
// that makes the most joins.
func BenchmarkCheckJoins5000(b *testing.B) {
	r := rules(b)
	msg := "https://a" + strings.Repeat(" a", 2495)
	b.ReportAllocs()
	for b.Loop() {
		r.Answer(r.Check(msg, nil))
	}
}
