// Package keys decides which keys a secret may set in an environment: what
// a variable name is, the deny list of names that make programs load code
// (with --allow-key as the way past it), and the declared set of
// --only-key. It is pure: no AWS, no network, no processes. No error built
// here holds a value; a key that is not a variable name may be a misplaced
// value, so it is shown only through Quote, shortened.
package keys
