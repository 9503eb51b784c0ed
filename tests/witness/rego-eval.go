// rego-eval: evaluates Rego policies the way Trustee's attestation service does, with Open
// Policy Agent's engine standing in for regorus, so that the policies mrboot ships are tested
// against a real Rego implementation rather than against our reading of the language.
//
// Usage:
//
//	rego-eval --policy FILE.rego [--policy ...] --input INPUT.json --refs REFS.json
//	          [--data DATA.json] --query QUERY
//	rego-eval --check --policy FILE.rego [--policy ...]
//
// The first form prints the query's value as JSON and exits 0; an undefined result, like any
// error, is a message on stderr and exit 1. --check only parses and compiles, as Trustee's
// check_policy_format does before it stores a policy. Usage errors exit 2.
//
// REFS.json is an object of reference value id -> value: Trustee's reference value store.
// The policies read it through query_reference_value(id), which Trustee registers in regorus
// and which gives null for an id the store does not have; it is declared here the same way.
// DATA.json is the data document beside the policies: the KBS evaluates its resource policy
// with {"plugin", "resource-path", "query"} there.
// Built by tests/lib/rego.sh (rego_build) from Debian's OPA sources.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/types"
	"github.com/open-policy-agent/opa/v1/util"
)

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "rego-eval: "+format+"\n", args...)
	os.Exit(1)
}

// report prints compile and parse errors one a line as FILE:LINE: MESSAGE, the form editors
// and the tests look for, and exits 1.
func report(err error) {
	var errs ast.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			if e.Location != nil {
				fmt.Fprintf(os.Stderr, "%s:%d: %s: %s\n", e.Location.File, e.Location.Row,
					e.Code, e.Message)
			} else {
				fmt.Fprintf(os.Stderr, "%s: %s\n", e.Code, e.Message)
			}
		}
		os.Exit(1)
	}
	var one *ast.Error
	if errors.As(err, &one) && one.Location != nil {
		fail("%s:%d: %s: %s", one.Location.File, one.Location.Row, one.Code, one.Message)
	}
	fail("%v", err)
}

// readJSON decodes FILE with OPA's decoder, which keeps numbers as json.Number: an integer
// stays exact, as regorus keeps it.
func readJSON(path string) interface{} {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	var v interface{}
	if err := util.UnmarshalJSON(raw, &v); err != nil {
		fail("%s: %v", path, err)
	}
	return v
}

func main() {
	var policies fileList
	flag.Var(&policies, "policy", "a Rego module (repeatable)")
	input := flag.String("input", "", "the input document (JSON)")
	refsPath := flag.String("refs", "", "the reference values (JSON object id -> value)")
	dataPath := flag.String("data", "", "the data document (a JSON object)")
	query := flag.String("query", "data.policy.trust_claims", "the query to evaluate")
	check := flag.Bool("check", false, "parse and compile the policies only")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rego-eval --policy FILE.rego [--policy ...] "+
			"[--input INPUT.json] [--refs REFS.json] [--data DATA.json] [--query QUERY] [--check]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if len(policies) == 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	refs := map[string]interface{}{}
	if *refsPath != "" {
		m, ok := readJSON(*refsPath).(map[string]interface{})
		if !ok {
			fail("%s: not a JSON object", *refsPath)
		}
		refs = m
	}
	decl := &rego.Function{
		Name: "query_reference_value",
		Decl: types.NewFunction(types.Args(types.S), types.A),
	}
	impl := func(_ rego.BuiltinContext, id *ast.Term) (*ast.Term, error) {
		s, ok := id.Value.(ast.String)
		if !ok {
			return nil, fmt.Errorf("query_reference_value: id %v is not a string", id)
		}
		v, found := refs[string(s)]
		if !found {
			return ast.NullTerm(), nil
		}
		val, err := ast.InterfaceToValue(v)
		if err != nil {
			return nil, err
		}
		return ast.NewTerm(val), nil
	}

	opts := []func(*rego.Rego){
		rego.Query(*query),
		rego.Function1(decl, impl),
		// A builtin's error fails the evaluation rather than making the expression undefined:
		// a policy that only works because an error was swallowed should not pass.
		rego.StrictBuiltinErrors(true),
		rego.SetRegoVersion(ast.RegoV1),
	}
	if *dataPath != "" {
		data, ok := readJSON(*dataPath).(map[string]interface{})
		if !ok {
			fail("%s: not a JSON object", *dataPath)
		}
		opts = append(opts, rego.Store(inmem.NewFromObject(data)))
	}
	for _, p := range policies {
		src, err := os.ReadFile(p)
		if err != nil {
			fail("%v", err)
		}
		// Parsed here, not by rego.Module: the parse errors then carry this file's name.
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			report(err)
		}
		opts = append(opts, rego.ParsedModule(m))
	}

	ctx := context.Background()
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		report(err)
	}
	if *check {
		return
	}

	var in interface{} = map[string]interface{}{}
	if *input != "" {
		in = readJSON(*input)
	}
	rs, err := pq.Eval(ctx, rego.EvalInput(in))
	if err != nil {
		report(err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		fail("%s: undefined", *query)
	}
	if len(rs) > 1 {
		fail("%s: %d results, want one", *query, len(rs))
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rs[0].Expressions[0].Value); err != nil {
		fail("%v", err)
	}
	os.Stdout.Write(out.Bytes())
}
