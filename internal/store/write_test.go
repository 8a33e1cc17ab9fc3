package store

import (
	"regexp"
	"testing"
)

func TestNewRequestToken(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, _ := newRequestToken()
	b, _ := newRequestToken()
	if !uuid.MatchString(a) || a == b {
		t.Errorf("tokens %q, %q: want two distinct version 4 UUIDs", a, b)
	}
}
