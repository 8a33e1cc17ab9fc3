package store

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/secretenv/secretenv/internal/keys"
)

// Parameter Store sources, as ECS and chamber name them:
//
//	arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME   a reference, in a variable's value
//	ssm:/PATH                                          a SECRET_ID entry: every parameter directly under PATH
//
// A parameter name is letters, digits and _.-/ (SSM's own rule), so an ARN's
// fields split on ':' unambiguously, and "ssm:" cannot begin a Secrets
// Manager name, which has no ':'.

// maxParameterNameLen is SSM's limit on a fully qualified parameter name
// (1,011 characters), which a path is a prefix of.
const maxParameterNameLen = 1011

// pathPrefix marks a SECRET_ID entry that is a Parameter Store path.
const PathPrefix = "ssm:"

// ParameterRef is one parameter named by an ARN. It is comparable, so that
// twenty variables naming one parameter share one slot in a request.
type ParameterRef struct {
	ARN     string // as the user wrote it
	Region  string // from the ARN
	Account string // from the ARN
	Name    string // "/app/db" for ...:parameter/app/db, "db" for ...:parameter/db
}

// IsParameterARN reports whether a value is a Parameter Store ARN to be
// resolved: the whole value must start with arn:PARTITION:ssm:.
func IsParameterARN(value string) bool {
	for _, p := range partitions {
		if strings.HasPrefix(value, "arn:"+p+":ssm:") {
			return true
		}
	}
	return false
}

// IsWellFormedParameterARN reports whether s is a parameter ARN that
// ParseParameterARN accepts.
func IsWellFormedParameterARN(s string) bool {
	if !IsParameterARN(s) {
		return false
	}
	_, err := ParseParameterARN(s)
	return err == nil
}

// ParseParameterARN parses a reference to one parameter. A hierarchical
// name keeps its leading '/', which the ARN drops (parameter/app/db is
// /app/db); a name without '/' is a top-level name as it is.
func ParseParameterARN(s string) (ParameterRef, error) {
	if err := checkIDText(s); err != nil {
		return ParameterRef{}, err
	}
	f := strings.Split(s, ":")
	const shape = "arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME"
	switch {
	case len(f) != 6:
		return ParameterRef{}, fmt.Errorf("malformed parameter ARN %q; expected %s (a version or label selector is not supported)", s, shape)
	case f[1] == "" || f[3] == "":
		return ParameterRef{}, fmt.Errorf("malformed parameter ARN %q: partition and region must not be empty", s)
	case !validRegion(f[3]):
		return ParameterRef{}, fmt.Errorf("malformed parameter ARN %q: region %q is not a valid AWS region", s, f[3])
	case !isAccountID(f[4]):
		return ParameterRef{}, fmt.Errorf("malformed parameter ARN %q: the account must be 12 digits", s)
	case !strings.HasPrefix(f[5], "parameter/"):
		return ParameterRef{}, fmt.Errorf("ARN %q is not a Parameter Store parameter; expected %s", s, shape)
	}
	name := strings.TrimPrefix(f[5], "parameter/")
	if strings.Contains(name, "/") {
		name = "/" + name
	}
	if err := checkParameterName(name); err != nil {
		return ParameterRef{}, fmt.Errorf("parameter ARN %q: %w", s, err)
	}
	return ParameterRef{ARN: s, Region: f[3], Account: f[4], Name: name}, nil
}

// ParseParameterPath parses a SECRET_ID entry "ssm:/PATH" and returns the
// path, without a trailing '/' unless it is the root.
func ParseParameterPath(s string) (string, error) {
	if err := checkIDText(s); err != nil {
		return "", err
	}
	path := strings.TrimPrefix(s, PathPrefix)
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("%s: a Parameter Store path must be absolute, as in ssm:/myapp/prod", s)
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if strings.Contains(path, "//") {
		return "", fmt.Errorf("%s: the path has an empty segment (//)", s)
	}
	if err := checkParameterName(path); err != nil {
		return "", fmt.Errorf("%s: %w", s, err)
	}
	return path, nil
}

// checkParameterName applies SSM's naming rule: 1 to 1,011 of a-z, A-Z,
// 0-9 and _.-/, so that a typo fails here, by name, before any request.
func checkParameterName(name string) error {
	if name == "" {
		return fmt.Errorf("empty parameter name")
	}
	if len(name) > maxParameterNameLen {
		return fmt.Errorf("name is %d characters; Parameter Store allows %d", len(name), maxParameterNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-', c == '/':
		default:
			return fmt.Errorf("%q is not allowed in a parameter name (letters, digits and _.-/ are)", c)
		}
	}
	return nil
}

// parameterKey is the variable a path source sets for a parameter, as
// chamber names it: the last path segment, upper-cased, '-' turned into '_'
// (/myapp/prod/db-url sets DB_URL).
func parameterKey(name string) string {
	seg := name[strings.LastIndexByte(name, '/')+1:]
	return strings.ToUpper(strings.ReplaceAll(seg, "-", "_"))
}

// PathVars turns the parameters found directly under path (name -> value)
// into variables. A name that does not make a valid variable name, and two
// names that make the same one, are errors naming the parameters.
func PathVars(path string, params map[string]string) (map[string]string, error) {
	vars := make(map[string]string, len(params))
	from := make(map[string]string, len(params))
	for _, name := range slices.Sorted(maps.Keys(params)) {
		key := parameterKey(name)
		if !keys.Valid(key) {
			return nil, fmt.Errorf("parameter %s would set %s, which is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*); rename the parameter", name, keys.QuoteName(key))
		}
		if other, dup := from[key]; dup {
			return nil, fmt.Errorf("parameters %s and %s both set %s; delete or rename one", other, name, key)
		}
		vars[key], from[key] = params[name], name
	}
	if len(vars) == 0 {
		return nil, fmt.Errorf("no parameters directly under %s (deeper levels are not loaded); check the path and the region", path)
	}
	return vars, nil
}

// DescribeOrigin names where a layer's or a reference's values come from,
// for check and --verbose: "secret ID", "parameters under /PATH" or
// "parameter ARN".
func DescribeOrigin(id string) string {
	switch {
	case strings.HasPrefix(id, PathPrefix):
		return "parameters under " + strings.TrimPrefix(id, PathPrefix)
	case IsParameterARN(id):
		return "parameter " + id
	}
	return "secret " + id
}
