package flows

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// What a victim must never send to anyone, and so never to this bot: card
// numbers, one-time codes, passwords, 暗証番号, security codes and gift-card
// codes. The bot asks for none of these, so any of them in a message was
// sent without being asked; the engine answers with a warning and neither
// matches, stores nor repeats the text.
//
// Detection runs on the text folded by NFKC (full-width digits and letters
// become ASCII, U+3000 a space); digit groups may be separated by spaces or
// any dash a person types (ー from a Japanese IME, －, ‐, –, −, …).
//
// It is tuned to stay quiet on what victims legitimately type: phone
// numbers (even the user's own, 090-1234-5678), dates (11月24日, 2026/11/24),
// amounts (3,980円, ¥3980), order numbers (250-1234567-1234567) and short
// numbers like 188 or 110.

// A secret named by its label, then its value: 「パスワードは abc123」,
// 「PIN:1234」, 「セキュリティコード 123」. The value is ASCII (a password or
// code), at least 3 characters (a security code has 3 digits).
var secretGiven = regexp.MustCompile(`(?i)(?:裏面?の(?:[3-4]桁|数字|番号)(?:の(?:数字|番号))?|パスワード|ぱすわーど|パスコード|暗証番号|暗証|認証コード|認証番号|確認コード|確認番号|ワンタイム|セキュリティコード|セキュリティ番号|ギフト券番号|ギフトカード番号|ギフトコード|コード|\b(?:pass(?:word|code)?|pw|pin|otp|cvv2?|cvc|security\s*code)(?:\b|[0-9]))` +
	`\s*(?:は|が|を|も|に|:|=|→|->)?\s*[「『"']?\s*([!-~]{3,})`)

// secretGivenIn reports whether n names a secret and gives its value
// (secretGiven), the value being no word that merely follows the name
// ("password got changed").
func (e *Engine) secretGivenIn(n string) bool {
	for _, m := range secretGiven.FindAllStringSubmatchIndex(n, -1) {
		if !e.sec.notValue(n[m[2]:m[3]]) {
			return true
		}
	}
	return false
}

// codeWords name a one-time code, password or PIN near a bare number:
// 「確認コードが届きました 482913」, 「123456 is your Amazon OTP」.
var codeWords = regexp.MustCompile(`(?i)桁の(?:数字|番号|コード)|(?:届いた|来た|きた)(?:番号|数字)|パスワード|ぱすわーど|パスコード|暗証|認証|確認コード|確認番号|ワンタイム|セキュリティ|コード|\b(?:otp|one[ -]?time|passcode|password|pin|code|verification|cvv2?|cvc)\b`)

// giftCode is a gift-card claim code, letters and digits mixed: Amazon's
// AQ12-345678-BCDE(F), or three to five groups of four (Apple's X7K2 9QPL
// ZZ4M 3RT8, Google Play's five) split by hyphens or spaces.
var giftCode = regexp.MustCompile(`(?i)(?:^|[^0-9a-z])([0-9a-z]{4}-[0-9a-z]{6}-[0-9a-z]{4,5}|[0-9a-z]{4}(?:[- ][0-9a-z]{4}){2,4})(?:$|[^0-9a-z])`)

// domainLike is a web address typed without its scheme: amaz0n-jp.com/login.
var domainLike = regexp.MustCompile(`(?i)^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#:].*)?$`)

// politeTail is what may follow a code sent on its own: 「123456です」.
var politeTail = regexp.MustCompile(`^(?:です|でした|だよ|だった|になります|と出ました|と出た|ってきた)?[\s。.!！?？]*$`)

// unitAfter are characters after a number that make it an amount, a date, a
// count or a time rather than a code.
const unitAfter = "円年月日時分秒件回人歳才桁万千百億%％号番台個枚通本歩km/:.,"

// unitBefore are characters before a number with the same effect (¥3980,
// #9110, +81, 第1234).
const unitBefore = "¥￥$#＃+第/:.,"

