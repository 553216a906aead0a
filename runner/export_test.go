package runner

// SetHook makes r call f at named points of its runs ("line": each
// statement line stored, inside the statement's transaction). Tests only.
func SetHook(r *Runner, f func(point string)) { r.hook.Store(&f) }

// ParseSpec and LastSlot expose schedule slots to tests.
var (
	ParseSpec = parseSpec
	LastSlot  = lastSlot
)
