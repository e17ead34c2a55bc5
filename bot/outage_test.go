package bot

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestLINEOutageLosesNoReply injects the fault an outside test found: LINE
// answers every reply with 500 for 4 s while users write. Each event is
// posted until the webhook answers 200, as LINE redelivers; reply tokens
// expire after 3 s, so late redeliveries must push. Every event must get
// exactly one answer, a reply or a push: none lost, none twice.
func TestLINEOutageLosesNoReply(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows), withFake(linefake.StrictTokens(), linefake.WithReplyTokenTTL(3*time.Second)))
		const users, perUser = 20, 5
		texts := []string{"メニュー", "電話しました", "進捗", "戻る", "こんにちは"}
		h.fake.FailFor(linefake.PathReply, http.StatusInternalServerError, 4*time.Second)

		var (
			wg          sync.WaitGroup
			mu          sync.Mutex
			sent        = map[string][]linefake.Event{}
			redelivered int
		)
		for range users {
			user := storagetest.UserID()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perUser {
					var ev linefake.Event
					if i == 0 {
						ev = h.follow(user)
					} else {
						ev = h.text(user, texts[i%len(texts)])
					}
					mu.Lock()
					sent[user] = append(sent[user], ev)
					mu.Unlock()
					for try := 0; ; try++ {
						post := ev
						if try > 0 {
							post = ev.Redelivered()
							mu.Lock()
							redelivered++
							mu.Unlock()
						}
						if code := h.post(post); code == http.StatusOK {
							break
						}
						if try == 20 {
							t.Errorf("event of %s still failing after 20 deliveries", user)
							return
						}
						time.Sleep(500 * time.Millisecond) // LINE redelivers later
					}
				}
			}()
		}
		wg.Wait()

		var events, replied, pushed, lost, twice int
		for user, evs := range sent {
			pushes := len(h.fake.PushesTo(user))
			noReply := 0
			for _, ev := range evs {
				events++
				switch n := len(h.replyTo(ev)); n {
				case 0:
					noReply++
				case 1:
					replied++
				default:
					twice++
				}
			}
			pushed += pushes
			if pushes < noReply {
				lost += noReply - pushes
			}
			if pushes > noReply {
				twice += pushes - noReply
			}
		}
		t.Logf("%d events: %d replied, %d pushed after their token expired, %d redeliveries; lost %d, twice %d",
			events, replied, pushed, redelivered, lost, twice)
		if lost != 0 || twice != 0 {
			t.Fatalf("lost %d, delivered twice %d; want 0 and 0", lost, twice)
		}
		if redelivered == 0 {
			t.Fatal("no event needed a redelivery: the outage was not felt")
		}
	})
}
