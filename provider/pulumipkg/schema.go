package pulumipkg

import (
	"context"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
)

// Schema is the schema the plugin serves, as `pulumi package get-schema`
// prints it, made in this process.
func Schema(ctx context.Context) (string, error) {
	prov, err := Provider()
	if err != nil {
		return "", err
	}
	s, err := integration.NewServer(ctx, Name, semver.MustParse(Version), integration.WithProvider(prov))
	if err != nil {
		return "", err
	}
	resp, err := s.GetSchema(p.GetSchemaRequest{})
	return resp.Schema, err
}
