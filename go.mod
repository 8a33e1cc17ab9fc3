module github.com/secretenv/secretenv

go 1.26.0

require (
	github.com/aws/aws-sdk-go-v2 v1.48.0
	github.com/aws/aws-sdk-go-v2/config v1.33.18
	github.com/aws/aws-sdk-go-v2/credentials v1.21.0
	github.com/aws/aws-sdk-go-v2/feature/ec2/imds v1.20.9
	github.com/aws/aws-sdk-go-v2/service/secretsmanager v1.49.0 // pinned: v1.50.0+ (schema serde) costs +0.35M instructions and +130 KB per start
	github.com/aws/aws-sdk-go-v2/service/ssm v1.79.3 // pinned: v1.80.0+ (schema serde) costs +4M instructions and +1 MB per start
	github.com/aws/aws-sdk-go-v2/service/sts v1.52.0 // caller identity after an access denial; already linked through config
	github.com/aws/smithy-go v1.28.9
	golang.org/x/sys v0.50.0
)

// Test only (internal/dotenv/compose_test.go): put reads .env as Compose
// reads it, checked against Compose's own reader; not linked into the binary.
// v2.17 needs Go 1.26.11.
require github.com/compose-spec/compose-go/v2 v2.16.2

require (
	github.com/aws/aws-sdk-go-v2/internal/configsources v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/endpoints/v2 v2.8.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/v4a v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/accept-encoding v1.13.25 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/presigned-url v1.14.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/signin v1.13.1 // indirect
	github.com/aws/aws-sdk-go-v2/service/sso v1.39.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/ssooidc v1.44.5 // indirect
	github.com/sirupsen/logrus v1.10.1 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
)
