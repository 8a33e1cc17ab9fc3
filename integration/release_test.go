package integration

import (
	"archive/zip"
	"bufio"
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// releaseVersion is what the tests stamp release builds with.
const releaseVersion = "v0.0.0-releasetest"

var (
	releaseOnce sync.Once
	releaseDir  string // dist/ of one `make release`, shared by the tests
	releaseErr  string
)

// releaseDist runs `make release` once for the package (it builds eight
// binaries: too slow to repeat per test) and returns its DIST directory.
func releaseDist(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		// Beside the binary under test: TestMain removes that directory
		// after every test has run.
		dir, err := os.MkdirTemp(filepath.Dir(bin), "dist-")
		if err != nil {
			releaseErr = err.Error()
			return
		}
		cmd := exec.Command("make", "--no-print-directory", "release", "DIST="+dir, "VERSION="+releaseVersion, "SOURCE_DATE_EPOCH=1700000000")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseErr = "make release: " + err.Error() + "\n" + string(out)
			return
		}
		releaseDir = dir
	})
	if releaseErr != "" {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

// goModVersion returns the version go.mod requires of module.
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + `\s+(v\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	return string(m[1])
}

// TestRelease checks what a user downloading a release relies on:
// SHA256SUMS verifies and lists every artifact, the linux binaries are
// static for their CPU, the darwin ones are Mach-O for theirs, and each
// binary has an SBOM naming the secretsmanager client at go.mod's version.
func TestRelease(t *testing.T) {
	dist := releaseDist(t)

	check := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for line := range strings.Lines(string(sums)) {
		_, name, _ := strings.Cut(strings.TrimSpace(line), "  ")
		listed = append(listed, name)
	}
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if e.Name() != "SHA256SUMS" {
			files = append(files, e.Name())
		}
	}
	if !slices.Equal(listed, files) {
		t.Errorf("SHA256SUMS lists %q, dist/ holds %q", listed, files)
	}

	sdkVersion := goModVersion(t, "github.com/aws/aws-sdk-go-v2/service/secretsmanager")
	for _, tc := range []struct {
		os, arch string
		elf      elf.Machine
		macho    macho.Cpu
	}{
		{"linux", "amd64", elf.EM_X86_64, 0},
		{"linux", "arm64", elf.EM_AARCH64, 0},
		{"darwin", "amd64", 0, macho.CpuAmd64},
		{"darwin", "arm64", 0, macho.CpuArm64},
	} {
		for _, suffix := range []string{"", "-unstripped"} {
			name := "secretenv-" + tc.os + "-" + tc.arch + suffix
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(dist, name)
				if tc.os == "linux" {
					f, err := elf.Open(path)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					if f.Machine != tc.elf {
						t.Errorf("machine %v, want %v", f.Machine, tc.elf)
					}
					for _, p := range f.Progs {
						// A dynamically linked ELF names its loader in
						// PT_INTERP; images without libc cannot run it.
						if p.Type == elf.PT_INTERP {
							t.Errorf("%s is dynamically linked (PT_INTERP)", name)
						}
					}
				} else {
					f, err := macho.Open(path)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					if f.Cpu != tc.macho || f.Type != macho.TypeExec {
						t.Errorf("Mach-O cpu %v type %v, want %v executable", f.Cpu, f.Type, tc.macho)
					}
				}
				checkSBOM(t, path+".spdx.json", sdkVersion)
			})
		}
	}
}

// checkSBOM checks that path is an SPDX 2.3 JSON document listing the
// secretsmanager module at version, with a hash, and the release's version.
func checkSBOM(t *testing.T, path, version string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SPDXVersion  string `json:"spdxVersion"`
		CreationInfo struct {
			Created string `json:"created"`
		} `json:"creationInfo"`
		Packages []struct {
			Name        string `json:"name"`
			VersionInfo string `json:"versionInfo"`
			Checksums   []struct {
				Algorithm, ChecksumValue string
			} `json:"checksums"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion %q", doc.SPDXVersion)
	}
	if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created %q, want SOURCE_DATE_EPOCH's 2023-11-14T22:13:20Z", doc.CreationInfo.Created)
	}
	found := map[string]string{}
	for _, p := range doc.Packages {
		found[p.Name] = p.VersionInfo
		if p.Name == "github.com/aws/aws-sdk-go-v2/service/secretsmanager" &&
			(len(p.Checksums) != 1 || len(p.Checksums[0].ChecksumValue) != 64) {
			t.Errorf("%s: no SHA256 (go.sum h1) for %s: %+v", path, p.Name, p.Checksums)
		}
	}
	if got := found["github.com/aws/aws-sdk-go-v2/service/secretsmanager"]; got != version {
		t.Errorf("%s lists secretsmanager at %q, go.mod requires %q", path, got, version)
	}
	if got := found["github.com/secretenv/secretenv"]; got != releaseVersion {
		t.Errorf("%s lists secretenv at %q, want %q", path, got, releaseVersion)
	}
}

