package flows

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/fraudnavi/fraudnavi/flows/linkcheck"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

//go:embed content/*.yaml content/syukujitsu.csv content/richmenu.png
var embedded embed.FS

// Content returns the flow files built into the binary.
func Content() fs.FS {
	sub, err := fs.Sub(embedded, "content")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Files that are not flows (richMenuFile, in richmenu.go, is one more).
const (
	contactsFile  = "contacts.yaml"
	textsFile     = "texts.yaml"
	linkcheckFile = "linkcheck.yaml"
	languageFile  = "language.yaml"
)

// Problem is one thing wrong in a flow file.
type Problem struct {
	File   string
	Line   int
	Reason string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Reason)
}

// ValidationError lists every problem found in the flow files.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the flow files:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

type contactsFileSchema struct {
	Contacts []*Contact `yaml:"contacts"`
}

type textsFileSchema struct {
	Start    string         `yaml:"start"`
	Texts    Texts          `yaml:"texts"`
	Memo     MemoTexts      `yaml:"memo"`
	Coverage []CoverageRule `yaml:"coverage_rules"`
	Commands []Command      `yaml:"commands"`
	NotDone  []string       `yaml:"not_done"`
	Urgent   []Urgent       `yaml:"urgent"`
}

// source is one parsed file, kept to turn YAML paths into line numbers.
type source struct {
	name string
	ast  *ast.File
}

// line returns the line of the node at a YAML path like "$.steps[2].choices[0].label",
// or of its nearest existing parent.
func (s *source) line(p string) int {
	if s == nil || s.ast == nil {
		return 0
	}
	for p != "" && p != "$" {
		if yp, err := yaml.PathString(p); err == nil {
			if n, err := yp.FilterFile(s.ast); err == nil && n != nil {
				if tk := n.GetToken(); tk != nil && tk.Position != nil {
					return tk.Position.Line
				}
			}
		}
		p = parentPath(p)
	}
	return 1
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// Load reads every *.yaml file of fsys, decodes it strictly and validates the
// whole graph. A broken file set yields a *ValidationError naming each
// problem with its file and line.
func Load(fsys fs.FS) (*Graph, error) { return load(fsys, false) }

// Check is Load, and also proves that every example reaches its own target
// (flows check, CI). It costs about 0.1 s, so a starting server skips it.
func Check(fsys fs.FS) (*Graph, error) { return load(fsys, true) }

func load(fsys fs.FS, examples bool) (*Graph, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list flow files: %w", err)
	}
	sort.Strings(names)
	l := &loader{g: &Graph{
		Steps:     map[string]*Step{},
		Contacts:  map[string]*Contact{},
		Reminders: map[string]*ReminderDef{},
		flowOf:    map[string]*Flow{},
	}, sources: map[string]*source{}}
	var haveContacts, haveTexts bool
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read flow file %s: %w", name, err)
		}
		switch name {
		case contactsFile:
			haveContacts = true
			var c contactsFileSchema
			if l.decode(name, data, &c) {
				l.addContacts(name, c)
			}
		case richMenuFile:
			m := &RichMenu{}
			if l.decode(name, data, m) {
				l.g.RichMenu = m
			}
		case textsFile:
			haveTexts = true
			var t textsFileSchema
			if l.decode(name, data, &t) {
				l.g.Start, l.g.Texts, l.g.Memo, l.g.CoverageRules, l.g.Commands, l.g.NotDone, l.g.Urgent = t.Start, t.Texts, t.Memo, t.Coverage, t.Commands, t.NotDone, t.Urgent
			}
		case linkcheckFile:
			var r linkcheck.Rules
			if l.decode(name, data, &r) {
				l.g.Check = &r
			}
		case languageFile:
			l.decode(name, data, &l.g.Language)
		default:
			f := &Flow{File: name}
			if l.decode(name, data, f) {
				l.g.Flows = append(l.g.Flows, f)
			}
		}
	}
	switch data, err := fs.ReadFile(fsys, CalendarFile); {
	case errors.Is(err, fs.ErrNotExist):
		l.problem(CalendarFile, "", "missing: the national holidays decide which lines are open")
	case err != nil:
		return nil, fmt.Errorf("read flow file %s: %w", CalendarFile, err)
	default:
		cal, problems := ParseCalendar(CalendarFile, data)
		l.g.Calendar = cal
		l.problems = append(l.problems, problems...)
	}
	if !haveContacts {
		l.problem(contactsFile, "", "missing: every number and URL the bot shows must come from it")
	}
	if !haveTexts {
		l.problem(textsFile, "", "missing: it names the start step and the engine's texts")
	}
	l.index()
	validate(l)
	if examples && len(l.problems) == 0 {
		// Only a sound graph can be matched against.
		validateExamples(l)
	}
	if len(l.problems) > 0 {
		return nil, &ValidationError{Problems: l.problems}
	}
	return l.g, nil
}

type loader struct {
	g        *Graph
	sources  map[string]*source
	problems []Problem
}

func (l *loader) problem(file, yamlPath, format string, args ...any) {
	l.problems = append(l.problems, Problem{
		File:   file,
		Line:   l.sources[file].line(yamlPath),
		Reason: fmt.Sprintf(format, args...),
	})
}

// decode decodes strictly. An unknown field is reported and decoding is
// retried leniently, so the rest of the file is still validated and every
// problem is reported at once.
func (l *loader) decode(name string, data []byte, v any) bool {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		l.problems = append(l.problems, yamlProblem(name, err))
		return false
	}
	l.sources[name] = &source{name: name, ast: f}
	err = yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField()).Decode(v)
	if err == nil {
		return true
	}
	l.problems = append(l.problems, yamlProblem(name, err))
	var unknown *yaml.UnknownFieldError
	if !errors.As(err, &unknown) {
		return false
	}
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return false
	}
	return true
}

func yamlProblem(name string, err error) Problem {
	p := Problem{File: name, Reason: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Reason = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line = tk.Position.Line
		}
	}
	return p
}

func (l *loader) addContacts(name string, c contactsFileSchema) {
	for i, ct := range c.Contacts {
		if ct == nil {
			continue
		}
		if _, dup := l.g.Contacts[ct.ID]; dup {
			l.problem(name, fmt.Sprintf("$.contacts[%d].id", i), "contact %q is defined twice", ct.ID)
			continue
		}
		l.g.Contacts[ct.ID] = ct
		l.g.contactOrder = append(l.g.contactOrder, ct.ID)
	}
}

// index builds the step and reminder maps, reporting duplicates.
func (l *loader) index() {
	flowIDs := map[string]string{}
	for _, f := range l.g.Flows {
		if other, dup := flowIDs[f.ID]; dup {
			l.problem(f.File, "$.id", "flow id %q is also used by %s", f.ID, other)
		}
		flowIDs[f.ID] = f.File
		for i := range f.Steps {
			st := &f.Steps[i]
			if prev, dup := l.g.flowOf[st.ID]; dup {
				l.problem(f.File, fmt.Sprintf("$.steps[%d].id", i), "step %q is also defined in %s", st.ID, prev.File)
				continue
			}
			l.g.Steps[st.ID] = st
			l.g.flowOf[st.ID] = f
		}
		for i := range f.Reminders {
			r := &f.Reminders[i]
			if _, dup := l.g.Reminders[r.ID]; dup {
				l.problem(f.File, fmt.Sprintf("$.reminders[%d].id", i), "reminder %q is defined twice", r.ID)
				continue
			}
			l.g.Reminders[r.ID] = r
		}
	}
}

// FlowOf returns the flow that holds a step.
func (g *Graph) FlowOf(step string) *Flow { return g.flowOf[step] }
