// dns checks the name-resolution pitfall: without /etc/nsswitch.conf, Go's
// resolver (and glibc's) follows the glibc default "dns files"-style order and
// asks DNS before /etc/hosts; with "hosts: files dns" entries from /etc/hosts
// (docker run --add-host) win. Run with --add-host example.com:127.0.0.1.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "dns: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	addrs, err := net.LookupHost("example.com")
	if err != nil {
		fail("net.LookupHost(example.com): %v", err)
	}
	fmt.Printf("dns: example.com -> %s\n", strings.Join(addrs, ","))

	f, err := os.Open("/etc/nsswitch.conf")
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	found := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[0] == "hosts:" {
			fmt.Printf("dns: nsswitch %s\n", strings.Join(fields, " "))
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		fail("read /etc/nsswitch.conf: %v", err)
	}
	if !found {
		fail("/etc/nsswitch.conf has no hosts: line")
	}
}
