package main

// The package-per-dependency rule (issue 13): storage owns Redis and asynq,
// bot/line owns LINE's SDK in and out, rich menu included (the strict fake
// and the load tool's floor use it too),
// flows imports no infrastructure, and echo stays in one file. A newcomer
// who reaches for go-redis in bot, or for the SDK in flows, is stopped here
// with the file to move the code out of. Test files may reach past the
// boundary (to inject faults into Redis, say), except in flows.

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/fraudnavi/fraudnavi"

// goFile is one Go source file of the module and what it imports.
type goFile struct {
	pkg     string // directory, relative to the module root, slash-separated
	path    string // file, relative to the module root
	test    bool
	imports []string
}

// moduleFiles parses the imports of every Go file of the module.
func moduleFiles(t *testing.T) []goFile {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	var files []goFile
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || name == "vendor" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		gf := goFile{pkg: filepath.ToSlash(filepath.Dir(rel)), path: rel, test: strings.HasSuffix(name, "_test.go")}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			gf.imports = append(gf.imports, path)
		}
		files = append(files, gf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func importsUnder(imports []string, prefixes ...string) []string {
	var found []string
	for _, imp := range imports {
		for _, p := range prefixes {
			if imp == p || strings.HasPrefix(imp, p+"/") {
				found = append(found, imp)
			}
		}
	}
	return found
}

func TestImportBoundaries(t *testing.T) {
	var (
		redis = []string{"github.com/redis/go-redis", "github.com/hibiken/asynq"}
		sdk   = []string{"github.com/line/line-bot-sdk-go"}
		echo  = []string{"github.com/labstack/echo"}
	)
	// wiring is the commands, which connect the packages to each other and
	// to the outside world (the load and fault tools measure Redis and play
	// a LINE server, so they use both directly).
	tests := []struct {
		name     string
		imports  []string
		allowed  func(f goFile) bool
		mustSeen string // a file that must be found importing it: the scan works
	}{
		{
			name:    "go-redis and asynq only in storage",
			imports: redis,
			allowed: func(f goFile) bool {
				return f.test && !isFlows(f) || slices.Contains([]string{
					"storage", "storage/storagetest",
					"cmd/fraudnavi-load/internal/load", "cmd/fraudnavi-load/internal/faults",
				}, f.pkg)
			},
			mustSeen: "storage/state.go",
		},
		{
			name:    "LINE's SDK only in bot/line and the fake",
			imports: sdk,
			allowed: func(f goFile) bool {
				return f.test && !isFlows(f) || slices.Contains([]string{
					"bot/line", "bot/linefake",
					"cmd/fraudnavi-load/internal/load", // the floor: the SDK's own echo bot
				}, f.pkg)
			},
			mustSeen: "bot/line/webhook.go",
		},
		{
			name:     "echo only in bot/server.go",
			imports:  echo,
			allowed:  func(f goFile) bool { return f.path == "bot/server.go" },
			mustSeen: "bot/server.go",
		},
		{
			name:    "flows imports no infrastructure and no package of the service",
			imports: append(append(slices.Clone(redis), sdk...), echo[0], modulePath+"/bot", modulePath+"/storage", modulePath+"/cmd"),
			allowed: func(f goFile) bool { return !isFlows(f) },
		},
	}
	files := moduleFiles(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := tt.mustSeen == ""
			for _, f := range files {
				found := importsUnder(f.imports, tt.imports...)
				if len(found) == 0 {
					continue
				}
				seen = seen || f.path == tt.mustSeen
				if !tt.allowed(f) {
					t.Errorf("%s imports %s: move that code into the package that owns the dependency", f.path, strings.Join(found, ", "))
				}
			}
			if !seen {
				t.Errorf("%s was not found importing %v: the scan of the module is broken", tt.mustSeen, tt.imports)
			}
		})
	}
}

func isFlows(f goFile) bool { return f.pkg == "flows" || strings.HasPrefix(f.pkg, "flows/") }
