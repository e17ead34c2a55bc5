package flows

import (
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

var (
	// A card number: 13–19 digits, maybe grouped by spaces or hyphens.
	cardLike = regexp.MustCompile(`[0-9](?:[ \-]?[0-9]){12,18}`)
	// A code on its own: what a one-time code or 暗証番号 looks like when
	// someone pastes it without being asked.
	codeAlone = regexp.MustCompile(`^[0-9]{4,8}$`)
	// A password or code given after its name ("パスワードは abc123").
	// These words are detection patterns, not content shown to users.
	secretGiven = regexp.MustCompile(`(?i)(パスワード|ぱすわーど|暗証番号|認証コード|確認コード|ワンタイム|セキュリティコード|pass(?:word)?|pin|otp)\s*(?:は|:|：|=)?\s*[a-z0-9!-/:-@\[-` + "`" + `{-~]{4,}`)
)

// sensitive returns a warning text when s looks like a card number, a code or
// a password. The text itself is then neither matched nor kept anywhere.
func (e *Engine) sensitive(s string) string {
	n := norm.NFKC.String(s)
	for _, m := range cardLike.FindAllString(n, -1) {
		if luhn(digitsOnly(m)) {
			return e.g.Texts.CardNumber
		}
	}
	compact := strings.Join(strings.Fields(n), "")
	if codeAlone.MatchString(compact) && e.g.contactByValue(compact) == nil {
		return e.g.Texts.Secret
	}
	if secretGiven.MatchString(n) {
		return e.g.Texts.Secret
	}
	return ""
}

// ContainsCardNumber reports whether s holds something that passes the Luhn
// check as a 13–19 digit card number. Logs and storage use it as a last guard.
func ContainsCardNumber(s string) bool {
	for _, m := range cardLike.FindAllString(norm.NFKC.String(s), -1) {
		if luhn(digitsOnly(m)) {
			return true
		}
	}
	return false
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
