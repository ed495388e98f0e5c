// bad is a valid program behind an invalid spec (a misspelled key in
// scratch.yaml): the build must fail with file:line:column and a hint.
package main

import "fmt"

func main() {
	fmt.Println("bad: this spec should never have built")
}
