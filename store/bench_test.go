package store

import (
	"fmt"

	"github.com/parley-chat/parley/crypto"

	"sort"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppendMailbox100 measures durable 1 KiB mailbox appends from 100
// concurrent writers through the commit loop (one fsync per batch).
//
//	go test ./store -run '^$' -bench AppendMailbox100 -benchtime 200000x
func BenchmarkAppendMailbox100(b *testing.B) {
	s, _ := openTest(b)
	const writers = 100
	env := make([]byte, 1024)
	// Each writer sends to its own recipient, so appends land across the
	// key space as in real traffic.
	rcpts := make([]crypto.ID, writers)
	for i := range rcpts {
		rcpts[i] = id(b, fmt.Sprintf("RCPT%04d", i))
	}
	lat := make([][]time.Duration, writers)
	b.SetBytes(int64(len(env)))
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		n := b.N / writers
		if w < b.N%writers {
			n++
		}
		wg.Add(1)
		go func(w, n int) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				start := time.Now()
				err := s.Update(ctx, func(tx Tx) error {
					_, err := tx.AppendMailbox(rcpts[w], start, env)
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(start))
			}
		}(w, n)
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	}
}
