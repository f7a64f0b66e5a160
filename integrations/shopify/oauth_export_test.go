package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// SignQueryForTest signs q as Shopify signs a callback, written apart from
// VerifyCallback so that a mistake in one does not hide in the other.
func SignQueryForTest(q url.Values, secret string) url.Values {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		k2 := strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D").Replace(k)
		v2 := strings.NewReplacer("%", "%25", "&", "%26").Replace(q.Get(k))
		b.WriteString(k2 + "=" + v2)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(b.String()))
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	out.Set("hmac", hex.EncodeToString(mac.Sum(nil)))
	return out
}
