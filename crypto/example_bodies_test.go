package crypto_test

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/parley-chat/parley/crypto"
)

// These examples are the worked examples of docs/protocol.md.

var exampleMsg = crypto.MessageID{0x3f, 0x1c, 0x9a, 0x07, 0xd2, 0x55, 0xe8, 0x41}

func ExampleMarshalGroup() {
	text, _ := crypto.TextBody("Standup moved to 9:30")
	typ, _ := crypto.GroupType(crypto.TypeText)
	body, _ := crypto.MarshalGroup(crypto.GroupHeader{Key: "5e0c2a91d4b7f368"}, text)
	fmt.Printf("type %#x\n%s", byte(typ), hex.Dump(body))
	// Output:
	// type 0x41
	// 00000000  5e 0c 2a 91 d4 b7 f3 68  53 74 61 6e 64 75 70 20  |^.*....hStandup |
	// 00000010  6d 6f 76 65 64 20 74 6f  20 39 3a 33 30           |moved to 9:30|
}

func ExampleMarshalQuoteText() {
	fmt.Printf("%q\n", crypto.MarshalQuoteText(exampleMsg, "Works for me."))
	// Output:
	// "> quote #3f1c9a07d255e841\n\nWorks for me."
}

func ExampleMarshalLocation() {
	b, _ := crypto.MarshalLocation(crypto.Location{Lat: 47.378177, Lon: 8.540192, Label: "Zürich HB, Meeting Point"})
	fmt.Printf("%q\n", b)
	// Output:
	// "47.378177,8.540192\nZürich HB, Meeting Point"
}

func ExampleMarshalPollSetup() {
	b, _ := crypto.MarshalPollSetup(crypto.PollSetup{ID: exampleMsg, Question: "Team lunch on Friday?", Choices: []string{"Yes", "No"}})
	fmt.Printf("%x ‖ %s\n", b[:8], b[8:])
	// Output:
	// 3f1c9a07d255e841 ‖ {"d":"Team lunch on Friday?","c":[{"i":0,"n":"Yes"},{"i":1,"n":"No"}],"t":0,"s":0}
}

func ExampleMarshalPollVote() {
	creator, _ := crypto.ParseID("K7Q2M9XA")
	b, _ := crypto.MarshalPollVote(crypto.PollVote{Creator: creator, Poll: exampleMsg, Choices: []int{0}})
	fmt.Print(hex.Dump(b))
	// Output:
	// 00000000  4b 37 51 32 4d 39 58 41  3f 1c 9a 07 d2 55 e8 41  |K7Q2M9XA?....U.A|
	// 00000010  5b 30 5d                                          |[0]|
}

func ExampleMarshalFileMessage() {
	var key [32]byte
	copy(key[:], bytes.Repeat([]byte{0xa7}, 32))
	b, _ := crypto.MarshalFileMessage(crypto.FileMessage{
		Blob: "9c4f1e0b27d84a6385f0c1d2e3b4a596", Key: key,
		Name: "Q3 report.pdf", Mime: "application/pdf", Size: 482113, Caption: "Final version",
	})
	fmt.Println(string(b))
	// Output:
	// {"b":"9c4f1e0b27d84a6385f0c1d2e3b4a596","k":"a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7","m":"application/pdf","n":"Q3 report.pdf","s":482113,"d":"Final version","j":0}
}

func ExampleMarshalReaction() {
	fmt.Printf("%x\n", crypto.MarshalReaction(crypto.Reaction{Message: exampleMsg, Agree: true}))
	fmt.Printf("%x\n", crypto.MarshalReaction(crypto.Reaction{Message: exampleMsg, Agree: true, Withdraw: true}))
	// Output:
	// 3f1c9a07d255e84101
	// 3f1c9a07d255e84181
}

func ExampleMarshalEdit() {
	b, _ := crypto.MarshalEdit(exampleMsg, "Standup moved to 9:45")
	fmt.Print(hex.Dump(b))
	fmt.Printf("%x\n", crypto.MarshalDelete(exampleMsg))
	// Output:
	// 00000000  3f 1c 9a 07 d2 55 e8 41  53 74 61 6e 64 75 70 20  |?....U.AStandup |
	// 00000010  6d 6f 76 65 64 20 74 6f  20 39 3a 34 35           |moved to 9:45|
	// 3f1c9a07d255e841
}

func ExampleBlobCiphertextSize() {
	for _, n := range []int64{0, 1000, 65536, 65537, 100 << 20} {
		fmt.Println(n, crypto.BlobCiphertextSize(n))
	}
	// Output:
	// 0 16
	// 1000 1016
	// 65536 65552
	// 65537 65569
	// 104857600 104883200
}
