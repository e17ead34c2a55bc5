package flows

import (
	"strings"
	"testing"
)

// TestSensitiveText lists what a victim may type and whether the bot must
// treat it as a card number, a secret (one-time code, password, PIN,
// gift-card code) or ordinary text it goes on with.
func TestSensitiveText(t *testing.T) {
	const (
		card   = "card"
		secret = "secret"
		none   = ""
	)
	tests := []struct {
		text string
		want string
	}{
		// Card numbers: 13–19 digits passing the Luhn check, however written.
		{"4111111111111111", card},
		{"4111 1111 1111 1111", card},
		{"4111-1111-1111-1111", card},
		{"４１１１　１１１１　１１１１　１１１１", card},           // full-width digits and spaces
		{"４１１１－１１１１－１１１１－１１１１", card},           // full-width hyphens
		{"4111ー1111ー1111ー1111", card},           // the IME's long-vowel mark as a dash
		{"4111 − 1111 − 1111 − 1111", card},     // minus signs with spaces
		{"カード番号は5555555555554444です", card},      // inside a sentence
		{"3782 822463 10005", card},             // American Express, 4-6-5
		{"3056 930902 5904", card},              // Diners, 4-6-4
		{"3530111333300000", card},              // JCB
		{"4222222222222", card},                 // 13 digits
		{"6212 3456 7890 1234 569", card},       // 19 digits
		{"4111 1111 1111 1111 12/27 123", card}, // with the expiry and code after it
		{"番号 4111 1111 1111 1111 1227", card},   // expiry run into the groups
		{"カードは\n4111111111111111\nです", card},    // on a line of its own
		{"25012345671234567", card},             // passes Luhn with no grouping: cannot tell
		{"4111 1111 1111 1112", card},           // fails Luhn, but typed 4-4-4-4: a mistyped card number is still one
		{"1234 5678 9012 3456", card},           // the same
		{"41111111 11111112", none},             // fails Luhn, not printed like a card
		{"411111111111", none},                  // 12 digits
		{"注文番号は250-1234567-1234567です", none},    // an Amazon order number, though it passes Luhn
		{"090-1234-5678と03-1234-5678に電話", none}, // two phone numbers
		{"11/24に3980円の請求", none},                // a date and an amount
		{"11/24の注文 250-1234567-1234567", none},  // a date and an order number

		// One-time codes and PINs, typed without being asked.
		{"123456", secret},
		{"１２３４５６", secret},
		{"482913です", secret},
		{" 4829 ", secret},
		{"123 456", secret},
		{"確認コードは123456", secret},
		{"確認コードが届きました 482913", secret},
		{"【Amazon】ワンタイムパスワード：839201", secret},
		{"839201 is your Amazon OTP. Do not share it.", secret},
		{"暗証番号を聞かれて、1234と答えてしまった", secret},
		{"SMSの認証番号 5521", secret},
		{"PIN 0000", secret},
		{"セキュリティコード 123", secret},
		{"認証コードは 4 8 2 9 1 3", secret}, // a code typed with spaces
		{"確認コード 48 29 13", secret},
		{"有効期限12/28 セキュリティコード123", secret}, // expiry and the three-digit code
		{"期限 03/27 CVV 554", secret},
		{"有効期限は08/27で裏の3桁は456", secret},

		// Passwords.
		{"パスワードは abc12345", secret},
		{"パスワードはhanako2024です", secret},
		{"ﾊﾟｽﾜｰﾄﾞ：Tanaka!2024", secret}, // half-width katakana
		{"パスワードを「qwerty」にしていました", secret},
		{"password: hunter22", secret},
		{"pw=Sakura#77", secret},
		{"Tanaka2024!", secret},
		{"Hanako_Yamada9", secret},

		// Gift-card codes (Amazon never asks anyone to read them out).
		{"AQ12-345678-BCDE", secret},
		{"ギフト券番号は AQ12345678BCDE", secret},
		{"アマギフのコード X7K2-9PQR4T-WM3N です", secret},
		{"ギフトコード: ZZ99 ABCDEF 1234", secret},

		// Ordinary things victims type.
		{"188", none},
		{"188に電話しました", none},
		{"110", none},
		{"9110", none}, // #9110, a contact the bot shows
		{"#9110", none},
		{"11月24日", none},
		{"11月24日の23時ごろに届いた", none},
		{"2026/11/24", none},
		{"2026年11月24日", none},
		{"23:30", none},
		{"3,980円", none},
		{"3980円の請求が来ました", none},
		{"¥3980", none},
		{"12,800円と3,980円の2件", none},
		{"確認コードが届いたけど入力していない", none},
		{"パスワードを変更しました", none},
		{"パスワードを忘れた", none},
		{"暗証番号は4桁です", none},
		{"QRコードを読みました", none},
		{"0120-999-373", none},
		{"0120-999-373に電話したけどつながらない", none},
		{"090-1234-5678", none},
		{"09012345678", none},
		{"私の電話番号は090-1234-5678です", none},
		{"山田花子 〒100-0001 東京都千代田区1-1", none},
		{"hanako.yamada2024@example.com", none},
		{"https://www.amazon.co.jp/gp/css/order-history", none},
		{"amazon.co.jp", none},
		{"amaz0n-co-jp.xyz/signin?id=12", none}, // the phishing address they opened
		{"www.amaz0n-support1.com", none},
		{"1234-567890-1234", none},                     // all digits: not a gift-card code
		{"ギフト券の番号はX7K2-9QPL-ZZ4M-3RT8です", secret},      // Apple's four groups of four
		{"コードは X7K2 9QPL ZZ4M 3RT8", secret},           // the same with spaces
		{"AB12 CD34 EF56 GH78 IJ90", secret},           // Google Play's five groups
		{"コードは X J 4 K 7 P Q 9 2 M H W", secret},       // spelled out one character at a time
		{"iTunesカード X7K2QPLZZ4M3RT8A を伝えた", secret},    // a long code inside a sentence
		{"カード裏の数字は 123 です", secret},                    // the security code named by where it is
		{"SMSに来た6桁の数字 482913 を伝えた", secret},            // a code named by its length
		{"I am a b c d e f g h", none},                 // single letters, no digits
		{"https://amaz0n-jp.xyz/AB12CD34EF56GH", none}, // a URL's path is not a code
		{"ASIN B0CXYZ1234", none},
		{"4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", card}, // read out digit by digit
		{"41 11 11 11 11 11 11 11", card},         // or two at a time
		{"0 9 0 1 2 3 4 5 6 7 8", none},           // a phone number read out                      // ten characters: a product number
		{"have a nice day with you", none},        // four-letter words, no digits
		{"1234 5678 9012", none},                  // digits only: an amount, an id
		{"iPhone", none},
		{"ログインできない", none},
		{"カード止めたい", none},
		{"1回だけ入力した", none},
		{"2件", none},
		{"ショッピング 1500件", none},
	}
	e := contentEngine(t)
	g := e.Graph()
	for _, tt := range tests {
		got := e.sensitive(tt.text)
		switch {
		case tt.want == card && got != g.Texts.CardNumber:
			t.Errorf("%q: not treated as a card number (warning %q)", tt.text, got)
		case tt.want == secret && got != g.Texts.Secret:
			t.Errorf("%q: not treated as a secret (warning %q)", tt.text, got)
		case tt.want == none && got != "":
			t.Errorf("%q: flagged as sensitive, but it is ordinary text", tt.text)
		}
		if (tt.want == card) != ContainsCardNumber(tt.text) {
			t.Errorf("ContainsCardNumber(%q) = %v", tt.text, !(tt.want == card))
		}
	}
}

