// Command floor is the physical limit of secretenv's job in Go: one
// GetSecretValue POST with net/http (no SDK, no signing, no retries), the
// SecretString parsed as a JSON object, its keys added to the environment,
// and an exec. The benchmark times secretenv against it.
//
// It reads SECRET_ID (one name; -id NAME wins over it),
// AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_CA_BUNDLE, and execs its
// arguments, searched on PATH.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
)

// authorization is a constant, not a signature: moto reads the service and
// region from it, and the benchmark's responder ignores it.
const authorization = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(125)
	}
}

func run() error {
	id := flag.String("id", os.Getenv("SECRET_ID"), "secret id")
	flag.Parse()
	args := flag.Args()
	if len(args) < 1 {
		return fmt.Errorf("usage: floor [-id NAME] COMMAND [ARG...]")
	}
	client := http.DefaultClient
	if ca := os.Getenv("AWS_CA_BUNDLE"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	body, err := json.Marshal(map[string]string{"SecretId": *id})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	req.Header.Set("Authorization", authorization)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var out struct{ SecretString string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(out.SecretString), &vars); err != nil {
		return err
	}
	env := os.Environ()
	for k, v := range vars {
		if _, set := os.LookupEnv(k); !set {
			env = append(env, k+"="+v)
		}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, args, env)
}
