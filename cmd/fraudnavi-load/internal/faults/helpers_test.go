package faults

import (
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
)

// These run in plain `go test`: the helpers the fault tests judge by.

func TestVersionOfAndAccept(t *testing.T) {
	cs := []load.Choice{
		{Data: "c=0&s=menu&v=3"},
		{Data: "g=menu"},
		{Data: "r=a&s=card_done&v=7"},
		{Data: "r=p&s=card_done&v=7", Picker: true},
	}
	if v := versionOf(cs); v != 7 {
		t.Errorf("versionOf = %d, want 7", v)
	}
	if v := versionOf([]load.Choice{{Data: "g=back"}}); v != -1 {
		t.Errorf("versionOf without versions = %d, want -1", v)
	}
	want := []bool{false, false, true, true}
	for i, c := range cs {
		if got := isAccept(c); got != want[i] {
			t.Errorf("isAccept(%q) = %v, want %v", c.Data, got, want[i])
		}
	}
}

func TestEventDuring(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	e := &Event{Attempts: []Attempt{{Start: at(0), End: at(10)}, {Start: at(100), End: at(110)}}}
	for _, tc := range []struct {
		from, to int
		want     bool
	}{
		{5, 6, true}, {10, 50, true}, {20, 90, false}, {105, 200, true}, {111, 200, false}, {-10, -1, false},
	} {
		if got := e.During(Window{From: at(tc.from), To: at(tc.to)}); got != tc.want {
			t.Errorf("During(%d..%d) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestCountsFailed(t *testing.T) {
	ok := Counts{Sent: 10, Applied: 10, Replied: 10}
	if ok.Failed() {
		t.Errorf("a clean run failed: %s", ok.Line())
	}
	for name, c := range map[string]Counts{
		"lost":           {Sent: 10, Applied: 9, Lost: 1},
		"applied twice":  {Sent: 10, Applied: 10, DupApplied: 1},
		"replied twice":  {Sent: 10, Applied: 10, RepliesDup: 1},
		"reply missing":  {Sent: 10, Applied: 10, RepliesMissing: 1},
		"pending outbox": {Sent: 10, Applied: 10, PendingOutboxes: 1},
		"reminder lost":  {Sent: 10, Applied: 10, RemindersMissing: 1},
		"undelivered":    {Sent: 10, Applied: 10, Undelivered: 1},
		"unknown token":  {Sent: 10, Applied: 10, RepliesStranger: 1},
	} {
		if !c.Failed() {
			t.Errorf("%s: not a failure: %s", name, c.Line())
		}
	}
	excused := Counts{Sent: 10, Applied: 10, RepliesMissing: 2, RepliesMissingCrash: 2}
	if excused.Failed() {
		t.Errorf("replies lost to a SIGKILL are excused: %s", excused.Line())
	}
}
