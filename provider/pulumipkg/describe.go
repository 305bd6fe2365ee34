package pulumipkg

import (
	"context"
	_ "embed"
	"encoding/json"
	"reflect"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/mysql-client-server/mysql-client-server/components/aws"
	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/local"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
	"github.com/mysql-client-server/mysql-client-server/provider/internal/docs"
)

// docsJSON is the Go doc comments of the schema's types (go generate).
//
//go:embed docs.json
var docsJSON []byte

// described is one schema object and the Go types its descriptions come
// from: the first type that documents a field wins, so a field of the
// package's inputs that has its own comment says what differs from the
// library's field of the same name.
type described struct {
	token   string
	inputs  []reflect.Type // the inputProperties' (resources) or properties' (types)
	outputs []reflect.Type // a resource's properties
}

// schemaObjects are the objects of the schema that describe fills in.
var schemaObjects = []described{
	{token: clientserver.Type,
		inputs:  []reflect.Type{reflect.TypeFor[ClientServerArgs](), reflect.TypeFor[clientserver.Args]()},
		outputs: []reflect.Type{reflect.TypeFor[clientserver.ClientServer]()}},
	{token: Name + ":index:LocalPlatform", inputs: []reflect.Type{reflect.TypeFor[LocalPlatform](), reflect.TypeFor[local.Platform]()}},
	{token: Name + ":index:AWSPlatform", inputs: []reflect.Type{reflect.TypeFor[AWSPlatform](), reflect.TypeFor[aws.Platform]()}},
	{token: Name + ":mysql:ClientProof", inputs: []reflect.Type{reflect.TypeFor[mysql.ClientProof]()}},
	{token: Name + ":index:ReplicaProof", inputs: []reflect.Type{reflect.TypeFor[clientserver.ReplicaProof]()}},
	{token: Name + ":backup:Proof", inputs: []reflect.Type{reflect.TypeFor[backup.Proof]()}},
	{token: LocalHostsType, inputs: []reflect.Type{reflect.TypeFor[LocalHostsArgs](), reflect.TypeFor[local.Platform]()},
		outputs: []reflect.Type{reflect.TypeFor[LocalHosts]()}},
	{token: Name + ":host:Host", inputs: []reflect.Type{reflect.TypeFor[Host]()}},
	{token: mysql.ServerType, inputs: []reflect.Type{reflect.TypeFor[ServerArgs](), reflect.TypeFor[mysql.ServerArgs]()},
		outputs: []reflect.Type{reflect.TypeFor[mysql.Server]()}},
	{token: mysql.ClientType, inputs: []reflect.Type{reflect.TypeFor[ClientArgs](), reflect.TypeFor[mysql.ClientArgs]()},
		outputs: []reflect.Type{reflect.TypeFor[mysql.Client]()}},
	{token: mysql.UserType, inputs: []reflect.Type{reflect.TypeFor[UserArgs](), reflect.TypeFor[mysql.UserArgs]()},
		outputs: []reflect.Type{reflect.TypeFor[mysql.User]()}},
	{token: mysql.ReplicaType, inputs: []reflect.Type{reflect.TypeFor[ReplicaArgs](), reflect.TypeFor[mysql.ReplicaArgs]()},
		outputs: []reflect.Type{reflect.TypeFor[mysql.Replica]()}},
	{token: Name + ":mysql:ReplicaStatus", inputs: []reflect.Type{reflect.TypeFor[mysql.ReplicaStatus]()}},
}

// localRef is how infer writes a reference to a resource of this package
// that a field's type= tag names (a resource of the Go library, of another
// module), and localResource what it is in the schema.
const localRef, localResource = `"///schema.json#/resources/:`, `"#/resources/` + Name + `:`

// describe makes prov's schema carry the Go doc comments as descriptions.
func describe(prov p.Provider) p.Provider {
	get := prov.GetSchema
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := get(ctx, req)
		if err != nil {
			return resp, err
		}
		var d docs.Types
		if err := json.Unmarshal(docsJSON, &d); err != nil {
			return resp, err
		}
		resp.Schema, err = applyDocs(resp.Schema, d)
		return resp, err
	}
	return prov
}

// applyDocs sets the descriptions of schemaObjects in the schema text.
func applyDocs(schema string, d docs.Types) (string, error) {
	var s map[string]any
	schema = strings.ReplaceAll(schema, localRef, localResource)
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		return "", err
	}
	for _, o := range schemaObjects {
		section, props := "types", "properties"
		if len(o.outputs) > 0 {
			section, props = "resources", "inputProperties"
		}
		objs, _ := s[section].(map[string]any)
		obj, _ := objs[o.token].(map[string]any)
		if obj == nil {
			continue
		}
		obj["description"] = d.Of(o.inputs[0], "")
		if len(o.outputs) > 0 {
			obj["description"] = d.Of(o.outputs[0], "")
			setDescriptions(obj["properties"], o.outputs, d)
		}
		setDescriptions(obj[props], o.inputs, d)
	}
	b, err := json.MarshalIndent(s, "", "    ")
	return string(b), err
}

// setDescriptions describes each property from the first of types that
// has a field of that pulumi name, or of the same Go name, with a doc.
func setDescriptions(props any, types []reflect.Type, d docs.Types) {
	m, _ := props.(map[string]any)
	for name, v := range m {
		prop, _ := v.(map[string]any)
		field := goField(types[0], name)
		if field == "" || prop == nil { // "" would be the type's own doc
			continue
		}
		for _, t := range types {
			if text := d.Of(t, field); text != "" {
				prop["description"] = text
				break
			}
		}
	}
}

// goField is the Go name of t's field that the pulumi tag name marks.
func goField(t reflect.Type, name string) string {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("pulumi"), ","); tag == name {
			return f.Name
		}
	}
	return ""
}
