package main

// These tests keep deploy/ and the README's operator guide honest: they parse
// the Dockerfile, the compose file, .env.example, every Kubernetes manifest
// and README.md, and check them against the code (the paths the server
// serves, the variables loadConfig reads, the port of ADDR, the commands the
// binary knows). A failure names the file and what drifted.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/fraudnavi/fraudnavi/bot"
)

// repoRoot is two levels up from cmd/fraudnavi, where go test runs.
const repoRoot = "../.."

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return b
}

// defaultAddr is the listen address serve uses when ADDR is unset.
func defaultAddr(t *testing.T) string {
	t.Helper()
	cfg, _ := loadConfig(func(string) string { return "" }) // the missing secrets are expected
	return cfg.Addr
}

// addrPort is the port of ADDR as set in env (or the default).
func addrPort(t *testing.T, env map[string]string) int {
	t.Helper()
	addr := env["ADDR"]
	if addr == "" {
		addr = defaultAddr(t)
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("ADDR %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("ADDR %q: port is not a number", addr)
	}
	return n
}

// known reports whether the code reads the variable name.
func known(name string) bool {
	return slices.Contains(envVars, name) || slices.Contains(runtimeEnvVars, name)
}

// checkConfig runs loadConfig on env, with placeholder secrets where env has
// none, and reports what it rejects.
func checkConfig(env map[string]string) error {
	full := map[string]string{
		"LINE_CHANNEL_SECRET":       "placeholder",
		"LINE_CHANNEL_ACCESS_TOKEN": "placeholder",
	}
	for k, v := range env {
		if v != "" {
			full[k] = v
		}
	}
	_, err := loadConfig(func(k string) string { return full[k] })
	return err
}

// healthcheckWorks runs the binary's arguments of a container health check
// (without the program name) against a live server on the port of ADDR, as
// the container would.
func healthcheckWorks(t *testing.T, args []string) error {
	t.Helper()
	srv := bot.NewServer("127.0.0.1:0", http.NotFoundHandler(), nil, nil, slog.New(slog.DiscardHandler))
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	_, port, _ := net.SplitHostPort(srv.Addr())
	env := map[string]string{"ADDR": ":" + port}
	var out, errb bytes.Buffer
	return run(context.Background(), args, func(k string) string { return env[k] }, testClock, strings.NewReader(""), &out, &errb)
}

// TestEnvVarsListsEveryVariableTheCodeReads keeps envVars itself complete:
// every getenv("X"), os.Getenv("X") or os.LookupEnv("X") with a literal name
// in the service's non-test code must be in it, or the other checks here
// would check against a short list.
func TestEnvVarsListsEveryVariableTheCodeReads(t *testing.T) {
	dirs := []string{"cmd/fraudnavi", "bot", "flows", "storage"}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "storagetest") {
				return filepath.SkipDir // test helpers read the test suite's own variables
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					if fn.Name != "getenv" {
						return true
					}
				case *ast.SelectorExpr:
					pkg, ok := fn.X.(*ast.Ident)
					if !ok || pkg.Name != "os" || (fn.Sel.Name != "Getenv" && fn.Sel.Name != "LookupEnv") {
						return true
					}
				default:
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				name, _ := strconv.Unquote(lit.Value)
				if !known(name) {
					rel, _ := filepath.Rel(repoRoot, fset.Position(lit.Pos()).Filename)
					t.Errorf("%s:%d reads %s, which is not in envVars (cmd/fraudnavi/config.go): add it there, to deploy/.env.example and to the README's environment table",
						rel, fset.Position(lit.Pos()).Line, name)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// --- Dockerfile ---------------------------------------------------------------

// dockerInstructions returns the Dockerfile's instructions, continuation
// lines joined, comments dropped: "RUN a b" → {"RUN", "a b"}.
func dockerInstructions(src []byte) [][2]string {
	var out [][2]string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") { // a comment inside a continued instruction
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		ins, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, [2]string{strings.ToUpper(ins), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// execForm parses a JSON-array instruction argument.
func execForm(s string) ([]string, bool) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil || len(v) == 0 {
		return nil, false
	}
	return v, true
}

func TestDockerfile(t *testing.T) {
	const file = "deploy/Dockerfile"
	ins := dockerInstructions(readRepoFile(t, file))
	// The runtime stage is everything after the last FROM.
	last := -1
	for i, in := range ins {
		if in[0] == "FROM" {
			last = i
		}
	}
	if last < 1 {
		t.Fatalf("%s: want a multi-stage build (a builder FROM and a runtime FROM)", file)
	}

	var built bool
	for _, in := range ins[:last] {
		if in[0] == "RUN" && strings.Contains(in[1], "go build") {
			built = true
			for _, want := range []string{"./cmd/fraudnavi", "CGO_ENABLED=0", "-trimpath"} {
				if !strings.Contains(in[1], want) {
					t.Errorf("%s: the go build step lacks %s: %s", file, want, in[1])
				}
			}
		}
	}
	if !built {
		t.Errorf("%s: no RUN go build in the builder stage", file)
	}

	var user, entry, health string
	var cmd []string
	var copied, exposed []string
	for _, in := range ins[last+1:] {
		switch in[0] {
		case "USER":
			user = in[1]
		case "ENTRYPOINT":
			entry = in[1]
		case "CMD":
			cmd, _ = execForm(in[1])
		case "HEALTHCHECK":
			health = in[1]
		case "COPY":
			f := strings.Fields(in[1])
			copied = append(copied, f[len(f)-1])
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in[1])...)
		}
	}

	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("%s: the runtime stage must set a non-root USER, has %q", file, user)
	}

	ep, ok := execForm(entry)
	if !ok || len(ep) != 1 {
		t.Fatalf("%s: ENTRYPOINT must be the binary alone in exec form, is %q", file, entry)
	}
	binary := ep[0]
	if !slices.Contains(copied, binary) {
		t.Errorf("%s: ENTRYPOINT %s is not a path the runtime stage copies the binary to (%v)", file, binary, copied)
	}

	// CMD must be a subcommand that exists: serve without secrets fails on
	// the configuration, not with the usage text.
	if len(cmd) == 0 || cmd[0] != "serve" {
		t.Errorf("%s: CMD should be [\"serve\"], is %q", file, cmd)
	} else {
		_, _, err := runCmd(t, "", nil, cmd...)
		if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "LINE_CHANNEL_SECRET") {
			t.Errorf("%s: CMD %q is not a command the binary runs: %v", file, cmd, err)
		}
	}

	_, hc, found := strings.Cut(health, "CMD ")
	hcArgs, ok := execForm(strings.TrimSpace(hc))
	switch {
	case !found || !ok:
		t.Errorf("%s: want HEALTHCHECK ... CMD [\"%s\", \"healthcheck\"] (exec form: the image has no shell), have %q", file, binary, health)
	case hcArgs[0] != binary:
		t.Errorf("%s: HEALTHCHECK runs %s, the binary is %s", file, hcArgs[0], binary)
	default:
		if err := healthcheckWorks(t, hcArgs[1:]); err != nil {
			t.Errorf("%s: HEALTHCHECK %q fails against a healthy server: %v", file, hcArgs, err)
		}
	}

	want := strconv.Itoa(addrPort(t, nil))
	if !slices.Contains(exposed, want) && !slices.Contains(exposed, want+"/tcp") {
		t.Errorf("%s: EXPOSE %v does not include %s, the port of ADDR's default %q", file, exposed, want, defaultAddr(t))
	}
}

