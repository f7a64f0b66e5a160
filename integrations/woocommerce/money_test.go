package woocommerce

import "testing"

func TestAmountArithmeticIsExact(t *testing.T) {
	for _, tc := range []struct {
		a, b, want string
	}{
		{"177.80", "-10.00", "167.80"},
		{"0.1", "0.2", "0.30"},
		{"19.999", "-0.009", "19.990"},
		{"5", "-5.00", "0.00"},
		{"1.00", "-1.50", "-0.50"},
	} {
		t.Run(tc.a+"+"+tc.b, func(t *testing.T) {
			a, err := parseAmount(tc.a)
			if err != nil {
				t.Fatalf("parseAmount(%q): %v", tc.a, err)
			}
			b, err := parseAmount(tc.b)
			if err != nil {
				t.Fatalf("parseAmount(%q): %v", tc.b, err)
			}
			if got := a.add(b).String(); got != tc.want {
				t.Errorf("%s + %s: got %s, want %s", tc.a, tc.b, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"1e3", "12,50", "abc", "1.2.3"} {
		if _, err := parseAmount(bad); err == nil {
			t.Errorf("parseAmount(%q): got no error, want one", bad)
		}
	}
}
