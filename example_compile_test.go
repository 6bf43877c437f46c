package asyncio_test

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestExamplesCompileAsShown type-checks every Example of the module as
// pkg.go.dev and go doc show it: the body alone, or, for a whole-file
// example (the only Example of a file without tests, beside other
// declarations), the file alone. An example that calls a helper declared
// elsewhere in the test package, such as the tests' now(ctx), does not
// compile when a reader copies it, and fails here.
//
// The imported packages come from the export data that the go command
// builds, as go vet's do.
func TestExamplesCompileAsShown(t *testing.T) {
	fset := token.NewFileSet()
	files := exampleFiles(t, fset)
	if len(files) == 0 {
		t.Fatal("found no file with an Example; is the walk rooted at the module?")
	}
	imp := exportImporter(t, fset, files)
	for _, f := range files {
		for _, ex := range doc.Examples(f.ast) {
			name := "Example" + ex.Name
			t.Run(filepath.Join(filepath.Dir(f.path), name), func(t *testing.T) {
				shown, err := asShown(f.ast, ex, imp)
				if err != nil {
					t.Fatalf("%s: %v", f.path, err)
				}
				for _, err := range typeCheck(fset, shown, imp) {
					t.Errorf("%s: %s does not compile as shown: %v", f.path, name, err)
				}
			})
		}
	}
}

// exampleFile is a parsed _test.go file of the module that holds an Example.
type exampleFile struct {
	path string
	ast  *ast.File
}

// exampleFiles parses each _test.go file of the module, built for this
// platform, that declares an Example; directories with a go.mod of their
// own and testdata are other modules' business.
func exampleFiles(t *testing.T, fset *token.FileSet) []exampleFile {
	t.Helper()
	var files []exampleFile
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "." {
				return nil
			}
			if base := d.Name(); base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if ok, err := build.Default.MatchFile(filepath.Dir(path), d.Name()); err != nil || !ok {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if len(doc.Examples(f)) > 0 {
			files = append(files, exampleFile{path, f})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// asShown returns the file a reader gets by copying ex: f itself for a
// whole-file example; otherwise the Example function alone, with those of
// f's imports that its body names.
func asShown(f *ast.File, ex *doc.Example, imp types.Importer) (*ast.File, error) {
	if file, ok := ex.Code.(*ast.File); ok {
		return file, nil
	}
	body := ex.Code.(*ast.BlockStmt)
	qualifiers := make(map[string]bool)
	ast.Inspect(body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				qualifiers[id.Name] = true
			}
		}
		return true
	})
	imports := &ast.GenDecl{Tok: token.IMPORT}
	for _, spec := range f.Imports {
		name, err := importName(spec, imp)
		if err != nil {
			return nil, err
		}
		if name == "_" || name == "." || qualifiers[name] {
			imports.Specs = append(imports.Specs, spec)
		}
	}
	fn := &ast.FuncDecl{
		Name: ast.NewIdent("Example" + ex.Name),
		Type: &ast.FuncType{Params: &ast.FieldList{}},
		Body: body,
	}
	return &ast.File{Name: f.Name, Decls: []ast.Decl{imports, fn}}, nil
}

// importName is the name by which a file refers to the package spec imports.
func importName(spec *ast.ImportSpec, imp types.Importer) (string, error) {
	if spec.Name != nil {
		return spec.Name.Name, nil
	}
	path, err := strconv.Unquote(spec.Path.Value)
	if err != nil {
		return "", err
	}
	pkg, err := imp.Import(path)
	if err != nil {
		return "", err
	}
	return pkg.Name(), nil
}

// typeCheck returns the type errors of file, checked as a package of its own.
func typeCheck(fset *token.FileSet, file *ast.File, imp types.Importer) []error {
	var errs []error
	conf := types.Config{
		Importer: imp,
		Error:    func(err error) { errs = append(errs, err) },
	}
	conf.Check(file.Name.Name, fset, []*ast.File{file}, nil)
	return errs
}

// exportImporter returns an importer of the packages that files import, read
// from the export data that `go list -export` builds (or finds in the build
// cache). Type-checking them from source instead, with importer "source",
// takes ten seconds on two cores, and far more under the race detector.
func exportImporter(t *testing.T, fset *token.FileSet, files []exampleFile) types.Importer {
	t.Helper()
	goCmd, err := exec.LookPath("go") // go test puts its own go first in PATH
	if err != nil {
		t.Skipf("no go command to build export data: %v", err)
	}
	paths := make(map[string]bool)
	for _, f := range files {
		for _, spec := range f.ast.Imports {
			path, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			paths[path] = true
		}
	}
	args := []string{"list", "-export", "-f", "{{.ImportPath}}\t{{.Export}}"}
	args = append(args, slices.Sorted(maps.Keys(paths))...)
	cmd := exec.Command(goCmd, args...)
	cmd.Stderr = new(strings.Builder)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, cmd.Stderr)
	}
	exports := make(map[string]string)
	for line := range strings.Lines(string(out)) {
		path, export, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		exports[path] = export
	}
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		export, ok := exports[path]
		if !ok || export == "" {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(export)
	})
}
