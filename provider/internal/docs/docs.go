// Package docs reads the doc comments of the Go types behind the package's
// schema, and turns them into the schema's descriptions.
package docs

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Sources are the directories, relative to the repository's root, whose
// types the schema describes, by the package name docs.json uses.
var Sources = map[string]string{
	"clientserver": "components/clientserver",
	"local":        "components/local",
	"aws":          "components/aws",
	"mysql":        "components/mysql",
	"backup":       "components/backup",
	"host":         "components/host",
	"pulumipkg":    "provider/pulumipkg",
}

// Types are the docs of each type: "<package>.<Type>" to its fields' docs by
// Go field name, with the type's own doc under "".
type Types map[string]map[string]string

// Generate reads the sources under root and returns docs.json's content.
func Generate(root string) ([]byte, error) {
	all, refs := Types{}, map[string]string{}
	pkgs := make([]string, 0, len(Sources))
	for p := range Sources {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		if err := readDir(filepath.Join(root, Sources[pkg]), pkg, all, refs); err != nil {
			return nil, err
		}
	}
	for field, ref := range refs {
		i, j := strings.LastIndex(ref, "."), strings.LastIndex(field, ".")
		text := all[ref[:i]][ref[i+1:]]
		if text == "" {
			return nil, fmt.Errorf("%s: its comment says it is as %s, which has no doc comment", field, ref)
		}
		all[field[:j]][field[j+1:]] = text
	}
	b, err := json.MarshalIndent(all, "", "  ")
	return append(b, '\n'), err
}

// readDir adds the exported struct types of the non-test Go files in dir.
// refs gets each field whose comment defers, and the field it defers to,
// as "<package>.<Type>.<Field>"; Generate copies that field's doc.
func readDir(dir, pkg string, all Types, refs map[string]string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				addTypes(g, pkg, all, refs)
			}
		}
	}
	return nil
}

// addTypes adds the exported struct types of one type declaration.
func addTypes(g *ast.GenDecl, pkg string, all Types, refs map[string]string) {
	for _, spec := range g.Specs {
		ts := spec.(*ast.TypeSpec)
		st, ok := ts.Type.(*ast.StructType)
		if !ok || !ts.Name.IsExported() {
			continue
		}
		doc := ts.Doc
		if doc == nil {
			doc = g.Doc
		}
		fields := map[string]string{"": describe(ts.Name.Name, doc.Text())}
		for _, f := range st.Fields.List {
			for _, n := range f.Names {
				switch m := deferring.FindStringSubmatch(f.Doc.Text()); {
				case !n.IsExported() || f.Doc == nil:
				case m != nil:
					refs[pkg+"."+ts.Name.Name+"."+n.Name] = m[1]
				default:
					fields[n.Name] = describe(n.Name, f.Doc.Text())
				}
			}
		}
		all[pkg+"."+ts.Name.Name] = fields
	}
}

// deferring is a field's comment that sends the reader to another type's
// field ("Port is as clientserver.Args.Port."): the field's doc, and so its
// description in the schema, is that field's.
var deferring = regexp.MustCompile(`^[A-Z][A-Za-z0-9]* is as ([a-z]+\.[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*)\.\s*$`)

// subject is a comment's opening "Name (configKey) is|are " or "Name ".
var subject = regexp.MustCompile(`^[A-Z][A-Za-z0-9]* (\([A-Za-z]+\) )?((is|are) )?`)

// describe turns a Go doc comment into a description: one paragraph, and
// without the name it opens with ("Port is the MySQL port." becomes "The
// MySQL port.").
func describe(name, text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if !strings.HasPrefix(text, name+" ") {
		return text
	}
	rest := subject.ReplaceAllString(text, "")
	if rest == "" {
		return text
	}
	return strings.ToUpper(rest[:1]) + rest[1:]
}

// Of is the doc of t's field (the type's own for ""), or "".
func (d Types) Of(t reflect.Type, field string) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return d[pkg+"."+t.Name()][field]
}
