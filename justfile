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

# Fuzz every FuzzXxx target for FUZZTIME each (default 10m); KEEP=1 copies
# what each run found into the package's testdata/fuzz, replayed by go test.
fuzz FUZZTIME="10m":
    scripts/fuzz {{FUZZTIME}}

# The performance figures: relay throughput, store throughput, idle sessions.
bench:
    go test ./server/relay -run '^$' -bench Deliver100Senders -benchtime 200000x
    go test ./store -run '^$' -bench AppendMailbox100 -benchtime 200000x
    go test ./server/hosted -run '^$' -bench GroupFanout1250 -benchtime 20x
    go test ./tui/chat -run '^$' -bench TenThousand -benchtime 200x
    go test ./cmd/parley/e2e -run '^$' -bench IdleSessions -benchtime 1x

# Lint with the pinned golangci-lint (a tool of tools/go.mod, kept out of the
# product's module graph; it reads .golangci.yml at the root).
lint:
    go vet ./...
    go tool -modfile=tools/go.mod golangci-lint run ./...
