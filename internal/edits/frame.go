package edits

import (
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// The runner gives the edits a frame rather than a map of the record's items. Each item an edit
// reads has a slot (its position in Set.items); the frame reads an item the first time an edit
// asks for it, so a tumor costs only the items its edits reach, and a name costs no hashing. Most
// edits run as closures on the frame (direct.go). The others run on the VM: at load, an item's
// name in their expression is rewritten into a call of that slot's reader on $env, which at run
// time is the frame, and the helpers are called as constants. Such an edit is compiled twice:
// as written, which gives the load errors and is kept for the edits that read $env themselves,
// and rewritten.

// frame is what the rewritten programs read: the record being checked, with its items by slot.
type frame struct {
	items          []string // the set's items: slot → naaccrId
	patient, tumor map[string]string
	// gathered: the slots of the patient and the tumor were gathered while the field checks went
	// through their maps (Runner.Patient), and are read from there rather than from the maps.
	gathered                 bool
	patientSlots, tumorSlots gatheredSlots
	gen                      uint64 // counts records; a slot read in an earlier one is read again
	slots                    []frameSlot
	tumors                   []map[string]any
	tumorsBox                any
	tumorsBoxGen             uint64
}

type frameSlot struct {
	gen uint64
	val string
	// box is boxed as the VM wants it, made when the VM first reads the slot with that value, and
	// kept while the value repeats, so as not to box it again.
	box   any
	boxed string
}

// gatheredSlots are the slots of one record's map, as met: a slot whose pass is not the current
// one is not in the map.
type gatheredSlots struct {
	current uint64
	pass    []uint64
	vals    []string
}

func newGatheredSlots(n int) gatheredSlots {
	return gatheredSlots{current: 1, pass: make([]uint64, n), vals: make([]string, n)}
}

// next forgets the slots of the previous record.
func (g *gatheredSlots) next() { g.current++ }

func (g *gatheredSlots) set(i int, v string) { g.pass[i], g.vals[i] = g.current, v }

func (g *gatheredSlots) get(i int) (string, bool) {
	if g.pass[i] != g.current {
		return "", false
	}
	return g.vals[i], true
}

// begin points the frame at another record.
func (f *frame) begin(patient, tumor map[string]string, tumors []map[string]any, gathered bool) {
	f.patient, f.tumor, f.tumors, f.gathered = patient, tumor, tumors, gathered
	f.gen++
}

// fill reads slot i of the record: the tumor's value, or else the patient's (blank when neither
// has the item), as the map environment had it.
func (f *frame) fill(i int) *frameSlot {
	s := &f.slots[i]
	if s.gen == f.gen {
		return s
	}
	var v string
	var ok bool
	if f.gathered {
		if v, ok = f.tumorSlots.get(i); !ok {
			v, _ = f.patientSlots.get(i)
		}
	} else {
		id := f.items[i]
		if v, ok = f.tumor[id]; !ok {
			v = f.patient[id]
		}
	}
	s.val, s.gen = v, f.gen
	return s
}

// boxed is slot i for the VM.
func (f *frame) boxed(i int) any {
	s := f.fill(i)
	if s.box == nil || s.boxed != s.val {
		s.box, s.boxed = s.val, s.val
	}
	return s.box
}

func (f *frame) str(i int) string { return f.fill(i).val }

func (f *frame) tumorList() any {
	if f.tumorsBoxGen != f.gen {
		f.tumorsBox, f.tumorsBoxGen = f.tumors, f.gen
	}
	return f.tumorsBox
}

var (
	stringType  = reflect.TypeOf("")
	tumorsType  = reflect.TypeOf([]map[string]any{})
	itemMapType = reflect.TypeOf(map[string]any{})
	// envLoads are the instructions that read the environment by name.
	envLoads = []vm.Opcode{vm.OpLoadFast, vm.OpLoadField, vm.OpLoadMethod, vm.OpLoadConst}
)

// framePatcher rewrites the names of the compile-time environment for the frame: an item becomes
// a typed call of its slot's reader on $env, tumors likewise, and a helper function becomes the
// function itself. A let cannot shadow these names (expr refuses to redeclare a name of the
// environment), so every identifier of that name is the environment's.
type framePatcher struct {
	set      *Set
	readsEnv bool // the expression reads $env itself: it needs the map environment
}

func (p *framePatcher) Visit(node *ast.Node) {
	if m, ok := (*node).(*ast.MemberNode); ok {
		p.member(node, m)
		return
	}
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok {
		return
	}
	// The same precedence as compileEnv: helpers, then tumors, then items.
	if fn, ok := p.set.helpers[id.Value]; ok {
		// Typed here: expr checks a call again only when its type is not known yet, and the
		// type tells the compiler it may call the function directly.
		ast.Patch(node, typedConstant(fn))
	} else if id.Value == "tumors" {
		ast.Patch(node, readerCall(frameTumors, tumorsType))
	} else if i, ok := p.set.slot[id.Value]; ok {
		ast.Patch(node, readerCall(p.set.readers[i], stringType))
	} else if id.Value == "$env" {
		p.readsEnv = true
	}
}

func frameTumors(env any) any { return env.(*frame).tumorList() }

// member rewrites t.item, where t is one of the tumors (an item map), into a typed call that
// indexes the map: expr fetches a map's value through reflection, which allocates, and the
// patient-level edits fetch items in loops over the tumors.
func (p *framePatcher) member(node *ast.Node, m *ast.MemberNode) {
	name, ok := m.Property.(*ast.StringNode)
	if !ok || m.Optional || m.Node.Type() != itemMapType {
		return
	}
	call := &ast.CallNode{Callee: typedConstant(fetchItem), Arguments: []ast.Node{m.Node, name}}
	call.SetType(m.Type())
	ast.Patch(node, call)
}

// fetchItem is m[key] for an item map, and expr's own fetch for anything else, with its errors.
func fetchItem(m, key any) any {
	if items, ok := m.(map[string]any); ok {
		if k, ok := key.(string); ok {
			return items[k]
		}
	}
	return runtime.Fetch(m, key)
}

func typedConstant(fn any) *ast.ConstantNode {
	c := &ast.ConstantNode{Value: fn}
	c.SetType(reflect.TypeOf(fn))
	return c
}

// readerCall is read($env), typed as the environment's value was: a node whose type is set is
// not checked again, and a func(any) any is called by the VM without reflection or boxing.
func readerCall(read func(any) any, t reflect.Type) ast.Node {
	call := &ast.CallNode{Callee: typedConstant(read), Arguments: []ast.Node{&ast.IdentifierNode{Value: "$env"}}}
	call.SetType(t)
	return call
}

// slotReader reads item slot i of the frame.
func slotReader(i int) func(any) any {
	return func(env any) any { return env.(*frame).boxed(i) }
}

// compileFrame compiles src rewritten for the frame. It returns nil when the expression reads
// $env, when anything of the environment is still read by name, or when the rewritten expression
// does not compile (src as written did): the edit then runs on the map environment.
func (s *Set) compileFrame(src string, env map[string]any, opts []expr.Option) *vm.Program {
	p := &framePatcher{set: s}
	all := append([]expr.Option{expr.Env(env), expr.AsBool(), expr.Patch(p)}, opts...)
	prog, err := expr.Compile(src, all...)
	if err != nil || p.readsEnv {
		return nil
	}
	for _, op := range prog.Bytecode {
		if slices.Contains(envLoads, op) {
			return nil
		}
	}
	return prog
}
