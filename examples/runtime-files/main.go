// runtime-files checks the runtime data files of a working rootfs, one line each, then prints
// "runtime-files: all checks ok". Each failure names what is missing.
package main

import (
	"fmt"
	"mime"
	"net"
	"os"
	"os/user"
	"path/filepath"
)

func main() {
	failed := 0
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"services", checkServices},
		{"mime", checkMime},
		{"home", checkHome},
		{"nobody", checkNobody},
	} {
		if err := c.fn(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: FAIL: %v\n", c.name, err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "runtime-files: %d checks failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("runtime-files: all checks ok")
}

// postgresql is not in Go's small built-in table of services: only /etc/services has it.
func checkServices() error {
	port, err := net.LookupPort("tcp", "postgresql")
	if err != nil {
		return fmt.Errorf("net.LookupPort(tcp, postgresql): %v (is /etc/services missing?)", err)
	}
	fmt.Printf("services: tcp/postgresql -> %d\n", port)
	return nil
}

// .md is not in Go's built-in table of MIME types: only /etc/mime.types has it.
func checkMime() error {
	t := mime.TypeByExtension(".md")
	if t == "" {
		return fmt.Errorf("mime.TypeByExtension(.md) is empty (is /etc/mime.types missing?)")
	}
	fmt.Printf("mime: .md -> %s\n", t)
	return nil
}

// The running user's home (HOME, set by Docker from /etc/passwd) must exist and be writable.
func checkHome() error {
	home, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	fi, err := os.Stat(home)
	if err != nil {
		return fmt.Errorf("home %s: %v", home, err)
	}
	f, err := os.CreateTemp(home, ".probe-*")
	if err != nil {
		return fmt.Errorf("cannot write to home %s: %v", home, err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return err
	}
	fmt.Printf("home: uid %d wrote to %s (%s)\n", os.Getuid(), filepath.Clean(home), fi.Mode())
	return nil
}

func checkNobody() error {
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("user.Lookup(nobody): %v", err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return fmt.Errorf("user.LookupGroupId(%s): %v", u.Gid, err)
	}
	fmt.Printf("nobody: uid=%s gid=%s group=%s home=%s\n", u.Uid, u.Gid, g.Name, u.HomeDir)
	return nil
}
