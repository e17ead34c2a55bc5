package bot

import (
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
)

// TestPushQuotaMetrics: /metrics shows the month's quota and its use as LINE
// reports them, asked at most every five minutes however often it is scraped.
func TestPushQuotaMetrics(t *testing.T) {
	fake := linefake.New(linefake.WithMonthlyQuota(200))
	defer fake.Close()
	lc, err := line.NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := flowstest.NewClock(night)
	m := NewMetrics()
	m.WatchPushQuota(func() (int64, int64, error) {
		q, err := lc.PushQuota()
		return q.Limit, q.Used, err
	}, clock.Now, 5*time.Minute)
	gauge := func(name string) float64 {
		t.Helper()
		mfs, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
	push := func() {
		t.Helper()
		if err := lc.Push("U0123456789abcdef0123456789abcdef", linefake.NewRetryKey(), flows.Reply{Messages: []flows.Message{{Text: "リマインド"}}}); err != nil {
			t.Fatal(err)
		}
	}
	push()
	push()
	if q, used := gauge("fraudnavi_push_quota_messages"), gauge("fraudnavi_push_quota_used_messages"); q != 200 || used != 2 {
		t.Fatalf("quota %v used %v, want 200 and 2", q, used)
	}
	before := fake.Attempts(linefake.PathQuota)
	push()
	if used := gauge("fraudnavi_push_quota_used_messages"); used != 2 || fake.Attempts(linefake.PathQuota) != before {
		t.Errorf("a scrape within five minutes asked LINE again (used %v)", used)
	}
	clock.Advance(5 * time.Minute)
	if used := gauge("fraudnavi_push_quota_used_messages"); used != 3 {
		t.Errorf("after five minutes used %v, want 3", used)
	}
}
