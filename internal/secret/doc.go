// Package secret says what a secret's text means: Parse reads it as the
// flat JSON object whose keys become variables (the entrypoint's rules),
// and Document keeps each value's JSON text as written, for edit and put to
// write back. It is pure: no I/O, no AWS. No error built here holds a value
// or quotes input: Go's JSON errors quote input bytes, so they are replaced
// by positions (Parse) or lines (ParseDocument), and values are only ever
// named by their key.
package secret
