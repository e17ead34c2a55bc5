package faults

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
)

// memoryLimit is the container's memory limit in deploy/k8s, which the
// manifests also give the Go runtime as GOMEMLIMIT.
const memoryLimit = 256 << 20

// TestFaultBogusFlood injects the fault of issue 11 item 5: 1,000 clients
// at once post 1 MiB bodies with a bogus signature, each stalling 2 s
// before its last byte, again and again, while
// LINE's real signed events keep coming. The bot used to read every body
// whole before checking its signature: 130 such posts took it to 275 MB,
// 400 to 832 MB. Its peak RSS must stay under the 256 MiB limit, and every
// real event must be applied and answered exactly once (redelivered, as
// LINE does, while the bot answers 503 for want of a reading slot).
func TestFaultBogusFlood(t *testing.T) {
	h := setup(t, true)
	env := h.botEnv()
	env.Extra = []string{fmt.Sprintf("GOMEMLIMIT=%d", memoryLimit)}
	bot, err := StartBot(h.ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Stop()

	const floods, bodySize, stall = 1000, 1 << 20, 2 * time.Second
	bogus := bytes.Repeat([]byte("a"), bodySize) // its content does not matter: the signature is bogus
	client := &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: floods, MaxConnsPerHost: 0},
	}
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[string]int{}
		posted   atomic.Int64
	)
	count := func(s string) { mu.Lock(); statuses[s]++; mu.Unlock() }
	for range floods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := true; first || !stop.Load(); first = false {
				// All but the last byte at once, the last after a stall: the
				// bot holds what it read of every body it reads at once.
				body := io.MultiReader(bytes.NewReader(bogus[:bodySize-1]), &stalled{wait: stall, last: bogus[bodySize-1:]})
				req, _ := http.NewRequestWithContext(h.ctx, http.MethodPost, bot.URL(), body)
				req.ContentLength = bodySize
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("x-line-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
				posted.Add(1)
				res, err := client.Do(req)
				if err != nil {
					count("error")
					continue
				}
				res.Body.Close()
				count(fmt.Sprint(res.StatusCode))
			}
		}()
	}

	// LINE's events meanwhile: a follow per user, posted until answered 200.
	const users = 40
	var (
		tokens      []string
		attempts    atomic.Int64
		unanswered  atomic.Int64
		realWG      sync.WaitGroup
		realStarted = time.Now()
	)
	for range users {
		ev := linefake.FollowEvent(linefake.NewUserID())
		ev.ReplyToken = h.fake.IssueReplyToken()
		tokens = append(tokens, ev.ReplyToken)
		realWG.Add(1)
		go func() {
			defer realWG.Done()
			time.Sleep(200 * time.Millisecond) // into the flood
			for try := 0; ; try++ {
				post := ev
				if try > 0 {
					post = ev.Redelivered()
				}
				body := linefake.Body("", post)
				req, _ := http.NewRequestWithContext(h.ctx, http.MethodPost, bot.URL(), bytes.NewReader(body))
				req.Header.Set("x-line-signature", linefake.Sign(load.DefaultSecret, body))
				attempts.Add(1)
				res, err := client.Do(req)
				if err == nil {
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						return
					}
				}
				if try == 60 {
					unanswered.Add(1)
					return
				}
				time.Sleep(250 * time.Millisecond) // LINE redelivers later
			}
		}()
	}
	realWG.Wait()
	realTook := time.Since(realStarted)
	stop.Store(true)
	wg.Wait()

	peak, err := bot.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	check := h.fake.Check(tokens, 5*time.Second)
	var codes []string
	for s, n := range statuses {
		codes = append(codes, fmt.Sprintf("%s×%d", s, n))
	}
	sort.Strings(codes)
	line := fmt.Sprintf("FAULTS %s: bogus 1 MiB posts=%d (%d clients at once; %s) | real events=%d attempts=%d unanswered=%d replied once=%d missing=%d twice=%d in %v | peak RSS (VmHWM)=%.1f MiB of %d MiB",
		t.Name(), posted.Load(), floods, strings.Join(codes, " "), users, attempts.Load(), unanswered.Load(),
		check.Replied, check.Missing, check.Duplicated, realTook.Round(100*time.Millisecond), float64(peak)/(1<<20), memoryLimit>>20)
	t.Log(line)
	fmt.Println(line)
	if !bot.Alive() {
		t.Fatalf("the bot died:\n%s", lastBytes(bot.Logs(), 4000))
	}
	if peak >= memoryLimit {
		t.Errorf("peak RSS %.1f MiB, over the %d MiB limit", float64(peak)/(1<<20), memoryLimit>>20)
	}
	if unanswered.Load() != 0 || check.Replied != users || check.Duplicated != 0 {
		t.Errorf("real events: %d never answered 200, %d of %d replied once, %d twice", unanswered.Load(), check.Replied, users, check.Duplicated)
	}
	if statuses["400"] == 0 {
		t.Errorf("no bogus post was refused as such (400): the flood proved nothing")
	}
}

// stalled is the end of a body that arrives late: it waits, then yields last.
type stalled struct {
	wait time.Duration
	last []byte
}

func (s *stalled) Read(p []byte) (int, error) {
	if len(s.last) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.wait)
	n := copy(p, s.last)
	s.last = s.last[n:]
	return n, nil
}
