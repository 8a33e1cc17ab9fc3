package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Issue 13: Parameter Store ARNs as references (ECS valueFrom), and
// SECRET_ID entries ssm:/PATH (chamber's one path per service).

func TestParameterReferences(t *testing.T) {
	t.Parallel()
	base := paramPath(t)
	str := putParameter(t, "us-east-1", base+"/db/host", "db.internal", types.ParameterTypeString)
	secure := putParameter(t, "us-east-1", base+"/db/password", "p@ss w=rd \"$HOME\"", types.ParameterTypeSecureString)
	list := putParameter(t, "us-east-1", base+"/hosts", "a.example,b.example", types.ParameterTypeStringList)
	top := putParameter(t, "us-east-1", unsafeParam.ReplaceAllString(t.Name(), "_")+"-top", "top-level", types.ParameterTypeString)
	west := putParameter(t, "us-west-2", base+"/region", "from-us-west-2", types.ParameterTypeString)
	missing := parameterARN("us-east-1", motoAccount, base+"/missing")
	wrongRegion := parameterARN("eu-west-1", motoAccount, base+"/db/host")

	t.Run("values", func(t *testing.T) {
		t.Parallel()
		env := ssmEnv(t, motoURL, "HOST="+str, "PASSWORD="+secure, "HOSTS="+list, "TOP="+top, "WEST="+west, "AGAIN="+str)
		got := refChild(t, env)
		refWant(t, got, map[string]string{
			"HOST": "db.internal", "PASSWORD": "p@ss w=rd \"$HOME\"", "HOSTS": "a.example,b.example",
			"TOP": "top-level", "WEST": "from-us-west-2", "AGAIN": "db.internal",
		})
	})
	for _, tc := range []struct {
		name string
		env  []string
		want []string
	}{
		{"missing", []string{"HOST=" + str, "GONE=" + missing}, []string{"GONE: parameter " + missing, "not found in region us-east-1", "InvalidParameters"}},
		{"wrong region in the ARN", []string{"HOST=" + wrongRegion}, []string{"HOST: parameter " + wrongRegion, "not found in region eu-west-1"}},
		{"two missing in two regions", []string{"A=" + missing, "B=" + wrongRegion + "x"}, []string{"A, B: parameters " + missing + ", " + wrongRegion + "x", "region us-east-1, eu-west-1"}},
		{"malformed", []string{"BAD=arn:aws:ssm:us-east-1:" + motoAccount + ":parameter/a b"}, []string{"BAD:", "space or control character", "--no-references"}},
		{"version selector", []string{"BAD=" + str + ":1"}, []string{"BAD:", "version or label selector is not supported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSecretenv(t, ssmEnv(t, motoURL, tc.env...), "", "--", "sh", "-c", "echo STARTED")
			if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") {
				t.Fatalf("exit %d, stdout %q; want 125 and the command not run", res.Code, res.Stdout)
			}
			checkOneLine(t, res.Stderr, tc.want...)
		})
	}
	t.Run("--no-references keeps the ARN", func(t *testing.T) {
		t.Parallel()
		got := refChild(t, ssmEnv(t, motoURL, "GONE="+missing), "--no-references", "--secret-id", createSecret(t, "us-east-1", secretName(t, "s"), `{"A":"1"}`))
		refWant(t, got, map[string]string{"GONE": missing})
	})
}

