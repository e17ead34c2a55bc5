package flows_test

import (
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
)

// jst is a time of day in Tokyo. 2026-11-24 is a Tuesday; 2026-11-23 is a
// holiday (勤労感謝の日) in the graphs below; 2027-01-01 is a Friday.
func jst(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, flows.Tokyo)
}

// holidays is a graph whose only data is a holiday calendar of days (and the
// New Year's Day of their years, which a calendar always has); none gives a
// graph without a calendar.
func holidays(days ...string) *flows.Graph {
	if len(days) == 0 {
		return &flows.Graph{}
	}
	return &flows.Graph{Calendar: calendarOf(days...)}
}

func TestDeliverable(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"20:59 stays", jst(2026, 11, 24, 20, 59), jst(2026, 11, 24, 20, 59)},
		{"20:59:59 stays", jst(2026, 11, 24, 20, 59).Add(59 * time.Second), jst(2026, 11, 24, 20, 59).Add(59 * time.Second)},
		{"21:00 waits for 08:00", jst(2026, 11, 24, 21, 0), jst(2026, 11, 25, 8, 0)},
		{"23:00 waits for 08:00", jst(2026, 11, 24, 23, 0), jst(2026, 11, 25, 8, 0)},
		{"midnight waits for 08:00", jst(2026, 11, 25, 0, 0), jst(2026, 11, 25, 8, 0)},
		{"07:59 waits for 08:00", jst(2026, 11, 25, 7, 59), jst(2026, 11, 25, 8, 0)},
		{"08:00 stays", jst(2026, 11, 25, 8, 0), jst(2026, 11, 25, 8, 0)},
		{"noon stays", jst(2026, 11, 25, 12, 0), jst(2026, 11, 25, 12, 0)},
		{"month end", jst(2026, 11, 30, 23, 0), jst(2026, 12, 1, 8, 0)},
		{"year end", jst(2026, 12, 31, 23, 0), jst(2027, 1, 1, 8, 0)},
		{"leap day", jst(2028, 2, 28, 22, 0), jst(2028, 2, 29, 8, 0)},
		// The hour is Tokyo's whatever the location of the input.
		{"23:00 Tokyo given in UTC", time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC), jst(2026, 11, 25, 8, 0)},
		{"12:00 UTC is 21:00 Tokyo", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), jst(2026, 11, 25, 8, 0)},
		{"20:00 UTC is 05:00 Tokyo", time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC), jst(2026, 11, 25, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := flows.Deliverable(tt.in)
			if !got.Equal(tt.want) {
				t.Errorf("Deliverable(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if got.Location() != flows.Tokyo {
				t.Errorf("Deliverable(%v) is in %v, want Asia/Tokyo", tt.in, got.Location())
			}
		})
	}
}

