package flows_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
)

// calendarOf parses a calendar of days ("2026-11-23"), adding the New Year's
// Day of each of their years.
func calendarOf(days ...string) *flows.Calendar {
	var all []string
	for _, d := range days {
		all = append(all, d[:4]+"-01-01", d)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var b strings.Builder
	b.WriteString("国民の祝日・休日月日,国民の祝日・休日名称\n")
	for _, d := range all {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "%d/%d/%d,祝日\n", t.Year(), t.Month(), t.Day())
	}
	c, problems := flows.ParseCalendar("test.csv", []byte(b.String()))
	if problems != nil {
		panic(fmt.Sprint(problems))
	}
	return c
}

// shippedCalendar is the calendar among the built-in flow files.
func shippedCalendar(t *testing.T) *flows.Calendar {
	t.Helper()
	data, err := os.ReadFile("content/" + flows.CalendarFile)
	if err != nil {
		t.Fatal(err)
	}
	c, problems := flows.ParseCalendar(flows.CalendarFile, data)
	if problems != nil {
		t.Fatal(problems)
	}
	return c
}

func TestShippedCalendar(t *testing.T) {
	c := shippedCalendar(t)
	tests := []struct {
		day  string
		want bool
	}{
		{"2026-11-23", true},  // 勤労感謝の日
		{"2026-09-22", true},  // 国民の休日 between 敬老の日 and 秋分の日
		{"2026-05-06", true},  // 振替休日 for 5/3 on a Sunday
		{"2027-03-22", true},  // 振替休日 for 春分の日 on a Sunday
		{"2021-07-23", true},  // スポーツの日, moved for the Olympics
		{"2021-10-11", false}, // the Monday スポーツの日 would have been
		{"2026-11-24", false},
		{"2026-12-29", false}, // a year-end closure, not a holiday
	}
	for _, tt := range tests {
		day, _ := time.ParseInLocation(time.DateOnly, tt.day, flows.Tokyo)
		if got := c.Holiday(day.Add(15 * time.Hour)); got != tt.want {
			t.Errorf("Holiday(%s) = %v, want %v", tt.day, got, tt.want)
		}
	}
	if got := c.PublishedUntil().Format(time.DateOnly); got != "2027-12-31" {
		t.Errorf("published until %s, want 2027-12-31", got)
	}
}

// The provisional calendar is the Holiday Act as it stands: on the years the
// current law has governed without one-off moves it must agree with the
// published list, day by day.
func TestProvisionalCalendarAgreesWithThePublishedYears(t *testing.T) {
	published := shippedCalendar(t)
	lastYear := published.PublishedUntil().Year()
	provisional := calendarOf("1999-01-01") // everything after 1999 is provisional
	for y := 2022; y <= lastYear; y++ {
		for d := time.Date(y, 1, 1, 12, 0, 0, 0, flows.Tokyo); d.Year() == y; d = d.AddDate(0, 0, 1) {
			if p, w := provisional.Holiday(d), published.Holiday(d); p != w {
				t.Errorf("%s: provisional says holiday=%v, the published list %v", d.Format(time.DateOnly), p, w)
			}
		}
	}
}

func TestProvisionalCalendarBeyondThePublishedList(t *testing.T) {
	c := shippedCalendar(t) // ends 2027-12-31
	tests := []struct {
		day  string
		want bool
	}{
		{"2028-01-10", true},  // 成人の日, second Monday
		{"2028-02-29", false}, // a Tuesday of a leap year
		{"2028-03-20", true},  // 春分の日
		{"2028-05-04", true},  // みどりの日
		{"2029-04-30", true},  // 振替休日 for 昭和の日 on a Sunday
		{"2031-09-23", true},  // 秋分の日 (equinox approximation)
		{"2032-09-21", true},  // 国民の休日 between 敬老の日 9/20 and 秋分の日 9/22
		{"2031-12-31", false},
	}
	for _, tt := range tests {
		day, _ := time.ParseInLocation(time.DateOnly, tt.day, flows.Tokyo)
		if c.Published(day) {
			t.Fatalf("%s should be past the published list", tt.day)
		}
		if got := c.Holiday(day.Add(10 * time.Hour)); got != tt.want {
			t.Errorf("Holiday(%s) = %v, want %v", tt.day, got, tt.want)
		}
	}
}

