// Command pulumi-resource-mysql-client-server is the Pulumi package of the
// mysql-client-server components: a provider plugin that serves the same
// ClientServer the Go library builds to YAML, TypeScript, Python and Go
// programs, from one implementation. The components run inside this
// process (Pulumi's Construct), so their children are the Go library's.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mysql-client-server/mysql-client-server/provider/pulumipkg"
)

//go:generate go run ./gendocs

func main() {
	prov, err := pulumipkg.Provider()
	if err == nil {
		err = prov.Run(context.Background(), pulumipkg.Name, pulumipkg.Version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", pulumipkg.Name, err)
		os.Exit(1)
	}
}
