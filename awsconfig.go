package main

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// inMemoryBody is the HTTP client every SDK client built from secretenv's
// aws.Config uses: it hands net/http each request body as an in-memory
// reader of its own.
//
// Why: smithy-go sends a body wrapped in a reader whose WriteTo returns
// io.EOF once closed, and it closes that reader as soon as the response
// headers arrive. net/http's writeLoop, after sending the body, reads it once
// more to check for bytes beyond Content-Length; when the server's answer
// comes first, that read returns the io.EOF as a write error and the
// writeLoop closes the connection under the response still being read. The
// reader of a large answer then fails with "use of closed network
// connection" ("deserialization failed", aws-sdk-go-v2 issues #1825, #2737,
// #2935), and the retry waits a backoff of up to 100 ms. Against
// bench/responder, 300 starts with a 64 KiB secret saw the writeLoop close
// the connection in 55 and needed a second attempt in 3 to 5; with this
// client, none and none. A bytes.Reader is also a body net/http knows, so it
// sends headers and body in one write.
type inMemoryBody struct{ aws.HTTPClient }

// newHTTPClient wraps the configuration's HTTP client, or the SDK's default
// one when the configuration has none (no AWS_CA_BUNDLE).
func newHTTPClient(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	return inMemoryBody{c}
}

// maxInMemoryBody bounds the bodies copied: Secrets Manager and SSM requests
// are a few hundred bytes; anything larger is passed through as it is.
const maxInMemoryBody = 1 << 20

func (c inMemoryBody) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength <= 0 || req.ContentLength > maxInMemoryBody {
		return c.HTTPClient.Do(req)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, req.ContentLength))
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c.HTTPClient.Do(req)
}
