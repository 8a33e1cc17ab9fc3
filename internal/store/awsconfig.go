package store

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
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

// imdsBudget bounds each request to the EC2 instance metadata service (IMDS),
// the last source of the SDK's credential chain. On EC2 it answers in
// milliseconds (the SDK itself allows it 250 ms to connect and 500 ms to
// answer); on a laptop or CI runner with no credentials, its address often
// leads nowhere, and without this bound the SDK tries for its own default of
// 5 s, because its credential cache hides secretenv's deadline from the
// lookup. The provider's first call (session token, then role name) fails
// within the budget and it makes no other, so a missing IMDS costs about 1 s
// in all (TestInstanceMetadata; bench/RESULTS.md).
const imdsBudget = time.Second

// boundedIMDS is the IMDS client of the SDK's EC2 role credential provider:
// the SDK's own client, built from the loaded configuration (so that
// AWS_EC2_METADATA_* and the profile's ec2_metadata_* settings still apply),
// with each call bounded by imdsBudget.
type boundedIMDS struct {
	// cfg is set once config.LoadDefaultConfig has returned, before any
	// credentials are retrieved.
	cfg aws.Config

	once   sync.Once
	client *imds.Client
}

func (b *boundedIMDS) GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error) {
	b.once.Do(func() { b.client = imds.NewFromConfig(b.cfg) })
	ctx, cancel := context.WithTimeout(ctx, imdsBudget)
	defer cancel() // GetMetadata has read the whole answer before it returns
	return b.client.GetMetadata(ctx, in, optFns...)
}
