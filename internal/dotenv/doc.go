// Package dotenv reads and writes .env text by Docker Compose's rules, so
// that what export writes, put and diff read back exactly; and it reads the
// local files of variables that put, diff and the key templates take (a
// .env file, or a JSON object like a secret). It is pure: files, but no
// AWS, no network, no processes. Errors name the file, the line and the
// key, never a value.
package dotenv