// TestParameterBatching: 25 references in one region cost 3 GetParameters
// calls of at most 10 names each, and a reference to another account's
// parameter is asked for by its full ARN.
func TestParameterBatching(t *testing.T) {
	t.Parallel()
	base := paramPath(t)
	env := []string{}
	want := map[string]string{}
	for i := range 25 {
		arn := putParameter(t, "us-east-1", fmt.Sprintf("%s/p%02d", base, i), fmt.Sprintf("value-%d", i), types.ParameterTypeSecureString)
		env = append(env, fmt.Sprintf("P%02d=%s", i, arn))
		want[fmt.Sprintf("P%02d", i)] = fmt.Sprintf("value-%d", i)
	}
	proxy := startSSMProxy(t, nil)
	refWant(t, refChild(t, ssmEnv(t, proxy.URL, env...)), want)
	calls := proxy.callsTo("GetParameters")
	if len(calls) != 3 {
		t.Fatalf("%d GetParameters calls, want 3: %+v", len(calls), calls)
	}
	var asked []string
	for _, c := range calls {
		if len(c.Names) > 10 {
			t.Errorf("a call asked for %d names; the API allows 10", len(c.Names))
		}
		asked = append(asked, c.Names...)
	}
	slices.Sort(asked)
	if len(asked) != 25 || asked[0] != base+"/p00" {
		t.Errorf("asked for %v; want the 25 names", asked)
	}

	t.Run("missing in two calls of one region", func(t *testing.T) {
		t.Parallel()
		missing := []string{"M1=" + parameterARN("us-east-1", motoAccount, base+"/missing1")}
		missing = append(missing, env[:12]...)
		missing = append(missing, "M2="+parameterARN("us-east-1", motoAccount, base+"/missing2"))
		res := runSecretenv(t, ssmEnv(t, motoURL, missing...), "", "--", "true")
		checkOneLine(t, res.Stderr, "M1, M2: parameters ", base+"/missing1, ", base+"/missing2: not found in region us-east-1 (GetParameters InvalidParameters)")
	})

	t.Run("the caller's account unknown or another", func(t *testing.T) {
		t.Parallel()
		other := parameterARN("us-east-1", "210987654321", base+"/p00")
		own := parameterARN("us-east-1", motoAccount, base+"/p01")
		proxy := startSSMProxy(t, nil)
		res := runSecretenv(t, ssmEnv(t, proxy.URL, "SHARED="+other, "-AWS_ACCOUNT_ID", "OWN="+own), "", "--", "true")
		if res.Code != 125 {
			t.Fatalf("exit %d; moto knows no ARNs in GetParameters, so this must fail", res.Code)
		}
		calls := proxy.callsTo("GetParameters")
		if len(calls) != 1 || !slices.Equal(calls[0].Names, []string{other, own}) {
			t.Errorf("GetParameters calls %+v; want one asking for both full ARNs", calls)
		}
	})
}

// TestParameterPath loads every parameter directly under a path, across
// pages, and nothing deeper.
func TestParameterPath(t *testing.T) {
	t.Parallel()
	base := paramPath(t)
	want := map[string]string{}
	for i := range 60 {
		name := fmt.Sprintf("key-%02d", i)
		typ := types.ParameterTypeString
		if i%2 == 1 {
			typ = types.ParameterTypeSecureString
		}
		putParameter(t, "us-east-1", base+"/"+name, fmt.Sprintf("v%d", i), typ)
		want[fmt.Sprintf("KEY_%02d", i)] = fmt.Sprintf("v%d", i)
	}
	putParameter(t, "us-east-1", base+"/deeper/hidden", "no", types.ParameterTypeString)
	proxy := startSSMProxy(t, nil)
	got := refChild(t, ssmEnv(t, proxy.URL, "SECRET_ID=ssm:"+base))
	refWant(t, got, want)
	if _, ok := got["HIDDEN"]; ok {
		t.Error("a parameter two levels down was loaded")
	}
	if n := len(proxy.callsTo("GetParametersByPath")); n < 6 {
		t.Errorf("%d GetParametersByPath calls for 60 parameters; pages hold 10", n)
	}

	for _, tc := range []struct {
		name, param string
		want        []string
	}{
		{"a name that is no variable name", "db.url", []string{"/db.url would set", "DB.URL", "not a valid variable name"}},
		{"a loader key", "ld-preload", []string{"LD_PRELOAD", "--allow-key LD_PRELOAD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := paramPath(t)
			putParameter(t, "us-east-1", path+"/ok", "x", types.ParameterTypeString)
			putParameter(t, "us-east-1", path+"/"+tc.param, "secret-value-xyz", types.ParameterTypeString)
			res := runSecretenv(t, ssmEnv(t, motoURL, "SECRET_ID=ssm:"+path), "", "--", "sh", "-c", "echo STARTED")
			if res.Code != 125 || strings.Contains(res.Stdout, "STARTED") {
				t.Fatalf("exit %d, stdout %q; want 125", res.Code, res.Stdout)
			}
			checkOneLine(t, res.Stderr, tc.want...)
			if strings.Contains(res.Stderr, "secret-value-xyz") {
				t.Errorf("stderr holds the value: %q", res.Stderr)
			}
		})
	}
	t.Run("an empty path", func(t *testing.T) {
		t.Parallel()
		res := runSecretenv(t, ssmEnv(t, motoURL, "SECRET_ID=ssm:"+paramPath(t)), "", "--", "true")
		if res.Code != 125 {
			t.Fatalf("exit %d, want 125", res.Code)
		}
		checkOneLine(t, res.Stderr, "ssm:"+paramPath(t), "no parameters directly under")
	})
}