func TestGraphDue(t *testing.T) {
	var (
		mail     = &flows.ReminderDef{ID: "check_mail", Days: 1, At: "09:00"}
		card     = &flows.ReminderDef{ID: "card_company", Days: 1, At: "10:00"}
		newCard  = &flows.ReminderDef{ID: "new_card", Days: 10, At: "10:00"}
		today    = &flows.ReminderDef{ID: "today", Days: 0, At: "09:00"}
		evening  = &flows.ReminderDef{ID: "evening", Days: 0, At: "22:00"}
		bank     = &flows.ReminderDef{ID: "bank_visit", Days: 1, At: "10:00", Weekday: true}
		november = holidays("2026-11-23")
		newYear  = holidays("2027-01-01")
	)
	tests := []struct {
		name string
		g    *flows.Graph
		def  *flows.ReminderDef
		now  time.Time
		want time.Time
	}{
		{"next-day 09:00 accepted at 23:30", november, mail, jst(2026, 11, 24, 23, 30), jst(2026, 11, 25, 9, 0)},
		{"next-day 10:00 accepted at 23:30", november, card, jst(2026, 11, 24, 23, 30), jst(2026, 11, 25, 10, 0)},
		{"next-day 09:00 accepted at noon", november, mail, jst(2026, 11, 24, 12, 0), jst(2026, 11, 25, 9, 0)},
		// After midnight "the next day" is the day after the date: the
		// offer shows the date, so the user sees which.
		{"next-day 09:00 accepted at 00:30 is this morning", november, mail, jst(2026, 11, 25, 0, 30), jst(2026, 11, 25, 9, 0)},
		{"next-day 09:00 accepted at 05:00 is tomorrow", november, mail, jst(2026, 11, 25, 5, 0), jst(2026, 11, 26, 9, 0)},
		{"same-day 09:00 before it", november, today, jst(2026, 11, 25, 8, 0), jst(2026, 11, 25, 9, 0)},
		{"same-day 09:00 after it is tomorrow", november, today, jst(2026, 11, 25, 10, 0), jst(2026, 11, 26, 9, 0)},
		{"same-day 09:00 exactly at it is tomorrow", november, today, jst(2026, 11, 25, 9, 0), jst(2026, 11, 26, 9, 0)},
		{"22:00 waits for 08:00", november, evening, jst(2026, 11, 25, 12, 0), jst(2026, 11, 26, 8, 0)},
		{"ten days across a month end", november, newCard, jst(2026, 11, 25, 23, 30), jst(2026, 12, 5, 10, 0)},
		{"month end", november, mail, jst(2026, 11, 30, 23, 30), jst(2026, 12, 1, 9, 0)},
		{"year end", november, mail, jst(2026, 12, 31, 23, 0), jst(2027, 1, 1, 9, 0)},
		{"accepted in UTC", november, mail, time.Date(2026, 11, 24, 14, 30, 0, 0, time.UTC), jst(2026, 11, 25, 9, 0)},

		{"bank visit on a weekday night", november, bank, jst(2026, 11, 24, 23, 30), jst(2026, 11, 25, 10, 0)},
		{"bank visit on Friday night is Monday", november, bank, jst(2026, 11, 27, 23, 30), jst(2026, 11, 30, 10, 0)},
		{"bank visit on Saturday is Monday", november, bank, jst(2026, 11, 28, 10, 0), jst(2026, 11, 30, 10, 0)},
		{"bank visit on Sunday is Monday", november, bank, jst(2026, 11, 29, 10, 0), jst(2026, 11, 30, 10, 0)},
		{"bank visit before a holiday is the day after", november, bank, jst(2026, 11, 22, 23, 0), jst(2026, 11, 24, 10, 0)},
		{"bank visit on Friday before a holiday Monday is Tuesday", november, bank, jst(2026, 11, 20, 23, 0), jst(2026, 11, 24, 10, 0)},
		{"bank visit without the holiday calendar", holidays(), bank, jst(2026, 11, 22, 23, 0), jst(2026, 11, 23, 10, 0)},
		{"bank visit on New Year's Eve is in January", newYear, bank, jst(2026, 12, 31, 23, 0), jst(2027, 1, 4, 10, 0)},
		{"bank visit on New Year's Eve waits for the banks to open on 1/4", holidays(), bank, jst(2026, 12, 31, 23, 0), jst(2027, 1, 4, 10, 0)},
		{"bank visit accepted on 12/30 skips the year-end closure", holidays(), bank, jst(2026, 12, 30, 20, 0), jst(2027, 1, 4, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.g.Due(tt.def, tt.now)
			if !got.Equal(tt.want) {
				t.Errorf("Due(%s, %v) = %v, want %v", tt.def.ID, tt.now, got.In(flows.Tokyo), tt.want)
			}
			if !got.After(tt.now) {
				t.Errorf("Due(%s, %v) = %v, not after acceptance", tt.def.ID, tt.now, got)
			}
		})
	}
}

// At is the time the user picked with the date-time picker, moved out of the
// night and, for a bank visit, to a weekday.
func TestGraphAt(t *testing.T) {
	var (
		mail = &flows.ReminderDef{ID: "check_mail", Days: 1, At: "09:00"}
		bank = &flows.ReminderDef{ID: "bank_visit", Days: 1, At: "10:00", Weekday: true}
		g    = holidays("2026-11-23", "2027-01-01")
	)
	tests := []struct {
		name   string
		def    *flows.ReminderDef
		picked time.Time
		want   time.Time
	}{
		{"daytime stays", mail, jst(2026, 11, 25, 14, 30), jst(2026, 11, 25, 14, 30)},
		{"23:00 is 08:00", mail, jst(2026, 11, 25, 23, 0), jst(2026, 11, 26, 8, 0)},
		{"New Year's Eve 23:00 is 08:00 on New Year's Day", mail, jst(2026, 12, 31, 23, 0), jst(2027, 1, 1, 8, 0)},
		{"a weekend stays for other reminders", mail, jst(2026, 11, 28, 11, 0), jst(2026, 11, 28, 11, 0)},
		{"bank visit on a weekday stays", bank, jst(2026, 11, 25, 14, 30), jst(2026, 11, 25, 14, 30)},
		{"bank visit on a weekday night is the next morning at its time", bank, jst(2026, 11, 25, 22, 0), jst(2026, 11, 26, 10, 0)},
		{"bank visit on Saturday is Monday at its time", bank, jst(2026, 11, 28, 15, 0), jst(2026, 11, 30, 10, 0)},
		{"bank visit on Friday night is Monday at its time", bank, jst(2026, 11, 27, 22, 0), jst(2026, 11, 30, 10, 0)},
		{"bank visit on a holiday is the next weekday", bank, jst(2026, 11, 23, 11, 0), jst(2026, 11, 24, 10, 0)},
		{"bank visit on New Year's Eve night is in January", bank, jst(2026, 12, 31, 23, 0), jst(2027, 1, 4, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.At(tt.def, tt.picked); !got.Equal(tt.want) {
				t.Errorf("At(%s, %v) = %v, want %v", tt.def.ID, tt.picked, got.In(flows.Tokyo), tt.want)
			}
		})
	}
}

