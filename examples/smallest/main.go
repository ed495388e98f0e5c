// smallest runs the five pitfall checks of certs, tmp, user, tz and dns in one
// program, built by the smallest useful spec. Run it with
// --add-host example.com:127.0.0.1. It prints the same lines as the
// single-pitfall examples, then "smallest: all checks ok".
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
	"os/user"
	"strings"
	"time"
)

func main() {
	failed := 0
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"certs", checkCerts},
		{"tmp", checkTmp},
		{"user", checkUser},
		{"tz", checkTZ},
		{"dns", checkDNS},
	} {
		if err := c.fn(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: FAIL: %v\n", c.name, err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "smallest: %d checks failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("smallest: all checks ok")
}

func checkCerts() error {
	pool, err := x509.SystemCertPool()
	if err != nil {
		return fmt.Errorf("x509.SystemCertPool: %v", err)
	}
	n := len(pool.Subjects())
	if n == 0 {
		return fmt.Errorf("the system cert pool is empty (is /etc/ssl/certs/ca-certificates.crt missing?)")
	}
	fmt.Printf("certs: system pool ok (%d certs)\n", n)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scratchkit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}},
	})
	if err != nil {
		return err
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
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{RootCAs: roots})
	if err != nil {
		return fmt.Errorf("tls handshake: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "hello over tls\n" {
		return fmt.Errorf("tls read: %q %v", line, err)
	}
	fmt.Println("certs: tls handshake ok")
	return nil
}

func checkTmp() error {
	f, err := os.CreateTemp("", "scratchkit-*")
	if err != nil {
		return fmt.Errorf("os.CreateTemp: %v", err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return err
	}
	fi, err := os.Stat("/tmp")
	if err != nil {
		return err
	}
	mode := fi.Mode()
	fmt.Printf("tmp: mode %s\n", mode)
	if !mode.IsDir() || mode&os.ModeSticky == 0 || mode.Perm() != 0o777 {
		return fmt.Errorf("/tmp has mode %s, want a sticky directory with permissions 0777 (1777)", mode)
	}
	fmt.Println("tmp: sticky 1777 ok")
	return nil
}

func checkUser() error {
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("user.Current: %v", err)
	}
	fmt.Printf("user: name=%s uid=%s home=%s\n", u.Username, u.Uid, u.HomeDir)
	root, err := user.Lookup("root")
	if err != nil {
		return fmt.Errorf("user.Lookup(root): %v", err)
	}
	fmt.Printf("user: root uid=%s\n", root.Uid)
	return nil
}

func checkTZ() error {
	const name = "Europe/Amsterdam"
	loc, err := time.LoadLocation(name)
	if err != nil {
		return fmt.Errorf("time.LoadLocation(%q): %v", name, err)
	}
	w := time.Date(2021, time.January, 15, 12, 0, 0, 0, time.UTC).In(loc).Format("MST")
	s := time.Date(2021, time.July, 15, 12, 0, 0, 0, time.UTC).In(loc).Format("MST")
	if w != "CET" || s != "CEST" {
		return fmt.Errorf("%s: got %s/%s, want CET/CEST", name, w, s)
	}
	fmt.Printf("tz: %s %s %s\n", name, w, s)
	return nil
}

func checkDNS() error {
	addrs, err := net.LookupHost("example.com")
	if err != nil {
		return fmt.Errorf("net.LookupHost(example.com): %v (run with --add-host example.com:127.0.0.1)", err)
	}
	fmt.Printf("dns: example.com -> %s\n", strings.Join(addrs, ","))
	data, err := os.ReadFile("/etc/nsswitch.conf")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && fields[0] == "hosts:" {
			fmt.Printf("dns: nsswitch %s\n", strings.Join(fields, " "))
			return nil
		}
	}
	return fmt.Errorf("/etc/nsswitch.conf has no hosts: line")
}