func TestYearEndClosures(t *testing.T) {
	c := shippedCalendar(t)
	tests := []struct {
		day          string
		office, bank bool
	}{
		{"2026-12-28", false, false}, // a Monday
		{"2026-12-29", true, false},
		{"2026-12-30", true, false},
		{"2026-12-31", true, true},
		{"2027-01-01", true, true},
		{"2027-01-03", true, true},
		{"2027-01-04", false, false},
		{"2027-01-11", true, true}, // 成人の日
		{"2026-12-05", true, true}, // a Saturday
	}
	for _, tt := range tests {
		day, _ := time.ParseInLocation(time.DateOnly, tt.day, flows.Tokyo)
		if got := c.OfficeClosed(day); got != tt.office {
			t.Errorf("OfficeClosed(%s) = %v, want %v", tt.day, got, tt.office)
		}
		if got := c.BankClosed(day); got != tt.bank {
			t.Errorf("BankClosed(%s) = %v, want %v", tt.day, got, tt.bank)
		}
	}
}

func TestCalendarExpiry(t *testing.T) {
	c := shippedCalendar(t)
	end := c.PublishedUntil()
	if p := c.Expiry(end.AddDate(0, 0, -121)); p != nil {
		t.Errorf("121 days before the end: %v, want no problem", p)
	}
	p := c.Expiry(end.AddDate(0, 0, -60))
	if p == nil {
		t.Fatal("60 days before the end: no problem reported")
	}
	if p.File != flows.CalendarFile || p.Line < 100 || !strings.Contains(p.Reason, "60 days") {
		t.Errorf("problem = %+v, want the file, its last line and 60 days", p)
	}
	if got := c.DaysLeft(end.AddDate(0, 0, 3)); got != -3 {
		t.Errorf("DaysLeft 3 days after the end = %d, want -3", got)
	}
}

func TestParseCalendarReadsTheOfficialShiftJISFile(t *testing.T) {
	utf8CSV, sjis := flowstest.ShippedCalendarCSV(t)
	c, problems := flows.ParseCalendar("syukujitsu.csv", sjis)
	if problems != nil {
		t.Fatal(problems)
	}
	var out bytes.Buffer
	if err := flows.WriteCalendarCSV(&out, c); err != nil {
		t.Fatal(err)
	}
	if out.String() != string(utf8CSV) {
		t.Errorf("converted file differs from the shipped one:\n%s", out.String())
	}
}

func TestParseCalendarProblems(t *testing.T) {
	const header = "国民の祝日・休日月日,国民の祝日・休日名称\n"
	tests := []struct {
		name, csv string
		line      int
		reason    string
	}{
		{"wrong header", "date,name\n2026/1/1,元日\n", 1, "header"},
		{"bad date", header + "2026/1/1,元日\n2026/2/30,祝日\n", 3, "not a YYYY/M/D"},
		{"out of order", header + "2026/1/1,元日\n2026/3/1,a\n2026/2/1,b\n", 4, "date order"},
		{"year without 元日", header + "2026/1/1,元日\n2027/2/11,建国記念の日\n", 3, "2027"},
		{"empty", header, 1, "empty"},
		{"three fields", header + "2026/1/1,元日,x\n", 2, "fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := flows.ParseCalendar("syukujitsu.csv", []byte(tt.csv))
			if len(problems) == 0 {
				t.Fatal("no problem reported")
			}
			p := problems[0]
			if p.Line != tt.line || !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("problem = %+v, want line %d and %q", p, tt.line, tt.reason)
			}
		})
	}
}
