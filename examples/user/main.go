// user checks the users pitfall: without /etc/passwd and /etc/group, os/user
// fails (with CGO_ENABLED=0 it reads those files itself), and so does every
// tool that maps a uid to a name.
package main

import (
	"fmt"
	"os"
	"os/user"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "user: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	u, err := user.Current()
	if err != nil {
		fail("user.Current: %v", err)
	}
	fmt.Printf("user: name=%s uid=%s home=%s\n", u.Username, u.Uid, u.HomeDir)

	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		fail("user.LookupGroupId(%s): %v", u.Gid, err)
	}
	fmt.Printf("user: group=%s gid=%s\n", g.Name, g.Gid)

	root, err := user.Lookup("root")
	if err != nil {
		fail("user.Lookup(root): %v", err)
	}
	fmt.Printf("user: root uid=%s\n", root.Uid)

	home := os.Getenv("HOME")
	if home == "" {
		fmt.Println("user: HOME is not set")
		return
	}
	f, err := os.CreateTemp(home, ".scratchkit-*")
	if err != nil {
		fmt.Printf("user: home %s writable=false (%v)\n", home, err)
		return
	}
	f.Close()
	os.Remove(f.Name())
	fmt.Printf("user: home %s writable=true\n", home)
}
