// Package flows is the conversation of fraudnavi: the flow files (YAML, in
// Japanese) and the contacts file, their strict loader and validator, and the
// pure engine that moves a user from one step to the next.
//
// The package knows nothing of LINE or Redis. The terminal chat, the LINE
// webhook and the tests all drive the same Engine, so what a content editor
// sees in `fraudnavi chat` is what a victim sees in LINE.
package flows

import (
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/flows/linkcheck"
)

// Graph is every flow file, the contacts file and the shared texts, loaded
// and validated together.
type Graph struct {
	Start     string // the entry menu step
	Flows     []*Flow
	Steps     map[string]*Step
	Contacts  map[string]*Contact
	Reminders map[string]*ReminderDef
	Texts     Texts
	// Memo is how the case summary (経緯メモ) is worded (texts.yaml memo:).
	Memo MemoTexts
	// CoverageRules are the windows fraud is covered in, by payment.
	CoverageRules []CoverageRule
	Commands      []Command
	Calendar      *Calendar // national holidays and year-end closures
	// NotDone are words that mark a choice as "not done" (「あとで」): such
	// a choice may not complete a checklist item.
	NotDone []string
	// Check is what 「このメール、本物？」 checks a pasted message with
	// (linkcheck.yaml); nil when a file set has none.
	Check    *linkcheck.Rules
	Language Language
	// Urgent are the messages that come before any step: crisis, danger.
	Urgent []Urgent
	// RichMenu is the persistent menu at the bottom of the chat (richmenu.yaml).
	RichMenu *RichMenu

	flowOf       map[string]*Flow // step id → the flow that holds it
	contactOrder []string         // contact ids in file order, for 相談窓口

	// matcher is built once from the loaded graph, for the loader's own
	// checks and every engine: preparing the examples is most of the cost
	// of starting.
	matcherOnce sync.Once
	matcher     *matcher
}

// prepared returns the graph's matcher, building it the first time. The
// graph must not change afterwards.
func (g *Graph) prepared() *matcher {
	g.matcherOnce.Do(func() { g.matcher = newMatcher(g) })
	return g.matcher
}

// Flow is one situation (one file): its steps and its checklist.
type Flow struct {
	File      string          `yaml:"-"`
	ID        string          `yaml:"id"`
	Title     string          `yaml:"title"`
	Start     string          `yaml:"start"`
	Checklist []ChecklistItem `yaml:"checklist"`
	Reminders []ReminderDef   `yaml:"reminders"`
	Steps     []Step          `yaml:"steps"`
}

// ChecklistItem is one thing the victim has to get done. When restricts it
// to users whose answers match (a bank visit only for bank-integrated cards).
type ChecklistItem struct {
	ID    string            `yaml:"id"`
	Label string            `yaml:"label"`
	When  map[string]string `yaml:"when"`
}

// Step is one screen of the conversation.
type Step struct {
	ID string `yaml:"id"`
	// Text is one or more messages, sent in order.
	Text    []string `yaml:"text"`
	Choices []Choice `yaml:"choices"`
	// Actions are buttons attached to the last text message.
	Actions []Action `yaml:"actions"`
	// Completes is refused by the validator: reaching a step proves nothing,
	// an item is done only when the user taps a choice that says so (see
	// Choice.Completes). The field exists to name the mistake, not to use it.
	Completes []string `yaml:"completes"`
	// Offer is a reminder id the step offers to schedule.
	Offer string `yaml:"offer_reminder"`
	// Cancel lists reminder ids that no longer apply once the step is reached.
	Cancel []string `yaml:"cancel_reminders"`
	// Summary steps end a flow: they show the checklist and the human lines.
	Summary bool `yaml:"summary"`
	// Irreversible marks a step that starts something that cannot be undone
	// (the card-stop call): typed text enters it only on a sure match.
	Irreversible bool `yaml:"irreversible"`
	// CoverageWindowRule names the coverage rule the step tells (texts.yaml
	// coverage_rules): after the first text the engine adds the first day
	// a report covers. CoverageWindowDays alone (60) means the card rule.
	CoverageWindowRule string `yaml:"coverage_window_rule"`
	CoverageWindowDays int    `yaml:"coverage_window_days"`
	// CoverageWindowFrom is the checklist item whose "done" tap is the day
	// the user reached the company (the card call): the window counts from
	// that day, and from today until it is done.
	CoverageWindowFrom string `yaml:"coverage_window_from"`
	// Script is the words to say on the phone, assembled from the user's
	// answers: a message of its own with a copy button.
	Script *Script `yaml:"script"`
}

