package flowstest

import (
	"bytes"
	"io/fs"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/fraudnavi/fraudnavi/flows"
)

// ShippedCalendarCSV returns the built-in holiday list (UTF-8, as shipped)
// and the same list as 内閣府 publishes it: Shift_JIS with CRLF line ends.
func ShippedCalendarCSV(tb testing.TB) (shipped, official []byte) {
	tb.Helper()
	shipped, err := fs.ReadFile(flows.Content(), flows.CalendarFile)
	if err != nil {
		tb.Fatal(err)
	}
	official, err = japanese.ShiftJIS.NewEncoder().Bytes(bytes.ReplaceAll(shipped, []byte("\n"), []byte("\r\n")))
	if err != nil {
		tb.Fatal(err)
	}
	return shipped, official
}
