// Command fraudnavi is the LINE bot that walks a fraud victim through what to
// do, and the tools around it.
//
//	fraudnavi chat [--now 2026-11-24T23:30]   talk to the bot in a terminal
//	fraudnavi serve                            run the LINE webhook and the reminder worker
//	fraudnavi preview [--addr 127.0.0.1:8090]  show the conversation as LINE does, in a browser
//	fraudnavi check < message.txt              analyse a pasted message or link, offline
//	fraudnavi flows check [DIR]                validate the flow files
//	fraudnavi flows graph [DIR]                print the flow graph as Mermaid
//	fraudnavi flows holidays FILE              convert 内閣府's syukujitsu.csv for the flow files
//	fraudnavi flows eval FILE                  score the matcher on an evaluation file
//	fraudnavi richmenu image                   draw the rich menu's image from richmenu.yaml
//	fraudnavi richmenu apply                   make the rich menu the channel's default
//	fraudnavi healthcheck                      ask a running server's /healthz (for the container)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/terminal"
	"github.com/fraudnavi/fraudnavi/flows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The one reading of the machine's clock for dates: every component is
	// handed this clock.
	clock := flows.Clock(time.Now)
	if err := run(ctx, os.Args[1:], os.Getenv, clock, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "fraudnavi:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage:
  fraudnavi chat [--now 2026-11-24T23:30] [--explain]
  fraudnavi serve
  fraudnavi preview [--addr 127.0.0.1:8090] [--now 2026-11-24T23:30]
  fraudnavi check < message.txt
  fraudnavi flows check [DIR]
  fraudnavi flows graph [DIR]
  fraudnavi flows holidays syukujitsu.csv > flows/content/syukujitsu.csv
  fraudnavi flows eval FILE
  fraudnavi richmenu image
  fraudnavi richmenu apply
  fraudnavi healthcheck
`

func run(ctx context.Context, args []string, getenv func(string) string, clock flows.Clock, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "chat":
		return runChat(args[1:], getenv, clock, stdin, stdout, stderr)
	case "check":
		return runCheck(args[1:], getenv, stdin, stdout, stderr)
	case "flows":
		return runFlows(args[1:], getenv, clock, stdin, stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], getenv, clock, stdout, stderr)
	case "preview":
		return runPreview(ctx, args[1:], getenv, clock, stdout, stderr)
	case "richmenu":
		return runRichMenu(args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, getenv)
	}
	fmt.Fprint(stderr, usage)
	return errUsage
}

// flowFiles is FLOWS_DIR when set (content editors try changes without a
// rebuild), otherwise the files built into the binary.
func flowFiles(dir string, getenv func(string) string) fs.FS {
	if dir == "" {
		dir = getenv("FLOWS_DIR")
	}
	if dir == "" {
		return flows.Content()
	}
	return os.DirFS(dir)
}

func loadEngine(dir string, getenv func(string) string) (*flows.Engine, error) {
	g, err := flows.Load(flowFiles(dir, getenv))
	if err != nil {
		return nil, fmt.Errorf("load flows: %w", err)
	}
	return newEngine(g, getenv)
}

// newEngine is the engine of g with the staff chat the environment asks for.
func newEngine(g *flows.Graph, getenv func(string) string) (*flows.Engine, error) {
	staff, err := staffChat(getenv)
	if err != nil {
		return nil, err
	}
	if staff == nil {
		return flows.NewEngine(g), nil
	}
	return flows.NewEngine(g, flows.WithStaffChat(*staff)), nil
}

func runChat(args []string, getenv func(string) string, clock flows.Clock, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("chat", flag.ContinueOnError)
	fl.SetOutput(stderr)
	nowFlag := fl.String("now", "", "fix the clock, Asia/Tokyo (2026-11-24T23:30)")
	explain := fl.Bool("explain", false, "after each typed message, print the step, the target understood, its score and the runner-up")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	eng, err := loadEngine("", getenv)
	if err != nil {
		return err
	}
	if clock, err = fixedClock(*nowFlag, clock); err != nil {
		return err
	}
	c := &terminal.Chat{Engine: eng, Clock: clock, In: stdin, Out: stdout, Echo: !isTerminal(stdin), Explain: *explain}
	return c.Run()
}

func runFlows(args []string, getenv func(string) string, clock flows.Clock, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 2 && args[0] == "eval" {
		return runEval(args[1], getenv, stdout)
	}
	if len(args) == 0 || len(args) > 2 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	dir := ""
	if len(args) == 2 {
		dir = args[1]
	}
	switch args[0] {
	case "check", "graph":
	case "holidays":
		return convertHolidays(dir, stdin, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	g, err := flows.Check(flowFiles(dir, getenv))
	var verr *flows.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("flows check: %d problem(s)", len(verr.Problems))
	}
	if err != nil {
		return err
	}
	if args[0] == "graph" {
		return g.Mermaid(stdout)
	}
	if p := g.Calendar.Expiry(clock()); p != nil {
		fmt.Fprintln(stderr, p)
		return errors.New("flows check: the holiday calendar is running out")
	}
	steps := 0
	for _, f := range g.Flows {
		steps += len(f.Steps)
	}
	fmt.Fprintf(stdout, "ok: %d flows, %d steps, %d contacts, holidays published until %s\n",
		len(g.Flows), steps, len(g.Contacts), g.Calendar.PublishedUntil().Format(time.DateOnly))
	return nil
}

// convertHolidays reads the holiday list as 内閣府 publishes it (Shift_JIS)
// from file, or from stdin when file is "" or "-", checks it, and writes it
// in UTF-8 as the flow files keep it.
func convertHolidays(file string, stdin io.Reader, stdout io.Writer) error {
	var data []byte
	var err error
	if file == "" || file == "-" {
		file = "stdin"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("flows holidays: %w", err)
	}
	cal, problems := flows.ParseCalendar(file, data)
	if problems != nil {
		return &flows.ValidationError{Problems: problems}
	}
	return flows.WriteCalendarCSV(stdout, cal)
}

// maxCheckInput bounds what check reads: LINE's own limit on a text
// message is 5,000 characters, at most 20,000 bytes in UTF-8.
const maxCheckInput = 20000

// runCheck prints the bot's answer to a message or link read from stdin,
// for operators and tests. Nothing is fetched, and the text is not echoed.
func runCheck(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	eng, err := loadEngine("", getenv)
	if err != nil {
		return err
	}
	text, err := io.ReadAll(io.LimitReader(stdin, maxCheckInput))
	if err != nil {
		return fmt.Errorf("check: read stdin: %w", err)
	}
	fmt.Fprintln(stdout, eng.CheckMessage(string(text)))
	return nil
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runEval scores the matcher on an evaluation file and fails below the
// thresholds the held-out set must meet.
func runEval(file string, getenv func(string) string, stdout io.Writer) error {
	eng, err := loadEngine("", getenv)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("flows eval: %w", err)
	}
	defer f.Close()
	cases, err := flows.ReadEvalCases(f)
	if err != nil {
		return fmt.Errorf("flows eval %s: %w", file, err)
	}
	// Noon on a weekday: the matcher does not depend on the hour, the
	// urgent messages' call buttons do, and they are not scored.
	rep, err := eng.Evaluate(cases, time.Date(2026, 11, 25, 12, 0, 0, 0, flows.Tokyo))
	if err != nil {
		return fmt.Errorf("flows eval %s: %w", file, err)
	}
	if err := rep.Write(stdout); err != nil {
		return err
	}
	if err := rep.Meets(flows.EvalThresholds); err != nil {
		return fmt.Errorf("flows eval %s: %w", file, err)
	}
	return nil
}
