package flows

import "time"

// A Clock tells the time. Every component that reads the date or the time of
// day (the engine's caller, opening hours, reminders, the seen window, the
// rate limit, the chat) is handed the same one at wiring: time.Now in
// cmd/fraudnavi, a fixed or stepped clock in tests, so that what a victim is
// told at 23:30 on a holiday can be tested on any day.
type Clock func() time.Time

// FixedClock is a Clock that always says t: `chat --now` and tests.
func FixedClock(t time.Time) Clock { return func() time.Time { return t } }
