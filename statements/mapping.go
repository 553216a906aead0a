package statements

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-rpa/ferry"
	"gopkg.in/yaml.v3"
)

// Mapping describes a bank's table export where Ferry's automatic
// recognition needs help: which columns mean what (by header text or by
// position), how signs, dates and amounts are written, where the account
// comes from. Whatever it leaves out is still recognised automatically.
// docs/mapping.md documents the format.
type Mapping struct {
	Bank      string `yaml:"bank"`
	Encoding  string `yaml:"encoding"`  // utf-8, utf-16le, gb18030, windows-1252, iso-8859-15 ...
	Delimiter string `yaml:"delimiter"` // ";", ",", "\t" or "|"
	// Header false: the table has no header row; columns are given by
	// position (1, 2, ... or "#1").
	Header  *bool          `yaml:"header"`
	Columns MappingColumns `yaml:"columns"`
	// Sign lists the values of the sign column that mean debit and credit.
	// Where the column marks only one side (a "CR" beside credits), give
	// that side: a blank cell means the other.
	Sign struct {
		Debit  []string `yaml:"debit"`
		Credit []string `yaml:"credit"`
	} `yaml:"sign"`
	// BalanceRows names the labels of balance rows inside the table.
	BalanceRows struct {
		Opening []string `yaml:"opening"`
		Closing []string `yaml:"closing"`
	} `yaml:"balance_rows"`
	// NotBooked lists the values of the status column whose rows moved
	// no money and are left out (replacing the built-in pending,
	// declined, reverted ...).
	NotBooked        []string      `yaml:"not_booked"`
	HiddenRows       string        `yaml:"hidden_rows"`       // skip (default) or read
	DateFormat       string        `yaml:"date_format"`       // DD.MM.YYYY, MM/DD/YYYY, DMY, a Go layout (02.01.2006)
	DecimalSeparator string        `yaml:"decimal_separator"` // "." or ","
	Account          AccountSource `yaml:"account"`
	Currency         string        `yaml:"currency"`
	// Path is the file the mapping came from, for messages.
	Path  string `yaml:"-"`
	lines map[string]int
}

// MappingColumns names the table's columns by role.
type MappingColumns struct {
	BookingDate         ColumnRef  `yaml:"booking_date"`
	ValueDate           ColumnRef  `yaml:"value_date"`
	Amount              ColumnRef  `yaml:"amount"` // one signed column ...
	Debit               ColumnRef  `yaml:"debit"`  // ... or debit and credit columns
	Credit              ColumnRef  `yaml:"credit"`
	Sign                ColumnRef  `yaml:"sign"` // a debit/credit indicator beside an unsigned amount
	Balance             ColumnRef  `yaml:"balance"`
	BalanceBefore       ColumnRef  `yaml:"balance_before"`
	Currency            ColumnRef  `yaml:"currency"`
	Counterparty        ColumnRefs `yaml:"counterparty"` // one column, or several: the first filled one per row
	CounterpartyAccount ColumnRef  `yaml:"counterparty_account"`
	Account             ColumnRef  `yaml:"account"` // the own account, per row: splits the file into statements
	Description         ColumnRefs `yaml:"description"`
	Reference           ColumnRef  `yaml:"reference"`
	TransactionID       ColumnRef  `yaml:"transaction_id"`
	Status              ColumnRef  `yaml:"status"` // booked, pending, declined ...: see not_booked
	Fee                 ColumnRef  `yaml:"fee"`    // a fee on the same row, booked as a line of its own
	Ignore              ColumnRefs `yaml:"ignore"`
}

// ColumnRef names a column by its header text or by its position
// (1-based: 3 or "#3").
type ColumnRef struct {
	Name string
	Pos  int
}

// IsZero reports whether the reference is unset.
func (c ColumnRef) IsZero() bool { return c.Name == "" && c.Pos == 0 }

func (c ColumnRef) String() string {
	if c.Pos > 0 {
		return fmt.Sprintf("#%d", c.Pos)
	}
	return c.Name
}

