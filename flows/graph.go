package flows

import (
	"fmt"
	"io"
	"strings"
)

// Mermaid writes the flow graph as a Mermaid flowchart, one subgraph per
// flow, so content editors can see where each choice leads.
func (g *Graph) Mermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, f := range g.Flows {
		fmt.Fprintf(&b, "  subgraph %s[%q]\n", f.ID, f.Title)
		for _, st := range f.Steps {
			label := st.ID
			if len(st.Text) > 0 {
				label = firstLine(st.Text[0], 24)
			}
			shape := "[%q]"
			if st.Summary {
				shape = "([%q])"
			}
			fmt.Fprintf(&b, "    %s"+shape+"\n", st.ID, label)
		}
		b.WriteString("  end\n")
	}
	for _, f := range g.Flows {
		for _, st := range f.Steps {
			for _, c := range st.Choices {
				fmt.Fprintf(&b, "  %s -->|%q| %s\n", st.ID, c.Label, c.Next)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	r := []rune(strings.ReplaceAll(s, `"`, "'"))
	if len(r) > n {
		r = append(r[:n], '…')
	}
	return string(r)
}
