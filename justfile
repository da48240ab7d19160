# Parley's developer tasks. `just --list` shows them.

# Run the server with the embedded defaults (data in ./data).
run *ARGS:
    go run ./cmd/parley serve {{ARGS}}

# Every test, with the race detector (e2e tests need ssh and tmux).
test:
    go test -race ./...

# Only the end-to-end tests against the real binary over real SSH.
e2e:
    go test -race -count=1 ./cmd/parley/e2e/

# Kill the server with SIGKILL while clients send, ROUNDS times (CI runs 5),
# and check that every acknowledged message arrives exactly once.
soak ROUNDS="50":
    PARLEY_SOAK_ROUNDS={{ROUNDS}} go test -race -count=1 -timeout 60m -run '^TestDurabilitySoak$' -v ./cmd/parley/e2e/

# Check the dependencies for known vulnerabilities (as CI does).
vulncheck:
    go -C tools tool govulncheck -C .. ./...

# Rewrite the golden screens of the chat UI after an intended change.
golden:
    go test ./tui/chat/ -run TestGolden -update

# Fuzz every parser for a while each (FUZZTIME, default 30s).
fuzz FUZZTIME="30s":
    go test ./crypto -run '^$' -fuzz '^FuzzParseEnvelope$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzUnpad$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseReceipt$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseID$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseGroup$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseGroupName$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseQuoteText$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseLocation$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParsePollSetup$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParsePollVote$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseFileMessage$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzSafeFileName$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseReaction$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseEdit$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzParseDelete$' -fuzztime {{FUZZTIME}}
    go test ./crypto -run '^$' -fuzz '^FuzzDecryptBlob$' -fuzztime {{FUZZTIME}}
    go test ./server/directory -run '^$' -fuzz '^FuzzNormalizeCode$' -fuzztime {{FUZZTIME}}
    go test ./server/directory -run '^$' -fuzz '^FuzzNormalizeEmail$' -fuzztime {{FUZZTIME}}
    go test ./server/directory -run '^$' -fuzz '^FuzzParseQuery$' -fuzztime {{FUZZTIME}}
    go test ./server/sshd -run '^$' -fuzz '^FuzzReadSecret$' -fuzztime {{FUZZTIME}}
    go test ./server/sshd -run '^$' -fuzz '^FuzzParseUploadTarget$' -fuzztime {{FUZZTIME}}
    go test ./server/sshd -run '^$' -fuzz '^FuzzParseInboxPath$' -fuzztime {{FUZZTIME}}
    go test ./server/sshd -run '^$' -fuzz '^FuzzClampPtyRequest$' -fuzztime {{FUZZTIME}}
    go test ./tui/term -run '^$' -fuzz '^FuzzInput$' -fuzztime {{FUZZTIME}}
    go test ./tui/chat -run '^$' -fuzz '^FuzzClean$' -fuzztime {{FUZZTIME}}
    go test ./tui/chat -run '^$' -fuzz '^FuzzNotifyText$' -fuzztime {{FUZZTIME}}
    go test ./tui/chat -run '^$' -fuzz '^FuzzSnippet$' -fuzztime {{FUZZTIME}}
    go test ./tui/chat -run '^$' -fuzz '^FuzzLocalCommand$' -fuzztime {{FUZZTIME}}
    go test ./tui/chat -run '^$' -fuzz '^FuzzMarkup$' -fuzztime {{FUZZTIME}}
    go test ./tui/core -run '^$' -fuzz '^FuzzIncoming$' -fuzztime {{FUZZTIME}}
    go test ./tui/core -run '^$' -fuzz '^FuzzParseFingerprint$' -fuzztime {{FUZZTIME}}
    go test ./tui/core -run '^$' -fuzz '^FuzzValidPIN$' -fuzztime {{FUZZTIME}}
    go test ./server/admin -run '^$' -fuzz '^FuzzAdminKey$' -fuzztime {{FUZZTIME}}
    go test ./server/csvcell -run '^$' -fuzz '^FuzzGuardRoundTrips$' -fuzztime {{FUZZTIME}}
    go test ./server/groups -run '^$' -fuzz '^FuzzNormalizeName$' -fuzztime {{FUZZTIME}}
    go test ./server/relay -run '^$' -fuzz '^FuzzParseBatch$' -fuzztime {{FUZZTIME}}

# The performance figures: relay throughput, store throughput, idle sessions.
bench:
    go test ./server/relay -run '^$' -bench Deliver100Senders -benchtime 200000x
    go test ./store -run '^$' -bench AppendMailbox100 -benchtime 200000x
    go test ./server/hosted -run '^$' -bench GroupFanout1250 -benchtime 20x
    go test ./tui/chat -run '^$' -bench TenThousand -benchtime 200x
    go test ./cmd/parley/e2e -run '^$' -bench IdleSessions -benchtime 1x

# Lint with the pinned golangci-lint (go.mod tool).
lint:
    go vet ./...
    go tool golangci-lint run ./...
