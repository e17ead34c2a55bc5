package flows

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// CalendarFile is the national holiday list among the flow files: 内閣府
// 「国民の祝日について」's syukujitsu.csv, converted to UTF-8 by
// `fraudnavi flows holidays`.
const CalendarFile = "syukujitsu.csv"

// CalendarWarnDays is how close to its end the published calendar may come
// before `flows check` fails and `serve` warns: the next year's list is
// published each February, so a refresh is due well before it runs out.
const CalendarWarnDays = 120

// A Calendar tells which days are national holidays (国民の祝日, 振替休日 and
// 国民の休日) and which days public offices and banks close at the year's end.
//
// Within the published list it answers from the list. After its last year it
// answers from the Holiday Act as it stands (祝日法, with 春分・秋分 from the
// usual approximation of the equinox), a provisional calendar: the government
// fixes the equinoxes only each February for the next year, and may add or
// move a holiday, so `flows check` and `serve` warn well before the list ends.
type Calendar struct {
	days map[civilDate]string // holiday → its name
	// first and last are the published range: January 1 of the first year
	// and December 31 of the last.
	first, last civilDate
	file        string
	lastLine    int // the line of the last row, for the warning
}

// civilDate is a day in Tokyo without a time.
type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	t = t.In(Tokyo)
	return civilDate{t.Year(), t.Month(), t.Day()}
}

func (c civilDate) time() time.Time { return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, Tokyo) }

func (c civilDate) addDays(n int) civilDate {
	return dateOf(time.Date(c.y, c.m, c.d+n, 12, 0, 0, 0, Tokyo))
}

// Holiday reports whether t's day (in Tokyo) is a national holiday.
// A nil Calendar has no holidays.
func (c *Calendar) Holiday(t time.Time) bool {
	if c == nil {
		return false
	}
	d := dateOf(t)
	if c.Published(t) {
		_, ok := c.days[d]
		return ok
	}
	return provisionalHoliday(d)
}

// Published reports whether t's day is within the published list; after it,
// Holiday answers from the provisional calendar.
func (c *Calendar) Published(t time.Time) bool {
	if c == nil || len(c.days) == 0 {
		return false
	}
	d := dateOf(t).time()
	return !d.Before(c.first.time()) && !d.After(c.last.time())
}

// PublishedUntil is the last day of the published list, in Tokyo.
func (c *Calendar) PublishedUntil() time.Time {
	if c == nil || len(c.days) == 0 {
		return time.Time{}
	}
	return c.last.time()
}

// DaysLeft is how many days of the published list remain after now's day;
// negative once now is past it.
func (c *Calendar) DaysLeft(now time.Time) int {
	end := c.PublishedUntil()
	if end.IsZero() {
		return 0
	}
	return int(end.Sub(dateOf(now).time()).Round(24*time.Hour) / (24 * time.Hour))
}

// Expiry returns a problem naming the calendar's last line when the
// published list ends within CalendarWarnDays of now, and nil otherwise.
func (c *Calendar) Expiry(now time.Time) *Problem {
	left := c.DaysLeft(now)
	if c == nil || left > CalendarWarnDays {
		return nil
	}
	return &Problem{File: c.file, Line: c.lastLine, Reason: fmt.Sprintf(
		"the holiday calendar ends on %s, %d days from %s: after it the bot uses a provisional calendar; download the new syukujitsu.csv and run `fraudnavi flows holidays`",
		c.PublishedUntil().Format(time.DateOnly), left, now.In(Tokyo).Format(time.DateOnly))}
}

// OfficeClosed reports whether public offices (the police's consultation
// lines, consumer centres) are closed on t's day: weekends, national holidays
// and 12/29–1/3 (行政機関の休日に関する法律 第1条).
func (c *Calendar) OfficeClosed(t time.Time) bool {
	return c.weekendOrHoliday(t) || yearEnd(t, 12, 29)
}

// BankClosed reports whether banks are closed on t's day: weekends, national
// holidays and 12/31–1/3 (銀行法施行令 第5条).
func (c *Calendar) BankClosed(t time.Time) bool {
	return c.weekendOrHoliday(t) || yearEnd(t, 12, 31)
}

func (c *Calendar) weekendOrHoliday(t time.Time) bool {
	t = t.In(Tokyo)
	wd := t.Weekday()
	return wd == time.Saturday || wd == time.Sunday || c.Holiday(t)
}

// yearEnd reports whether t's day is between December from and January 3.
func yearEnd(t time.Time, month time.Month, from int) bool {
	t = t.In(Tokyo)
	return (t.Month() == month && t.Day() >= from) || (t.Month() == time.January && t.Day() <= 3)
}

// calendarHeader is the first row of the official CSV: part of its format,
// checked so that a wrong file is not taken for the list.
var calendarHeader = []string{"国民の祝日・休日月日", "国民の祝日・休日名称"}

