package webhooks

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAllReadsTheWholeBodyWhateverItsDeclaredLength(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	for _, declared := range []int64{-1, 0, 1, 9_999, 10_000, 10_001} {
		// One byte per read, as a slow client's body arrives.
		got, err := readAll(iotest.OneByteReader(strings.NewReader(body)), declared)
		if err != nil || string(got) != body {
			t.Errorf("declared %d: %d bytes, %v; want all %d", declared, len(got), err, len(body))
		}
	}
	got, err := readAll(bytes.NewReader(nil), 10)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty body = %q, %v; want an empty, non-nil body", got, err)
	}
	broken := errors.New("connection reset")
	if _, err := readAll(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(broken)), 10); !errors.Is(err, broken) {
		t.Errorf("a failed read = %v, want %v", err, broken)
	}
}
