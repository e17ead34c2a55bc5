package flows

import "unicode/utf8"

// pastedLength is how long a text without a link must be, with a
// pressure phrase in it, to be taken for a pasted message rather than
// something typed: 「アカウント停止と言われた」 is a user's own words.
const pastedLength = 40

// checkMessage answers a pasted message or link (「このメール、本物？」):
// text with a link in any step; a long text with a phishing message's
// pressure phrases; anything at the step that asks for a paste. Text that
// is a command or a choice there goes on as usual. It reports whether it
// answered. The analysis is in the reply only: the state records nothing
// but the step that follows.
func (t *turn) checkMessage(s string) bool {
	r := t.e.g.Check
	if r == nil {
		return false
	}
	rep := r.Check(s, t.e.isActivePhone)
	if len(rep.Links) == 0 {
		pasted := len(rep.Pressure) > 0 && utf8.RuneCountInString(Normalize(s)) >= pastedLength && t.e.g.mentionedDiscontinued(s) == nil
		if t.st.Step != r.PasteStep && !pasted {
			return false
		}
		if t.e.m.understand(s, t.st.Step).Decision == DecideAct {
			return false
		}
	}
	t.note(r.Answer(rep))
	t.enter(r.ResultStep, true)
	return true
}

// isActivePhone reports whether digits are an active phone contact's: a
// message quoting one is not asking the user to call an unknown number.
func (e *Engine) isActivePhone(digits string) bool {
	for _, id := range e.g.contactOrder {
		c := e.g.Contacts[id]
		if c.Kind == "phone" && c.Status == "active" && digitsOnly(c.Value) == digits {
			return true
		}
	}
	return false
}

// CheckMessage is the answer the bot gives to a pasted message, for the
// `fraudnavi check` command. It is "" when the flows have no linkcheck.yaml.
func (e *Engine) CheckMessage(s string) string {
	r := e.g.Check
	if r == nil {
		return ""
	}
	return r.Answer(r.Check(s, e.isActivePhone))
}