// TestParameterLayering: ssm:/common, then a secret, then the environment,
// left to right as for secrets; check names each source and export prints
// the values.
func TestParameterLayering(t *testing.T) {
	t.Parallel()
	common := paramPath(t) + "/common"
	putParameter(t, "us-east-1", common+"/log-level", "info", types.ParameterTypeString)
	putParameter(t, "us-east-1", common+"/db-url", "postgres://common", types.ParameterTypeSecureString)
	putParameter(t, "us-east-1", common+"/debug", "false", types.ParameterTypeString)
	prod := secretName(t, "prod")
	createSecret(t, "us-east-1", prod, `{"DB_URL":"postgres://prod","WORKERS":"4"}`)
	token := putParameter(t, "us-east-1", paramPath(t)+"/token", "tok-123", types.ParameterTypeSecureString)
	env := ssmEnv(t, motoURL, "SECRET_ID=ssm:"+common+","+prod, "DEBUG=true", "TOKEN="+token)

	refWant(t, refChild(t, env), map[string]string{
		"LOG_LEVEL": "info", "DB_URL": "postgres://prod", "WORKERS": "4", "DEBUG": "true", "TOKEN": "tok-123",
	})
	res := runSecretenv(t, env, "", "check")
	if res.Code != 0 {
		t.Fatalf("check: exit %d, stderr %q", res.Code, res.Stderr)
	}
	for _, line := range []string{
		"DB_URL     secret " + prod,
		"DEBUG      environment, kept over parameters under " + common,
		"LOG_LEVEL  parameters under " + common,
		"TOKEN      parameter " + token,
	} {
		if !strings.Contains(res.Stdout, line+"\n") {
			t.Errorf("check output lacks %q:\n%s", line, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout+res.Stderr, "tok-123") || strings.Contains(res.Stdout, "info") {
		t.Errorf("check printed a value:\n%s", res.Stdout)
	}
	res = runSecretenv(t, env, "", "export", "--format", "json")
	if res.Code != 0 || !strings.Contains(res.Stdout, `"LOG_LEVEL": "info"`) || !strings.Contains(res.Stdout, `"TOKEN": "tok-123"`) {
		t.Errorf("export: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	res = runSecretenv(t, env, "", "--verbose", "--", "true")
	if res.Code != 0 || !strings.Contains(res.Stderr, "fetched parameters by path") || !strings.Contains(res.Stderr, "fetched parameters ") {
		t.Errorf("--verbose: exit %d, stderr %q", res.Code, res.Stderr)
	}
	for _, v := range []string{"tok-123", "postgres://", "info"} {
		if strings.Contains(res.Stderr, v) {
			t.Errorf("--verbose printed the value %q:\n%s", v, res.Stderr)
		}
	}
}

// TestParameterThrottling: Parameter Store's throttling is retried within
// the deadline, for GetParameters and for every page of a path.
func TestParameterThrottling(t *testing.T) {
	t.Parallel()
	base := paramPath(t)
	ref := putParameter(t, "us-east-1", base+"/ref", "r", types.ParameterTypeString)
	for i := range 12 {
		putParameter(t, "us-east-1", fmt.Sprintf("%s/path/k%d", base, i), "p", types.ParameterTypeString)
	}
	proxy := startSSMProxy(t, func(w http.ResponseWriter, _ ssmCall, n int) bool {
		if n%2 == 1 { // every other request, so each call is throttled at least once
			writeAWSError(w, http.StatusBadRequest, "ThrottlingException")
			return true
		}
		return false
	})
	got := refChild(t, ssmEnv(t, proxy.URL, "REF="+ref, "SECRET_ID=ssm:"+base+"/path"))
	refWant(t, got, map[string]string{"REF": "r", "K0": "p", "K11": "p"})
	if n := len(proxy.callsTo("GetParameters")) + len(proxy.callsTo("GetParametersByPath")); n < 4 {
		t.Errorf("%d requests; want the throttled ones retried", n)
	}

	t.Run("until the deadline", func(t *testing.T) {
		t.Parallel()
		proxy := startSSMProxy(t, func(w http.ResponseWriter, _ ssmCall, _ int) bool {
			writeAWSError(w, http.StatusBadRequest, "ThrottlingException")
			return true
		})
		res := runSecretenv(t, ssmEnv(t, proxy.URL, "REF="+ref), "", "--timeout", "1s", "--", "true")
		if res.Code != 125 {
			t.Fatalf("exit %d, want 125", res.Code)
		}
		checkOneLine(t, res.Stderr, ref, "no answer within the 1s deadline", "ThrottlingException")
	})
}
