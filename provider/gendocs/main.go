// Command gendocs writes docs.json: the doc comments of the Go types the
// package's schema is made from, by type and field, so that the schema's
// descriptions come from the comments and live only there. `go generate`
// in provider/ runs it; a test fails when docs.json is stale.
package main

import (
	"fmt"
	"os"

	"github.com/mysql-client-server/mysql-client-server/provider/internal/docs"
)

func main() {
	b, err := docs.Generate("..")
	if err == nil {
		err = os.WriteFile("pulumipkg/docs.json", b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}