// ParseCalendar reads a holiday list in the official CSV's form (a header,
// then rows of "YYYY/M/D,name"), in UTF-8 or in Shift_JIS as 内閣府 publishes
// it. name is the file name problems are reported against. The list must
// cover whole years, each with a New Year's Day.
func ParseCalendar(name string, data []byte) (*Calendar, []Problem) {
	if !utf8.Valid(data) {
		dec, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
		if err != nil {
			return nil, []Problem{{File: name, Line: 1, Reason: "neither UTF-8 nor Shift_JIS: " + err.Error()}}
		}
		data = dec
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 2
	c := &Calendar{days: map[civilDate]string{}, file: name}
	var problems []Problem
	bad := func(line int, format string, args ...any) {
		problems = append(problems, Problem{File: name, Line: line, Reason: fmt.Sprintf(format, args...)})
	}
	years := map[int]bool{}
	for row := 0; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			bad(line, "%v", err)
			if !errors.Is(err, csv.ErrFieldCount) {
				break
			}
			continue
		}
		if row == 0 {
			if rec[0] != calendarHeader[0] || rec[1] != calendarHeader[1] {
				bad(line, "the first row must be the official header %q", strings.Join(calendarHeader, ","))
			}
			continue
		}
		d, ok := parseSlashDate(rec[0])
		if !ok {
			bad(line, "%q is not a YYYY/M/D date", rec[0])
			continue
		}
		if strings.TrimSpace(rec[1]) == "" {
			bad(line, "%s has no name", rec[0])
		}
		if len(c.days) > 0 && !d.time().After(c.last.time()) {
			bad(line, "%s is not after the row before it: keep the rows in date order", rec[0])
			continue
		}
		c.days[d] = rec[1]
		years[d.y] = true
		c.last, c.lastLine = d, line
		if len(c.days) == 1 {
			c.first = d
		}
	}
	if len(c.days) == 0 {
		bad(1, "no holidays: the calendar is empty")
		return nil, problems
	}
	for y := c.first.y; y <= c.last.y; y++ {
		if _, ok := c.days[civilDate{y, time.January, 1}]; !ok {
			bad(c.lastLine, "the year %d has no 元日 (%d/1/1): the list must cover whole years", y, y)
		}
	}
	c.first = civilDate{c.first.y, time.January, 1}
	c.last = civilDate{c.last.y, time.December, 31}
	if len(problems) > 0 {
		return nil, problems
	}
	return c, nil
}

// WriteCalendarCSV writes c in the form ParseCalendar reads, in UTF-8.
func WriteCalendarCSV(w io.Writer, c *Calendar) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(calendarHeader); err != nil {
		return err
	}
	for d := c.first; !d.time().After(c.last.time()); d = d.addDays(1) {
		if name, ok := c.days[d]; ok {
			if err := cw.Write([]string{fmt.Sprintf("%d/%d/%d", d.y, d.m, d.d), name}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func parseSlashDate(s string) (civilDate, bool) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 {
		return civilDate{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return civilDate{}, false
		}
		n[i] = v
	}
	d := civilDate{n[0], time.Month(n[1]), n[2]}
	if n[0] < 1948 || dateOf(d.time().Add(12*time.Hour)) != d {
		return civilDate{}, false // 2026/2/30 and the like
	}
	return d, true
}

// provisionalHoliday answers for a day after the published list from the
// Holiday Act as amended up to 2018 (in force since 2020): fixed days, the
// Mondays of 成人・海・敬老・スポーツの日, the equinoxes, 振替休日 (a holiday on a
// Sunday moves to the next day that is not one) and 国民の休日 (a day between
// two holidays).
func provisionalHoliday(d civilDate) bool {
	if statutoryHoliday(d) {
		return true
	}
	// 振替休日: the days before d back to a Sunday are all holidays.
	for back := d.addDays(-1); statutoryHoliday(back); back = back.addDays(-1) {
		if back.time().Weekday() == time.Sunday {
			return true
		}
	}
	// 国民の休日.
	return statutoryHoliday(d.addDays(-1)) && statutoryHoliday(d.addDays(1))
}

// fixedHolidays are the 国民の祝日 on a fixed day (祝日法 第2条).
var fixedHolidays = map[[2]int]bool{
	{1, 1}: true, {2, 11}: true, {2, 23}: true, {4, 29}: true, {5, 3}: true, {5, 4}: true,
	{5, 5}: true, {8, 11}: true, {11, 3}: true, {11, 23}: true,
}

// mondayHolidays are those on the nth Monday of a month: 成人の日, 海の日,
// 敬老の日 and スポーツの日.
var mondayHolidays = map[time.Month]int{time.January: 2, time.July: 3, time.September: 3, time.October: 2}

// statutoryHoliday reports whether d is a 国民の祝日 of the Holiday Act's
// article 2.
func statutoryHoliday(d civilDate) bool {
	if fixedHolidays[[2]int{int(d.m), d.d}] {
		return true
	}
	if n, ok := mondayHolidays[d.m]; ok && d.time().Weekday() == time.Monday && (d.d-1)/7 == n-1 {
		return true
	}
	return (d.m == time.March && d.d == equinoxDay(d.y, 20.8431)) ||
		(d.m == time.September && d.d == equinoxDay(d.y, 23.2488))
}

// equinoxDay is the usual approximation of the day of an equinox, good for
// 1980–2099: base is 20.8431 for March and 23.2488 for September.
func equinoxDay(year int, base float64) int {
	n := year - 1980
	return int(base + 0.242194*float64(n) - float64(n/4))
}
