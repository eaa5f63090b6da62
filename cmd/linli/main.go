// Command linli is the whole of Linli in one binary: the web server and
// its administration commands. See internal/cli.
package main

import "github.com/linli/linli/internal/cli"

func main() { cli.Main() }
