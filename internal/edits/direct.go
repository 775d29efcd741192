package edits

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
)

// Most edits compare items with literals and call the helpers: such an expression is turned at
// load into Go closures on the frame, which run several times faster than the VM. Only what
// cannot fail is taken (items, string and integer literals, comparisons, && || !, ?:, in [...],
// matches "literal", len, the helpers, inTable on a table that exists): whatever the order of
// evaluation, such an expression gives what the VM gives, and never an error. Anything else
// (let, the tumors, $env, ...) runs on the VM. Tests hold the two equal on every edit.

// direct is an expression of one of the three types edits use, as a closure on the frame.
type direct struct {
	str  func(*frame) string
	num  func(*frame) int
	bool func(*frame) bool
}

// parseConfig is the configuration expr.Compile makes of the options, for parseForDirect.
func parseConfig(env map[string]any, opts []expr.Option) *conf.Config {
	config := conf.CreateNew()
	for _, op := range append([]expr.Option{expr.Env(env)}, opts...) {
		op(config)
	}
	return config
}

// parseForDirect parses src as expr.Compile does, so that names the environment overrides are
// calls, as in the program; nil when src is empty.
func parseForDirect(src string, config *conf.Config) ast.Node {
	if src == "" {
		return nil
	}
	tree, err := parser.ParseWithConfig(src, config)
	if err != nil {
		return nil
	}
	return tree.Node
}

// directBool is n as a closure giving a bool, or nil when n cannot be run directly.
func (s *Set) directBool(n ast.Node) func(*frame) bool {
	d, ok := s.direct(n)
	if !ok {
		return nil
	}
	return d.bool
}

// directGuard is the leading conditions of when (joined by &&) that can run directly, up to the
// first that cannot: the program evaluates them first too, so a false one means it would give
// true without going further, for an edit that runs on the VM.
func (s *Set) directGuard(when ast.Node) []func(*frame) bool {
	var terms []func(*frame) bool
	for _, n := range conjuncts(when, nil) {
		t := s.directBool(n)
		if t == nil {
			break
		}
		terms = append(terms, t)
	}
	return terms
}

// conjuncts lists a && b && c as a, b, c, in the order they are evaluated.
func conjuncts(n ast.Node, out []ast.Node) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		return conjuncts(b.Right, conjuncts(b.Left, out))
	}
	return append(out, n)
}

func (s *Set) direct(n ast.Node) (direct, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return direct{str: func(*frame) string { return v }}, true
	case *ast.IntegerNode:
		v := n.Value
		return direct{num: func(*frame) int { return v }}, true
	case *ast.BoolNode:
		v := n.Value
		return direct{bool: func(*frame) bool { return v }}, true
	case *ast.IdentifierNode:
		// The same precedence as compileEnv: helpers, then tumors, then items.
		if _, ok := s.helpers[n.Value]; ok || n.Value == "tumors" {
			return direct{}, false
		}
		if slot, ok := s.slot[n.Value]; ok {
			return direct{str: func(f *frame) string { return f.str(slot) }}, true
		}
	case *ast.UnaryNode:
		x, ok := s.direct(n.Node)
		switch {
		case !ok:
		case (n.Operator == "!" || n.Operator == "not") && x.bool != nil:
			return direct{bool: func(f *frame) bool { return !x.bool(f) }}, true
		case n.Operator == "-" && x.num != nil:
			return direct{num: func(f *frame) int { return -x.num(f) }}, true
		}
	case *ast.BinaryNode:
		return s.directBinary(n)
	case *ast.ConditionalNode:
		c, okC := s.direct(n.Cond)
		a, okA := s.direct(n.Exp1)
		b, okB := s.direct(n.Exp2)
		if okC && okA && okB && c.bool != nil && a.bool != nil && b.bool != nil {
			return direct{bool: func(f *frame) bool {
				if c.bool(f) {
					return a.bool(f)
				}
				return b.bool(f)
			}}, true
		}
	case *ast.BuiltinNode:
		if n.Name == "len" && len(n.Arguments) == 1 {
			if x, ok := s.direct(n.Arguments[0]); ok && x.str != nil {
				return direct{num: func(f *frame) int { return utf8.RuneCountInString(x.str(f)) }}, true
			}
		}
	case *ast.CallNode:
		if fn, ok := n.Callee.(*ast.IdentifierNode); ok {
			return s.directCall(fn.Value, n.Arguments)
		}
	}
	return direct{}, false
}

