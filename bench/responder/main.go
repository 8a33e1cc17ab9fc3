// Command responder is the benchmark's own Secrets Manager: it answers
// GetSecretValue with canned JSON secrets as fast as net/http can, so that
// the benchmark measures the client, not a slow server (moto takes
// milliseconds per request). It serves plain HTTP and HTTPS on loopback,
// with a certificate signed by a CA it generates and writes out for
// AWS_CA_BUNDLE.
//
// Secret ids it knows, by name or as the last part of an ARN:
//
//	small-N  (N = 1..1000) five short keys S<N>_K1..S<N>_K5
//	big      2,000 keys, a 64 KiB SecretString (the Secrets Manager maximum)
//
// It prints "http=ADDR https=ADDR silent=ADDR" on stdout once its listeners
// are open. The silent one accepts connections and never answers: the
// benchmark points the instance metadata address there to time secretenv
// without credentials.
// With -seed URL it instead creates the same secrets (small-1..small-N and
// big) in another Secrets Manager, such as moto, and exits.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	httpAddr := flag.String("http", "127.0.0.1:0", "plain HTTP listen address (loopback)")
	httpsAddr := flag.String("https", "127.0.0.1:0", "HTTPS listen address (loopback)")
	caFile := flag.String("ca", "", "write the generated CA certificate (PEM) here")
	seedURL := flag.String("seed", "", "create the secrets at this Secrets Manager endpoint and exit")
	seedCount := flag.Int("seed-count", 50, "with -seed, how many small-N secrets to create")
	flag.Parse()
	if *seedURL != "" {
		if err := seed(*seedURL, *seedCount); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *caFile == "" {
		log.Fatal("responder: -ca FILE is required")
	}

	bodies := cannedBodies()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w, r, bodies) })

	cert, caPEM, err := newCertificate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*caFile, caPEM, 0o644); err != nil {
		log.Fatal(err)
	}
	plain, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		log.Fatal(err)
	}
	secure, err := net.Listen("tcp", *httpsAddr)
	if err != nil {
		log.Fatal(err)
	}
	// HTTP/1.1 only, the client's worst case: over HTTP/2 it could multiplex
	// every request on one connection, and the benchmark would not see the
	// cost of a TLS handshake per concurrent request.
	tlsSrv := &http.Server{
		Handler:      handler,
		TLSConfig:    &tls.Config{Certificates: []tls.Certificate{cert}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go holdConnections(silent)
	fmt.Printf("http=%s https=%s silent=%s\n", plain.Addr(), secure.Addr(), silent.Addr())
	go func() { log.Fatal(http.Serve(plain, handler)) }()
	log.Fatal(tlsSrv.ServeTLS(secure, "", ""))
}

// holdConnections accepts every connection and never reads or answers it.
func holdConnections(l net.Listener) {
	var held []net.Conn
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		held = append(held, c)
	}
}

// serve answers one awsJson1_1 GetSecretValue call from the canned bodies.
func serve(w http.ResponseWriter, r *http.Request, bodies map[string][]byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		writeError(w, http.StatusBadRequest, "InvalidAction")
		return
	}
	var req struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException")
		return
	}
	name := req.SecretId
	if i := strings.LastIndex(name, ":"); i >= 0 { // an ARN: ...:secret:NAME-AbCdEf
		name = strings.TrimSuffix(name[i+1:], "-AbCdEf")
	}
	body, ok := bodies[name]
	if !ok {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException")
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":"responder: %s"}`, code, code)
}

// seed creates small-1..small-n and big with CreateSecret. moto does not
// check signatures; it only reads the region from the Authorization header.
func seed(endpoint string, n int) error {
	secrets := map[string]string{"big": bigSecret()}
	for i := 1; i <= n; i++ {
		secrets["small-"+strconv.Itoa(i)] = smallSecret(i)
	}
	for name, text := range secrets {
		body, err := json.Marshal(map[string]string{"Name": name, "SecretString": text})
		if err != nil {
			return err
		}
		req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "secretsmanager.CreateSecret")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("CreateSecret %s: HTTP %d", name, resp.StatusCode)
		}
	}
	return nil
}

// cannedBodies encodes every response once, so a request costs a map lookup.
func cannedBodies() map[string][]byte {
	bodies := map[string][]byte{"big": response("big", bigSecret())}
	for n := 1; n <= 1000; n++ {
		name := "small-" + strconv.Itoa(n)
		bodies[name] = response(name, smallSecret(n))
	}
	return bodies
}

func response(name, secretString string) []byte {
	b, err := json.Marshal(map[string]any{
		"ARN":           "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf",
		"Name":          name,
		"SecretString":  secretString,
		"VersionId":     "00000000-0000-0000-0000-000000000001",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   1.7e9,
	})
	if err != nil {
		panic(err)
	}
	return b
}

// smallSecret is a typical small secret: five keys of short values.
func smallSecret(n int) string {
	m := map[string]string{}
	for k := 1; k <= 5; k++ {
		m[fmt.Sprintf("S%d_K%d", n, k)] = fmt.Sprintf("value-%d-%d-0123456789abcdef", n, k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// bigSecret is 2,000 keys padded to exactly 65,536 bytes, the largest
// SecretString Secrets Manager stores.
func bigSecret() string {
	const keys, size = 2000, 65536
	var sb strings.Builder
	sb.WriteByte('{')
	for i := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"BIG_%04d":"v%04d-0123456789ab"`, i, i) // 18-byte values
	}
	sb.WriteByte('}')
	s := sb.String()
	pad := size - len(s)
	if pad < 0 {
		panic("big secret over 64 KiB")
	}
	// Lengthen the last value so the text is exactly size bytes.
	return s[:len(s)-2] + strings.Repeat("x", pad) + s[len(s)-2:]
}

// newCertificate makes a CA and a loopback server certificate it signed.
func newCertificate() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "secretenv bench CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caTmpl, &leafKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}
