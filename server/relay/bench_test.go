package relay

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// BenchmarkDeliver100Senders measures relay delivery into bbolt: 100
// concurrent senders, each sending 1 KiB envelopes to its own recipient,
// every recipient online with a live subscription that drains. Each Send
// returns only once its envelope is durable (fsync). It reports envelopes
// per second and the p99 latency of a Send, which is the commit latency a
// sender sees.
//
//	go test ./server/relay -run '^$' -bench Deliver100Senders -benchtime 200000x
func BenchmarkDeliver100Senders(b *testing.B) {
	const senders = 100
	r, _ := newRelay(b, Config{Rate: -1})
	from := make([]peer, senders)
	raws := make([][]byte, senders)
	var drains sync.WaitGroup
	stop := make(chan struct{})
	for i := range from {
		from[i] = newPeer(b, fmt.Sprintf("SEND%04d", i))
		to := newPeer(b, fmt.Sprintf("RCPT%04d", i))
		// About 1 KiB: header, box overhead, type byte, body and random
		// padding of 1..255 bytes (128 on average).
		body := make([]byte, 1024-crypto.HeaderSize-16-1-128)
		for j := range body {
			body[j] = 'x'
		}
		raws[i] = from[i].seal(b, to, string(body))
		wake := make(chan struct{}, 1)
		sub, err := r.Subscribe(to.ctx, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		drains.Add(1)
		go func() {
			defer drains.Done()
			defer sub.Close()
			for {
				select {
				case <-stop:
					return
				case <-wake:
					if _, err := sub.Drain(); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}()
	}
	total := 0
	for _, raw := range raws {
		total += len(raw)
	}
	if avg := total / senders; avg < 960 || avg > 1090 {
		b.Fatalf("envelopes average %d bytes, want about 1 KiB", avg)
	}
	lat := make([][]time.Duration, senders)
	b.SetBytes(int64(total / senders))
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < senders; w++ {
		n := b.N / senders
		if w < b.N%senders {
			n++
		}
		wg.Add(1)
		go func(w, n int) {
			defer wg.Done()
			lat[w] = make([]time.Duration, 0, n)
			for i := 0; i < n; i++ {
				start := time.Now()
				if _, err := r.Send(from[w].ctx, raws[w]); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(start))
			}
		}(w, n)
	}
	wg.Wait()
	b.StopTimer()
	close(stop)
	drains.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "envelopes/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	}
}
