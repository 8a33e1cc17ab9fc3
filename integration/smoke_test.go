package integration

import "testing"

func TestSmoke(t *testing.T) {
	name := secretName(t, "app")
	createSecret(t, "us-east-1", name, `{"GREETING":"hello world","N":1.50}`)
	res := runSecretenv(t, withEnv(baseEnv(t), "SECRET_ID="+name), "", "--", "env", "-0")
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	env := envOf(t, res.Stdout)
	if env["GREETING"] != "hello world" || env["N"] != "1.50" {
		t.Errorf("child saw GREETING=%q N=%q", env["GREETING"], env["N"])
	}
}
