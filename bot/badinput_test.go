package bot

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
	"golang.org/x/text/encoding/japanese"
)

// badRequest is what one row of TestBadInput posts: a body, how it is
// signed, and the event whose reply to look at (if any).
type badRequest struct {
	body []byte
	// sig is the x-line-signature: "" signs the body correctly, noSig
	// leaves the header out.
	sig   string
	event *linefake.Event
}

const noSig = "\x00none"

// TestBadInput posts what LINE would never send, or sends rarely, through
// the real handler, to a user waiting at the card_kind step of the test
// flows (version 3, a reminder on offer). Each row states the answer and
// what must become of the user: nothing, or exactly one step.
func TestBadInput(t *testing.T) {
	sjis, err := japanese.ShiftJIS.NewEncoder().String("普通のカード")
	if err != nil {
		t.Fatal(err)
	}
	var (
		unmatched = func(h *harness) string { return h.proc.Engine.Graph().Texts.Unmatched }
		other     = func(h *harness) string { return h.proc.Engine.Graph().Texts.Other }
		stale     = func(h *harness) string { return h.proc.Engine.Graph().Texts.Stale }
		tooLate   = func(h *harness) string { return h.proc.Engine.Graph().Texts.ReminderTooLate }
		cardWarn  = func(h *harness) string { return h.proc.Engine.Graph().Texts.CardNumber }
		done      = func(h *harness) string { return "おつかれさまでした" }
		contacts  = func(h *harness) string { return "窓口" }
	)
	// one posts a single event, correctly signed.
	one := func(ev linefake.Event) badRequest {
		return badRequest{body: linefake.Body("", ev), event: &ev}
	}
	// picker is a tap on the step's 時間を選ぶ with the time LINE reports.
	picker := func(h *harness, user, datetime string) badRequest {
		data := quickData(h, "時間を選ぶ")
		return one(linefake.PostbackEvent(user, data, map[string]string{"datetime": datetime}, linefake.ReplyTokenFrom(h.fake)))
	}
	tests := []struct {
		name string
		req  func(h *harness, user string) badRequest
		want int
		// After the request: the step, how many events were applied (0 or
		// 1), and a text the one reply must hold ("" for no reply at all).
		step    string
		applied int64
		reply   func(h *harness) string
	}{
		// Signatures: 400, nothing processed.
		{"no signature", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.sig = noSig
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"blank signature", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.sig = " "
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"signature that is not base64", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.sig = "!!not base64!!"
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"signed with another channel's secret", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.sig = linefake.Sign("0123456789abcdef0123456789abcdef", r.body)
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"signature over a different body", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.sig = linefake.Sign(testSecret, linefake.Body("", h.text(user, "普通のカード")))
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"body changed after signing", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.sig = linefake.Sign(testSecret, r.body)
			r.body = bytes.Replace(r.body, []byte("普通"), []byte("銀行"), 1)
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},

		// Bodies that are not LINE's JSON: 400 or 413, nothing processed.
		{"truncated JSON", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.body = r.body[:len(r.body)/2]
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"empty body", func(h *harness, user string) badRequest {
			return badRequest{body: nil}
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"JSON followed by garbage", func(h *harness, user string) badRequest {
			r := one(h.text(user, "普通のカード"))
			r.body = append(r.body, "}{"...)
			return r
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"events not an array", func(h *harness, user string) badRequest {
			return badRequest{body: []byte(`{"destination":"U0","events":{"type":"follow"}}`)}
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"a user id that is a number", func(h *harness, user string) badRequest {
			b := linefake.Body("", h.text(user, "普通のカード"))
			return badRequest{body: bytes.Replace(b, []byte(`"`+user+`"`), []byte(`12345`), 1)}
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"UTF-16 with a byte-order mark", func(h *harness, user string) badRequest {
			b := linefake.Body("", h.text(user, "普通のカード"))
			u := utf16.Encode([]rune(string(b)))
			out := []byte{0xFF, 0xFE}
			for _, c := range u {
				out = append(out, byte(c), byte(c>>8))
			}
			return badRequest{body: out}
		}, http.StatusBadRequest, "card_kind", 0, nil},
		{"2 MB body", func(h *harness, user string) badRequest {
			return one(h.text(user, strings.Repeat("a", 2<<20)))
		}, http.StatusRequestEntityTooLarge, "card_kind", 0, nil},

		// Odd but valid JSON: read the way encoding/json reads it.
		{"non-UTF-8 text (Shift_JIS bytes)", func(h *harness, user string) badRequest {
			// Invalid UTF-8 becomes U+FFFD: the text is unreadable, not an error.
			r := one(h.text(user, "PLACEHOLDER"))
			r.body = bytes.Replace(r.body, []byte("PLACEHOLDER"), []byte(sjis), 1)
			return r
		}, http.StatusOK, "card_kind", 1, unmatched},
		{"a stray invalid byte after a choice", func(h *harness, user string) badRequest {
			r := one(h.text(user, "PLACEHOLDER"))
			r.body = bytes.Replace(r.body, []byte("PLACEHOLDER"), []byte("普通のカード\xff"), 1)
			return r
		}, http.StatusOK, "card_done", 1, done},
		{"duplicate events key: the last one counts", func(h *harness, user string) badRequest {
			b := linefake.Body("", h.text(user, "普通のカード"))
			return badRequest{body: append(bytes.TrimSuffix(b, []byte("}")), `,"events":[]}`...)}
		}, http.StatusOK, "card_kind", 0, nil},
		{"null body", func(h *harness, user string) badRequest {
			return badRequest{body: []byte(`null`)}
		}, http.StatusOK, "card_kind", 0, nil},
		{"connectivity check", func(h *harness, user string) badRequest {
			return badRequest{body: []byte(`{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}`)}
		}, http.StatusOK, "card_kind", 0, nil},

		// Events the bot does not handle: 200, and an answer where one is due.
		{"unknown event type", func(h *harness, user string) badRequest {
			return one(linefake.UnknownEvent("somethingNew"))
		}, http.StatusOK, "card_kind", 0, nil},
		{"unknown message type", func(h *harness, user string) badRequest {
			ev := h.text(user, "")
			ev.Message = &linefake.MessageContent{Type: "hologram", ID: "1"}
			return one(ev)
		}, http.StatusOK, "card_kind", 1, other},
		{"image", func(h *harness, user string) badRequest {
			ev := h.text(user, "")
			ev.Message = &linefake.MessageContent{Type: "image", ID: "2"}
			return one(ev)
		}, http.StatusOK, "card_kind", 1, other},
		{"message without a source", func(h *harness, user string) badRequest {
			ev := h.text(user, "普通のカード")
			ev.Source = nil
			return one(ev)
		}, http.StatusOK, "card_kind", 0, func(h *harness) string { return h.proc.Engine.Graph().Texts.Group }},
		{"empty user id", func(h *harness, user string) badRequest {
			ev := h.text("", "普通のカード")
			return one(ev)
		}, http.StatusOK, "card_kind", 0, nil},
		{"standby mode", func(h *harness, user string) badRequest {
			return one(linefake.TextEvent(user, "普通のカード", linefake.ReplyTokenFrom(h.fake), linefake.Standby()))
		}, http.StatusOK, "card_kind", 0, nil},
		{"the same event twice in one body", func(h *harness, user string) badRequest {
			ev := h.text(user, "普通のカード")
			return badRequest{body: linefake.Body("", ev, ev.Redelivered()), event: &ev}
		}, http.StatusOK, "card_done", 1, done},

		// Text: never echoed, whatever its length or characters.
		{"5,000-character text", func(h *harness, user string) badRequest {
			return one(h.text(user, strings.Repeat("あ", 4999)+"X"))
		}, http.StatusOK, "card_kind", 1, unmatched},
		{"5,000 characters ending in a card number", func(h *harness, user string) badRequest {
			return one(h.text(user, strings.Repeat("あ", 4980)+"4111 1111 1111 1111"))
		}, http.StatusOK, "card_kind", 1, cardWarn},
		{"control characters and emoji around a choice", func(h *harness, user string) badRequest {
			return one(h.text(user, "\x00\x07\u202e🙏普通のカード👨\u200d👩\u200d👧\x1b[0m"))
		}, http.StatusOK, "card_done", 1, done},
		{"emoji only", func(h *harness, user string) badRequest {
			return one(h.text(user, "😱😱😱🙏"))
		}, http.StatusOK, "card_kind", 1, unmatched},
		{"control characters around a command", func(h *harness, user string) badRequest {
			return one(h.text(user, "\t\r\n\x00相談窓口\x7f"))
		}, http.StatusOK, "card_kind", 1, contacts},

		// Forged postbacks: shown the current step, nothing else changes.
		{"postback of another user's step", func(h *harness, user string) badRequest {
			return one(h.postback(user, "c=0&s=card_bank&v=5"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback with a huge version", func(h *harness, user string) badRequest {
			return one(h.postback(user, "c=1&s=card_kind&v=99999999999999999999"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback with the largest version", func(h *harness, user string) badRequest {
			return one(h.postback(user, "c=1&s=card_kind&v=9223372036854775807"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback with a negative choice", func(h *harness, user string) badRequest {
			return one(h.postback(user, "c=-1&s=card_kind&v=3"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback with a choice out of range", func(h *harness, user string) badRequest {
			return one(h.postback(user, "c=99&s=card_kind&v=3"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback garbage", func(h *harness, user string) badRequest {
			return one(h.postback(user, "%%%\x00;;=&&"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback of 10,000 bytes", func(h *harness, user string) badRequest {
			return one(h.postback(user, "s=card_kind&v=3&c="+strings.Repeat("9", 10000)))
		}, http.StatusOK, "card_kind", 1, stale},
		{"forged delete confirmation deletes nothing", func(h *harness, user string) badRequest {
			return one(h.postback(user, "g=delete_yes"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"forged jump to an unknown reminder", func(h *harness, user string) badRequest {
			return one(h.postback(user, "c=0&j=nope"))
		}, http.StatusOK, "card_kind", 1, stale},
		{"postback without data", func(h *harness, user string) badRequest {
			ev := h.postback(user, "")
			ev.Postback = nil
			return one(ev)
		}, http.StatusOK, "card_kind", 1, stale},
		{"the real tap still works", func(h *harness, user string) badRequest {
			return one(h.tap(user, "普通のカード"))
		}, http.StatusOK, "card_done", 1, done},

		// Date-time picker values: only a time ahead within the offer's reach.
		{"picked time far in the past", func(h *harness, user string) badRequest {
			return picker(h, user, "1970-01-01T00:00")
		}, http.StatusOK, "card_kind", 1, tooLate},
		{"picked time just past", func(h *harness, user string) badRequest {
			return picker(h, user, night.Add(-time.Minute).Format("2006-01-02T15:04"))
		}, http.StatusOK, "card_kind", 1, tooLate},
		{"picked time far in the future", func(h *harness, user string) badRequest {
			return picker(h, user, "2999-12-31T23:59")
		}, http.StatusOK, "card_kind", 1, tooLate},
		{"picked time unreadable", func(h *harness, user string) badRequest {
			return picker(h, user, "tomorrow")
		}, http.StatusOK, "card_kind", 1, tooLate},
	}
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		sched := &failingScheduler{}
		h.proc.Scheduler = schedulerFunc(sched)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := storagetest.UserID()
				h.post(h.follow(user))
				h.post(h.tap(user, "カードの請求"))
				h.post(h.tap(user, "電話した"))
				before := h.state(user)
				if before.Step != "card_kind" || before.Version != 3 {
					t.Fatalf("setup: at %q v%d", before.Step, before.Version)
				}
				scheduled := len(sched.done)
				replies := len(h.fake.Replies())

				r := tt.req(h, user)
				var code int
				switch r.sig {
				case "":
					code = h.postBody(r.body, true)
				case noSig:
					code = h.postBody(r.body, false)
				default:
					code = h.postSigned(r.body, r.sig)
				}
				if code != tt.want {
					t.Fatalf("status %d, want %d", code, tt.want)
				}
				st := h.state(user)
				if st.Step != tt.step || st.Version != before.Version+tt.applied {
					t.Fatalf("user at %q v%d, want %q v%d", st.Step, st.Version, tt.step, before.Version+tt.applied)
				}
				if len(st.Reminders) != 0 || len(sched.done) != scheduled {
					t.Fatalf("a reminder was scheduled: %v", sched.done[scheduled:])
				}
				all := h.fake.Replies()[replies:]
				if tt.reply == nil {
					if len(all) != 0 {
						t.Fatalf("answered %q, want no answer", all[0].Texts())
					}
				} else {
					if len(all) != 1 {
						t.Fatalf("%d replies, want 1", len(all))
					}
					if got := strings.Join(all[0].Texts(), "\n"); !strings.Contains(got, tt.reply(h)) {
						t.Fatalf("reply %q, want %q in it", got, tt.reply(h))
					}
					if r.event != nil && r.event.Message != nil && len(r.event.Message.Text) > 20 &&
						strings.Contains(strings.Join(all[0].Texts(), ""), r.event.Message.Text[len(r.event.Message.Text)-20:]) {
						t.Fatal("the reply repeats the user's text")
					}
				}
				h.noRejections()
			})
		}
	})
}

// quickData is the postback data of the quick reply labelled label in the
// last reply.
func quickData(h *harness, label string) string {
	h.t.Helper()
	rs := h.fake.Replies()
	for _, m := range rs[len(rs)-1].Messages {
		if m.QuickReply == nil {
			continue
		}
		for _, it := range m.QuickReply.Items {
			if it.Action != nil && it.Action.Label == label {
				return it.Action.Data
			}
		}
	}
	h.t.Fatalf("no quick reply %q", label)
	return ""
}

// TestHundredEventsInOneBody: one webhook carrying 100 events of ten users,
// interleaved. Every event is applied, in each user's order, and answered
// exactly once.
func TestHundredEventsInOneBody(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		users := make([]string, 10)
		for i := range users {
			users[i] = storagetest.UserID()
		}
		var events []linefake.Event
		for round := range 10 {
			for _, u := range users {
				switch round {
				case 0:
					events = append(events, h.follow(u))
				case 1:
					events = append(events, h.text(u, "請求"))
				case 2:
					events = append(events, h.text(u, "電話しました"))
				default:
					events = append(events, h.text(u, fmt.Sprintf("ヘルプ %d", round)))
				}
			}
		}
		if code := h.post(events...); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		for _, u := range users {
			if st := h.state(u); st.Step != "card_kind" || st.Version != 10 {
				t.Errorf("user at %q v%d, want card_kind v10", st.Step, st.Version)
			}
		}
		for i, ev := range events {
			if n := len(h.replyTo(ev)); n != 1 {
				t.Errorf("event %d answered %d times", i, n)
			}
		}
		if n := len(h.fake.Replies()); n != len(events) {
			t.Errorf("%d replies for %d events", n, len(events))
		}
		h.noRejections()
	})
}

// TestWebhookFinishesAfterTheCallerHangsUp: LINE stops waiting after 2 s.
// An event whose caller has gone is still applied and answered, rather than
// cut off between its state write and its reply.
func TestWebhookFinishesAfterTheCallerHangsUp(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		h.post(h.follow(user))
		ev := h.tap(user, "カードの請求")
		body := linefake.Body("", ev)
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // gone before the handler starts
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, PathCallback, bytes.NewReader(body))
		req.Header.Set("x-line-signature", linefake.Sign(testSecret, body))
		h.handler.ServeHTTP(httptest.NewRecorder(), req)
		if st := h.state(user); st.Step != "card_start" || st.Version != 2 {
			t.Fatalf("at %q v%d, want card_start v2", st.Step, st.Version)
		}
		if rs := h.replyTo(ev); len(rs) != 1 {
			t.Fatalf("%d replies, want 1", len(rs))
		}
	})
}