// sensitive returns the warning to send when s looks like a card number, a
// code or a password, and "" otherwise. The text itself is then neither
// matched nor kept anywhere.
func (e *Engine) sensitive(s string) string {
	n := foldForDetection(s)
	lower := asciiLower(n)
	d := detection{n: n, lower: lower, toks: numberTokens(n), letters: strings.IndexFunc(lower, func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0}
	if hasCardNumberIn(n, d.toks) || e.namedCardNumber(d) {
		return e.g.Texts.CardNumber
	}
	if e.hasCode(d) || e.hasSecurityCode(d) || e.passwordNear(d) || e.secretGivenIn(n) || expiryThenCode.MatchString(n) || e.hasGiftCode(d) || hasSpelledOutCode(n) || hasLongCode(n) || passwordAlone(n) {
		return e.g.Texts.Secret
	}
	return ""
}

// Held is the reply to an input the bot does not run the conversation for
// (its user is over the rate limit, see bot.RateLimiter): the warning when
// typed text holds a card number or a secret, which must never wait, else
// notice; with one button that picks up where the user was. ok is false
// when there is nothing to say: notice is empty and the text is harmless.
func (e *Engine) Held(in Input, notice string) (r Reply, ok bool) {
	msg := Message{Text: notice}
	if in.Kind == InputText {
		if w := e.sensitive(in.Text); w != "" {
			msg = Message{Text: w, QuoteToken: in.QuoteToken}
		}
	}
	if msg.Text == "" {
		return Reply{}, false
	}
	label := e.g.Texts.ResumeLabel
	return Reply{
		Messages: []Message{msg},
		QuickReplies: []QuickReply{{
			Kind:        QuickPostback,
			Label:       label,
			Data:        url.Values{keyCommand: {cmdResume}}.Encode(),
			DisplayText: label,
		}},
	}, true
}

// AboutDeletion reports whether in asks for データ削除 (the command, typed or
// tapped) or confirms it (the button). A rate limit must not drop such an
// event: having their data deleted is the user's right, as unfollowing is.
func (e *Engine) AboutDeletion(in Input) bool {
	switch in.Kind {
	case InputPostback:
		q, err := url.ParseQuery(in.Data)
		if err != nil {
			return false
		}
		cmd := q.Get(keyCommand)
		return cmd == CmdDelete || cmd == cmdDeleteYes
	case InputText:
		u := e.m.understand(in.Text, "")
		return u.Decision == DecideAct && u.Best.Command == CmdDelete
	}
	return false
}

// Apology is the reply to an event whose handling failed by a bug: a short
// apology and the way back. A card number or secret the event holds still
// gets its warning instead.
func (e *Engine) Apology(in Input) Reply {
	r, _ := e.Held(in, e.g.Texts.Apology)
	return r
}

// ContainsCardNumber reports whether s holds what the engine warns about as
// a card number (hasCardNumber): after NFKC folding, 13–19 digits in one run
// or in groups starting with a group of four that pass the Luhn check, or
// four groups of four digits, Luhn or not. Only tests call it, to assert
// that no card number reaches a log line or Redis (bot/privacy_test.go):
// nothing in production filters logs or storage with it, because user text
// is never written there in the first place.
func ContainsCardNumber(s string) bool { return hasCardNumber(foldForDetection(s)) }

// foldForDetection applies NFKC: full-width digits and letters become
// ASCII, half-width katakana full-width, U+3000 a space.
func foldForDetection(s string) string { return norm.NFKC.String(s) }

// numberToken is a run of digit groups separated by at most a few spaces or
// dashes: "4111 1111 1111 1111", "090-1234-5678", "123456".
type numberToken struct {
	groups     []string
	start, end int // byte offsets in the folded text
}

func (t numberToken) digits() int {
	n := 0
	for _, g := range t.groups {
		n += len(g)
	}
	return n
}

// maxSeparator bounds the spaces and dashes between two digit groups.
const maxSeparator = 3

// isSeparator: a space, or any dash a person may type between digit groups
// (ー from a Japanese IME, －, ‐, –, −, …).
func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '-', 'ー', '‐', '‑', '‒', '–', '—', '―', '−', '⁃', '﹣':
		return true
	}
	return false
}

// numberTokens splits folded text into its number tokens: digit groups
// joined by spaces and dashes.
func numberTokens(n string) []numberToken { return tokens(n, isSeparator) }

