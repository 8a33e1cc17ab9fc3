package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// exportFormats are the formats of secretenv export.
var exportFormats = map[string]bool{"dotenv": true, "env-file": true, "shell": true, "json": true}

// writeExport prints the variables secretenv sets, sorted by name, in format.
func writeExport(w io.Writer, res mergeResult, format string) error {
	names := sortedKeys(res.Set)
	vals := make(map[string]string, len(names))
	for _, kv := range res.Env {
		name, value, _ := strings.Cut(kv, "=")
		if _, ok := res.Set[name]; ok {
			vals[name] = value
		}
	}
	var b strings.Builder
	switch format {
	case "json":
		out, err := json.MarshalIndent(vals, "", "  ")
		if err != nil {
			return err
		}
		b.Write(out)
		b.WriteByte('\n')
	default:
		for _, name := range names {
			fmt.Fprintf(&b, "%s=%s\n", name, vals[name])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCheck prints the names secretenv would set and where each came from.
func writeCheck(w io.Writer, res mergeResult) error {
	var b strings.Builder
	for _, name := range sortedKeys(res.Set) {
		fmt.Fprintf(&b, "%s\tfrom %s\n", name, res.Set[name].Secret)
	}
	for _, name := range res.Skipped {
		fmt.Fprintf(&b, "%s\tkept from the environment (also in %s)\n", name, res.Kept[name])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
