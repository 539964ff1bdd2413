// Command broken does not compile: Build's tests check that the compiler's
// output reaches the caller.
package main

func main() {
	var n int = "not a number"
	_ = n
}
