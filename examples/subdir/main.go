// subdir is built from a spec that lives in a subfolder of its build context:
// docker buildx build -f examples/subdir/deploy/scratch.yaml examples/subdir
package main

import (
	"fmt"
	"os"
)

func main() {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "subdir: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("subdir: ok (%s)\n", exe)
}
