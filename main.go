// Command mysql-client-server is the Pulumi program: `pulumi up -s dev`
// deploys the MySQL client–server architecture on AWS, `pulumi up -s local`
// on local network-namespace hosts. The logic lives in components/.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/stack"
)

func main() {
	pulumi.Run(stack.Run)
}
