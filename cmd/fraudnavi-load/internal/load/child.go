package load

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// A Child is a process the load tool or the fault driver started (the bot,
// the floor, redis-server), with the end of its output. Both spawn through
// it, so starting, stopping and killing work the same in both.
type Child struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	// waitErr is how the process exited (cmd.Wait), set before exited closes.
	waitErr error
	logs    *TailBuffer
}

// StartChild runs bin with args and env. Its stdout and stderr go to the
// last keep bytes of Logs, and stdout also to stdout when that is not nil
// (a BannerWriter, to see when it listens).
func StartChild(name, bin string, args, env []string, keep int, stdout io.Writer) (*Child, error) {
	c := &Child{name: name, exited: make(chan struct{}), logs: &TailBuffer{Max: keep}}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = env
	c.cmd.Stderr = c.logs
	c.cmd.Stdout = c.logs
	if stdout != nil {
		c.cmd.Stdout = io.MultiWriter(c.logs, stdout)
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { c.waitErr = c.cmd.Wait(); close(c.exited) }()
	return c, nil
}

// Signal sends sig and waits up to wait for the exit; then it kills the
// process and says so.
func (c *Child) Signal(sig syscall.Signal, wait time.Duration) error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.exited:
		return nil
	case <-time.After(wait):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%s did not exit within %v of %v; killed", c.name, wait, sig)
	}
}

// Stop sends SIGTERM and waits up to wait for the process to exit, killing
// it after; unlike Signal it also reports an exit that was not clean (a
// non-zero status, a panic while shutting down).
func (c *Child) Stop(wait time.Duration) error {
	if err := c.Signal(syscall.SIGTERM, wait); err != nil {
		return err
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s did not stop cleanly on SIGTERM: %w", c.name, c.waitErr)
	}
	return nil
}

// Exited is closed once the process has exited.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// Alive reports whether the process is still running.
func (c *Child) Alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// Pid is the process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Logs is the end of the process's output.
func (c *Child) Logs() string { return c.logs.String() }

// ChildEnv is this process's environment without what a child is given
// explicitly (the bot's configuration and drop), so a stray REDIS_URL in
// the shell cannot redirect it.
func ChildEnv(drop ...string) []string {
	dropped := map[string]bool{
		"LINE_CHANNEL_SECRET": true, "LINE_CHANNEL_ACCESS_TOKEN": true, "LINE_API_ENDPOINT": true,
		"ADDR": true, "LOG_LEVEL": true, "FRAUDNAVI_ROLE": true, "REDIS_URL": true, "FRAUDNAVI_USER_KEY_SECRET": true,
	}
	for _, k := range drop {
		dropped[k] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !dropped[k] {
			out = append(out, kv)
		}
	}
	return out
}

// A BannerWriter watches a child's stdout for the line that says where it
// listens: the first line starting with Banner sends the rest of it,
// trimmed, on Found (which should have room for one).
type BannerWriter struct {
	Banner string
	Found  chan<- string
	line   []byte
}

func (w *BannerWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c != '\n' {
			if len(w.line) < 4096 {
				w.line = append(w.line, c)
			}
			continue
		}
		if a, ok := strings.CutPrefix(string(w.line), w.Banner); ok {
			select {
			case w.Found <- strings.TrimSpace(a):
			default:
			}
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}