func (s *Set) directBinary(n *ast.BinaryNode) (direct, bool) {
	a, okA := s.direct(n.Left)
	if !okA {
		return direct{}, false
	}
	switch n.Operator {
	case "in":
		// item in ["a", "b"]: the list of literals is not a closure.
		arr, ok := n.Right.(*ast.ArrayNode)
		if !ok || a.str == nil {
			return direct{}, false
		}
		lits := make([]string, len(arr.Nodes))
		for i, el := range arr.Nodes {
			lit, ok := el.(*ast.StringNode)
			if !ok {
				return direct{}, false
			}
			lits[i] = lit.Value
		}
		return direct{bool: func(f *frame) bool { return slices.Contains(lits, a.str(f)) }}, true
	case "matches":
		lit, ok := n.Right.(*ast.StringNode)
		if !ok || a.str == nil {
			return direct{}, false
		}
		re, err := regexp.Compile(lit.Value)
		if err != nil {
			return direct{}, false
		}
		return direct{bool: func(f *frame) bool { return re.MatchString(a.str(f)) }}, true
	}
	b, okB := s.direct(n.Right)
	if !okB {
		return direct{}, false
	}
	switch op := n.Operator; {
	case (op == "&&" || op == "and") && a.bool != nil && b.bool != nil:
		return direct{bool: func(f *frame) bool { return a.bool(f) && b.bool(f) }}, true
	case (op == "||" || op == "or") && a.bool != nil && b.bool != nil:
		return direct{bool: func(f *frame) bool { return a.bool(f) || b.bool(f) }}, true
	case a.str != nil && b.str != nil:
		if cmp := compare[string](op); cmp != nil {
			return direct{bool: func(f *frame) bool { return cmp(a.str(f), b.str(f)) }}, true
		}
	case a.num != nil && b.num != nil:
		if cmp := compare[int](op); cmp != nil {
			return direct{bool: func(f *frame) bool { return cmp(a.num(f), b.num(f)) }}, true
		}
	case a.bool != nil && b.bool != nil && (op == "==" || op == "!="):
		want := op == "=="
		return direct{bool: func(f *frame) bool { return (a.bool(f) == b.bool(f)) == want }}, true
	}
	return direct{}, false
}

// compare is a comparison operator of expr on two strings or two integers.
func compare[T int | string](op string) func(a, b T) bool {
	switch op {
	case "==":
		return func(a, b T) bool { return a == b }
	case "!=":
		return func(a, b T) bool { return a != b }
	case "<":
		return func(a, b T) bool { return a < b }
	case "<=":
		return func(a, b T) bool { return a <= b }
	case ">":
		return func(a, b T) bool { return a > b }
	case ">=":
		return func(a, b T) bool { return a >= b }
	}
	return nil
}

