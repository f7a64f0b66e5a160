package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const signUsage = `usage: backorderd sign --secret SECRET [--platform shopify|woocommerce] FILE|-
prints the signature header the platform would send with FILE's exact bytes
(without --platform, the bare base64 HMAC-SHA256)`

// signatureHeaders are the headers each platform signs its deliveries in.
var signatureHeaders = map[string]string{
	"shopify":     "X-Shopify-Hmac-Sha256",
	"woocommerce": "X-WC-Webhook-Signature",
}

// sign prints the signature a store would send with a body: the base64
// HMAC-SHA256 of its exact bytes with the webhook secret. It lets a person
// post a sample of their own (`openssl dgst … | base64` does the same).
func sign(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	secret := fs.String("secret", "", "")
	platform := fs.String("platform", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *secret == "" {
		return errors.New(signUsage)
	}
	header, known := signatureHeaders[*platform]
	if *platform != "" && !known {
		return fmt.Errorf("--platform must be shopify or woocommerce\n%s", signUsage)
	}
	body, err := readBody(fs.Arg(0))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, []byte(*secret))
	mac.Write(body)
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if header == "" {
		_, err = fmt.Fprintln(stdout, sig)
	} else {
		_, err = fmt.Fprintf(stdout, "%s: %s\n", header, sig)
	}
	return err
}

func readBody(name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("read body from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name) //nolint:gosec // the operator names the file to sign
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}