// --- compose and .env.example ------------------------------------------------

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"`
	Command     any            `yaml:"command"`
	EnvFile     any            `yaml:"env_file"`
	Environment any            `yaml:"environment"`
	DependsOn   any            `yaml:"depends_on"`
	Ports       []any          `yaml:"ports"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	ReadOnly    bool           `yaml:"read_only"`
	StopGrace   string         `yaml:"stop_grace_period"`
	Volumes     []any          `yaml:"volumes"`
}

// environment turns compose's map or list form into a map.
func (s composeService) environment() map[string]string {
	env := map[string]string{}
	switch e := s.Environment.(type) {
	case map[string]any:
		for k, v := range e {
			env[k] = fmt.Sprint(v)
		}
	case []any:
		for _, item := range e {
			k, v, _ := strings.Cut(fmt.Sprint(item), "=")
			env[k] = v
		}
	}
	return env
}

// yamlStrings returns a YAML string or list of strings as a list.
func yamlStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// containerPort is the container side of a compose ports entry
// ("8080:8080", "127.0.0.1:8080:8080/tcp", 8080 or {target: 8080}).
func containerPort(p any) (int, error) {
	switch p := p.(type) {
	case map[string]any:
		return strconv.Atoi(fmt.Sprint(p["target"]))
	default:
		s := fmt.Sprint(p)
		s, _, _ = strings.Cut(s, "/")
		parts := strings.Split(s, ":")
		return strconv.Atoi(parts[len(parts)-1])
	}
}

func TestCompose(t *testing.T) {
	const file = "deploy/compose.yaml"
	var c composeFile
	if err := yaml.Unmarshal(readRepoFile(t, file), &c); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	svc, ok := c.Services["bot"]
	if !ok {
		t.Fatalf("%s: no service \"bot\"", file)
	}
	redisSvc, ok := c.Services["redis"]
	if !ok {
		t.Fatalf("%s: no service \"redis\"", file)
	}

	// Built from deploy/Dockerfile with the repository as context.
	b, _ := svc.Build.(map[string]any)
	ctx, df := fmt.Sprint(b["context"]), fmt.Sprint(b["dockerfile"])
	if filepath.Clean(filepath.Join("deploy", ctx)) != "." || filepath.Clean(df) != "deploy/Dockerfile" {
		t.Errorf("%s: bot.build should be context .. and dockerfile deploy/Dockerfile, is %v", file, svc.Build)
	}

	// The health check runs the binary (no shell in the image) and works.
	test := yamlStrings(svc.Healthcheck["test"])
	if len(test) < 3 || test[0] != "CMD" {
		t.Errorf("%s: bot.healthcheck.test should be [\"CMD\", \"/fraudnavi\", \"healthcheck\"] (the image has no shell), is %q", file, test)
	} else if err := healthcheckWorks(t, test[2:]); err != nil {
		t.Errorf("%s: bot.healthcheck %q fails against a healthy server: %v", file, test, err)
	}

	// Only variables the code reads; a valid configuration; the port of ADDR.
	env := svc.environment()
	for k := range env {
		if !known(k) {
			t.Errorf("%s: bot.environment sets %s, which the code does not read (envVars in cmd/fraudnavi/config.go)", file, k)
		}
	}
	if err := checkConfig(env); err != nil {
		t.Errorf("%s: bot.environment is not a valid configuration:\n%v", file, err)
	}
	want := addrPort(t, env)
	if len(svc.Ports) == 0 {
		t.Errorf("%s: bot publishes no port", file)
	}
	for _, p := range svc.Ports {
		if n, err := containerPort(p); err != nil || n != want {
			t.Errorf("%s: bot.ports %v: the container listens on %d (ADDR)", file, p, want)
		}
	}

	// REDIS_URL points at the redis service, which persists and is healthy first.
	if u, err := url.Parse(env["REDIS_URL"]); err != nil || u.Hostname() != "redis" {
		t.Errorf("%s: bot.environment.REDIS_URL %q should point at the redis service", file, env["REDIS_URL"])
	}
	deps, _ := svc.DependsOn.(map[string]any)
	dep, _ := deps["redis"].(map[string]any)
	if fmt.Sprint(dep["condition"]) != "service_healthy" {
		t.Errorf("%s: bot.depends_on.redis.condition should be service_healthy, is %v", file, svc.DependsOn)
	}
	if redisSvc.Healthcheck == nil {
		t.Errorf("%s: redis has no healthcheck, so service_healthy never holds", file)
	}
	if cmd := strings.Join(yamlStrings(redisSvc.Command), " "); !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("%s: redis.command should turn on the append-only file (--appendonly yes), is %q", file, cmd)
	}
	if len(redisSvc.Volumes) == 0 {
		t.Errorf("%s: redis keeps /data on no volume: its data dies with the container", file)
	}

	if !svc.ReadOnly {
		t.Errorf("%s: bot should have read_only: true", file)
	}
	if d, err := time.ParseDuration(svc.StopGrace); err != nil || d < 30*time.Second {
		t.Errorf("%s: bot.stop_grace_period %q: shutdown needs up to 30s (Docker's default is 10s)", file, svc.StopGrace)
	}

	// The env file is the one .env.example documents.
	if files := yamlStrings(svc.EnvFile); len(files) != 1 || filepath.Clean(files[0]) != ".env" {
		t.Errorf("%s: bot.env_file should be .env (a copy of deploy/.env.example), is %v", file, svc.EnvFile)
	}
}

var envAssign = regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]*)=(.*)$`)

