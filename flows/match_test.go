package flows

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ｶｰﾄﾞ会社の電話", "かど会社の電話"},
		{"カード会社の電話", "かど会社の電話"},
		{"ログイン　できない！", "ろぐいんできない"},
		{"ＡＭＡＺＯＮ", "amazon"},
		{"#9110", "9110"},
		{"ちょっと", "ちよつと"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// utterances are things people type instead of tapping, at the step where
// they type them, with the button or command they mean. The free-text rules
// must reach at least 90% of them; the figure is logged.
var utterances = []struct {
	step, say, want string // want: a choice label, or "cmd:<id>"
}{
	{"menu", "Amazonのアカウントが乗っ取られた", "Amazonの乗っ取り・注文"},
	{"menu", "アマゾンで勝手に注文された", "Amazonの乗っ取り・注文"},
	{"menu", "ａｍａｚｏｎ乗っ取り", "Amazonの乗っ取り・注文"},
	{"menu", "身に覚えのない請求がある", "カードに知らない請求"},
	{"menu", "知らない請求", "カードに知らない請求"},
	{"menu", "カードとめたい", "カードを今すぐ止めたい"},
	{"menu", "カード止めたい", "カードを今すぐ止めたい"},
	{"menu", "ｶｰﾄﾞを止めたいです", "カードを今すぐ止めたい"},
	{"menu", "カードを停止したい", "カードを今すぐ止めたい"},
	{"menu", "怪しいリンクを開いてしまった", "怪しいリンクを開いた"},
	{"menu", "SMSのリンクを押しちゃった", "怪しいリンクを開いた"},
	{"menu", "フィッシングかも", "怪しいリンクを開いた"},
	{"menu", "不正利用されてると電話がきた", "「不正利用」と連絡が来た"},
	{"menu", "よくわからない", "その他・わからない"},
	{"amazon_start", "ログインできない", "ログインできない"},
	{"amazon_start", "ログイン出来ません", "ログインできない"},
	{"amazon_start", "ろぐいんできない", "ログインできない"},
	{"amazon_start", "入れない", "ログインできない"},
	{"amazon_start", "パスワードが違うと言われる", "ログインできない"},
	{"amazon_start", "ログインできる", "ログインできる"},
	{"amazon_start", "ログインできます", "ログインできる"},
	{"amazon_start", "はいれる", "ログインできる"},
	{"amazon_start", "先にカードをとめたい", "先にカードを止めたい"},
	{"amazon_start", "カード会社の電話", "先にカードを止めたい"},
	{"amazon_start", "ｶｰﾄﾞ会社の電話", "先にカードを止めたい"},
	{"amazon_contact", "アマゾンの電話番号は？", "Amazonの電話番号は？"},
	{"amazon_contact", "連絡しました", "連絡した・次へ"},
	{"amazon_card", "カードで払ってた", "カードで払われていた"},
	{"amazon_card", "わかりません", "わからない"},
	{"amazon_card_number", "見つからない", "番号が見つからない"},
	{"amazon_card_number", "番号わかった", "番号がわかった・次へ"},
	{"amazon_card_words", "電話かけました", "かけた・次へ"},
	{"amazon_card_words", "つながらない", "つながらない"},
	{"amazon_card_words", "繋がらない", "つながらない"},
	{"amazon_card_after", "警察に届けが必要と言われた", "必要と言われた"},
	{"amazon_card_after", "いらないって", "必要ないと言われた"},
	{"amazon_reissue", "銀行のカード", "キャッシュカード一体型"},
	{"amazon_reissue", "キャッシュカードと一緒のやつ", "キャッシュカード一体型"},
	{"amazon_reissue", "普通のクレジットカード", "ふつうのクレジットカード"},
	{"phishing_start", "カード番号を入れてしまった", "カード情報を入力した"},
	{"phishing_start", "パスワード入れちゃった", "パスワードを入力した"},
	{"phishing_start", "何も入力してない", "何も入力していない"},
	{"phishing_start", "アプリをインストールした", "アプリを入れてしまった"},
	{"scamcall_start", "今電話中", "いま電話がつながっている"},
	{"scamcall_start", "お金を振り込んでしまった", "教えた・払ってしまった"},
	{"scamcall_paid", "ギフトカードの番号を教えた", "ギフトカードの番号を教えた"},
	{"card_start", "心当たりはありません", "心当たりはない"},
	{"card_start", "家族が使ってたかも", "心当たりがあった"},
	{"amazon_card_words", "もどる", "cmd:back"},
	{"amazon_card_words", "最初から", "cmd:menu"},
	{"amazon_card_words", "めにゅー", "cmd:menu"},
	{"amazon_card_words", "進捗", "cmd:progress"},
	{"amazon_card_words", "やることリスト", "cmd:progress"},
	{"amazon_card_words", "人と話したい", "cmd:contacts"},
	{"amazon_card_words", "相談窓口", "cmd:contacts"},
	{"amazon_card_words", "使い方がわからない", "cmd:help"},
	{"amazon_card_words", "リマインド停止", "cmd:stop_reminders"},
	{"amazon_card_words", "データを削除して", "cmd:delete"},
	// The more specific reading wins when it explains all the other's
	// evidence: 通知 alone is リマインド一覧.
	{"card_after", "通知がうるさいので止めてほしい", "cmd:stop_reminders"},
}

func TestFreeTextReachesTheIntendedChoice(t *testing.T) {
	e := contentEngine(t)
	hits := 0
	for _, u := range utterances {
		st := e.g.Steps[u.step]
		if st == nil {
			t.Fatalf("no step %q", u.step)
		}
		got := "(unmatched)"
		if un := e.Understand(u.step, u.say); un.Decision == DecideAct {
			got = un.Best.Name()
		}
		if got == u.want {
			hits++
		} else {
			t.Logf("miss at %s: %q → %s, want %s", u.step, u.say, got, u.want)
		}
	}
	rate := float64(hits) / float64(len(utterances))
	t.Logf("free text: %d of %d utterances (%.0f%%) reach the intended choice", hits, len(utterances), rate*100)
	if len(utterances) < 40 || rate < 0.9 {
		t.Fatalf("free text reached %d of %d (%.0f%%); want at least 40 utterances and 90%%", hits, len(utterances), rate*100)
	}
}

// TestLanguageRulesMeetTheExamples: what people type in other registers and
// scripts meets the same plain, single-spelling form as the examples, so a
// content editor writes one example instead of every way of saying it.
func TestLanguageRulesMeetTheExamples(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct{ typed, written string }{
		{"カードを無くしてしまいました", "カードをなくした"}, // kanji variant, polite past
		{"わからへん", "わからない"},             // Kansai negation
		{"止めなあかん", "止めたい"},             // Kansai "must"
		{"ショートメールが来た", "SMSが来た"},       // synonym
		{"アマギフの番号", "ギフトカードの番号"},       // slang for the same card
		{"せいきゅうがある", "請求がある"},          // hiragana only
		{"セイキュウ", "請求"},                // katakana only
		{"届け出は不要", "届け出は必要ない"},         // one word for "not needed"
		{"クレカの明細", "カードの明細"},           // クレカ is a card
		{"ＳＴＯＰ ＣＡＲＤ", "止めカード"},         // full-width English
		{"はじめの画面", "最初の画面"},            // kana and kanji
		{"いえにくるといわれた", "家にくると言われた"},    // danger in kana meets the urgent words
		{"身に覚えのない請求", "知らない請求"},        // one way to say "unknown"
		{"嫁が使うとった", "嫁が使ってた"},          // western progressive
		{"家内が使っておりました", "家内が使っていた"},    // humble
		{"止めていただけますか", "止めて"},          // a request
	} {
		if got, want := e.m.normalize(tt.typed), e.m.normalize(tt.written); got != want {
			t.Errorf("%q reads as %q, %q as %q: they should meet", tt.typed, got, tt.written, want)
		}
	}
	for _, tt := range []struct{ typed, not string }{
		{"請求がへん", "請求がない"},   // へん after a particle is 変, not a negation
		{"まとめへ", "ま止めへ"},     // a kana word is not cut inside another
		{"乗っ取られた", "乗っ盗まれた"}, // 取られた inside 乗っ取られた stays
		{"パスワード", "パスワードワード"},
		{"止められるとメールが来た", "止められる止めるが来た"}, // と + メール is not とめる
	} {
		if got, bad := e.m.normalize(tt.typed), e.m.normalize(tt.not); got == bad {
			t.Errorf("%q reads as %q, the same as %q", tt.typed, got, tt.not)
		}
	}
}

// TestNegationKeepsItsPlace: a negation that describes a noun
// (「知らない請求」) does not make a statement negative; one that ends the
// predicate does, even after a particle, and 「なくなった」 (no longer able)
// is one.
func TestNegationKeepsItsPlace(t *testing.T) {
	e := contentEngine(t)
	for _, tt := range []struct {
		say      string
		negative bool
	}{
		{"身に覚えのない請求", false},
		{"知らない請求がある", false},
		{"知らない請求はなかった", true},
		{"心当たりはないよ", true},
		{"入れなくなってる", true},
		{"ログインできひん", true},
		{"ログインできた", false},
		{"心当たり無いです", true},  // 無い in kanji
		{"これから確認します", true}, // not done yet
		{"たぶんないと思います", true},
		{"いらんて言われたわ", true}, // Kansai, reported, then a particle
		{"必要ないと言われた", true},
		{"必要と言われた", false},
		{"いらないそうです", true},
		{"買ってないのに", false}, // a reason, not an answer
		{"ログインできない状態です", true},
		{"パスワード変えたのに入れなくて", true},
	} {
		if got := e.m.read(tt.say).x.negative; got != tt.negative {
			t.Errorf("%q: negative = %v, want %v", tt.say, got, tt.negative)
		}
	}
}
