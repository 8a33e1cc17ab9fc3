// Command sbom writes an SPDX 2.3 JSON software bill of materials for a Go
// binary, from the build information the Go linker embeds in it: the main
// module, every dependency module with its version and go.sum hash, and the
// Go standard library's version. It reads nothing else, so the SBOM
// describes exactly what was linked, and it is reproducible: the same binary
// and SOURCE_DATE_EPOCH give the same bytes.
//
//	go run ./internal/tools/sbom -version v1.2.3 dist/secretenv-linux-amd64 > dist/secretenv-linux-amd64.spdx.json
//
// It is the standard library only, so that release builds need no tool
// beyond the Go toolchain.
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

func main() {
	version := flag.String("version", "", "the version the binary was stamped with")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sbom [-version V] BINARY > BINARY.spdx.json")
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *version, os.Getenv("SOURCE_DATE_EPOCH"), os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "sbom: %v\n", err)
		os.Exit(1)
	}
}

// The SPDX 2.3 JSON fields this tool writes (spdx.github.io/spdx-spec/v2.3).
type document struct {
	SPDXVersion       string         `json:"spdxVersion"`
	DataLicense       string         `json:"dataLicense"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	CreationInfo      creationInfo   `json:"creationInfo"`
	Packages          []pkg          `json:"packages"`
	Relationships     []relationship `json:"relationships"`
}

type creationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
	Comment  string   `json:"comment,omitempty"`
}

type pkg struct {
	Name             string        `json:"name"`
	SPDXID           string        `json:"SPDXID"`
	VersionInfo      string        `json:"versionInfo"`
	DownloadLocation string        `json:"downloadLocation"`
	FilesAnalyzed    bool          `json:"filesAnalyzed"`
	Checksums        []checksum    `json:"checksums,omitempty"`
	LicenseConcluded string        `json:"licenseConcluded"`
	LicenseDeclared  string        `json:"licenseDeclared"`
	CopyrightText    string        `json:"copyrightText"`
	ExternalRefs     []externalRef `json:"externalRefs,omitempty"`
	Comment          string        `json:"comment,omitempty"`
}

type checksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type externalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// run writes the SBOM of the binary at path to w. epoch is
// SOURCE_DATE_EPOCH: the document's creation time, so that a rebuild of the
// same commit gives the same bytes; unset means 1970-01-01.
func run(path, version, epoch string, w io.Writer) error {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: reading its Go build information: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	created := time.Unix(0, 0).UTC()
	if epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", epoch)
		}
		created = time.Unix(secs, 0).UTC()
	}
	if version == "" {
		version = bi.Main.Version
	}
	name := filepath.Base(path)

	main := pkg{
		Name: bi.Main.Path, SPDXID: "SPDXRef-Package-main", VersionInfo: version,
		DownloadLocation: "NOASSERTION",
		// The binary's own hash: the package is this file.
		Checksums:    []checksum{{"SHA256", hex.EncodeToString(sum[:])}},
		ExternalRefs: purl(bi.Main.Path, version),
		Comment:      "the binary " + name + "; build settings: " + settings(bi.Settings),
	}
	std := pkg{
		Name: "stdlib", SPDXID: "SPDXRef-Package-stdlib", VersionInfo: bi.GoVersion,
		DownloadLocation: "https://go.dev/dl/",
		ExternalRefs:     purl("stdlib", bi.GoVersion),
	}
	doc := document{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name: name + "-" + version,
		// A namespace must be unique per document: the binary's hash is.
		DocumentNamespace: "https://" + bi.Main.Path + "/spdx/" + name + "-" + version + "-" + hex.EncodeToString(sum[:]),
		CreationInfo: creationInfo{
			Created:  created.Format(time.RFC3339),
			Creators: []string{"Tool: secretenv-sbom (debug/buildinfo)"},
			Comment:  "Every module linked into " + name + ", from the build information in the binary.",
		},
		Packages: []pkg{main, std},
		Relationships: []relationship{
			{"SPDXRef-DOCUMENT", "DESCRIBES", main.SPDXID},
			{main.SPDXID, "DEPENDS_ON", std.SPDXID},
		},
	}
	for i, dep := range bi.Deps {
		m := dep
		comment := ""
		if dep.Replace != nil {
			m = dep.Replace
			comment = "replaces " + dep.Path + " " + dep.Version
		}
		p := pkg{
			Name: m.Path, SPDXID: fmt.Sprintf("SPDXRef-Package-%d-%s", i, spdxIDChars.ReplaceAllString(m.Path, "-")),
			VersionInfo:      m.Version,
			DownloadLocation: "https://proxy.golang.org/" + m.Path + "/@v/" + m.Version + ".zip",
			ExternalRefs:     purl(m.Path, m.Version),
			Comment:          comment,
		}
		// go.sum's h1: hash is the SHA-256 of the module's file tree
		// (golang.org/x/mod/sumdb/dirhash); SPDX wants it in hex.
		if h, ok := strings.CutPrefix(m.Sum, "h1:"); ok {
			if raw, err := base64.StdEncoding.DecodeString(h); err == nil {
				p.Checksums = []checksum{{"SHA256", hex.EncodeToString(raw)}}
				p.Comment = strings.TrimPrefix(p.Comment+"; go.sum "+m.Sum, "; ")
			}
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, relationship{main.SPDXID, "DEPENDS_ON", p.SPDXID})
	}
	for i := range doc.Packages {
		p := &doc.Packages[i]
		p.LicenseConcluded, p.LicenseDeclared, p.CopyrightText = "NOASSERTION", "NOASSERTION", "NOASSERTION"
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// spdxIDChars are the characters an SPDXID may not hold.
var spdxIDChars = regexp.MustCompile(`[^A-Za-z0-9.-]`)

// purl is a package URL reference (github.com/package-url/purl-spec),
// which vulnerability scanners match on.
func purl(path, version string) []externalRef {
	return []externalRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + path + "@" + version}}
}

// settings renders the build settings as KEY=VALUE words.
func settings(s []debug.BuildSetting) string {
	words := make([]string, len(s))
	for i, kv := range s {
		words[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(words, " ")
}