// directCall is a call of a helper (funcs.go), with the conversions the VM makes: the typed ones
// take the strings as they are, the others trim them.
func (s *Set) directCall(name string, args []ast.Node) (direct, bool) {
	if name == "inTable" {
		return s.directTable(args)
	}
	ds := make([]direct, len(args))
	for i, arg := range args {
		d, ok := s.direct(arg)
		if !ok {
			return direct{}, false
		}
		ds[i] = d
	}
	// strs are the arguments when all of them are strings.
	var strs []func(*frame) string
	for _, d := range ds {
		if d.str == nil {
			strs = nil
			break
		}
		strs = append(strs, d.str)
	}
	str1 := func(fn func(string) bool) (direct, bool) {
		if len(args) != 1 || len(strs) != 1 {
			return direct{}, false
		}
		a := strs[0]
		return direct{bool: func(f *frame) bool { return fn(a(f)) }}, true
	}
	num1 := func(fn func(string) int) (direct, bool) {
		if len(args) != 1 || len(strs) != 1 {
			return direct{}, false
		}
		a := strs[0]
		return direct{num: func(f *frame) int { return fn(a(f)) }}, true
	}
	str2 := func(fn func(a, b string) bool) (direct, bool) {
		if len(args) != 2 || len(strs) != 2 {
			return direct{}, false
		}
		a, b := strs[0], strs[1]
		return direct{bool: func(f *frame) bool { return fn(a(f), b(f)) }}, true
	}
	switch name {
	case "blank":
		return str1(isBlank)
	case "validDate":
		return str1(isValidDate)
	case "num":
		return num1(num)
	case "year":
		return num1(year)
	case "month":
		return num1(month)
	case "dateBefore":
		return str2(dateBefore)
	case "dateAfter":
		return str2(dateAfter)
	case "inRange":
		if len(strs) != 2 {
			return direct{}, false
		}
		if spec, ok := args[1].(*ast.StringNode); ok {
			// The ranges of a literal are split once.
			cells, a := rangeCells(spec.Value), strs[0]
			return direct{bool: func(f *frame) bool { return inCells(strings.TrimSpace(a(f)), cells) }}, true
		}
		return str2(inRange)
	case "today":
		if len(args) == 0 {
			return direct{str: func(*frame) string { return s.today() }}, true
		}
	case "yearsBetween":
		if len(strs) == 2 {
			a, b := strs[0], strs[1]
			return direct{num: func(f *frame) int {
				return yearsBetween(strings.TrimSpace(a(f)), strings.TrimSpace(b(f)))
			}}, true
		}
	case "pad":
		if len(ds) == 2 && ds[0].str != nil && ds[1].num != nil {
			a, n := ds[0].str, ds[1].num
			return direct{str: func(f *frame) string { return padLeft(strings.TrimSpace(a(f)), n(f)) }}, true
		}
	case "inList":
		if len(strs) >= 1 {
			v, list := strs[0], strs[1:]
			return direct{bool: func(f *frame) bool {
				x := strings.TrimSpace(v(f))
				for _, l := range list {
					if x == strings.TrimSpace(l(f)) {
						return true
					}
				}
				return false
			}}, true
		}
	}
	return direct{}, false
}

// directTable is inTable("table", v, ...) whose values are strings, when the look-up cannot fail:
// the table exists with enough columns, or it is a code list and there is one value.
func (s *Set) directTable(args []ast.Node) (direct, bool) {
	if len(args) < 2 {
		return direct{}, false
	}
	name, ok := args[0].(*ast.StringNode)
	if !ok {
		return direct{}, false
	}
	table := strings.TrimSpace(name.Value)
	if tbl, ok := s.tables.byName[table]; ok {
		if len(tbl.rows) > 0 && len(tbl.rows[0]) < len(args)-1 {
			return direct{}, false
		}
	} else if _, ok := s.codes.List(table); !ok || len(args) != 2 {
		return direct{}, false
	}
	vals := make([]func(*frame) string, len(args)-1)
	for i, a := range args[1:] {
		d, ok := s.direct(a)
		if !ok || d.str == nil {
			return direct{}, false
		}
		vals[i] = d.str
	}
	return direct{bool: func(f *frame) bool {
		var buf [4]string
		got := buf[:0]
		for _, v := range vals {
			got = append(got, strings.TrimSpace(v(f)))
		}
		ok, _ := s.inTable(table, got) // cannot fail: checked above
		return ok
	}}, true
}
