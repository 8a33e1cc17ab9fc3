package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ssmClient is an SDK client for moto's Parameter Store in region, used to
// seed parameters.
func ssmClient(t testing.TB, region string) *ssm.Client {
	t.Helper()
	return ssm.New(ssm.Options{
		Region:       region,
		BaseEndpoint: aws.String(motoURL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

// motoAccount is the account moto keeps its resources in by default.
const motoAccount = "123456789012"

var unsafeParam = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// paramPath is a path unique to this test, as moto is shared by the
// package. It never starts with "aws" or "ssm", which SSM reserves.
func paramPath(t testing.TB) string {
	return "/it/" + unsafeParam.ReplaceAllString(t.Name(), "_")
}

// putParameter stores value under name in region with the given type
// (String, SecureString or StringList) and returns the parameter's ARN.
func putParameter(t testing.TB, region, name, value string, typ types.ParameterType) string {
	t.Helper()
	_, err := ssmClient(t, region).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("putting parameter %s: %v", name, err)
	}
	return parameterARN(region, motoAccount, name)
}

// parameterARN is the ARN of a parameter: the name's leading '/' is not
// repeated after "parameter".
func parameterARN(region, account, name string) string {
	return "arn:aws:ssm:" + region + ":" + account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// ssmEnv points secretenv's Parameter Store at url, with the account of the
// static credentials set, as SSO, roles and container credentials provide it.
func ssmEnv(t testing.TB, url string, extra ...string) []string {
	return withEnv(baseEnv(t), append([]string{"AWS_ENDPOINT_URL_SSM=" + url, "AWS_ACCOUNT_ID=" + motoAccount}, extra...)...)
}

// ssmCall is one request that reached an ssmProxy.
type ssmCall struct {
	Action string   // GetParameters, GetParametersByPath, ...
	Names  []string // GetParameters' Names
	Path   string   // GetParametersByPath's Path
}

// ssmProxy stands between secretenv and moto, for what moto cannot do:
// counting requests, and throttling or garbling some of them. fault, when it
// writes an answer (and returns true), keeps the request from moto. n counts
// requests from 1.
type ssmProxy struct {
	URL string

	mu    sync.Mutex
	calls []ssmCall
}

// startSSMProxy starts a proxy to moto on a loopback port; the test's end
// closes it. fault may be nil.
func startSSMProxy(t testing.TB, fault func(w http.ResponseWriter, call ssmCall, n int) bool) *ssmProxy {
	t.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &ssmProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct {
			Names []string
			Path  string
		}
		json.Unmarshal(body, &in)
		call := ssmCall{Action: strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM."), Names: in.Names, Path: in.Path}
		p.mu.Lock()
		p.calls = append(p.calls, call)
		n := len(p.calls)
		p.mu.Unlock()
		if fault != nil && fault(w, call, n) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	p.URL = srv.URL
	return p
}

// callsTo returns the requests of one action, in arrival order.
func (p *ssmProxy) callsTo(action string) []ssmCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []ssmCall
	for _, c := range p.calls {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}
