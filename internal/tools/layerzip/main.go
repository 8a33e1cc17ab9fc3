// Command layerzip writes an AWS Lambda layer zip that is the same bytes
// on every build: entries sorted by name, each file mode 0755 and every
// timestamp fixed at 1980-01-01 00:00:00 UTC (the zip format's earliest),
// so that SHA256SUMS can cover the layers and `make reproducible` check them.
// zip(1) would stamp the files' own mtimes.
//
//	go run ./internal/tools/layerzip -o dist/secretenv-lambda-layer-amd64.zip bin/secretenv=dist/secretenv-linux-amd64
//
// Lambda unpacks a layer under /opt, so bin/secretenv becomes
// /opt/bin/secretenv.
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// fixedTime is every entry's timestamp.
var fixedTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("o", "", "the zip file to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: layerzip -o OUT.zip NAME=FILE...")
		os.Exit(2)
	}
	if err := write(*out, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "layerzip: %v\n", err)
		os.Exit(1)
	}
}

// write zips each NAME=FILE pair into out, with the directories of the
// names as entries of their own so that unzip creates them mode 0755.
func write(out string, pairs []string) error {
	files := map[string]string{}
	dirs := map[string]bool{}
	for _, p := range pairs {
		name, file, ok := strings.Cut(p, "=")
		if !ok || name == "" || file == "" {
			return fmt.Errorf("%q is not NAME=FILE", p)
		}
		files[name] = file
		for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	names := make([]string, 0, len(files)+len(dirs))
	for n := range files {
		names = append(names, n)
	}
	for d := range dirs {
		names = append(names, d)
	}
	slices.Sort(names)

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: fixedTime}
		if strings.HasSuffix(n, "/") {
			h.Method = zip.Store
			h.SetMode(os.ModeDir | 0o755)
		} else {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if file, ok := files[n]; ok {
			src, err := os.Open(file)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, src)
			src.Close()
			if err != nil {
				return err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
