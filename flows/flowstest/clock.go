// Package flowstest holds what tests of every package share about time: a
// clock they can set and step, and the dates the date-dependent tests run at.
package flowstest

import (
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
)

// A Clock is a settable clock, safe for concurrent use. Give its Now to every
// component a test builds, so that all of them agree on the time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock that says t until it is set or advanced.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Clock returns c as a flows.Clock.
func (c *Clock) Clock() flows.Clock { return c.Now }

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock d forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// JST returns a time in Tokyo.
func JST(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, flows.Tokyo)
}

// A Date is a moment a date-dependent test runs at.
type Date struct {
	Name string // usable as a subtest name
	At   time.Time
}

// Dates are the moments the conversation, reminder, privacy and
// data-deletion tests run at: none of them is near the day the tests were
// written, and they cover a night, a weekend, a holiday, a leap day, the
// year's end and a day past the published holiday list.
var Dates = []Date{
	{"2026-11-24_night", JST(2026, 11, 24, 23, 30)},         // a Tuesday night
	{"2026-01-05_weekday_morning", JST(2026, 1, 5, 10, 30)}, // a Monday after the New Year closure
	{"2026-11-23_holiday", JST(2026, 11, 23, 14, 0)},        // 勤労感謝の日, a Monday
	{"2028-02-29_leap_day", JST(2028, 2, 29, 9, 15)},        // a Tuesday, past the published holidays
	{"2031-12-31_year_end_night", JST(2031, 12, 31, 22, 45)},
	{"2027-01-02_new_year_weekend", JST(2027, 1, 2, 11, 0)}, // a Saturday in the year-end closure
}