// TestLambdaLayerZips checks that each layer holds bin/secretenv (so
// /opt/bin/secretenv), mode 0755, with the release binary's bytes, and
// nothing that varies between builds.
func TestLambdaLayerZips(t *testing.T) {
	dist := releaseDist(t)
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dist, "secretenv-linux-"+arch))
			if err != nil {
				t.Fatal(err)
			}
			zr, err := zip.OpenReader(filepath.Join(dist, "secretenv-lambda-layer-"+arch+".zip"))
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			var names []string
			for _, f := range zr.File {
				names = append(names, f.Name)
				if f.Modified.Year() != 1980 {
					t.Errorf("%s is dated %v, want the fixed 1980-01-01", f.Name, f.Modified)
				}
				if f.Name != "bin/secretenv" {
					continue
				}
				if f.Mode() != 0o755 {
					t.Errorf("bin/secretenv mode %v, want -rwxr-xr-x", f.Mode())
				}
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("bin/secretenv differs from secretenv-linux-%s (%v)", arch, err)
				}
			}
			if !slices.Equal(names, []string{"bin/", "bin/secretenv"}) {
				t.Errorf("layer entries %q, want [bin/ bin/secretenv]", names)
			}
		})
	}
}

// TestLambdaLayerWrapper drives secretenv as a Lambda runtime's bootstrap
// does, through the path the README documents inside the unzipped layer:
// /opt/bin/secretenv, here under a temporary /opt.
func TestLambdaLayerWrapper(t *testing.T) {
	dist := releaseDist(t)
	opt := filepath.Join(t.TempDir(), "opt")
	unzip := exec.Command("unzip", "-q", filepath.Join(dist, "secretenv-lambda-layer-"+runtime.GOARCH+".zip"), "-d", opt)
	if out, err := unzip.CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	wrapper := filepath.Join(opt, "bin", "secretenv")
	bootstrap := writeScript(t, t.TempDir(), "bootstrap", lambdaBootstrap, 0o755)
	name := secretName(t, "layer")
	createSecret(t, "us-east-1", name, `{"GREETING":"hello from the layer"}`)
	cmd := exec.Command("/bin/bash", bootstrap, "/bin/sh", "-c", `echo "GREETING=$GREETING"`)
	cmd.Env = withEnv(baseEnv(t), "AWS_LAMBDA_EXEC_WRAPPER="+wrapper,
		"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", "SECRET_ID="+name)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stdout.String() != "GREETING=hello from the layer\n" {
		t.Fatalf("bootstrap via %s: %v, stdout %q, stderr %q", wrapper, err, stdout.String(), stderr.String())
	}
	res := runBare(t, wrapper, "--version")
	if res.Stdout != "secretenv "+releaseVersion+"\n" {
		t.Errorf("the layer's secretenv --version: %q, want the release's", res.Stdout)
	}
}

// TestImageBuildsTheReleaseBytes checks, without a Docker engine (there is
// none here), that the image's Dockerfile builds what SHA256SUMS lists:
// its builder runs the Makefile's `binary` recipe for TARGETARCH, and that
// recipe, run as the builder runs it, gives the release's bytes. The final
// stage is scratch with /secretenv only.
func TestImageBuildsTheReleaseBytes(t *testing.T) {
	dist := releaseDist(t)
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms, runs, copies []string
	sc := bufio.NewScanner(bytes.NewReader(df))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch word, rest, _ := strings.Cut(line, " "); word {
		case "FROM":
			froms = append(froms, rest)
		case "RUN":
			runs = append(runs, rest)
		case "COPY":
			if len(froms) > 1 {
				copies = append(copies, rest)
			}
		}
	}
	wantRun := "make binary GOOS=linux GOARCH=${TARGETARCH} VERSION=${VERSION} OUT=/out/secretenv"
	if !slices.Contains(runs, wantRun) {
		t.Errorf("the builder does not run %q; RUN lines: %q", wantRun, runs)
	}
	if len(froms) != 2 || froms[1] != "scratch" || !slices.Equal(copies, []string{"--from=build /out/secretenv /secretenv"}) {
		t.Errorf("want a final FROM scratch holding /secretenv only; FROM %q, final COPY %q", froms, copies)
	}

	// The builder's command, with the release's VERSION, here.
	out := filepath.Join(t.TempDir(), "secretenv")
	cmd := exec.Command("make", "--no-print-directory", "binary", "GOOS=linux", "GOARCH=arm64", "VERSION="+releaseVersion, "OUT="+out)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make binary: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dist, "secretenv-linux-arm64"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("make binary built %d bytes that differ from the release's secretenv-linux-arm64 (%d bytes)", len(got), len(want))
	}
}

// TestGoInstall proves the README's `go install` path from a clean clone:
// go install sets no -ldflags, so --version falls back to the module's
// build information, "(devel)" for a local install.
func TestGoInstall(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	if out, err := exec.Command("git", "clone", "--quiet", "..", src).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	gobin := filepath.Join(tmp, "bin")
	install := exec.Command("go", "install", ".")
	install.Dir = src
	install.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install .: %v\n%s", err, out)
	}
	res := runBare(t, filepath.Join(gobin, "secretenv"), "--version")
	if res.Code != 0 || !strings.HasPrefix(res.Stdout, "secretenv (devel)") {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want secretenv (devel)", res.Code, res.Stdout, res.Stderr)
	}
}
