package load

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
)

// Phrases are what a victim types instead of tapping: the words of choices,
// global commands, and chatter the bot has to handle gracefully. データ削除 is
// left out: a load test should not wipe the state it measures.
var Phrases = []string{
	"ログインできない",
	"カード止めたい",
	"ｶｰﾄﾞ会社の電話",
	"電話しました",
	"進捗",
	"相談窓口",
	"ヘルプ",
	"戻る",
	"メニュー",
	"よくわからないです",
	"ありがとうございます",
	"Amazonから身に覚えのない注文メールが来た",
}

// user is one simulated LINE user. A user has at most one body in flight:
// they tap what the last reply offered, so they wait for it.
type user struct {
	id       string
	readyAt  time.Time // not before: the think time after the last answer
	followed bool
	offered  []Choice // the quick replies of the last reply
	events   int      // events sent, all phases
}

// pool hands out users that have no event in flight.
type pool struct {
	ready chan *user
	all   []*user
}

func newPool(n int) *pool {
	p := &pool{ready: make(chan *user, n), all: make([]*user, n)}
	for i := range p.all {
		u := &user{id: linefake.NewUserID()}
		p.all[i] = u
		p.ready <- u
	}
	return p
}

// take returns n distinct users, waiting for them to become ready: to be
// handed back, and to have thought. Users come back in the order their
// answers came, so the first in line is the first ready.
func (p *pool) take(ctx context.Context, n int) ([]*user, error) {
	us := make([]*user, 0, n)
	for len(us) < n {
		select {
		case u := <-p.ready:
			us = append(us, u)
			if wait := time.Until(u.readyAt); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					p.give(us)
					return nil, ctx.Err()
				}
			}
		case <-ctx.Done():
			p.give(us)
			return nil, ctx.Err()
		}
	}
	return us, nil
}

func (p *pool) give(us []*user) {
	for _, u := range us {
		p.ready <- u
	}
}

// touched counts the users that sent at least one event.
func (p *pool) touched() []*user {
	var out []*user
	for _, u := range p.all {
		if u.events > 0 {
			out = append(out, u)
		}
	}
	return out
}

// script decides what each user does next.
type script struct {
	fake      *Fake
	textRatio float64
	think     time.Duration
	mu        sync.Mutex
	rng       *rand.Rand
}

func newScript(f *Fake, textRatio float64, think time.Duration, seed int64) *script {
	return &script{fake: f, textRatio: textRatio, think: think, rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>1^0x9e3779b97f4a7c15))}
}

func (s *script) float() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

func (s *script) intN(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.IntN(n)
}

// next builds the user's next event: follow first; then a tap on one of
// the quick replies the bot offered last; now and then (or when nothing
// was offered) typed text.
func (s *script) next(u *user) linefake.Event {
	var ev linefake.Event
	switch {
	case !u.followed:
		ev = linefake.FollowEvent(u.id)
	case len(u.offered) == 0 || s.float() < s.textRatio:
		text := Phrases[s.intN(len(Phrases))]
		if len(u.offered) > 0 && s.intN(2) == 0 {
			// Typing a button's words instead of tapping it.
			text = u.offered[s.intN(len(u.offered))].Label
		}
		ev = linefake.TextEvent(u.id, text)
	default:
		c := u.offered[s.intN(len(u.offered))]
		var params map[string]string
		if c.Picker {
			params = map[string]string{"datetime": c.Initial}
		}
		ev = linefake.PostbackEvent(u.id, c.Data, params)
	}
	ev.ReplyToken = s.fake.IssueReplyToken()
	u.events++
	return ev
}

// answered updates the user after the bot answered their event: what the
// reply offered is what they tap next.
func (s *script) answered(u *user, ev linefake.Event, ok bool) {
	u.readyAt = time.Now().Add(s.think)
	offered, replies := s.fake.Take(ev.ReplyToken)
	if ev.Type == "follow" && (ok || replies > 0) {
		u.followed = true
	}
	if replies > 0 {
		u.offered = offered
	}
}