// Choice is a quick-reply button. Match lists short words that mean it;
// Examples are whole utterances a victim types for it. Both teach the
// matcher, and flows check proves each one reaches this choice.
type Choice struct {
	Label    string   `yaml:"label"`
	Next     string   `yaml:"next"`
	Match    []string `yaml:"match"`
	Examples []string `yaml:"examples"`
	// Needs are words without one of which the choice is a poor reading,
	// however much else an example shares: 家族のことで相談 needs a family
	// member named, so that its 「家族のカードが勝手に使われた」 does not
	// take 「カードが勝手に使われた」.
	Needs []string          `yaml:"needs"`
	Set   map[string]string `yaml:"set"`
	// Completes marks checklist items done: only the user's own "done"
	// (「できた」「やった」) may, never 「あとで」 or a step merely shown.
	Completes []string `yaml:"completes"`
}

// Action is a button inside a message. Exactly one of its fields is set.
type Action struct {
	// Call dials a contact (by id) with one tap.
	Call string `yaml:"call"`
	// Link opens a contact's official URL (by id).
	Link string `yaml:"link"`
	// Copy puts the exact words to say on the clipboard.
	Copy *CopyAction `yaml:"copy"`
}

// CopyAction is the words a user reads out on the phone.
type CopyAction struct {
	Label string `yaml:"label"`
	Text  string `yaml:"text"`
}

// ReminderDef is a follow-up the bot can push later.
type ReminderDef struct {
	ID string `yaml:"id"`
	// Title is what the offer and the reminder list call it.
	Title string `yaml:"title"`
	// Text is what the push says.
	Text string `yaml:"text"`
	// Days after today and the time of day (Asia/Tokyo) it is due.
	Days int `yaml:"days"`
	// From counts Days from the day the user marked this checklist item
	// done (the card call) instead of today: a reminder before the window
	// that opened that day closes.
	From string `yaml:"from"`
	At   string `yaml:"at"`
	// Weekday moves it to the next weekday that is not a holiday (bank visits).
	Weekday bool `yaml:"weekday"`
	// Step is where the user continues from when the reminder arrives.
	Step string `yaml:"step"`
	// Done lists checklist items: once all are done the reminder is stale.
	Done []string `yaml:"done"`
}

// Contact is a phone number, e-mail address, URL or route the bot may show,
// with where it comes from. Nothing else may be dialled or linked.
type Contact struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Kind is phone, email, url, route or form. A form is an official page
	// that can be sent at any hour and is read on working days: it is a
	// link, never a call, and its hours say when it is read.
	Kind    string `yaml:"kind"`
	Value   string `yaml:"value"`
	Hours   Hours  `yaml:"hours"`
	Note    string `yaml:"note"`
	Source  string `yaml:"source"`
	Checked string `yaml:"checked"`
	Status  string `yaml:"status"` // active, discontinued
	// Instead is the text shown when a user mentions a discontinued contact.
	Instead string `yaml:"instead"`
	// Human marks the lines 相談窓口 lists.
	Human bool `yaml:"human"`
}

// Hours says when a line answers, in Asia/Tokyo.
type Hours struct {
	Text     string   `yaml:"text"`
	Always   bool     `yaml:"always"`
	Weekdays []Period `yaml:"weekdays"`
	Weekends []Period `yaml:"weekends"` // Saturdays, Sundays and holidays
	Closed   []string `yaml:"closed"`   // "12-29": month-day closures every year
	// OfficeDays opens the line only on the days public offices work: not on
	// weekends, national holidays or 12/29–1/3 (Calendar.OfficeClosed).
	OfficeDays bool `yaml:"office_days"`
}

// Period is an opening interval, "09:00"–"17:00".
type Period struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Command is a global command that works from every step.
type Command struct {
	ID       string   `yaml:"id"`
	Label    string   `yaml:"label"`
	Match    []string `yaml:"match"`
	Examples []string `yaml:"examples"`
	// Needs are as a choice's (Choice.Needs): リマインド停止 needs a word
	// for the reminders, so that 「カードは止めなくていい」 is not one.
	Needs []string `yaml:"needs"`
}