func TestEnvExample(t *testing.T) {
	const file = "deploy/.env.example"
	lines := strings.Split(string(readRepoFile(t, file)), "\n")
	documented := map[string]string{}
	for i, line := range lines {
		m := envAssign.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		name, value := m[1], strings.TrimSpace(m[2])
		if _, dup := documented[name]; dup {
			t.Errorf("%s:%d: %s appears twice", file, i+1, name)
		}
		documented[name] = value
		if !known(name) {
			t.Errorf("%s:%d: %s is not a variable the code reads (envVars in cmd/fraudnavi/config.go)", file, i+1, name)
		}
		// Each variable has a comment of its own right above it.
		commented := false
		for j := i - 1; j >= 0 && strings.TrimSpace(lines[j]) != ""; j-- {
			l := strings.TrimSpace(lines[j])
			if strings.HasPrefix(l, "#") && !envAssign.MatchString(l) {
				commented = true
			}
		}
		if !commented {
			t.Errorf("%s:%d: %s has no comment above it saying what it is", file, i+1, name)
		}
	}
	for _, name := range envVars {
		if _, ok := documented[name]; !ok {
			t.Errorf("%s: %s (read by the code) is not documented", file, name)
		}
	}
	// The values shown, commented out or not, are ones serve accepts.
	if err := checkConfig(documented); err != nil {
		t.Errorf("%s: the values shown are not a valid configuration:\n%v", file, err)
	}
	if a := documented["ADDR"]; a != "" && addrPort(t, map[string]string{"ADDR": a}) != addrPort(t, nil) {
		t.Errorf("%s: shows ADDR=%s, but compose.yaml and the image expect the default %s", file, a, defaultAddr(t))
	}
}

