package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// writers is how many put processes race for one secret in each round,
// and rounds how many times the race is run.
const (
	writers = 10
	rounds  = 5
)

// wroteVersion finds the version a successful put names on stdout.
var wroteVersion = regexp.MustCompile(`\(version ([0-9a-f-]+)\)\n$`)

// TestConcurrentPut starts ten put processes together, each adding its own
// key to one secret, and checks that no update is lost: every process that
// exits 0 has its key in the final secret, every other one exits 125 with a
// conflict line, and the versions form one history in which each winner
// wrote over the version it read (AWSPREVIOUS is the one the last winner
// read). Run for a secret that exists and for one that each process tries
// to create.
func TestConcurrentPut(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		initial string // "" means the secret does not exist
	}{
		{"existing secret", `{"BASE":"0"}`},
		{"new secret", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for round := range rounds {
				t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
					name := secretName(t, "conc")
					if tc.initial != "" {
						createSecret(t, "us-east-1", name, tc.initial)
					}
					raceRound(t, name, tc.initial)
				})
			}
		})
	}
}

// raceRound runs the writers on name and checks what they left.
func raceRound(t *testing.T, name, initial string) {
	env := baseEnv(t)
	type run struct {
		cmd            *exec.Cmd
		stdin          io.WriteCloser
		stdout, stderr bytes.Buffer
	}
	runs := make([]*run, writers)
	for i := range runs {
		r := &run{cmd: exec.Command(bin, "put", name, "--from", "-", "--yes")}
		r.cmd.Env = env
		r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
		var err error
		if r.stdin, err = r.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
		runs[i] = r
	}
	// Every process waits for its stdin before it reads the secret: the
	// input given to all at once is the starting gun.
	for i, r := range runs {
		fmt.Fprintf(r.stdin, "K%d=val-%d\n", i, i)
	}
	for _, r := range runs {
		r.stdin.Close()
	}
	winners := map[string]string{} // version -> key
	for i, r := range runs {
		err := r.cmd.Wait()
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		out, errOut := r.stdout.String(), r.stderr.String()
		if strings.Contains(out+errOut, "val-") {
			t.Errorf("writer %d printed a value: stdout %q stderr %q", i, out, errOut)
		}
		switch code {
		case 0:
			m := wroteVersion.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("writer %d exited 0 without naming its version: %q", i, out)
			}
			winners[m[1]] = fmt.Sprint("K", i)
		case 125:
			checkConflictLine(t, errOut, name)
		default:
			t.Errorf("writer %d exited %d, want 0 or 125; stderr %q", i, code, errOut)
		}
	}
	if len(winners) == 0 {
		t.Fatal("no writer succeeded")
	}
	t.Logf("%d of %d writers succeeded", len(winners), writers)

	// The winners' versions, fewest keys first, must each be the one
	// before plus the winner's own key: one history, nothing lost.
	docs := map[string]map[string]string{}
	for version := range winners {
		docs[version] = readVersion(t, name, "", version)
	}
	order := slices.SortedFunc(maps.Keys(winners), func(a, b string) int { return len(docs[a]) - len(docs[b]) })
	want := map[string]string{}
	if initial != "" {
		json.Unmarshal([]byte(initial), &want)
	}
	read := "" // the last winner's version
	for _, version := range order {
		want[winners[version]] = "val-" + strings.TrimPrefix(winners[version], "K")
		if got := docs[version]; !maps.Equal(got, want) {
			t.Errorf("version %s (%s) holds keys %v, want %v: an update was lost", version, winners[version], keysOf(got), keysOf(want))
		}
		read = version
	}
	final := readVersion(t, name, "AWSCURRENT", "")
	if !maps.Equal(final, want) {
		t.Errorf("final secret holds keys %v, want %v (the winners' keys)", keysOf(final), keysOf(want))
	}
	cur, err := smClient(t, "us-east-1").GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT"), // see stored
	})
	if err != nil {
		t.Fatal(err)
	}
	if cur := aws.ToString(cur.VersionId); cur != read {
		t.Errorf("AWSCURRENT is %s, want the last winner's version %s", cur, read)
	}
	if len(order) > 1 {
		before := docs[order[len(order)-2]]
		if prev := readVersion(t, name, "AWSPREVIOUS", ""); !maps.Equal(prev, before) {
			t.Errorf("AWSPREVIOUS holds keys %v, want %v (the version the last winner read)", keysOf(prev), keysOf(before))
		}
	} else if initial != "" {
		if prev := readVersion(t, name, "AWSPREVIOUS", ""); len(prev) != 1 || prev["BASE"] != "0" {
			t.Errorf("AWSPREVIOUS holds keys %v, want the initial version", keysOf(prev))
		}
	}
	checkNoPendingLabels(t, name)
}

// checkConflictLine asserts stderr is one conflict line that names the
// other writers' keys in order.
func checkConflictLine(t *testing.T, stderr, name string) {
	t.Helper()
	line := strings.TrimSuffix(stderr, "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "secretenv: "+name+": someone else ") || !strings.Contains(line, "nothing written; run the command again") {
		t.Errorf("stderr %q, want one conflict line", stderr)
		return
	}
	if _, list, ok := strings.Cut(line, "(they changed key "); ok {
		list, _, _ = strings.Cut(list, ")")
		if keys := strings.Split(list, ", "); !slices.IsSorted(keys) {
			t.Errorf("conflict names keys %q, want them sorted", keys)
		}
	}
}

// readVersion reads one version of name from moto (by stage or by id) as
// a map of string values.
func readVersion(t *testing.T, name, stage, id string) map[string]string {
	t.Helper()
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)}
	if stage != "" {
		in.VersionStage = aws.String(stage)
	}
	if id != "" {
		in.VersionId = aws.String(id)
	}
	out, err := smClient(t, "us-east-1").GetSecretValue(context.Background(), in)
	if err != nil {
		t.Fatalf("reading %s %s%s: %v", name, stage, id, err)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &m); err != nil {
		t.Fatalf("%s %s%s is not an object of strings: %v", name, stage, id, err)
	}
	return m
}

// checkNoPendingLabels asserts that no secretenv-pending- label is left on
// any version of name.
func checkNoPendingLabels(t *testing.T, name string) {
	t.Helper()
	out, err := smClient(t, "us-east-1").ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String(name), IncludeDeprecated: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.Versions {
		for _, s := range v.VersionStages {
			if strings.HasPrefix(s, "secretenv-pending-") {
				t.Errorf("version %s still carries %s", aws.ToString(v.VersionId), s)
			}
		}
	}
}

func keysOf(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