// TestSensitiveTextIsWarnedAboutNotKept: a victim who sends a card number or
// a secret is told to delete the message, stays where they were, and finds
// the text nowhere in the reply or the state.
func TestSensitiveTextIsWarnedAboutNotKept(t *testing.T) {
	e := contentEngine(t)
	start := e.Next(State{}, Input{Kind: InputFollow}, night)
	for _, s := range []string{
		"４１１１　１１１１　１１１１　１１１１",
		"4111ー1111ー1111ー1111 12/27",
		"確認コードは839201です",
		"パスワードはhanako2024です",
		"Tanaka2024!",
	} {
		r := e.Next(start.State, Input{Kind: InputText, Text: s, QuoteToken: "q-typed"}, night)
		text := allText(r)
		if !strings.Contains(text, "「送信取消」") {
			t.Errorf("%q: the reply does not ask to unsend the message: %q", s, text)
		}
		if q := r.Reply.Messages[0].QuoteToken; q != "q-typed" {
			t.Errorf("%q: the warning quotes %q, want the typed message", s, q)
		}
		for _, part := range []string{"1111", "839201", "hanako2024", "Tanaka2024"} {
			if strings.Contains(text, part) || strings.Contains(stateText(r.State), part) {
				t.Errorf("%q: %q is repeated or kept", s, part)
			}
		}
		if r.State.Step != start.State.Step || len(r.Reminders) != 0 {
			t.Errorf("%q moved the user to %q", s, r.State.Step)
		}
		if len(r.Reply.QuickReplies) == 0 {
			t.Errorf("%q: no buttons to go on with", s)
		}
	}
}