// tokens splits folded text into number tokens, digit groups joined by up
// to maxSeparator runes that sep accepts.
func tokens(n string, sep func(rune) bool) []numberToken {
	var toks []numberToken
	i := 0
	for i < len(n) {
		if !isDigit(n[i]) {
			_, w := utf8.DecodeRuneInString(n[i:])
			i += w
			continue
		}
		t := numberToken{start: i}
		for {
			j := i
			for j < len(n) && isDigit(n[j]) {
				j++
			}
			t.groups = append(t.groups, n[i:j])
			t.end = j
			// Another group follows after a short separator?
			k, seps := j, 0
			for k < len(n) && seps < maxSeparator {
				r, w := utf8.DecodeRuneInString(n[k:])
				if !sep(r) {
					break
				}
				k += w
				seps++
			}
			if seps == 0 || k >= len(n) || !isDigit(n[k]) {
				i = j
				break
			}
			i = k
		}
		toks = append(toks, t)
	}
	return toks
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// hasCardNumber looks for a card number among the tokens of folded text: a
// single run of 13–19 digits, or consecutive groups starting with a group of
// four (every card grouping does: 4-4-4-4, 4-6-5, 4-6-4) totalling 13–19
// digits, whose first digit is not 0 (no card number starts with 0, every
// Japanese phone number does) and which pass the Luhn check. A longer run
// such as "4111 1111 1111 1111 1227" (number and expiry) is searched for a
// card number starting at any group.
func hasCardNumber(n string) bool { return hasCardNumberIn(n, numberTokens(n)) }

// hasCardNumberIn is hasCardNumber on the number tokens of n.
func hasCardNumberIn(n string, toks []numberToken) bool {
	if strings.ContainsAny(n, "\n\r.") && fourByFourAcross(n) {
		return true
	}
	for _, t := range toks {
		if t.digits() < 13 {
			continue
		}
		if fourByFour(t.groups) || spelledOutCard(t) {
			return true
		}
		for i, g := range t.groups {
			if g[0] == '0' {
				continue
			}
			if len(g) >= 13 && len(g) <= 19 && luhn(g) || len(t.groups) == 1 && len(g) == 16 {
				return true
			}
			if len(g) != 4 {
				continue
			}
			d := g
			for _, next := range t.groups[i+1:] {
				d += next
				if len(d) > 19 {
					break
				}
				if len(d) >= 13 && luhn(d) {
					return true
				}
			}
		}
	}
	return false
}

// spelledOutCard reports whether t is a card number read out a digit or
// two at a time (「4 9 8 0 1 2 …」, as voice input writes it): 13–19 digits
// in groups of at most two, not starting with 0, passing the Luhn check or
// sixteen long (the common length, kept even when mistyped, as fourByFour).
func spelledOutCard(t numberToken) bool {
	var d strings.Builder
	for _, g := range t.groups {
		if len(g) > 2 {
			return false
		}
		d.WriteString(g)
	}
	s := d.String()
	return len(s) >= 13 && len(s) <= 19 && s[0] != '0' && (luhn(s) || len(s) == 16)
}

// fourByFour reports whether some four consecutive groups are four digits
// each, the first not starting with 0: the way a card is printed and typed,
// Luhn or not (a mistyped card number is still a card number, and no phone,
// order or postal number has this shape).
func fourByFour(groups []string) bool {
	for i := 0; i+4 <= len(groups); i++ {
		if groups[i][0] != '0' && len(groups[i]) == 4 && len(groups[i+1]) == 4 && len(groups[i+2]) == 4 && len(groups[i+3]) == 4 {
			return true
		}
	}
	return false
}

// hasCode looks for a one-time code or PIN: a number of 4–8 digits (or
// 123-456, as SMS sometimes show them) that is the whole message, or that
// has a word like 確認コード, OTP or 暗証番号 close to it. Numbers that are
// amounts, dates, times, phone numbers or contacts are not codes.
func (e *Engine) hasCode(d detection) bool {
	if len(d.toks) == 0 {
		return false
	}
	n := d.n
	words := e.sec.code.in(d.lower)
	for _, t := range d.toks {
		if !codeShaped(t) || e.isContact(n[t.start:t.end]) {
			continue
		}
		before, after := n[:t.start], n[t.end:]
		if r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(before, " ")); strings.ContainsRune(unitBefore, r) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(strings.TrimLeft(after, " ")); strings.ContainsRune(unitAfter, r) {
			continue
		}
		if strings.TrimSpace(before) == "" && politeTail.MatchString(after) {
			return true
		}
		if codeWords.MatchString(lastRunes(before, 16)) || codeWords.MatchString(firstRunes(after, 30)) {
			return true
		}
		if words && (e.sec.code.in(lastRunes(d.lower[:t.start], 16)) || e.sec.code.in(firstRunes(d.lower[t.end:], 30))) {
			return true
		}
	}
	return false
}

