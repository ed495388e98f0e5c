// hostileargs prints two build args exactly as they reached the program (one linked in with -X, one
// written to a file by the shell and embedded) and the files the image has next to it, so a test can
// see that the args' quotes, `;` and `$(...)` stayed data and nothing they spell ran in the builder.
package main

import (
	_ "embed"
	"fmt"
	"os"
)

var version = "unset"

//go:embed banner.txt
var banner string

func main() {
	fmt.Printf("version=%s\n", version)
	fmt.Printf("banner=%s\n", banner)
	entries, err := os.ReadDir("/app")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for _, e := range entries {
		fmt.Printf("file=%s\n", e.Name())
	}
}