// UnmarshalYAML reads a header text, a position number or "#N".
func (c *ColumnRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a header text or a column number", n.Line)
	}
	if n.Tag == "!!int" {
		v, err := strconv.Atoi(n.Value)
		if err != nil || v < 1 || v > maxTableCells {
			return fmt.Errorf("line %d: column number %q: want 1 to %d", n.Line, n.Value, maxTableCells)
		}
		c.Pos = v
		return nil
	}
	if strings.HasPrefix(n.Value, "#") && allDigits(n.Value[1:]) {
		v, err := strconv.Atoi(n.Value[1:])
		if err != nil || v < 1 || v > maxTableCells {
			return fmt.Errorf("line %d: column %q: want #1 to #%d", n.Line, n.Value, maxTableCells)
		}
		c.Pos = v
		return nil
	}
	c.Name = n.Value
	return nil
}

// MarshalYAML writes the reference back.
func (c ColumnRef) MarshalYAML() (any, error) {
	if c.Pos > 0 {
		return c.Pos, nil
	}
	return c.Name, nil
}

// ColumnRefs is one column or a list of them (descriptions spread over
// several columns are joined).
type ColumnRefs []ColumnRef

// UnmarshalYAML reads one reference or a list.
func (c *ColumnRefs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var out []ColumnRef
		for _, e := range n.Content {
			var r ColumnRef
			if err := r.UnmarshalYAML(e); err != nil {
				return err
			}
			out = append(out, r)
		}
		*c = out
		return nil
	}
	var r ColumnRef
	if err := r.UnmarshalYAML(n); err != nil {
		return err
	}
	*c = ColumnRefs{r}
	return nil
}

// AccountSource says where the statement's account comes from: a fixed
// value (account: DE89...), or one of a cell (cell: B3), the value beside
// a label above the table (label: "Kontonummer:"), the file name
// (file_name: a regular expression whose first group is the account, or
// "iban"), or the caller's parameter (parameter: true, Options.Account).
// A per-row account column is columns.account.
type AccountSource struct {
	Value     string `yaml:"value"`
	Cell      string `yaml:"cell"`
	Label     string `yaml:"label"`
	FileName  string `yaml:"file_name"`
	Parameter bool   `yaml:"parameter"`
}

// UnmarshalYAML reads a plain value or the mapping form.
func (a *AccountSource) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		a.Value = n.Value
		return nil
	}
	type plain AccountSource
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*a = AccountSource(p)
	return nil
}

// LoadMapping reads a mapping file. Errors name the file and the line.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMapping(path, b)
}

// ParseMapping reads a mapping from YAML; path names it in errors.
func ParseMapping(path string, b []byte) (*Mapping, error) {
	if len(b) > 1<<20 {
		return nil, fmt.Errorf("mapping %s: larger than 1 MiB", path)
	}
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	m.Path = path
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil {
		m.lines = map[string]int{}
		keyLines(&root, "", m.lines)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// keyLines records the line of every key, as dotted paths.
func keyLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			keyLines(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			out[k] = n.Content[i].Line
			keyLines(n.Content[i+1], k, out)
		}
	}
}

// errAt is a mapping error at a key.
func (m *Mapping) errAt(key, format string, args ...any) error {
	loc := m.Path
	if l, ok := m.lines[key]; ok {
		loc = fmt.Sprintf("%s:%d", m.Path, l)
	}
	return fmt.Errorf("mapping %s: %s: %s", loc, key, fmt.Sprintf(format, args...))
}