// codeShaped: 4–8 digits in one group, or 4–8 digits in small groups of at
// most four, as people read a code out or retype it (123 456, 48 29 13,
// 4 8 2 9 1 3).
func codeShaped(t numberToken) bool {
	if len(t.groups) == 1 {
		return len(t.groups[0]) >= 4 && len(t.groups[0]) <= 8
	}
	for _, g := range t.groups {
		if len(g) > 4 {
			return false
		}
	}
	return t.digits() >= 4 && t.digits() <= 8
}

// expiryThenCode is a card's expiry date (MM/YY or MM/YYYY) with a three- or
// four-digit number soon after it: the security code on the back.
var expiryThenCode = regexp.MustCompile(`(?:^|[^0-9])(?:0[1-9]|1[0-2])\s*/\s*(?:[0-9]{2}|20[0-9]{2}).{0,30}?[^0-9][0-9]{3,4}(?:$|[^0-9円,.\-])`)

// isContact reports whether a number is one of the contacts the bot itself
// shows (9110 for #9110): a user repeating it is not sending a secret.
func (e *Engine) isContact(number string) bool {
	d := digitsOnly(number)
	for _, id := range e.g.contactOrder {
		c := e.g.Contacts[id]
		if c.Kind == "phone" && digitsOnly(c.Value) == d {
			return true
		}
	}
	return false
}

// hasGiftCode reports whether n holds a gift-card code: the shape of one,
// with letters and digits (an all-digit 4-6-4 is some other number).
// Next to a gift card's name (language.yaml's secrets: gift), letters alone
// in capitals are one too (Google Play's 「ABCD EFGH JKLM NPQR STUV」), and
// so is a long code in lower case (「アマゾンギフト券 aq3k7m9p2rx4tw」).
func (e *Engine) hasGiftCode(d detection) bool {
	if !d.letters {
		return false
	}
	named := e.sec.gift.in(d.lower)
	for _, m := range giftCode.FindAllStringSubmatch(d.n, -1) {
		if strings.IndexFunc(m[1], unicode.IsLetter) < 0 {
			continue
		}
		if strings.ContainsAny(m[1], "0123456789") || named && strings.ToUpper(m[1]) == m[1] {
			return true
		}
	}
	if named {
		for i, j := 0, 0; i < len(d.n); i = j + 1 {
			if j = asciiWordEnd(d.n, i, isAlnum); j-i >= 10 && j-i <= 20 && mixed(d.n[i:j], 3, 3) {
				return true
			}
		}
	}
	return false
}

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isPrintASCII(b byte) bool { return b > ' ' && b <= '~' }

// asciiWordEnd returns the end of the run of bytes in the class starting at
// i (i itself when n[i] is not in it).
func asciiWordEnd(n string, i int, in func(byte) bool) int {
	j := i
	for j < len(n) && in(n[j]) {
		j++
	}
	return j
}

// spelledOut is a code read out one character at a time, as voice input or
// a careful typist writes it: 「X J 4 K 7 P Q 9」.
var spelledOut = regexp.MustCompile(`(?i)(?:^|[^0-9a-z])((?:[0-9a-z] ){7,}[0-9a-z])(?:$|[^0-9a-z])`)

// hasSpelledOutCode reports whether n holds a spelled-out run of at least
// eight characters mixing letters and digits: a code, not a sentence.
func hasSpelledOutCode(n string) bool {
	for _, m := range spelledOut.FindAllStringSubmatch(n, -1) {
		if mixed(strings.ReplaceAll(m[1], " ", ""), 1, 2) {
			return true
		}
	}
	return false
}

// mixed reports whether ASCII word w has at least the given numbers of
// letters and digits.
func mixed(w string, letters, digits int) bool {
	var l, d int
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			d++
		case unicode.IsLetter(r):
			l++
		}
	}
	return l >= letters && d >= digits
}

