// tmp checks the /tmp pitfall: FROM scratch has no /tmp, so os.CreateTemp
// ("", ...) fails for any user; a /tmp that is not 1777 fails for non-root users.
package main

import (
	"fmt"
	"os"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tmp: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	f, err := os.CreateTemp("", "scratchkit-*")
	if err != nil {
		fail("os.CreateTemp: %v", err)
	}
	if _, err := f.WriteString("scratch\n"); err != nil {
		fail("write %s: %v", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		fail("close %s: %v", f.Name(), err)
	}
	if err := os.Remove(f.Name()); err != nil {
		fail("remove %s: %v", f.Name(), err)
	}
	fmt.Printf("tmp: created and removed a file in %s\n", os.TempDir())

	fi, err := os.Stat("/tmp")
	if err != nil {
		fail("stat /tmp: %v", err)
	}
	mode := fi.Mode()
	fmt.Printf("tmp: mode %s\n", mode)
	if !mode.IsDir() || mode&os.ModeSticky == 0 || mode.Perm() != 0o777 {
		fail("/tmp has mode %s, want a sticky directory with permissions 0777 (1777)", mode)
	}
	fmt.Println("tmp: sticky 1777 ok")
}
