// release prints values set at build time, so the release tests can see which build made the binary.
package main

import "fmt"

var (
	version = "unset"
	cached  = "unset"
)

func main() {
	fmt.Printf("release: version=%s cached=%s\n", version, cached)
}
