package linkcheck

// Extract returns the links in pasted text, folded first: what Check looks
// at, for the tests of extraction alone.
func Extract(text string) []string { return extractFolded(Fold(text)) }
