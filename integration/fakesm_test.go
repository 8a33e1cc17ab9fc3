package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeSM is a Secrets Manager of the tests' own, for what moto cannot do:
// throttling, 5xx, a server that never answers, garbled responses. It speaks
// just enough of the awsJson1_1 protocol for the real SDK inside secretenv.
type fakeSM struct {
	URL      string
	requests atomic.Int64
}

// getSecretValueRequest is the part of a GetSecretValue or DescribeSecret
// call the fake reads.
type getSecretValueRequest struct {
	Op           string // from X-Amz-Target: GetSecretValue, DescribeSecret
	SecretId     string
	VersionStage string
	VersionId    string
}

// startFakeSM serves handle for every request on a loopback port; the server
// is closed when the test ends. n counts requests from 1.
func startFakeSM(t testing.TB, handle func(w http.ResponseWriter, req getSecretValueRequest, n int64)) *fakeSM {
	t.Helper()
	f := &fakeSM{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.requests.Add(1)
		var req getSecretValueRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeAWSError(w, http.StatusBadRequest, "SerializationException")
			return
		}
		req.Op = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
		handle(w, req, n)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	f.URL = srv.URL
	return f
}

// env points secretenv at the fake instead of moto.
func (f *fakeSM) env(t testing.TB, extra ...string) []string {
	return withEnv(baseEnv(t), append([]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + f.URL}, extra...)...)
}

// writeSecret answers GetSecretValue with text as the SecretString.
func writeSecret(w http.ResponseWriter, id, text string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{
		"ARN":           "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + id + "-AbCdEf",
		"Name":          id,
		"SecretString":  text,
		"VersionId":     "00000000-0000-0000-0000-000000000001",
		"VersionStages": []string{"AWSCURRENT"},
	})
}

// writeDescribe answers DescribeSecret with versionID as AWSCURRENT.
func writeDescribe(w http.ResponseWriter, id, versionID string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{
		"ARN":                "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + id + "-AbCdEf",
		"Name":               id,
		"VersionIdsToStages": map[string][]string{versionID: {"AWSCURRENT"}},
	})
}

// writeAWSError answers with an AWS JSON-protocol error.
func writeAWSError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":"fake %s"}`, code, code)
}

// startSilentSM starts a fake that accepts each request and never answers
// it, until the test ends. arrived receives once a request is being held,
// so a test can act while secretenv is mid-fetch.
func startSilentSM(t testing.TB) (f *fakeSM, arrived <-chan struct{}) {
	t.Helper()
	held := make(chan struct{}, 1)
	release := make(chan struct{})
	f = startFakeSM(t, func(http.ResponseWriter, getSecretValueRequest, int64) {
		select {
		case held <- struct{}{}:
		default:
		}
		<-release
	})
	// Cleanups run last-in first-out: the handlers return before the
	// server's Close waits for them.
	t.Cleanup(func() { close(release) })
	return f, held
}
