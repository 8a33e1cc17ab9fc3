package store

import (
	"strings"
	"testing"
)

func TestEndpointProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, want string
	}{
		{"http", "http://127.0.0.1:4566", ""},
		{"https with a path", "https://vpce-1.secretsmanager.eu-west-1.vpce.amazonaws.com/x", ""},
		{"IPv6", "http://[::1]:4566", ""},
		{"no scheme", "127.0.0.1:57785", "has no scheme"},
		{"not a url", "not a url", "has no scheme"},
		{"unclosed IPv6 bracket", "http://[::1", "is not a valid URL (missing ']' in host)"},
		{"space in host", "http://a b", "is not a valid URL"},
		{"other scheme", "ftp://x", `has scheme "ftp", not http or https`},
		{"no host", "http://", "has no host"},
		{"port only", "http://:4566", "has no host"},
		{"port out of range", "http://localhost:99999", "has port 99999, beyond 65535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := endpointProblem(tc.url)
			if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
				t.Errorf("endpointProblem(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	tests := []struct {
		name     string
		endpoint *string
		environ  []string
		want     string // "" for no error
	}{
		{"none", nil, nil, ""},
		{"valid", str("http://127.0.0.1:1"), []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:1"}, ""},
		{"service variable", str("localhost:1"), []string{"AWS_ENDPOINT_URL=http://x", "AWS_ENDPOINT_URL_SECRETS_MANAGER=localhost:1"},
			`AWS_ENDPOINT_URL_SECRETS_MANAGER="localhost:1" has no scheme; write it as http://HOST:PORT or https://HOST`},
		{"global variable", str("localhost:1"), []string{"AWS_ENDPOINT_URL=localhost:1"}, `AWS_ENDPOINT_URL="localhost:1" has no scheme`},
		{"config file", str("localhost:1"), nil, `endpoint_url for Secrets Manager in the AWS shared config file ("localhost:1") has no scheme`},
		{"user and password not shown", str("http://u:pw@[::1"), []string{"AWS_ENDPOINT_URL=http://u:pw@[::1"}, "AWS_ENDPOINT_URL is not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkEndpoint("Secrets Manager", tc.endpoint, tc.environ)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("checkEndpoint = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("checkEndpoint = %v, want %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "pw"):
				t.Errorf("checkEndpoint shows the password: %v", err)
			}
		})
	}
}

func TestValidRegion(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]bool{
		"us-east-1": true, "eu-west-1": true, "us-gov-west-1": true, "cn-north-1": true,
		"fips-us-east-1": true, "us-east-1-fips": true, "local": true, "a.b": true,
		"": false, "us east": false, "us_east/1": false, "us_east": false, "-us": false, "us-": false,
		"a..b": false, "eu-west-1.": false, strings.Repeat("a", 64): false, "é": false,
	} {
		if got := validRegion(region); got != want {
			t.Errorf("validRegion(%q) = %v, want %v", region, got, want)
		}
	}
}

func TestRegionSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, region string
		environ      []string
		want         string
	}{
		{"flag", "x y", []string{"AWS_REGION=us-east-1"}, "--region"},
		{"AWS_REGION", "x y", []string{"AWS_REGION=x y", "AWS_DEFAULT_REGION=x y"}, "AWS_REGION"},
		{"AWS_DEFAULT_REGION", "x y", []string{"AWS_DEFAULT_REGION=x y"}, "AWS_DEFAULT_REGION"},
		{"flag equal to AWS_DEFAULT_REGION but AWS_REGION set", "x y", []string{"AWS_REGION=a", "AWS_DEFAULT_REGION=x y"}, "--region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := regionSource(tc.region, tc.environ); got != tc.want {
				t.Errorf("regionSource = %q, want %q", got, tc.want)
			}
		})
	}
}