func (m *Mapping) validate() error {
	c := m.Columns
	switch {
	case m.DecimalSeparator != "" && m.DecimalSeparator != "." && m.DecimalSeparator != ",":
		return m.errAt("decimal_separator", "must be \".\" or \",\", not %q", m.DecimalSeparator)
	case m.Encoding != "":
		if _, err := encodingByName(m.Encoding); err != nil {
			return m.errAt("encoding", "%v", err)
		}
	}
	if m.Delimiter != "" {
		d := strings.ReplaceAll(m.Delimiter, `\t`, "\t")
		if len(d) != 1 || d[0] >= 0x80 || d == "\"" || d == "\n" || d == "\r" {
			return m.errAt("delimiter", "must be one ASCII character such as \";\", \",\" or \"\\t\", not %q", m.Delimiter)
		}
		m.Delimiter = d
	}
	switch m.HiddenRows {
	case "", "skip", "read":
	default:
		return m.errAt("hidden_rows", "must be skip or read, not %q", m.HiddenRows)
	}
	if m.DateFormat != "" && orderOfPattern(m.DateFormat) == orderUnknown {
		if _, err := goLayout(m.DateFormat); err != nil {
			return m.errAt("date_format", "%v", err)
		}
	}
	if !c.Amount.IsZero() && (!c.Debit.IsZero() || !c.Credit.IsZero()) {
		return m.errAt("columns.amount", "give either amount (with sign if the amount is unsigned) or debit and credit, not both")
	}
	if c.Debit.IsZero() != c.Credit.IsZero() {
		return m.errAt("columns.debit", "debit and credit go together")
	}
	if !c.Sign.IsZero() && c.Amount.IsZero() {
		return m.errAt("columns.sign", "a sign column needs columns.amount")
	}
	// One side may be left out where the column marks only the other
	// (card statements' "CR"): a blank cell is then that side.
	for _, d := range m.Sign.Debit {
		for _, c := range m.Sign.Credit {
			if fold(d) == fold(c) {
				return m.errAt("sign", "%q is both a debit and a credit value", c)
			}
		}
	}
	if m.Header != nil && !*m.Header {
		for _, r := range m.refs() {
			if r.ref.Name != "" {
				return m.errAt("columns."+r.role.String(), "header: false: give the column's position (1, 2, ...), not %q", r.ref.Name)
			}
		}
	}
	a := m.Account
	n := 0
	for _, set := range []bool{a.Value != "", a.Cell != "", a.Label != "", a.FileName != "", a.Parameter} {
		if set {
			n++
		}
	}
	if n > 1 {
		return m.errAt("account", "give one of value, cell, label, file_name or parameter")
	}
	if a.Cell != "" {
		if _, _, err := cellRef(a.Cell); err != nil {
			return m.errAt("account.cell", "%v", err)
		}
	}
	if a.FileName != "" && a.FileName != "iban" {
		re, err := regexp.Compile(a.FileName)
		if err != nil {
			return m.errAt("account.file_name", "%v", err)
		}
		if re.NumSubexp() < 1 {
			return m.errAt("account.file_name", "the expression needs a group, ( ), around the account")
		}
	}
	return nil
}

type roleRef struct {
	role role
	ref  ColumnRef
}

// refs lists the mapping's columns.
func (m *Mapping) refs() []roleRef {
	c := m.Columns
	out := []roleRef{{roleBooking, c.BookingDate}, {roleValue, c.ValueDate}, {roleAmount, c.Amount}, {roleDebit, c.Debit},
		{roleCredit, c.Credit}, {roleSign, c.Sign}, {roleBalance, c.Balance}, {roleBalanceBefore, c.BalanceBefore},
		{roleCurrency, c.Currency}, {roleCounterpartyAccount, c.CounterpartyAccount},
		{roleAccount, c.Account}, {roleReference, c.Reference}, {roleTransactionID, c.TransactionID}, {roleStatus, c.Status},
		{roleFee, c.Fee}}
	for _, d := range c.Description {
		out = append(out, roleRef{roleDescription, d})
	}
	for _, d := range c.Counterparty {
		out = append(out, roleRef{roleCounterparty, d})
	}
	for _, d := range c.Ignore {
		out = append(out, roleRef{roleIgnore, d})
	}
	var set []roleRef
	for _, r := range out {
		if !r.ref.IsZero() {
			set = append(set, r)
		}
	}
	return set
}

// namesColumns reports whether the mapping names any column by header.
func (m *Mapping) namesColumns() bool {
	for _, r := range m.refs() {
		if r.ref.Name != "" {
			return true
		}
	}
	return false
}

// findHeader finds the first row that holds every header the mapping
// names.
func (m *Mapping) findHeader(rows []tableRow) (int, error) {
	var names []string
	for _, r := range m.refs() {
		if r.ref.Name != "" {
			names = append(names, fold(r.ref.Name))
		}
	}
	best, bestN, bestRow := -1, 0, -1
	for i, r := range rows {
		have := map[string]bool{}
		for _, c := range r.cells {
			have[fold(c)] = true
		}
		n := 0
		for _, w := range names {
			if have[w] {
				n++
			}
		}
		if n == len(names) {
			return i, nil
		}
		if n > bestN {
			best, bestN, bestRow = i, n, r.num
		}
	}
	if best < 0 {
		var q []string
		for _, r := range m.refs() {
			if r.ref.Name != "" {
				q = append(q, strconv.Quote(r.ref.Name))
			}
		}
		return -1, fmt.Errorf("no header row with %s (mapping %s)", strings.Join(q, ", "), m.Path)
	}
	have := map[string]bool{}
	for _, c := range rows[best].cells {
		have[fold(c)] = true
	}
	for _, r := range m.refs() {
		if r.ref.Name != "" && !have[fold(r.ref.Name)] {
			return -1, fmt.Errorf("row %d, the closest to the header, has no column %q: %s", bestRow, r.ref.Name, m.errAt("columns."+r.role.String(), "not found"))
		}
	}
	return best, nil
}

