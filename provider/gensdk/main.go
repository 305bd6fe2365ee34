// Command gensdk writes the package's schema to provider/schema.json and
// its TypeScript (nodejs), Python and Go SDKs to provider/sdk/<language>
// (make sdk). They are never edited by hand; provider/sdk_test.go fails
// when they differ from what this writes.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mysql-client-server/mysql-client-server/provider/internal/sdkgen"
	"github.com/mysql-client-server/mysql-client-server/provider/pulumipkg"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	s, err := pulumipkg.Schema(context.Background())
	if err == nil {
		err = sdkgen.Write(s, dir, true)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gensdk: %v\n", err)
		os.Exit(1)
	}
}