// Language is how the matcher reads Japanese (language.yaml).
type Language struct {
	// PlainForms are passes of ending replacements (「ました」→「た」),
	// applied in order; a later pass sees the output of an earlier one.
	PlainForms []map[string]string `yaml:"plain_forms"`
	// Negations mark a negative statement (ない, なかった): 「確認していない」
	// is not near 「確認した」, however many characters they share.
	Negations []string `yaml:"negations"`
	// CarryPolarity are endings that pass on the polarity of what comes
	// before them: reported speech (と言われた, そう) and nouns that name a
	// state (状態, まま). 「必要ないと言われた」 and 「ログインできない状態」 are
	// negative.
	CarryPolarity []string `yaml:"carry_polarity"`
	// Concessive endings (のに) make what comes before them a reason, not
	// the statement: 「買ってないのに」 complains about a charge, it does not
	// answer no.
	Concessive []string `yaml:"concessive"`
	// NotYet are words that put the action ahead (これから): 「これから確認
	// します」 has not confirmed anything, so it reads as a negative.
	NotYet []string `yaml:"not_yet"`
	// Unsure are words of doubt (かどうか, かもしれない, と思う): a text
	// holding one never enters what cannot be undone without asking. They
	// are looked for in the text only folded, before the plain forms drop
	// some of them.
	Unsure []string `yaml:"unsure"`
	// Both are words that name several things at once (両方, どちらも): the
	// matcher asks instead of picking one of them.
	Both []string `yaml:"both"`
	// Also is the particle that names several things when said twice
	// (「カードもパスワードも」), and NotAlso the words that hold it without
	// meaning that (もう, 何も).
	Also    string   `yaml:"also"`
	NotAlso []string `yaml:"not_also"`
	// NumberSuffixes follow a typed button number: 「3番」.
	NumberSuffixes []string `yaml:"number_suffixes"`
	// NumberPrefixes may come before it: 「上から3つ目」.
	NumberPrefixes []string `yaml:"number_prefixes"`
	// NumberWords are button numbers said in words: 「ひとつめ」 is 1.
	NumberWords map[string]int `yaml:"number_words"`
	// Contrast are the conjunctions after which the last clause decides:
	// 「電話は切ったけど、番号を言ってしまった」 answers with what was said.
	Contrast []string `yaml:"contrast"`
	// Variants are words spelled or said differently for one meaning,
	// under the spelling both sides are folded to: 「せいきゅう」「セイキュウ」
	// meet 「請求」, 「ショートメール」 meets 「SMS」, 「アマギフ」 meets
	// 「ギフトカード」. They apply after the plain forms and the folding.
	Variants map[string][]string `yaml:"variants"`
	// SmallTalk are messages that ask for nothing: a greeting, thanks, a
	// pause (「ちょっと待って」). They are matched like a command, so that
	// they win over a command they resemble (戻る for 「ちょっと」), and they
	// move no one.
	SmallTalk []string `yaml:"small_talk"`
	// Secrets are words that tell a typed number or word is a secret the
	// user was asked for (see sensitive in safety.go).
	Secrets SecretWords `yaml:"secrets"`
}

// SecretWords name a secret near its value. They are compared with the text
// folded by NFKC, ignoring case.
type SecretWords struct {
	// Code are words that make a nearby number of 4–8 digits a one-time
	// code or PIN (ピン, SMS, 読み上げた).
	Code []string `yaml:"code"`
	// SecurityCode are words that make a nearby number of 3 or 4 digits a
	// card's security code (セキュリティ, 裏, CVV).
	SecurityCode []string `yaml:"security_code"`
	// Password are words before a password typed a few words later
	// (「パスワードを聞かれたので mimi2023 と答えた」).
	Password []string `yaml:"password"`
	// Gift are names of gift cards: with one of them in the message, groups
	// of four letters are a claim code even without a digit.
	Gift []string `yaml:"gift"`
	// Card are words that name a card number: 13–19 digits after one are
	// taken as a card number even when they fail the Luhn check.
	Card []string `yaml:"card"`
	// NotValues are ASCII words that follow a secret's name without being
	// its value: "password got changed", 「pasuwaado kaemashita」.
	NotValues []string `yaml:"not_values"`
}

// Urgent is a message that overrides every step when its words are typed:
// a person in crisis, or in danger now. It is answered first, gently, with
// the lines that are open now, and the user keeps their place.
type Urgent struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
	// Call are contact ids offered as call buttons while they are open.
	Call []string `yaml:"call"`
	// Words are what triggers it, anywhere in the message.
	Words []string `yaml:"words"`
}

// Global command ids.
const (
	CmdMenu          = "menu"
	CmdBack          = "back"
	CmdProgress      = "progress"
	CmdContacts      = "contacts"
	CmdHelp          = "help"
	CmdReminders     = "reminders"
	CmdStopReminders = "stop_reminders"
	CmdDelete        = "delete"
	CmdMemo          = "memo"
)