// resolve turns the mapping's columns into positions in the header.
func (m *Mapping) resolve(header []string) ([numRoles][]int, error) {
	var out [numRoles][]int
	for _, r := range m.refs() {
		j := r.ref.Pos - 1
		if r.ref.Name != "" {
			j = -1
			for i, h := range header {
				if fold(h) == fold(r.ref.Name) {
					j = i
					break
				}
			}
			if j < 0 {
				return out, fmt.Errorf("header has no column %q (%s)", r.ref.Name, m.errAt("columns."+r.role.String(), "not found"))
			}
		}
		out[r.role] = append(out[r.role], j)
	}
	return out, nil
}

// hasSignRule reports whether the mapping says how signs are read.
func (m *Mapping) hasSignRule() bool {
	c := m.Columns
	return !c.Sign.IsZero() || !c.Debit.IsZero() || len(m.Sign.Debit) > 0 || len(m.Sign.Credit) > 0
}

// apply sets what the mapping states outright.
func (m *Mapping) apply(s *spec) error {
	if len(m.Sign.Debit) > 0 || len(m.Sign.Credit) > 0 {
		s.debitW, s.creditW = map[string]bool{}, map[string]bool{}
		for _, w := range m.Sign.Debit {
			s.debitW[fold(w)] = true
		}
		for _, w := range m.Sign.Credit {
			if s.debitW[fold(w)] {
				return m.errAt("sign.credit", "%q is also a debit value", w)
			}
			s.creditW[fold(w)] = true
		}
	}
	for _, l := range m.BalanceRows.Opening {
		s.openLabels = append(s.openLabels, fold(l))
	}
	for _, l := range m.BalanceRows.Closing {
		s.closeLabels = append(s.closeLabels, fold(l))
	}
	if m.Currency != "" {
		s.currency, s.currencyWhy = strings.ToUpper(m.Currency), "mapping"
	}
	if len(m.NotBooked) > 0 {
		s.statusSkip = map[string]bool{}
		for _, w := range m.NotBooked {
			s.statusSkip[fold(w)] = true
		}
	}
	return nil
}

// cellRef reads an A1-style cell reference into 0-based column and
// 1-based row.
func cellRef(ref string) (int, int, error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		i++
	}
	col, err := colIndex(ref[:i], maxColumns)
	if err != nil || i == len(ref) {
		return 0, 0, fmt.Errorf("cell %q: want a reference such as B3", ref)
	}
	row, err := strconv.Atoi(ref[i:])
	if err != nil || row < 1 {
		return 0, 0, fmt.Errorf("cell %q: want a reference such as B3", ref)
	}
	return col, row, nil
}

// ErrLegacyXLS reports an Excel 97-2003 workbook.
var ErrLegacyXLS = fmt.Errorf("legacy Excel 97-2003 (.xls) workbooks are not supported: export the statement as .xlsx or .csv")

// ErrEncryptedXLSX reports a password-protected workbook: Excel keeps it in
// an OLE container, like a legacy .xls, with the encrypted package inside.
var ErrEncryptedXLSX = fmt.Errorf("the workbook is password-protected (an encrypted .xlsx): save it without a password, or export the statement as .csv")

// oleError tells which OLE file a workbook is: an encrypted .xlsx names
// its EncryptionInfo stream (in UTF-16) in the container's directory.
func oleError(data []byte) error {
	if bytes.Contains(data, []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o\x00")) {
		return ErrEncryptedXLSX
	}
	return ErrLegacyXLS
}

// ParseMapped reads a table export with a mapping. It is ParseWith with
// Options.Mapping set, for one statement.
func ParseMapped(name string, data []byte, m *Mapping) (ferry.Statement, error) {
	sts, err := ParseWith(context.Background(), name, data, Options{Mapping: m})
	if err != nil {
		return ferry.Statement{}, err
	}
	if len(sts) != 1 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "holds %d statements (one per account), want one: use ParseWith", len(sts))
	}
	return sts[0], nil
}
