package store

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestParseParameterARN(t *testing.T) {
	t.Parallel()
	const prefix = "arn:aws:ssm:eu-west-1:123456789012:parameter/"
	tests := []struct {
		name    string
		in      string
		want    ParameterRef
		wantErr string
	}{
		{"hierarchical", prefix + "app/db", ParameterRef{ARN: prefix + "app/db", Region: "eu-west-1", Account: "123456789012", Name: "/app/db"}, ""},
		{"top level", prefix + "db", ParameterRef{ARN: prefix + "db", Region: "eu-west-1", Account: "123456789012", Name: "db"}, ""},
		{"deep, with _.-", prefix + "a/b-c/d_e.f", ParameterRef{ARN: prefix + "a/b-c/d_e.f", Region: "eu-west-1", Account: "123456789012", Name: "/a/b-c/d_e.f"}, ""},
		{"China partition", "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", ParameterRef{ARN: "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", Region: "cn-north-1", Account: "123456789012", Name: "x"}, ""},
		{"version selector", prefix + "db:3", ParameterRef{}, "version or label selector is not supported"},
		{"no region", "arn:aws:ssm::123456789012:parameter/db", ParameterRef{}, "region must not be empty"},
		{"bad region", "arn:aws:ssm:eu_west_1:123456789012:parameter/db", ParameterRef{}, `region "eu_west_1" is not a valid AWS region`},
		{"short account", "arn:aws:ssm:eu-west-1:1234:parameter/db", ParameterRef{}, "12 digits"},
		{"not a parameter", "arn:aws:ssm:eu-west-1:123456789012:document/db", ParameterRef{}, "is not a Parameter Store parameter"},
		{"empty name", prefix, ParameterRef{}, "empty parameter name"},
		{"bad character", prefix + "app/d$b", ParameterRef{}, `'$' is not allowed`},
		{"space", prefix + "app db", ParameterRef{}, "space or control character"},
		{"too long", prefix + strings.Repeat("a", 1012), ParameterRef{}, "Parameter Store allows 1011"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseParameterARN(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseParameterARN(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseParameterARN(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseParameterPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, wantErr string
	}{
		{"ssm:/myapp/prod", "/myapp/prod", ""},
		{"ssm:/myapp/prod/", "/myapp/prod", ""},
		{"ssm:/", "/", ""},
		{"ssm:myapp/prod", "", "must be absolute"},
		{"ssm:", "", "must be absolute"},
		{"ssm:/a//b", "", "empty segment"},
		{"ssm:/a b", "", "space or control character"},
		{"ssm:/a*b", "", `'*' is not allowed`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseParameterPath(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseParameterPath(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseParameterPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestPathVars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  map[string]string
		want    map[string]string
		wantErr string
	}{
		{"chamber naming", map[string]string{"/svc/db-url": "u", "/svc/Api_Key": "k", "/svc/port": "1"}, map[string]string{"DB_URL": "u", "API_KEY": "k", "PORT": "1"}, ""},
		{"dot in a name", map[string]string{"/svc/db.url": "u"}, nil, `parameter /svc/db.url would set "DB.URL"`},
		{"leading digit", map[string]string{"/svc/1key": "u"}, nil, `"1KEY", which is not a valid variable name`},
		{"two names, one key", map[string]string{"/svc/db-url": "a", "/svc/db_url": "b"}, nil, "parameters /svc/db-url and /svc/db_url both set DB_URL"},
		{"nothing under the path", map[string]string{}, nil, "no parameters directly under /svc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PathVars("/svc", tc.params)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				for _, v := range tc.params {
					if strings.Contains(err.Error(), "\""+v+"\"") {
						t.Errorf("error %q quotes a value", err)
					}
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Fatalf("pathVars = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestDescribeOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, want string }{
		{"myapp/prod", "secret myapp/prod"},
		{"ssm:/myapp/prod", "parameters under /myapp/prod"},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/db", "parameter arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", "secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"},
	}
	for _, tc := range tests {
		if got := DescribeOrigin(tc.id); got != tc.want {
			t.Errorf("describeOrigin(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestRequestName(t *testing.T) {
	t.Parallel()
	ref, err := ParseParameterARN("arn:aws:ssm:eu-west-1:123456789012:parameter/app/db")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ account, want string }{
		{"123456789012", "/app/db"}, // the caller's own: by name
		{"210987654321", ref.ARN},   // shared from another account: AWS needs the ARN
		{"", ref.ARN},               // unknown: the ARN is right in both cases
	}
	for _, tc := range tests {
		if got := requestName(ref, tc.account); got != tc.want {
			t.Errorf("requestName(account %q) = %q, want %q", tc.account, got, tc.want)
		}
	}
}

// TestPlanBatches checks that references are grouped by region in the order
// given, at most 10 to a GetParameters call, with one job per path.
func TestPlanBatches(t *testing.T) {
	t.Parallel()
	var refs []ParameterRef
	for i := range 25 {
		refs = append(refs, ParameterRef{ARN: fmt.Sprint("e", i), Region: "us-east-1"})
	}
	refs = append(refs, ParameterRef{ARN: "w", Region: "us-west-2"})
	p := &ParameterStore{cfg: aws.Config{Region: "eu-west-1"}}
	jobs, err := p.plan(refs, []string{"/a", "/b"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		if j.path != "" {
			got = append(got, j.region+" path "+j.path)
		} else {
			got = append(got, fmt.Sprintf("%s %d from %s", j.region, len(j.refs), j.refs[0].ARN))
		}
	}
	want := []string{"us-east-1 10 from e0", "us-east-1 10 from e10", "us-east-1 5 from e20", "us-west-2 1 from w", "eu-west-1 path /a", "eu-west-1 path /b"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("plan =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := (&ParameterStore{}).plan(nil, []string{"/a"}); err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Errorf("a path without a region: error = %v", err)
	}
}
