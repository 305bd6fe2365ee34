package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIPv4CIDR(t *testing.T) {
	for _, s := range []string{"203.0.113.7/32", "10.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24"} {
		p, err := IPv4CIDR(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, p.String())
	}
	for _, tc := range []struct{ in, expect string }{
		{"203.0.113.7", "a.b.c.d/n"},
		{"203.0.113.7/33", "a.b.c.d/n"},
		{"2001:db8::/32", "a.b.c.d/n"},
		{"::ffff:10.0.0.0/104", "a.b.c.d/n"},
		{"", "a.b.c.d/n"},
		{"my-laptop", "a.b.c.d/n"},
		{"203.0.113.7/24", "expected 203.0.113.0/24"},
	} {
		_, err := IPv4CIDR(tc.in)
		if assert.Error(t, err, tc.in) {
			assert.Contains(t, err.Error(), tc.expect)
			assert.Contains(t, err.Error(), `"`+tc.in+`"`, "the error quotes the value")
		}
	}
}

func TestPort(t *testing.T) {
	for _, p := range []int{1, 22, 3306, 65535} {
		assert.NoError(t, Port(p), p)
	}
	for _, p := range []int{0, -1, 65536, 1 << 20} {
		err := Port(p)
		if assert.Error(t, err, p) {
			assert.Contains(t, err.Error(), "1-65535")
		}
	}
}