// Texts are the engine's own messages; they live in texts.yaml, not in Go.
type Texts struct {
	Welcome          string `yaml:"welcome"`
	Resume           string `yaml:"resume"`
	ResumeLabel      string `yaml:"resume_label"`
	RestartLabel     string `yaml:"restart_label"`
	Unmatched        string `yaml:"unmatched"`
	Other            string `yaml:"other"`
	DidYouMean       string `yaml:"did_you_mean"`
	WayBack          string `yaml:"way_back"`
	Stale            string `yaml:"stale"`
	Help             string `yaml:"help"`
	BackAtStart      string `yaml:"back_at_start"`
	ProgressTitle    string `yaml:"progress_title"`
	ProgressNone     string `yaml:"progress_none"`
	ProgressDone     string `yaml:"progress_done"`
	ProgressLeft     string `yaml:"progress_left"`
	ProgressAllDone  string `yaml:"progress_all_done"`
	ProgressReminder string `yaml:"progress_reminder"`
	ContactsTitle    string `yaml:"contacts_title"`
	ContactsOpen     string `yaml:"contacts_open"`
	ContactsClosed   string `yaml:"contacts_closed"` // {name} {hours} {when}: when it opens next
	ContactsAlways   string `yaml:"contacts_always"`
	// ContactsForm {name} {hours}: a form on a working day.
	ContactsForm string `yaml:"contacts_form"`
	// ContactsFormWaits {name} {hours} {date}: a form sent now is read from {date}.
	ContactsFormWaits string `yaml:"contacts_form_waits"`
	// CallClosed {name} {when}: a call button of the step withheld because the line is closed now.
	CallClosed string `yaml:"call_closed"`
	// CallClosedOpenNow follows the closed lines: where to find the lines open now.
	CallClosedOpenNow string `yaml:"call_closed_open_now"`
	CardNumber        string `yaml:"card_number"`
	Secret            string `yaml:"secret"`
	Discontinued      string `yaml:"discontinued"`
	DeleteConfirm     string `yaml:"delete_confirm"`
	DeleteYes         string `yaml:"delete_yes"`
	DeleteNo          string `yaml:"delete_no"`
	Deleted           string `yaml:"deleted"`
	ReminderAccept    string `yaml:"reminder_accept"`
	ReminderPick      string `yaml:"reminder_pick"`
	ReminderOffer     string `yaml:"reminder_offer"`
	ReminderSet       string `yaml:"reminder_set"`
	ReminderTooLate   string `yaml:"reminder_too_late"`
	RemindersNone     string `yaml:"reminders_none"`
	RemindersTitle    string `yaml:"reminders_title"`
	ReminderCancel    string `yaml:"reminder_cancel"`
	RemindersStopped  string `yaml:"reminders_stopped"`
	ReminderStopped   string `yaml:"reminder_stopped"`
	StopAllLabel      string `yaml:"stop_all_label"`
	// Staff chat (StaffChat), when the operator turns it on.
	// StaffOfferLabel labels the chip under 相談窓口 that asks for a person here.
	StaffOfferLabel string `yaml:"staff_offer_label"`
	// StaffAnswer {hours} {open} {until}: who answers, when, and that the
	// bot keeps quiet until {until} or 「ボットに戻る」.
	StaffAnswer string `yaml:"staff_answer"`
	// StaffHours {from} {to}: weekday hours; StaffHoursWeekends adds
	// {weekend_from} {weekend_to}.
	StaffHours         string `yaml:"staff_hours"`
	StaffHoursWeekends string `yaml:"staff_hours_weekends"`
	StaffOpenNow       string `yaml:"staff_open_now"`
	// StaffOpensAt {when}: the staff answer from then.
	StaffOpensAt string `yaml:"staff_opens_at"`
	// StaffBackLabel is what the user sends (or taps) to have the bot back.
	StaffBackLabel string `yaml:"staff_back_label"`
	StaffBack      string `yaml:"staff_back"`
	Group          string `yaml:"group"`
	// SlowDown is told once to a user sending faster than the rate limit.
	SlowDown string `yaml:"slow_down"`
	// Apology answers an event the bot failed to handle (a bug): nothing
	// was changed, and the user is offered the way back.
	Apology string `yaml:"apology"`
	// When formats a time: {month} {day} {weekday} {time}, e.g. "{month}/{day}({weekday}) {time}".
	When string `yaml:"when"`
	// Date formats a day: {month} {day} {weekday}.
	Date string `yaml:"date"`
	// Weekdays are the seven day names from Sunday, one character each: "日月火水木金土".
	Weekdays string `yaml:"weekdays"`
	// ScriptFillIn follows words to say that hold blanks: what 「○月○日」
	// 「□□」「○○円」 stand for (利用日・加盟店名・金額) and where to read them.
	ScriptFillIn string `yaml:"script_fill_in"`
}

