// Package store is secretenv's AWS side: Secrets Manager (SecretStore) and
// Parameter Store (ParameterStore) under one AWS configuration, the ids and
// ARNs that name what to fetch (SecretVersion, ParameterRef, ssm: paths),
// and the reads and writes of list, edit, put and --watch. It is the only
// package that imports the AWS SDK. Every request runs under the caller's
// context deadline, retried until it; every failure becomes one line naming
// the subject, the AWS error code or network error and what to do, and
// never the SDK's own message, which can quote a request or response body.
// It knows nothing of flags: settings come in a Config.
package store
