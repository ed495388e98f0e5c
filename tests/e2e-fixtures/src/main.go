// hello is the program the verification fixtures build (and break).
package main

import "fmt"

func main() { fmt.Println("hello") }
