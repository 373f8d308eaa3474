package inputtext_test

import (
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/graph/inputtext"
)

// TestProblem draws the rule's edges: printable ASCII and Unicode pass;
// C0 controls, DEL, C1 controls, invalid UTF-8 and non-characters do not;
// tab, LF and CR pass in multi-line text only.
func TestProblem(t *testing.T) {
	tests := []struct {
		name string
		s    string
		kind inputtext.Kind
		want string // a part of the problem; "" for none
	}{
		{"Empty", "", inputtext.Line, ""},
		{"PrintableASCII", " !~azAZ09", inputtext.Line, ""},
		{"Unicode", "thé 🍵 \u00a0\u2028\ufffd\U0010fffd", inputtext.Line, ""},
		{"NUL", "a\x00", inputtext.Line, "found U+0000"},
		{"UnitSeparator", "a\x1f", inputtext.Line, "found U+001F"},
		{"DEL", "a\x7f", inputtext.Line, "found U+007F"},
		{"C1First", "a\u0080", inputtext.Line, "found U+0080"},
		{"C1Last", "a\u009f", inputtext.Line, "found U+009F"},
		{"TabInLine", "a\tb", inputtext.Line, "found U+0009"},
		{"LineFeedInLine", "a\nb", inputtext.Line, "found U+000A"},
		{"CarriageReturnInLine", "a\rb", inputtext.Line, "found U+000D"},
		{"WhitespaceInLines", "a\tb\nc\r\n", inputtext.Lines, ""},
		{"NULInLines", "a\n\x00", inputtext.Lines, "other than tab and line breaks (found U+0000)"},
		{"ESCInLines", "a\x1b", inputtext.Lines, "found U+001B"},
		{"InvalidUTF8", "a\xffb", inputtext.Lines, "valid UTF-8"},
		{"TruncatedUTF8", "a\xe2\x82", inputtext.Line, "valid UTF-8"},
		{"Surrogate", "a\xed\xa0\x80", inputtext.Line, "valid UTF-8"},
		{"NonCharacterFDD0", "a\ufdd0", inputtext.Line, "non-characters (found U+FDD0)"},
		{"NonCharacterFDEF", "a\ufdef", inputtext.Line, "non-characters (found U+FDEF)"},
		{"AfterFDEF", "a\ufdf0", inputtext.Line, ""},
		{"NonCharacterFFFE", "a\ufffe", inputtext.Lines, "non-characters (found U+FFFE)"},
		{"NonCharacterFFFF", "a\uffff", inputtext.Line, "non-characters (found U+FFFF)"},
		{"NonCharacterPlane1", "a\U0001fffe", inputtext.Line, "non-characters (found U+1FFFE)"},
		{"NonCharacterPlane16", "a\U0010ffff", inputtext.Line, "non-characters (found U+10FFFF)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inputtext.Problem(tt.s, tt.kind)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Problem(%q): got %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}