// State is one user's place in the conversation. It holds no message text:
// only ids, the user's branch answers and the checklist.
type State struct {
	Flow    string   `json:"flow,omitempty"`
	Step    string   `json:"step,omitempty"`
	History []string `json:"history,omitempty"`
	Done    []string `json:"done,omitempty"`
	// Flows are the situations of this incident with a checklist, in the
	// order the user entered them: 進捗 lists them all, from any step, until
	// the user deletes the data.
	Flows   []string          `json:"flows,omitempty"`
	Answers map[string]string `json:"answers,omitempty"`
	// DoneAt is when the user tapped "done" for each checklist item, and
	// Entered when they first entered each flow of the incident: the dates
	// of the case summary (経緯メモ). Like Answers, the engine replaces these
	// maps and never writes to them.
	DoneAt  map[string]time.Time `json:"done_at,omitempty"`
	Entered map[string]time.Time `json:"entered,omitempty"`
	// Reminders are the follow-ups the user accepted and that are still due.
	Reminders []Reminder `json:"reminders,omitempty"`
	// Confirm is a pending yes/no question (データ削除).
	Confirm string `json:"confirm,omitempty"`
	// QuietUntil is when the bot answers again a user who asked for a
	// person (staff chat); zero: it answers.
	QuietUntil time.Time `json:"quiet_until,omitzero"`
	Version    int64     `json:"v"`
}

// Reminder is an accepted follow-up.
type Reminder struct {
	ID  string    `json:"id"`
	Due time.Time `json:"due"`
}

// InputKind says what the user did.
type InputKind int

const (
	InputText     InputKind = iota // typed text
	InputPostback                  // tapped a button we rendered (Data)
	InputFollow                    // added or unblocked the bot
	InputOther                     // a sticker, image or anything else
)

// Input is one user action.
type Input struct {
	Kind InputKind
	Text string
	// Data is the postback data of a tapped button.
	Data string
	// Time is the value picked with a time picker, if any.
	Time time.Time
	// QuoteToken is LINE's opaque handle on the typed message, so that a
	// warning about it can quote it (the user sees which one to unsend).
	QuoteToken string
}

// Message is one message of a reply: text and optional buttons.
type Message struct {
	Text    string
	Buttons []Button
	// QuoteToken, when set, shows the user's message this one is about
	// above it (Input.QuoteToken).
	QuoteToken string
}

// ButtonKind says what a button does.
type ButtonKind int

const (
	ButtonCall ButtonKind = iota // dial Value (a phone number)
	ButtonCopy                   // copy Value to the clipboard
	ButtonLink                   // open Value (an https URL)
)

// Button is an action inside a message.
type Button struct {
	Kind  ButtonKind
	Label string
	Value string
}

// Choice kinds of quick replies.
const (
	QuickPostback   = iota // a plain tap, sends Data
	QuickTimePicker        // opens a date-time picker, sends Data and the time
)

// QuickReply is a button under the last message.
type QuickReply struct {
	Kind  int
	Label string
	// Data is what the tap sends back (postback data, at most 300 bytes).
	Data string
	// DisplayText is shown as the user's own message after the tap.
	DisplayText string
	// Initial, Min and Max bound a time picker ("2026-11-25T09:00").
	Initial, Min, Max string
}

// Reply is what the bot sends in answer to one input.
type Reply struct {
	Messages     []Message
	QuickReplies []QuickReply
}

// ReminderOp is a change to the reminder schedule.
type ReminderOp int

const (
	ReminderSchedule ReminderOp = iota
	ReminderCancel
)

// ReminderChange asks the scheduler to add or remove one reminder.
type ReminderChange struct {
	Op  ReminderOp
	ID  string
	Due time.Time
}

// Result is the outcome of one input.
type Result struct {
	State     State
	Reply     Reply
	Reminders []ReminderChange
	// Delete asks storage to remove everything stored about the user.
	Delete bool
	// Understood is what the matcher made of typed text, for chat --explain
	// and the evaluation; nil for taps and for text caught before matching.
	Understood *Understanding
	// AskedForPerson is set when the user asked for a person to talk to
	// (相談窓口, typed or tapped): the operator counts these.
	AskedForPerson bool
}