// longCode is a run of capitals and digits as long as a gift-card or claim
// code (Apple's 16, Google Play's 20), standing as a word of its own.
var longCode = regexp.MustCompile(`(?:^|[^0-9A-Za-z/=?&%._-])([0-9A-Z]{12,20})(?:$|[^0-9A-Za-z/=?&%._-])`)

// hasLongCode reports whether n holds a long code mixing at least three
// capitals and three digits inside a sentence: 「iTunesカード X7K2QPLZZ4M3RT8A」.
// Order and tracking numbers are digits only; a URL's path is not a word.
func hasLongCode(n string) bool {
	for _, m := range longCode.FindAllStringSubmatch(n, -1) {
		if mixed(m[1], 3, 3) {
			return true
		}
	}
	return false
}

// passwordAlone reports whether the whole message is one word that looks
// like a password: 8–64 ASCII characters mixing at least three of lower
// case, upper case, digits and symbols ("Tanaka2024!"), or a long code of
// capitals and digits ("AQ12BC34DE56"), and not an e-mail address or URL.
func passwordAlone(n string) bool {
	w := strings.TrimSpace(n)
	if len(w) < 8 || len(w) > 64 || strings.ContainsAny(w, " \t\n") {
		return false
	}
	if strings.Contains(w, "://") || domainLike.MatchString(w) {
		return false
	}
	if at := strings.IndexByte(w, '@'); at > 0 && strings.Contains(w[at:], ".") {
		return false
	}
	var lower, upper, digit, symbol int
	for _, r := range w {
		switch {
		case r > unicode.MaxASCII || !unicode.IsPrint(r):
			return false
		case r >= 'a' && r <= 'z':
			lower++
		case r >= 'A' && r <= 'Z':
			upper++
		case r >= '0' && r <= '9':
			digit++
		default:
			symbol++
		}
	}
	classes := 0
	for _, c := range []int{lower, upper, digit, symbol} {
		if c > 0 {
			classes++
		}
	}
	if classes >= 3 && lower+upper > 0 && digit > 0 {
		return true
	}
	return lower == 0 && symbol == 0 && upper >= 2 && digit >= 2 && len(w) >= 10
}

func lastRunes(s string, n int) string {
	i := len(s)
	for k := 0; k < n && i > 0; k++ {
		_, w := utf8.DecodeLastRuneInString(s[:i])
		i -= w
	}
	return s[i:]
}

func firstRunes(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return s[:i]
}