func stateText(st State) string {
	var b strings.Builder
	b.WriteString(st.Flow + st.Step + st.Confirm)
	for _, s := range append(append([]string{}, st.History...), st.Done...) {
		b.WriteString(s)
	}
	for k, v := range st.Answers {
		b.WriteString(k + v)
	}
	return b.String()
}

// TestNoLabelLooksSensitive: typing any button label or any phrase the flow
// files list for it must move the user on, not be refused as a secret.
func TestNoLabelLooksSensitive(t *testing.T) {
	e := contentEngine(t)
	g := e.Graph()
	var phrases []string
	for _, st := range g.Steps {
		for _, c := range st.Choices {
			phrases = append(append(phrases, c.Label), c.Match...)
		}
	}
	for _, c := range g.Commands {
		phrases = append(append(phrases, c.Label), c.Match...)
	}
	for _, c := range g.Contacts {
		if c.Kind == "phone" {
			phrases = append(phrases, c.Value, c.Name+"に電話しました")
		}
	}
	for _, p := range phrases {
		if w := e.sensitive(p); w != "" {
			t.Errorf("%q is refused as sensitive", p)
		}
	}
}

// TestSensitiveTextNamedByWords: the words of language.yaml's secrets make a
// nearby number or word a secret that its shape alone does not give away.
func TestSensitiveTextNamedByWords(t *testing.T) {
	e := contentEngine(t)
	g := e.Graph()
	for _, tt := range []struct{ text, want string }{
		{"カード番号は4980 1234 5678 901", g.Texts.CardNumber},        // 15 digits, mis-grouped, fails Luhn
		{"クレカ 498012345678901", g.Texts.CardNumber},             // the same run together
		{"4980123456789012", g.Texts.CardNumber},                // 16 digits in a run, fails Luhn
		{"4980 1234\n5678 9012", g.Texts.CardNumber},            // over two lines
		{"4980.1234.5678.9012", g.Texts.CardNumber},             // dotted
		{"ピン 4417", g.Texts.Secret},                             // code words: ピン
		{"あんしょうばんごうは7391", g.Texts.Secret},                      // kana
		{"SMSの6桁 551022 を読み上げた", g.Texts.Secret},                // SMS
		{"言われたとおり読み上げました 847261", g.Texts.Secret},               // read out
		{"セキュリティコード、たしか771です", g.Texts.Secret},                  // three digits after セキュリティ
		{"カード裏の数字3桁 246 を伝えた", g.Texts.Secret},                  // and after 裏
		{"パス hk19550312", g.Texts.Secret},                       // パス as a label
		{"パスは hanako", g.Texts.Secret},                          // a value of letters right after its label
		{"パスワードを聞かれたので mimi2023 と答えた", g.Texts.Secret},          // a password a few words later
		{"グーグルプレイカード ABCD EFGH JKLM NPQR STUV", g.Texts.Secret}, // letters only, next to a gift card's name
		{"アマゾンギフト券 aq3k7m9p2rx4tw", g.Texts.Secret},             // lower case
		{"カードの下4桁が1234です", ""},                                  // the last four digits alone
		{"セキュリティコードって何ですか？", ""},
		{"裏の3桁を教えてしまいました", ""},
		{"パスワードを聞かれて LINE の画面を見た", ""}, // a word of letters not right after its label
		{"パスポートを持っています", ""},
		{"Appleギフトカードを3枚買った", ""},
		{"アマゾンギフト券 10000円分", ""},
		{"カード会社 0120-123-456 に電話", ""},
		{"ピンクのカードで 3,000円", ""},
		{"SMSが090-1234-5678から来た", ""},
		{"090-1234-5678\n03-1234-5678", ""}, // two phone numbers on two lines
		{"2024.03.15", ""},
		{"裏の住所は 1-2-3", ""}, // an address, not a security code
		{"セキュリティコードは 1 2 3", g.Texts.Secret},
		{"ぴん 1234", g.Texts.Secret},
		{"言われた番号 482913 を伝えた", g.Texts.Secret},
		{"電話で言われた番号 0120-123-456", ""},
		{"注文番号 250-1234567-1234567 のカード払い", ""},
	} {
		if got := e.sensitive(tt.text); got != tt.want {
			t.Errorf("%q: warning %q, want %q", tt.text, got, tt.want)
		}
	}
}
