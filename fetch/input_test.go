package fetch_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio/fetch"
)

const hexSum = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

func TestParseList(t *testing.T) {
	list := "\uFEFF# images for the demo\n" +
		"http://h/a.png\n" +
		"\n" +
		"   \t\n" +
		"https://h/b?x=1   b.png\n" +
		"http://h/c.png sha256=" + hexSum + "\r\n" +
		"http://h/d.png\tsha256=" + strings.ToLower(hexSum) + "  d-copy.png   # trailing comment\n" +
		"  # indented comment\n" +
		"http://h/e#frag\n"
	got, err := fetch.ParseList(strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	want := []fetch.Request{
		{URL: "http://h/a.png"},
		{URL: "https://h/b?x=1", Name: "b.png"},
		{URL: "http://h/c.png", SHA256: strings.ToLower(hexSum)},
		{URL: "http://h/d.png", Name: "d-copy.png", SHA256: strings.ToLower(hexSum)},
		{URL: "http://h/e#frag"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParseList =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseListErrors(t *testing.T) {
	tests := []struct {
		list     string
		want     error
		wantText string
	}{
		{"http://h/a\nftp://h/b\n", fetch.ErrInvalidURL, `"ftp://h/b"`},
		{"h/a\n", fetch.ErrInvalidURL, "line 1"},
		{"http://h/a ../x\n", fetch.ErrInvalidName, "line 1"},
		{"http://h/a a b\n", fetch.ErrInvalidList, `unexpected field "b"`},
		{"http://h/a sha256=xyz\n", fetch.ErrInvalidChecksum, "64 hexadecimal digits"},
		{"http://h/a sha256=\n", fetch.ErrInvalidChecksum, "line 1"},
		{"\n\nhttp://h/a sha256=" + hexSum + " sha256=" + hexSum + "\n", fetch.ErrInvalidList, "line 3"},
		{"http://h/" + strings.Repeat("x", 2<<20) + "\n", fetch.ErrInvalidList, "too long"},
	}
	for _, tt := range tests {
		reqs, err := fetch.ParseList(strings.NewReader(tt.list))
		if !errors.Is(err, tt.want) || reqs != nil {
			t.Errorf("ParseList(%.40q) = %d requests, %v; want none and %v", tt.list, len(reqs), err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantText) || !strings.HasPrefix(err.Error(), "fetch: ") {
			t.Errorf("ParseList(%.40q) error %q, want it to start with \"fetch: \" and say %s", tt.list, err, tt.wantText)
		}
	}
}
