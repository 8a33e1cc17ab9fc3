// Command floor is the physical limit of secretenv's job in Go: one
// GetSecretValue POST per secret with net/http (no SDK, no signing, no
// retries), each SecretString parsed as a JSON object, its keys added to the
// environment, and an exec. The benchmark times secretenv against it.
//
// It reads SECRET_ID (a name, or a comma-separated list of names; -id LIST
// wins over it), AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_CA_BUNDLE, and
// execs its arguments, searched on PATH. Several secrets are fetched at
// once, at most maxConcurrent at a time over one keep-alive client, as
// secretenv does, so that the benchmark can show what the machine allows
// for many secrets too.
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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// authorization is a constant, not a signature: moto reads the service and
// region from it, and the benchmark's responder ignores it.
const authorization = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0"

// maxConcurrent is secretenv's bound on requests in flight (internal/store/secrets.go), so
// that both open the same number of connections.
const maxConcurrent = 8

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(125)
	}
}

func run() error {
	list := flag.String("id", os.Getenv("SECRET_ID"), "secret id, or comma-separated ids")
	flag.Parse()
	args := flag.Args()
	if len(args) < 1 {
		return fmt.Errorf("usage: floor [-id NAME[,NAME...]] COMMAND [ARG...]")
	}
	ids := strings.Split(*list, ",")
	client, err := newClient(len(ids))
	if err != nil {
		return err
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER")
	var vars map[string]string
	if len(ids) == 1 {
		// No goroutines for one secret: this path is the one-secret floor.
		vars, err = fetch(client, endpoint, ids[0])
	} else {
		vars, err = fetchAll(client, endpoint, ids)
	}
	if err != nil {
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

// newClient is http.DefaultClient unless a CA bundle or several secrets
// call for a transport of its own. With several, the transport keeps
// maxConcurrent idle connections per host (net/http's default is 2, the
// SDK's 10), so that every connection is reused, as in secretenv.
func newClient(secrets int) (*http.Client, error) {
	var tr *http.Transport
	if ca := os.Getenv("AWS_CA_BUNDLE"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	if secrets > 1 {
		if tr == nil {
			tr = &http.Transport{}
		}
		tr.MaxIdleConnsPerHost = maxConcurrent
	}
	if tr == nil {
		return http.DefaultClient, nil
	}
	return &http.Client{Transport: tr}, nil
}

// fetchAll fetches every id on at most maxConcurrent workers, each taking
// the next id in turn, and merges the secrets; where two set the same key,
// the one given first wins.
func fetchAll(client *http.Client, endpoint string, ids []string) (map[string]string, error) {
	var (
		results = make([]map[string]string, len(ids))
		errs    = make([]error, len(ids))
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	for range min(maxConcurrent, len(ids)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ids); i = int(next.Add(1) - 1) {
				results[i], errs[i] = fetch(client, endpoint, ids[i])
			}
		})
	}
	wg.Wait()
	vars := make(map[string]string)
	for i, secret := range results {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", ids[i], errs[i])
		}
		for k, v := range secret {
			if _, dup := vars[k]; !dup {
				vars[k] = v
			}
		}
	}
	return vars, nil
}

// fetch makes one GetSecretValue call and parses its SecretString.
func fetch(client *http.Client, endpoint, id string) (map[string]string, error) {
	body, err := json.Marshal(map[string]string{"SecretId": id})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	req.Header.Set("Authorization", authorization)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var out struct{ SecretString string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(out.SecretString), &vars); err != nil {
		return nil, err
	}
	return vars, nil
}
