// cgo links zlib through cgo and resolves users with the cgo (libc) implementation of os/user, so
// the binary is dynamically linked against libc and libz. Its scratch.yaml says nothing about
// libraries: scratchkit finds and copies the loader and the libraries at build time.
package main

// #cgo LDFLAGS: -lz
// #include <zlib.h>
import "C"

import (
	"fmt"
	"os"
	"os/user"
)

func main() {
	u, err := user.Current()
	if err != nil {
		fmt.Println("cgo: user lookup failed:", err)
		os.Exit(1)
	}
	fmt.Printf("cgo: user=%s uid=%s\n", u.Username, u.Uid)
	fmt.Printf("cgo: zlib %s\n", C.GoString(C.zlibVersion()))
}
