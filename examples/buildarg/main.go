// buildarg prints a string set at link time from the spec's GREETING build arg
// (args: {GREETING: hello}; docker buildx build --build-arg GREETING=bonjour).
package main

import "fmt"

var greeting = "unset"

func main() {
	fmt.Printf("buildarg: greeting=%s\n", greeting)
}