func TestGraphWeekend(t *testing.T) {
	g := holidays("2026-11-23")
	tests := []struct {
		t    time.Time
		want bool
	}{
		{jst(2026, 11, 24, 12, 0), false}, // Tuesday
		{jst(2026, 11, 23, 12, 0), true},  // holiday
		{jst(2026, 11, 28, 0, 0), true},   // Saturday
		{jst(2026, 11, 29, 23, 59), true}, // Sunday
		{jst(2026, 11, 30, 0, 0), false},  // Monday
		// Friday 15:30 UTC is Saturday 00:30 in Tokyo.
		{time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC), true},
		// Sunday 23:00 UTC is Monday 08:00 in Tokyo.
		{time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		if got := g.Weekend(tt.t); got != tt.want {
			t.Errorf("Weekend(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
}

func TestGraphOpenAtAndNextOpen(t *testing.T) {
	var (
		weekdays = flows.Hours{Weekdays: []flows.Period{{From: "09:00", To: "17:00"}}}
		// 188's shape: shorter hours on weekends, closed over the New Year.
		hotline = flows.Hours{
			Weekdays: []flows.Period{{From: "09:00", To: "17:00"}},
			Weekends: []flows.Period{{From: "10:00", To: "16:00"}},
			Closed:   []string{"12-29", "12-30", "12-31", "01-01", "01-02", "01-03"},
		}
		lunch  = flows.Hours{Weekdays: []flows.Period{{From: "09:00", To: "12:00"}, {From: "13:00", To: "17:00"}}}
		always = flows.Hours{Always: true}
		never  = flows.Hours{}
		g      = holidays("2026-11-23", "2027-01-01")
	)
	tests := []struct {
		name  string
		hours flows.Hours
		at    time.Time
		open  bool
		next  time.Time // when closed; zero: never opens
	}{
		{"weekday morning", weekdays, jst(2026, 11, 25, 10, 0), true, time.Time{}},
		{"weekday at opening", weekdays, jst(2026, 11, 25, 9, 0), true, time.Time{}},
		{"weekday a minute before closing", weekdays, jst(2026, 11, 25, 16, 59), true, time.Time{}},
		{"weekday at closing", weekdays, jst(2026, 11, 25, 17, 0), false, jst(2026, 11, 26, 9, 0)},
		{"weekday before opening", weekdays, jst(2026, 11, 25, 8, 59), false, jst(2026, 11, 25, 9, 0)},
		{"weekday night", weekdays, jst(2026, 11, 24, 23, 30), false, jst(2026, 11, 25, 9, 0)},
		{"after midnight", weekdays, jst(2026, 11, 25, 0, 30), false, jst(2026, 11, 25, 9, 0)},
		{"Friday evening", weekdays, jst(2026, 11, 27, 18, 0), false, jst(2026, 11, 30, 9, 0)},
		{"Saturday", weekdays, jst(2026, 11, 28, 11, 0), false, jst(2026, 11, 30, 9, 0)},
		{"holiday", weekdays, jst(2026, 11, 23, 11, 0), false, jst(2026, 11, 24, 9, 0)},
		{"Friday evening before a holiday Monday", weekdays, jst(2026, 11, 20, 18, 0), false, jst(2026, 11, 24, 9, 0)},
		{"month end", weekdays, jst(2026, 11, 30, 20, 0), false, jst(2026, 12, 1, 9, 0)},
		{"New Year's Eve night", weekdays, jst(2026, 12, 31, 22, 0), false, jst(2027, 1, 4, 9, 0)},
		{"lunch break", lunch, jst(2026, 11, 25, 12, 30), false, jst(2026, 11, 25, 13, 0)},
		{"weekend hours on Saturday", hotline, jst(2026, 11, 28, 11, 0), true, time.Time{}},
		{"Saturday before weekend hours", hotline, jst(2026, 11, 28, 9, 30), false, jst(2026, 11, 28, 10, 0)},
		{"Saturday after weekend hours", hotline, jst(2026, 11, 28, 16, 30), false, jst(2026, 11, 29, 10, 0)},
		{"holiday uses weekend hours", hotline, jst(2026, 11, 23, 9, 30), false, jst(2026, 11, 23, 10, 0)},
		{"closed over the New Year", hotline, jst(2026, 12, 28, 18, 0), false, jst(2027, 1, 4, 9, 0)},
		{"closed day in business hours", hotline, jst(2026, 12, 29, 11, 0), false, jst(2027, 1, 4, 9, 0)},
		{"always", always, jst(2026, 11, 24, 3, 0), true, time.Time{}},
		{"never", never, jst(2026, 11, 24, 12, 0), false, time.Time{}},
		{"night given in UTC", weekdays, time.Date(2026, 11, 24, 14, 30, 0, 0, time.UTC), false, jst(2026, 11, 25, 9, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.OpenAt(tt.hours, tt.at); got != tt.open {
				t.Errorf("OpenAt(%v) = %v, want %v", tt.at, got, tt.open)
			}
			if tt.open {
				return
			}
			got := g.NextOpen(tt.hours, tt.at)
			if !got.Equal(tt.next) {
				t.Errorf("NextOpen(%v) = %v, want %v", tt.at, got, tt.next)
			}
			if !got.IsZero() && !g.OpenAt(tt.hours, got) {
				t.Errorf("NextOpen(%v) = %v, which OpenAt says is closed", tt.at, got)
			}
		})
	}
}
