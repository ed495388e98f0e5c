// certs checks the CA-certificates pitfall: a FROM-scratch image without
// /etc/ssl/certs/ca-certificates.crt has an empty system pool, and every TLS
// connection to a public host fails with "x509: certificate signed by unknown
// authority". The build network is none, so the handshake is checked against a
// CA made at run time, appended to the system pool.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "certs: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	pool, err := x509.SystemCertPool()
	if err != nil {
		fail("x509.SystemCertPool: %v", err)
	}
	n := len(pool.Subjects())
	if n == 0 {
		fail("the system cert pool is empty (is /etc/ssl/certs/ca-certificates.crt missing?)")
	}
	fmt.Printf("certs: system pool ok (%d certs)\n", n)

	ca, caKey := newCA()
	leaf := newLeaf(ca, caKey)

	// Sanity: the leaf must not verify against the system pool alone, or the handshake proves nothing.
	if _, err := ca.Verify(x509.VerifyOptions{Roots: pool}); err == nil {
		fail("the run-time test CA verified against the system pool alone")
	}

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}})
	if err != nil {
		fail("listen: %v", err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintln(c, "hello over tls")
	}()

	roots := pool.Clone()
	roots.AddCert(ca)
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", ln.Addr().String(), &tls.Config{RootCAs: roots})
	if err != nil {
		fail("tls handshake: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "hello over tls\n" {
		fail("tls read: %q %v", line, err)
	}
	fmt.Println("certs: tls handshake ok")
}

func newCA() (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fail("ca key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "scratchkit test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		fail("ca cert: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		fail("ca parse: %v", err)
	}
	return cert, key
}

func newLeaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fail("leaf key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		fail("leaf cert: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
