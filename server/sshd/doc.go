// Package sshd is Parley's SSH front. One port serves everything: an
// interactive session with a terminal gets the chat UI; an exec request
// (`ssh host <command>`) runs a command from a tree built for that session;
// a key that is not enrolled gets told how to enrol.
//
// Authentication accepts any public key and remembers nothing about it: who
// the caller is comes only from the key that completed authentication, looked
// up afresh in a middleware for every session. Rules live in the services;
// this package translates SSH into service calls and service errors into
// short messages and exit statuses.
package sshd
