package flows

import (
	"slices"
	"time"
	_ "time/tzdata" // Asia/Tokyo must resolve on a distroless image
)

// Tokyo is where every hour the bot talks about is kept.
var Tokyo = mustLoad("Asia/Tokyo")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // tzdata is embedded: this cannot fail
	}
	return loc
}

// Weekend reports whether t's day (in Tokyo) is a Saturday, Sunday or holiday.
func (g *Graph) Weekend(t time.Time) bool {
	t = t.In(Tokyo)
	wd := t.Weekday()
	return wd == time.Saturday || wd == time.Sunday || g.Calendar.Holiday(t)
}

// OpenAt reports whether a line with these hours answers at t.
func (g *Graph) OpenAt(h Hours, t time.Time) bool {
	if h.Always {
		return true
	}
	t = t.In(Tokyo)
	if g.closedOn(h, t) {
		return false
	}
	periods := h.Weekdays
	if g.Weekend(t) {
		periods = h.Weekends
	}
	hm := t.Format("15:04")
	for _, p := range periods {
		if hm >= p.From && hm < p.To {
			return true
		}
	}
	return false
}

// closedOn reports whether a line with these hours is closed all of t's day.
func (g *Graph) closedOn(h Hours, t time.Time) bool {
	if h.OfficeDays && g.Calendar.OfficeClosed(t) {
		return true
	}
	md := t.In(Tokyo).Format("01-02")
	return slices.Contains(h.Closed, md)
}

// NextOpen returns when a closed line next opens, within two weeks, or the
// zero time if its hours never open.
func (g *Graph) NextOpen(h Hours, t time.Time) time.Time {
	t = t.In(Tokyo)
	for d := 0; d < 14; d++ {
		day := time.Date(t.Year(), t.Month(), t.Day()+d, 0, 0, 0, 0, Tokyo)
		if g.closedOn(h, day) {
			continue
		}
		periods := h.Weekdays
		if g.Weekend(day) {
			periods = h.Weekends
		}
		for _, p := range periods {
			from := atClock(day, p.From)
			if from.After(t) {
				return from
			}
		}
	}
	return time.Time{}
}

// atClock returns day at the time of day "HH:MM" in Tokyo.
func atClock(day time.Time, hm string) time.Time {
	c, err := time.Parse("15:04", hm)
	if err != nil {
		c = time.Time{}
	}
	day = day.In(Tokyo)
	return time.Date(day.Year(), day.Month(), day.Day(), c.Hour(), c.Minute(), 0, 0, Tokyo)
}

// No push wakes a victim at night: 21:00–08:00 Tokyo waits for 08:00.
const (
	quietFrom = 21
	quietTo   = 8
)

// Deliverable moves t out of the night: a time from 21:00 to 08:00 Tokyo
// becomes the next 08:00.
func Deliverable(t time.Time) time.Time {
	t = t.In(Tokyo)
	switch {
	case t.Hour() >= quietFrom:
		return time.Date(t.Year(), t.Month(), t.Day()+1, quietTo, 0, 0, 0, Tokyo)
	case t.Hour() < quietTo:
		return time.Date(t.Year(), t.Month(), t.Day(), quietTo, 0, 0, 0, Tokyo)
	}
	return t
}

// Due returns when a reminder accepted at now is pushed: Days later at At,
// out of the night, and for a bank visit on the next weekday morning.
func (g *Graph) Due(def *ReminderDef, now time.Time) time.Time {
	now = now.In(Tokyo)
	days := def.Days
	if now.Hour() < dayStartsAt && days > 0 {
		// At 00:30 a victim who has not slept yet means the coming morning
		// by 「明日」, not the one after.
		days--
	}
	day := time.Date(now.Year(), now.Month(), now.Day()+days, 0, 0, 0, 0, Tokyo)
	t := atClock(day, def.At)
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return g.settle(def, t)
}

// At returns when a reminder the user picked a time for is pushed.
func (g *Graph) At(def *ReminderDef, picked time.Time) time.Time {
	return g.settle(def, picked.In(Tokyo))
}

// dayStartsAt is the hour before which "tomorrow" still means the coming day.
const dayStartsAt = 5

// settle applies the night rule and, for a bank visit, moves a night,
// weekend or bank holiday to the next open day at the reminder's usual time.
func (g *Graph) settle(def *ReminderDef, t time.Time) time.Time {
	d := Deliverable(t)
	if !def.Weekday {
		return d
	}
	moved := !d.Equal(t.In(Tokyo))
	for g.Calendar.BankClosed(d) {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, Tokyo)
		moved = true
	}
	if moved {
		d = atClock(d, def.At)
	}
	return d
}