func luhn(digits string) bool {
	if len(digits) < 13 || len(digits) > 19 {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// mentionedDiscontinued finds a discontinued number the user typed (the 2016
// Amazon numbers), so the bot can say it no longer connects.
func (g *Graph) mentionedDiscontinued(s string) *Contact {
	d := digitsOnly(s)
	if len(d) < 6 {
		return nil
	}
	for _, id := range g.contactOrder {
		c := g.Contacts[id]
		if c.Status == "discontinued" && c.Kind == "phone" {
			if cd := digitsOnly(c.Value); cd != "" && strings.Contains(d, cd) {
				return c
			}
		}
	}
	return nil
}

// namedCardNumber reports whether n holds 13–19 digits, not starting with 0,
// right after a word that names a card number (「カード番号は4980 1234 5678
// 901」): a mistyped or mis-grouped card number is still one.
func (e *Engine) namedCardNumber(d detection) bool {
	for _, t := range d.toks {
		if k := t.digits(); k < 13 || k > 19 || t.groups[0][0] == '0' {
			continue
		}
		if e.sec.card.in(lastRunes(d.lower[:t.start], 16)) {
			return true
		}
	}
	return false
}

// detection is a message folded for the detector: n by NFKC, lower the same
// with ASCII letters in lower case (same byte offsets), and its numbers.
type detection struct {
	n, lower string
	toks     []numberToken
	letters  bool // n holds an ASCII letter
}

// asciiLower puts the ASCII letters of s in lower case, keeping every byte
// offset.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// fourByFourAcross reports whether n holds four groups of four digits split
// by line breaks or dots as well as spaces and dashes: a card number typed
// over several lines (「4980 1234⏎5678 9012」) or as 4980.1234.5678.9012.
// Only the printed 4-4-4-4 shape counts across them: two phone numbers on
// two lines are not one number.
func fourByFourAcross(n string) bool {
	for _, t := range tokens(n, func(r rune) bool { return isSeparator(r) || r == '\n' || r == '\r' || r == '.' }) {
		if fourByFour(t.groups) {
			return true
		}
	}
	return false
}

// secretWords are the words of language.yaml's secrets, ready to look for.
type secretWords struct {
	code, securityCode, password, gift, card wordSet
	// notValues are SecretWords.NotValues, lower case.
	notValues map[string]bool
}

// notValue reports whether ASCII word w, trailing punctuation aside, is a
// word that follows a secret's name without being its value.
func (sw secretWords) notValue(w string) bool {
	return sw.notValues[asciiLower(strings.TrimRight(w, ".,!?;:)]"))]
}

func newSecretWords(w SecretWords) secretWords {
	notValues := map[string]bool{}
	for _, v := range w.NotValues {
		notValues[asciiLower(v)] = true
	}
	return secretWords{
		code:         newWordSet(w.Code),
		securityCode: newWordSet(w.SecurityCode),
		password:     newWordSet(w.Password),
		gift:         newWordSet(w.Gift),
		card:         newWordSet(w.Card),
		notValues:    notValues,
	}
}

// wordSet is a list of words looked for in folded text, ignoring case.
type wordSet []string

func newWordSet(words []string) wordSet {
	var s wordSet
	for _, w := range words {
		if w = asciiLower(foldForDetection(w)); w != "" {
			s = append(s, w)
		}
	}
	return s
}

// in reports whether s, folded and in lower case, holds one of the words.
func (ws wordSet) in(s string) bool {
	for _, w := range ws {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// labelParticles may come between a label and its value: 「パスは hanako」.
const labelParticles = "はがを:=→「『\"' "

// labels reports whether before, what comes before a value, ends with one of
// the words as its label (「パスは 」, 「pw: 」): the value is what the word
// names, whatever its letters. A word of ASCII letters must stand on its own
// (「pw」 but not the end of 「cpw」).
func (ws wordSet) labels(before string) bool {
	b := strings.TrimRight(before, labelParticles)
	for _, w := range ws {
		if !strings.HasSuffix(b, w) {
			continue
		}
		if rest := b[:len(b)-len(w)]; rest != "" && w[0] < utf8.RuneSelf {
			if c := rest[len(rest)-1]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				continue
			}
		}
		return true
	}
	return false
}

// hasSecurityCode looks for a card's security code: a number of three or
// four digits (or 1 2 3, not 1-23) with a word like セキュリティ, 裏 or CVV shortly
// before it: 「セキュリティコード、たしか771です」, 「裏の数字3桁 246」.
func (e *Engine) hasSecurityCode(d detection) bool {
	if len(d.toks) == 0 || !e.sec.securityCode.in(d.lower) {
		return false
	}
	n := d.n
	for _, t := range d.toks {
		if k := t.digits(); k < 3 || k > 4 || len(t.groups) > 1 && (k != len(t.groups) || strings.Trim(n[t.start:t.end], "0123456789 ") != "") || e.isContact(n[t.start:t.end]) {
			continue // one group, or read out a digit at a time (1 2 3), not an address's 1-2-3
		}
		before, after := n[:t.start], n[t.end:]
		if r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(before, " ")); strings.ContainsRune(unitBefore, r) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(strings.TrimLeft(after, " ")); strings.ContainsRune(unitAfter, r) {
			continue
		}
		if e.sec.securityCode.in(lastRunes(d.lower[:t.start], 20)) {
			return true
		}
	}
	return false
}

// passwordNear looks for a password typed a few words after a word that
// names it: 「パスワードを聞かれたので mimi2023 と答えた」, 「パス hk19550312」.
// The password is an ASCII word of at least four characters with letters
// and digits, so 「パスワードはLINEと同じ」 is not one.
func (e *Engine) passwordNear(d detection) bool {
	if !d.letters && len(d.toks) == 0 || !e.sec.password.in(d.lower) {
		return false
	}
	n := d.n
	for i, j := 0, 0; i < len(n); i = j + 1 {
		j = asciiWordEnd(n, i, isPrintASCII)
		if w := n[i:j]; len(w) >= 4 && !e.sec.notValue(w) && (mixed(w, 1, 1) && e.sec.password.in(lastRunes(d.lower[:i], 20)) || e.sec.password.labels(d.lower[:i])) {
			return true
		}
	}
	return false
}
