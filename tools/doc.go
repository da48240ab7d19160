// Package tools pins the developer tools CI runs, in a module of their own
// so that their dependencies stay out of Parley's: `go -C tools tool
// govulncheck -C .. ./...` checks Parley's dependencies for known
// vulnerabilities.
package tools