// --- Kubernetes ---------------------------------------------------------------

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas     *int           `yaml:"replicas"`
		Selector     map[string]any `yaml:"selector"`
		Template     podTemplate    `yaml:"template"`
		Ports        []servicePort  `yaml:"ports"`
		MinAvailable any            `yaml:"minAvailable"`
	} `yaml:"spec"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`

	file string
}

type podTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		TerminationGracePeriodSeconds *int             `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               *securityContext `yaml:"securityContext"`
		Containers                    []k8sContainer   `yaml:"containers"`
	} `yaml:"spec"`
}

type securityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                *int  `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	Capabilities             *struct {
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
	SeccompProfile *struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Ports   []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom any    `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	ReadinessProbe  *probe           `yaml:"readinessProbe"`
	LivenessProbe   *probe           `yaml:"livenessProbe"`
	SecurityContext *securityContext `yaml:"securityContext"`
	Resources       struct {
		Requests map[string]any `yaml:"requests"`
		Limits   map[string]any `yaml:"limits"`
	} `yaml:"resources"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type servicePort struct {
	Port       int `yaml:"port"`
	TargetPort any `yaml:"targetPort"`
}

// loadManifests decodes every document of every deploy/k8s/**/*.yaml.
func loadManifests(t *testing.T) []*k8sObject {
	t.Helper()
	var objs []*k8sObject
	root := filepath.Join(repoRoot, "deploy/k8s")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := yaml.NewDecoder(f)
		for i := 0; ; i++ {
			o := &k8sObject{file: rel}
			err := dec.Decode(o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: document %d: %w", rel, i+1, err)
			}
			if o.Kind == "" && o.APIVersion == "" {
				continue // an empty document
			}
			if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
				return fmt.Errorf("%s: document %d has no apiVersion, kind or metadata.name", rel, i+1)
			}
			objs = append(objs, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatal("deploy/k8s: no manifests")
	}
	return objs
}

func (o *k8sObject) String() string { return fmt.Sprintf("%s: %s %s", o.file, o.Kind, o.Metadata.Name) }

// matchLabels is a selector's labels: Service selectors are the map itself,
// workload selectors nest it under matchLabels.
func (o *k8sObject) matchLabels() map[string]string {
	sel := o.Spec.Selector
	if m, ok := sel["matchLabels"].(map[string]any); ok {
		sel = m
	}
	out := map[string]string{}
	for k, v := range sel {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// role is the FRAUDNAVI_ROLE of a Deployment's first container ("all" when unset).
func (o *k8sObject) role() string {
	for _, c := range o.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "FRAUDNAVI_ROLE" && e.Value != "" {
				return strings.ToLower(e.Value)
			}
		}
	}
	return "all"
}

func TestKubernetesManifests(t *testing.T) {
	objs := loadManifests(t)
	byKind := map[string][]*k8sObject{}
	for _, o := range objs {
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	secrets := map[string]map[string]string{}
	for _, s := range byKind["Secret"] {
		keys := map[string]string{}
		for k, v := range s.StringData {
			keys[k] = v
		}
		for k := range s.Data {
			keys[k] = "placeholder"
		}
		for k := range keys {
			if !known(k) {
				t.Errorf("%v: key %s is not a variable the code reads (envVars in cmd/fraudnavi/config.go)", s, k)
			}
		}
		secrets[s.Metadata.Name] = keys
	}
	if len(byKind["Deployment"]) == 0 {
		t.Fatal("deploy/k8s: no Deployment")
	}

	rolesByDir := map[string]map[string]bool{}
	for _, d := range byKind["Deployment"] {
		checkDeployment(t, d, secrets)
		dir := filepath.Dir(d.file)
		if rolesByDir[dir] == nil {
			rolesByDir[dir] = map[string]bool{}
		}
		rolesByDir[dir][d.role()] = true

		labels := d.Spec.Template.Metadata.Labels
		if !selects(d.matchLabels(), labels) {
			t.Errorf("%v: spec.selector %v does not select its own pod labels %v", d, d.matchLabels(), labels)
		}
		var pdb *k8sObject
		for _, p := range byKind["PodDisruptionBudget"] {
			if filepath.Dir(p.file) == dir && selects(p.matchLabels(), labels) {
				pdb = p
			}
		}
		if pdb == nil {
			t.Errorf("%v: no PodDisruptionBudget in %s selects its pods", d, dir)
		} else if n, err := strconv.Atoi(fmt.Sprint(pdb.Spec.MinAvailable)); err != nil || n < 1 || d.Spec.Replicas == nil || n >= *d.Spec.Replicas {
			t.Errorf("%v: minAvailable %v should be at least 1 and below the Deployment's replicas, or a drain blocks for ever", pdb, pdb.Spec.MinAvailable)
		}
	}

	// Every layout runs both the webhook and the reminder worker.
	for dir, roles := range rolesByDir {
		if !roles["all"] && !(roles["webhook"] && roles["worker"]) {
			t.Errorf("%s: the Deployments here run roles %v: nothing would answer LINE or push reminders; want all, or webhook and worker", dir, roles)
		}
	}

	// The Service reaches the webhook of every layout and never a worker-only pod.
	if len(byKind["Service"]) == 0 {
		t.Error("deploy/k8s: no Service for the webhook")
	}
	for _, s := range byKind["Service"] {
		sel := s.matchLabels()
		webhooks := 0
		for _, d := range byKind["Deployment"] {
			if !selects(sel, d.Spec.Template.Metadata.Labels) {
				continue
			}
			if d.role() == "worker" {
				t.Errorf("%v: selects %v, a worker-only Deployment that answers no webhook", s, d)
				continue
			}
			webhooks++
			for _, p := range s.Spec.Ports {
				if _, ok := resolvePort(d.Spec.Template.Spec.Containers[0], p.TargetPort); !ok {
					t.Errorf("%v: targetPort %v is not a port of %v", s, p.TargetPort, d)
				}
			}
		}
		if webhooks == 0 {
			t.Errorf("%v: selects no Deployment that serves the webhook", s)
		}
	}
	for _, d := range byKind["Deployment"] {
		if d.role() == "worker" {
			continue
		}
		reached := false
		for _, s := range byKind["Service"] {
			reached = reached || selects(s.matchLabels(), d.Spec.Template.Metadata.Labels)
		}
		if !reached {
			t.Errorf("%v: serves the webhook but no Service selects it", d)
		}
	}
}

// resolvePort resolves a probe's or Service's port (a number or a name)
// against the container's ports.
func resolvePort(c k8sContainer, port any) (int, bool) {
	s := fmt.Sprint(port)
	for _, p := range c.Ports {
		if p.Name == s || strconv.Itoa(p.ContainerPort) == s {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

func checkDeployment(t *testing.T, d *k8sObject, secrets map[string]map[string]string) {
	spec := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("%v: want at least 2 replicas", d)
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || *g < 30 {
		have := "unset"
		if g != nil {
			have = strconv.Itoa(*g)
		}
		t.Errorf("%v: terminationGracePeriodSeconds should be at least 30 (drain 3 s + HTTP shutdown up to 25 s + the worker), is %s", d, have)
	}
	if len(spec.Containers) == 0 {
		t.Fatalf("%v: no containers", d)
	}
	for _, c := range spec.Containers {
		where := fmt.Sprintf("%v container %s", d, c.Name)
		checkProcess(t, where, c)
		env := checkEnv(t, where, c, secrets)
		checkPortAndProbes(t, where, c, addrPort(t, env))
		checkResources(t, where, c)
		checkSecurityContext(t, where, spec.SecurityContext, c.SecurityContext)
	}
}

// checkProcess: serve, from the image's entrypoint.
func checkProcess(t *testing.T, where string, c k8sContainer) {
	t.Helper()
	if len(c.Command) > 0 {
		t.Errorf("%s: command overrides the image's entrypoint (/fraudnavi); set args only", where)
	}
	if len(c.Args) > 0 && !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("%s: args %q, want [serve]", where, c.Args)
	}
}

// checkEnv: only variables the code reads, a valid configuration, the two
// LINE secrets present. It returns the container's environment.
func checkEnv(t *testing.T, where string, c k8sContainer, secrets map[string]map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil {
			keys, ok := secrets[e.SecretRef.Name]
			if !ok {
				t.Errorf("%s: envFrom Secret %q is not in deploy/k8s", where, e.SecretRef.Name)
			}
			for k, v := range keys {
				env[k] = v
			}
		}
	}
	for _, e := range c.Env {
		if !known(e.Name) {
			t.Errorf("%s: env %s is not a variable the code reads (envVars in cmd/fraudnavi/config.go)", where, e.Name)
		}
		if e.ValueFrom != nil {
			env[e.Name] = "placeholder"
		} else {
			env[e.Name] = e.Value
		}
	}
	for _, req := range []string{"LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "REDIS_URL"} {
		if env[req] == "" {
			t.Errorf("%s: %s is set neither by env nor by a Secret in envFrom", where, req)
		}
	}
	if err := checkConfig(env); err != nil {
		t.Errorf("%s: the environment is not a valid configuration:\n%v", where, err)
	}
	return env
}

// checkPortAndProbes: the port of ADDR, and the probes on the server's paths.
func checkPortAndProbes(t *testing.T, where string, c k8sContainer, want int) {
	t.Helper()
	if len(c.Ports) == 0 {
		t.Errorf("%s: declares no containerPort", where)
	}
	for _, p := range c.Ports {
		if p.ContainerPort != want {
			t.Errorf("%s: containerPort %d, but the server listens on %d (ADDR)", where, p.ContainerPort, want)
		}
	}
	for _, pr := range []struct {
		name, path string
		p          *probe
	}{
		{"readinessProbe", bot.PathReadyz, c.ReadinessProbe},
		{"livenessProbe", bot.PathHealthz, c.LivenessProbe},
	} {
		if pr.p == nil || pr.p.HTTPGet == nil {
			t.Errorf("%s: no %s.httpGet (want %s)", where, pr.name, pr.path)
			continue
		}
		if pr.p.HTTPGet.Path != pr.path {
			t.Errorf("%s: %s path %q, the server serves it on %q", where, pr.name, pr.p.HTTPGet.Path, pr.path)
		}
		if n, ok := resolvePort(c, pr.p.HTTPGet.Port); !ok || n != want {
			t.Errorf("%s: %s port %v is not the server's port %d", where, pr.name, pr.p.HTTPGet.Port, want)
		}
	}
}

// checkResources: CPU and memory requested, memory limited.
func checkResources(t *testing.T, where string, c k8sContainer) {
	t.Helper()
	for _, r := range []struct {
		name string
		m    map[string]any
		keys []string
	}{
		{"requests", c.Resources.Requests, []string{"cpu", "memory"}},
		{"limits", c.Resources.Limits, []string{"memory"}},
	} {
		for _, k := range r.keys {
			if r.m[k] == nil {
				t.Errorf("%s: resources.%s.%s is not set", where, r.name, k)
			}
		}
	}
}

// checkSecurityContext: the container's security context, falling back to
// the pod's where Kubernetes allows it.
func checkSecurityContext(t *testing.T, where string, pod, ctr *securityContext) {
	t.Helper()
	if pod == nil {
		pod = &securityContext{}
	}
	if ctr == nil {
		ctr = &securityContext{}
	}
	nonRoot := ctr.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = pod.RunAsNonRoot
	}
	user := ctr.RunAsUser
	if user == nil {
		user = pod.RunAsUser
	}
	seccomp := ctr.SeccompProfile
	if seccomp == nil {
		seccomp = pod.SeccompProfile
	}
	if nonRoot == nil || !*nonRoot {
		t.Errorf("%s: securityContext.runAsNonRoot should be true", where)
	}
	if user == nil || *user == 0 {
		t.Errorf("%s: securityContext.runAsUser should be the image's non-root user (65532)", where)
	}
	if ctr.ReadOnlyRootFilesystem == nil || !*ctr.ReadOnlyRootFilesystem {
		t.Errorf("%s: securityContext.readOnlyRootFilesystem should be true", where)
	}
	if ctr.AllowPrivilegeEscalation == nil || *ctr.AllowPrivilegeEscalation {
		t.Errorf("%s: securityContext.allowPrivilegeEscalation should be false", where)
	}
	if ctr.Capabilities == nil || !slices.Contains(ctr.Capabilities.Drop, "ALL") {
		t.Errorf("%s: securityContext.capabilities.drop should be [ALL]", where)
	}
	if seccomp == nil || seccomp.Type != "RuntimeDefault" {
		t.Errorf("%s: securityContext.seccompProfile.type should be RuntimeDefault", where)
	}
}

// --- README -------------------------------------------------------------------

// readmeSection returns the text of the "## title" section, up to the next
// heading of level 2.
func readmeSection(readme, title string) (string, bool) {
	_, rest, ok := strings.Cut(readme, "\n## "+title+"\n")
	if !ok {
		return "", false
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest, true
}

var envRow = regexp.MustCompile("^\\|\\s*`([A-Z][A-Z0-9_]*)`\\s*\\|")

func TestReadmeOperatorGuide(t *testing.T) {
	const file = "README.md"
	readme := string(readRepoFile(t, file))
	guide, ok := readmeSection(readme, "Running it for a LINE channel")
	if !ok {
		t.Fatalf("%s: no section \"## Running it for a LINE channel\"", file)
	}
	if _, ok := readmeSection(readme, "What is stored, and for how long"); !ok {
		t.Errorf("%s: no section \"## What is stored, and for how long\"", file)
	}

	// The environment table: exactly envVars, ADDR with the code's default.
	_, table, ok := strings.Cut(guide, "\n### Environment variables\n")
	if !ok {
		t.Fatalf("%s: no \"### Environment variables\" in the operator guide", file)
	}
	if i := strings.Index(table, "\n### "); i >= 0 {
		table = table[:i]
	}
	rows := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		if m := envRow.FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	for _, name := range envVars {
		if _, ok := rows[name]; !ok {
			t.Errorf("%s: %s (read by the code) is missing from the environment table", file, name)
		}
	}
	for name := range rows {
		if !known(name) {
			t.Errorf("%s: the environment table lists %s, which the code does not read", file, name)
		}
	}
	if row, ok := rows["ADDR"]; ok && !strings.Contains(row, "`"+defaultAddr(t)+"`") {
		t.Errorf("%s: the ADDR row does not give the default `%s`: %s", file, defaultAddr(t), row)
	}

	// The webhook URL and the paths the server serves.
	if !strings.Contains(guide, "https://<host>"+bot.PathCallback) {
		t.Errorf("%s: the guide does not give the webhook URL https://<host>%s", file, bot.PathCallback)
	}
	for _, p := range []string{bot.PathHealthz, bot.PathReadyz, bot.PathMetrics} {
		if !strings.Contains(guide, p) {
			t.Errorf("%s: the guide does not mention %s", file, p)
		}
	}
	// Files it tells the operator to use exist.
	for _, f := range regexp.MustCompile(`deploy/[A-Za-z0-9_./-]+`).FindAllString(guide, -1) {
		f = strings.TrimRight(f, ".")
		if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil && f != "deploy/.env" {
			t.Errorf("%s: the guide names %s, which does not exist", file, f)
		}
	}
}
