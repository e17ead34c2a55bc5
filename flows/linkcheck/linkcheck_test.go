package linkcheck_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/flows/linkcheck"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plain", "ご確認ください https://amazon-co-jp.example.top/login です", []string{"https://amazon-co-jp.example.top/login"}},
		{"japanese around", "こちら→https://evil.example.com/aからログイン", []string{"https://evil.example.com/a"}},
		{"full width", "ｈｔｔｐｓ：／／ａｍａｚｏｎ－ｊｐ．ｅｘａｍｐｌｅ．ｃｏｍ／ｌｏｇｉｎ", []string{"https://amazon-jp.example.com/login"}},
		{"hxxp", "hxxps://smbc-card[.]verify[.]example[.]com/x", []string{"https://smbc-card.verify.example.com/x"}},
		{"bare domain", "amazon-co-jp.example.top/login を開いて", []string{"amazon-co-jp.example.top/login"}},
		{"bare official", "amazon.co.jp で確認", []string{"amazon.co.jp"}},
		{"line break in path", "https://example.top/ab\ncd/ef 確認", []string{"https://example.top/ab/cd/ef"[:len("https://example.top/ab")] + "cd/ef"}},
		{"line break after slash", "https://example.top/login/\nverify?id=1", []string{"https://example.top/login/verify?id=1"}},
		{"line break in host", "https://amaz\non-co-jp.example.top/x", []string{"https://amazon-co-jp.example.top/x"}},
		{"two links", "https://a.example.com と https://b.example.net", []string{"https://a.example.com", "https://b.example.net"}},
		{"sentence end", "https://example.com/a。", []string{"https://example.com/a"}},
		{"bracketed", "「https://example.com/a」", []string{"https://example.com/a"}},
		{"ip", "http://150.230.211.46/login", []string{"http://150.230.211.46/login"}},
		{"bare ip", "150.230.211.46 にアクセス", []string{"150.230.211.46"}},
		{"shortener", "https://bit.ly/3abcd", []string{"https://bit.ly/3abcd"}},
		{"e-mail is no link", "info@antiphishing.jp に転送", nil},
		{"numbers are no link", "3,980円 2026.11.24 ver1.2 24時間以内", nil},
		{"not a suffix", "file.txt と name.local", nil},
		{"nothing", "こんにちは", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := linkcheck.Extract(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Extract(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	r := rules(t)
	tests := []struct {
		name, text string
		verdict    linkcheck.Verdict
		// says are parts the answer must hold.
		says []string
	}{
		{"brand in subdomain", "三井住友カードより https://smbcard.verify.co.jp.dfg538.com/login",
			linkcheck.Dangerous, []string{"本当の持ち主は dfg538.com で、三井住友カードの公式サイトではありません。開かないでください。", "co と jp"}},
		{"hyphenated official domain", "https://monex-co-jp.oixvg.cn/", linkcheck.Dangerous, []string{"oixvg.cn", "co と jp"}},
		{"official", "https://www.amazon.co.jp/gp/css/order-history", linkcheck.Official, []string{"amazon.co.jp で、Amazonの公式のドメインです", "公式アプリ"}},
		{"official bare", "amazon.co.jp", linkcheck.Official, []string{"Amazonの公式"}},
		{"official domain in path", "https://evil.example.com/www.amazon.co.jp/signin", linkcheck.Dangerous, []string{"example.com で、Amazonの公式サイトではありません"}},
		{"userinfo", "https://www.amazon.co.jp@evil.example.com/", linkcheck.Dangerous, []string{"example.com", "「@」"}},
		{"ip", "https://150.230.211.46/", linkcheck.Dangerous, []string{"150.230.211.46", "IPアドレス"}},
		{"port", "https://www.amazon.co.jp:8443/", linkcheck.Dangerous, []string{"ポート"}},
		{"punycode", "https://xn--mazon-3ve.co.jp/", linkcheck.Dangerous, []string{"xn--mazon-3ve.co.jp", "特殊な文字", "別の文字"}},
		{"cyrillic look-alike", "https://www.аmazon.co.jp/", linkcheck.Dangerous, []string{"Amazon", "特殊な文字"}},
		{"dynamic dns", "http://dmonedcbut.duckdns.org/ja/main", linkcheck.Unknown, []string{"dmonedcbut.duckdns.org", "duckdns.org"}},
		{"free host with brand", "Amazonです https://x.whdzq2qfs.workers.dev/", linkcheck.Dangerous, []string{"whdzq2qfs.workers.dev で、Amazonの公式サイトではありません", "workers.dev"}},
		{"shortener", "https://bit.ly/3abcd", linkcheck.Shortener, []string{"短縮URL", "bit.ly", "行き先"}},
		{"unknown", "https://example.com/", linkcheck.Unknown, []string{"example.com", "確かめられませんでした"}},
		{"claimed brand, other domain", "【Amazon】ご注文の確認 https://www.mazseev.top/?x", linkcheck.Dangerous, []string{"mazseev.top で、Amazonの公式サイトではありません"}},
		{"a link alone claims nothing", "https://smbcard.verify.co.jp.dfg538.com/login",
			linkcheck.Dangerous, []string{"dfg538.com で、三井住友カードの公式サイトではありません"}},
		{"amazonaws is not amazon", "https://aeonjapan.s3.us-east-2.amazonaws.com/a.html", linkcheck.Dangerous, []string{"aeonjapan.s3.us-east-2.amazonaws.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := r.Check(tt.text, nil)
			if len(rep.Links) != 1 {
				t.Fatalf("%d links, want 1", len(rep.Links))
			}
			answer := r.Answer(rep)
			if rep.Links[0].Verdict != tt.verdict {
				t.Errorf("verdict %d, want %d:\n%s", rep.Links[0].Verdict, tt.verdict, answer)
			}
			for _, s := range tt.says {
				if !strings.Contains(answer, s) {
					t.Errorf("the answer lacks %q:\n%s", s, answer)
				}
			}
		})
	}
}

func TestWording(t *testing.T) {
	r := rules(t)
	tests := []struct {
		name, text string
		pressure   []string
		phone      bool
	}{
		{"suspended", "お客様のアカウント停止のお知らせ。至急ご確認ください。", []string{"suspended", "urgent"}, false},
		{"payment", "支払い情報の更新をお願いします", []string{"update_payment"}, false},
		{"verify", "本人確認が必要です", []string{"verify"}, false},
		{"unpaid", "料金の未払いがあります", []string{"unpaid"}, false},
		{"parcel", "お荷物をお届けにあがりましたが不在のため持ち帰りました", []string{"parcel"}, false},
		{"unknown phone", "詳しくは 0120-111-222 までお電話ください", nil, true},
		{"full-width phone", "０３－１２３４－５６７８へ", nil, true},
		{"an active contact is fine", "消費者ホットライン 188 へ", nil, false},
		{"no pressure", "今日はいい天気ですね", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := r.Check(tt.text, func(d string) bool { return d == "188" })
			var ids []string
			for _, p := range rep.Pressure {
				ids = append(ids, p.ID)
			}
			if !slices.Equal(ids, tt.pressure) {
				t.Errorf("pressure %q, want %q", ids, tt.pressure)
			}
			if rep.UnknownPhone != tt.phone {
				t.Errorf("unknown phone %v, want %v", rep.UnknownPhone, tt.phone)
			}
		})
	}
}

func TestExtractSkipsAddresses(t *testing.T) {
	for _, s := range []string{
		"メールはhanako.yamada@example.jp です",
		"hanako.yamada@example.jp",
	} {
		if got := linkcheck.Extract(s); len(got) != 0 {
			t.Errorf("Extract(%q) = %q: an e-mail address is no link", s, got)
		}
	}
}
