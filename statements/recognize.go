package statements

// Column recognition: which row is the table's header, what each column
// means (from the header vocabulary, checked against the cells below it),
// how its dates and amounts are written. Every choice is backed by the
// file's own content or reported as an error; none is a guess.

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// sampleRows is how many rows are read before the columns are decided;
// the rest of the file streams with the decisions made.
const sampleRows = 500

// debitWords and creditWords are the values of debit/credit indicator
// columns, folded.
var debitWords, creditWords = func() (map[string]bool, map[string]bool) {
	d, c := map[string]bool{}, map[string]bool{}
	for _, w := range []string{"d", "s", "dr", "db", "debit", "af", "soll", "借", "支", "支出", "借方", "-", "debet", "dare",
		"cargo", "t", "wn", "lastschrift", "belastung", "withdrawal", "out", "terhelés", "obciążenie", "charge", "débito",
		"addebito", "uscita", "ausgang", "débit", "ddt", "dbit", "payment", "outflow", "kiadás", "výdaj", "odchozí", "debet",
		"wydatek", "terhelés", "debetas", "debets", "deebet", "转出", "expense", "expenditure", "outgoing"} {
		d[fold(w)] = true
	}
	for _, w := range []string{"c", "h", "cr", "credit", "bij", "haben", "贷", "收", "收入", "贷方", "+", "avere", "a", "abono",
		"j", "ma", "gutschrift", "deposit", "in", "jóváírás", "uznanie", "crédito", "accredito", "entrata", "eingang", "crédit",
		"inflow", "bevétel", "příjem", "příchozí", "przychód", "wpływ", "kredit", "kreditas", "kredīts", "转入", "income", "incoming"} {
		c[fold(w)] = true
	}
	return d, c
}()

// signMark folds a sign cell to the mark it stands for. A mark written
// in two languages or with a gloss ("借 Dr", "贷 Cr" in Bank of
// Communications' 借贷 column, "D (debit)") is the side every one of its
// words names; a cell whose words disagree or are not all marks stays as
// it is, which no side knows.
func signMark(v string, debit, credit map[string]bool) string {
	f := fold(v)
	if f == "" || debit[f] || credit[f] {
		return f
	}
	parts := strings.FieldsFunc(f, func(r rune) bool { return r == ' ' || r == '/' || r == '(' || r == ')' || r == '-' || r == '_' })
	if len(parts) < 2 {
		return f
	}
	side := 0
	for _, w := range parts {
		switch {
		case debit[w] && !credit[w] && side >= 0:
			side = 1
		case credit[w] && !debit[w] && side <= 0:
			side = -1
		default:
			return f
		}
	}
	return parts[0]
}

// spec is a recognised table: the decisions that turn its rows into
// statement lines.
type spec struct {
	file        string
	headerNum   int // the header row's line or sheet row; 0 without one
	header      []string
	headerIdx   int // index of the header in the sample; -1 without one
	col         [numRoles][]int
	dates       []dateFormat // per column
	dec         byte         // the decimal mark of text amounts; 0 when no amount proved it
	debitW      map[string]bool
	creditW     map[string]bool
	labels      labelIndex
	notes       []string
	warnings    []string
	account     string
	accountWhy  string
	currency    string
	currencyWhy string
	holder      string
	from, to    ferry.Date
	month       ferry.Date // the last day of the statement month a title names
	opening     *decimal.Decimal
	closing     *decimal.Decimal
	openLabels  []string // extra folded labels from a mapping
	closeLabels []string
	statusSkip  map[string]bool // a mapping's status values of rows to leave out
	cpSide      []int           // per counterparty column: -1 the payer, +1 the payee, 0 either
	selfNames   map[string]bool // the account holder's names, folded: never the counterparty
	flip        bool            // negate the amounts (a card export's convention)
	typeSigns   bool            // unsigned amounts: each row's sign comes from its transaction type (消费, 退货 ...)
	mapped      bool            // a mapping describes the table: its author has seen the signs
	negSeen     bool            // the amount column holds a negative amount in the first rows
	blockYuan   string          // an amount in yuan (元) in the block above the table
	cardContext bool            // the file's title, block, headers or name say it is a card's
	perCurrency bool            // one statement per currency: the balance column runs per currency
	// blankSign is what a blank sign cell means where the column marks
	// only one side: -1 debit (only CR marks, card statements), +1
	// credit (only DR marks), 0 an error.
	blankSign int
}

func (s *spec) has(r role) bool { return len(s.col[r]) > 0 }

// roleOf is the role column j serves, or roleNone.
func (s *spec) roleOf(j int) role {
	for r := role(1); r < numRoles; r++ {
		for _, c := range s.col[r] {
			if c == j {
				return r
			}
		}
	}
	return roleNone
}

func (s *spec) first(r role) int {
	if len(s.col[r]) == 0 {
		return -1
	}
	return s.col[r][0]
}

// colName names column i for messages: its header, or its position.
func (s *spec) colName(i int) string {
	if i >= 0 && i < len(s.header) && strings.TrimSpace(s.header[i]) != "" {
		return fmt.Sprintf("column %d %q", i+1, strings.TrimSpace(s.header[i]))
	}
	return fmt.Sprintf("column %d", i+1)
}

// colProfile is what a column's cells look like.
type colProfile struct {
	nonEmpty  int
	dates     dateEvidence
	money     int // cells that read as amounts
	numbers   int // XLSX number cells
	fraction  int // amounts with a decimal part or a sign: not bare integers
	negative  int
	codes     int // ISO currency codes
	ibans     int
	accounts  int // cells that read as account numbers
	debitW    int
	creditW   int
	eitherW   int // marks whose sense depends on the others (K)
	statusW   int // booked, pending ...
	distinct  map[string]int
	textBytes int
	sample    string
}

func profile(rows []tableRow, col int, where func(int) string) *colProfile {
	p := &colProfile{distinct: map[string]int{}}
	for _, r := range rows {
		v := r.cell(col)
		if v == "" {
			continue
		}
		p.nonEmpty++
		if p.sample == "" {
			p.sample = v
		}
		if len(p.distinct) < 64 {
			p.distinct[v]++
		}
		p.textBytes += len(v)
		switch r.kind(col) {
		case cellNumber:
			p.numbers++
			p.money++
			if strings.ContainsAny(v, ".-") {
				p.fraction++
			}
			if strings.HasPrefix(v, "-") {
				p.negative++
			}
			continue
		case cellDate:
			p.dates.add(v, where(r.num))
			continue
		}
		p.dates.add(v, where(r.num))
		if looksLikeMoney(v) {
			p.money++
			m, _ := splitMoney(v)
			if m.signed || strings.ContainsAny(m.digits, ".,") {
				p.fraction++
			}
			if m.neg {
				p.negative++
			}
		}
		if len(v) >= 15 && len(v) <= 42 && findIBAN(v) != "" {
			p.ibans++
		}
		if accountLike(v) {
			p.accounts++
		}
		f := fold(v)
		if isISOCode(strings.ToUpper(v)) && len(v) == 3 || f == "人民币" || f == "rmb" {
			p.codes++
		}
		if m := signMark(v, debitWords, creditWords); debitWords[m] {
			p.debitW++
		} else if creditWords[m] {
			p.creditW++
		}
		if f == "k" {
			p.eitherW++
		}
		if notBooked[f] || bookedWords[f] {
			p.statusW++
		}
	}
	return p
}

func (p *colProfile) empty() bool       { return p.nonEmpty == 0 }
func (p *colProfile) mostly(n int) bool { return n > 0 && n*10 >= p.nonEmpty*9 }
func (p *colProfile) isDate() bool      { return p.dates.isDateColumn() }
func (p *colProfile) isMoney() bool     { return p.mostly(p.money) && !p.isDate() }
func (p *colProfile) isCurrency() bool  { return p.mostly(p.codes) }

// isStatus reports whether every cell is a booking status word.
func (p *colProfile) isStatus() bool { return p.nonEmpty > 0 && p.statusW == p.nonEmpty }

func (p *colProfile) isSign() bool {
	return p.nonEmpty > 0 && p.debitW+p.creditW+p.eitherW == p.nonEmpty && p.debitW+p.creditW > 0
}
func (p *colProfile) constant() bool { return len(p.distinct) == 1 && p.nonEmpty >= 1 }
func (p *colProfile) fewDistinct() bool {
	return len(p.distinct) <= 5 || len(p.distinct)*4 <= p.nonEmpty
}
func (p *colProfile) avgText() int { return p.textBytes / max(1, p.nonEmpty) }

// repeats reports whether the column holds one value, or a few that
// each recur on several rows: an own account, not a serial number.
func (p *colProfile) repeats() bool {
	return p.constant() || len(p.distinct) < 64 && len(p.distinct)*4 <= p.nonEmpty
}
func (p *colProfile) realMoney() bool { return p.isMoney() && p.fraction > 0 }
func (p *colProfile) compatible(r role) bool {
	if p.empty() {
		return true
	}
	switch {
	case r.isDate():
		return p.isDate()
	case r.isMoney():
		return p.isMoney()
	case r == roleCurrency:
		return p.isCurrency()
	case r == roleSign:
		// Named a sign column: most values must be marks; the others are
		// errors on their rows, not a reason to ignore the column.
		return p.nonEmpty > 0 && (p.debitW+p.creditW+p.eitherW)*2 >= p.nonEmpty
	}
	return true
}

// recognise decides the table's layout from its first rows.
func recognise(name string, rows []tableRow, src rowSource, m *Mapping, o Options) (*spec, error) {
	vocab := theVocab
	s := &spec{file: name, labels: theLabels, headerIdx: -1, debitW: debitWords, creditW: creditWords, mapped: m != nil}
	where := src.where
	if m != nil {
		if err := m.apply(s); err != nil {
			return nil, err
		}
	}
	var fixed [numRoles][]int // columns the mapping fixed
	headerless := m != nil && m.Header != nil && !*m.Header
	if m != nil && !headerless && m.namesColumns() {
		i, err := m.findHeader(rows)
		if err != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
		}
		s.headerIdx = i
	} else if !headerless {
		s.headerIdx = findHeader(rows, vocab)
	}
	if s.headerIdx >= 0 {
		s.header = append([]string(nil), rows[s.headerIdx].cells...)
		s.headerNum = rows[s.headerIdx].num
		s.notes = append(s.notes, fmt.Sprintf("header row: %s", where(s.headerNum)))
	}
	if m != nil {
		var err error
		if fixed, err = m.resolve(s.header); err != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
		}
	}
	// The block above the table, and the table's rows.
	var data []tableRow
	if s.headerIdx >= 0 {
		s.readBlock(rows[:s.headerIdx], where)
		data = s.tableRows(rows[s.headerIdx+1:])
	} else {
		start := firstDataRow(rows)
		if start < 0 {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no transaction table header found: no row names a date and an amount column (headers such as Date, Datum, Buchungstag, Data, Fecha, 交易日期 and Amount, Betrag, Bedrag, Importo, Debit/Credit, 借方/贷方); %s", suggestMapping(name))
		}
		s.readBlock(rows[:start], where)
		data = s.tableRows(rows[start:])
		s.notes = append(s.notes, "no header row: columns recognised by their content")
		if start > 0 && len(rows[start-1].cells) == len(rows[start].cells) && !hasDate(rows[start-1]) {
			s.header = append([]string(nil), rows[start-1].cells...) // for naming columns only
			s.warnings = append(s.warnings, fmt.Sprintf("the header at %s is not in Ferry's vocabulary: columns were placed by their content; check the notes or write a mapping", where(rows[start-1].num)))
		}
	}
	width := 0
	for _, r := range data {
		width = max(width, len(r.cells))
	}
	width = max(width, len(s.header))
	profiles := make([]*colProfile, width)
	for j := range profiles {
		profiles[j] = profile(data, j, where)
	}
	// Roles from the mapping, then from the header, then from content.
	taken := make([]bool, width)
	for r := role(1); r < numRoles; r++ {
		for _, j := range fixed[r] {
			if j >= width {
				return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "mapping %s: columns.%s: column %d does not exist (the table has %d)", m.Path, r, j+1, width)
			}
			s.col[r] = append(s.col[r], j)
			taken[j] = true
			s.notes = append(s.notes, fmt.Sprintf("%s: %s (mapping)", s.colName(j), r))
		}
	}
	var unplaced []string
	if s.headerIdx >= 0 {
		// Columns whose header names the best of several candidates (the
		// net amount beside the gross, the booking date beside the
		// transaction date) are placed first, then the others left to
		// right.
		// A date the same on every row (csb43's initial_date, the
		// period's start) goes last: it is not when each line booked.
		order := make([]int, 0, len(s.header))
		rank := func(j int) int {
			switch {
			case preferredHeader(s.header[j]):
				return 0
			case j < len(profiles) && len(data) >= 2 && profiles[j].isDate() && profiles[j].constant():
				return 2
			}
			return 1
		}
		for pass := 0; pass < 3; pass++ {
			for j := range s.header {
				if rank(j) == pass {
					order = append(order, j)
				}
			}
		}
		for _, j := range order {
			if taken[j] || strings.TrimSpace(s.header[j]) == "" {
				continue
			}
			cands := vocab.headerRoles(s.header[j])
			placed := false
			for _, r := range cands {
				if !profiles[j].compatible(r) {
					continue
				}
				r = s.refine(r, s.header[j], profiles[j])
				if r == roleSkip {
					continue
				}
				if (r == roleDescription || r == roleIgnore || r == roleNone) && !s.has(roleSign) && profiles[j].isSign() && len(profiles[j].distinct) >= 2 {
					// Mint's "Transaction Type": debit and credit, nothing else.
					r = roleSign
				}
				if (r == roleDescription || r == roleIgnore || r == roleNone) && !s.has(roleStatus) && profiles[j].isStatus() {
					// Sparkasse's "Info": "Umsatz gebucht", "Umsatz vorgemerkt".
					r = roleStatus
				}
				if r == roleIgnore || r == roleNone {
					placed = true
					s.notes = append(s.notes, fmt.Sprintf("%s: not used", s.colName(j)))
					break
				}
				// The best role the content allows; when another column
				// already has it, this one is left out rather than given
				// a lesser role ("记账金额(收入)" is never the amount).
				placed = true
				if !s.place(r, j, profiles[j], "header") {
					s.notes = append(s.notes, fmt.Sprintf("%s: not used (%s is %s)", s.colName(j), r, s.colName(s.first(r))))
				}
				break
			}
			taken[j] = placed
			if !placed {
				unplaced = append(unplaced, s.colName(j))
			}
		}
	}
	// Content alone: sign and currency columns are unmistakable; a
	// headerless table gets its dates, amounts and texts from content.
	for j := 0; j < width; j++ {
		if taken[j] || profiles[j].empty() {
			continue
		}
		p := profiles[j]
		switch {
		case !s.has(roleSign) && p.isSign() && (len(p.distinct) >= 2 || headerBlank(s.header, j)):
			taken[j] = s.place(roleSign, j, p, "content: only debit/credit marks")
		case !s.has(roleCurrency) && p.isCurrency() && p.nonEmpty > 0:
			taken[j] = s.place(roleCurrency, j, p, "content: currency codes")
		}
	}
	if s.headerIdx < 0 {
		if err := s.placeByContent(profiles, taken, data); err != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v; %s", err, suggestMapping(name))
		}
	}
	// Payer and payee columns: the other party is the payee of a debit
	// and the payer of a credit (DKB's Zahlungspflichtige*r and
	// Zahlungsempfänger*in, Wise's Payer Name and Payee Name).
	for _, j := range s.col[roleCounterparty] {
		side := 0
		if j < len(s.header) {
			h := fold(s.header[j])
			payer, payee := hasAnyPart(h, payerMarks), hasAnyPart(h, payeeMarks)
			switch {
			case payer && !payee:
				side = -1
			case payee && !payer:
				side = 1
			}
		}
		s.cpSide = append(s.cpSide, side)
	}
	payer, payee := false, false
	for _, side := range s.cpSide {
		payer, payee = payer || side < 0, payee || side > 0
	}
	if !payer || !payee {
		s.cpSide = nil // one column names either party (Swedbank's "Beneficiary")
	}
	// A balance that is the same on every row while the amounts move is
	// no running balance: the statement's opening or closing balance
	// where its header says which (csb43's initial_balance and
	// final_balance), else the balance at the export (Boursorama's
	// accountbalance).
	for _, ro := range []role{roleBalance, roleBalanceBefore} {
		j := s.first(ro)
		if j < 0 || len(data) < 2 || !profiles[j].constant() || profiles[j].nonEmpty != len(data) {
			continue
		}
		if a := s.first(roleAmount); a >= 0 && profiles[a].constant() {
			continue
		}
		s.col[ro] = nil
		s.notes = append(s.notes, fmt.Sprintf("%s: not used as a running balance (the same on every row)", s.colName(j)))
	}
	for j := 0; j < len(s.header) && j < len(profiles); j++ {
		p := profiles[j]
		if len(data) < 2 || !p.isMoney() || !p.constant() || p.nonEmpty != len(data) || s.roleOf(j) != roleNone && s.roleOf(j) != roleBalance {
			continue
		}
		k, _ := s.labels.match(strings.ReplaceAll(s.header[j], "_", " "))
		if k != labelOpening && k != labelClosing {
			k, _ = s.labels.match(strings.NewReplacer("initial", "opening", "final", "closing").Replace(fold(s.header[j])))
		}
		v, _, err := blockAmount(data[0].cell(j), data[0].kind(j))
		if err != nil {
			continue
		}
		switch {
		case k == labelOpening && s.opening == nil:
			s.opening = &v
			s.notes = append(s.notes, fmt.Sprintf("%s: the opening balance (the same on every row)", s.colName(j)))
		case k == labelClosing && s.closing == nil:
			s.closing = &v
			s.notes = append(s.notes, fmt.Sprintf("%s: the closing balance (the same on every row)", s.colName(j)))
		}
	}
	// A net amount already has the fee taken off (PayPal: Gross, Fee, Net).
	if j := s.first(roleAmount); j >= 0 && s.has(roleFee) && j < len(s.header) && preferredHeader(s.header[j]) {
		s.notes = append(s.notes, fmt.Sprintf("%s: not used (the net amount in %s has the fee taken off)", s.colName(s.first(roleFee)), s.colName(j)))
		s.col[roleFee] = nil
	}
	// A table with only a value date (UBS's "Date de valeur") books on it.
	if !s.has(roleBooking) && s.has(roleValue) {
		j := s.first(roleValue)
		s.col[roleBooking], s.col[roleValue] = []int{j}, nil
		s.notes = append(s.notes, fmt.Sprintf("%s: booking_date (the only date column)", s.colName(j)))
	}
	// What a statement cannot do without.
	var missing []string
	if !s.has(roleBooking) {
		missing = append(missing, "no booking date column")
	}
	if !s.has(roleAmount) && !(s.has(roleDebit) && s.has(roleCredit)) {
		missing = append(missing, "no amount column (nor debit and credit columns)")
	}
	if len(missing) > 0 {
		msg := "no transaction table header found: " + strings.Join(missing, ", ")
		if s.headerIdx >= 0 {
			msg += fmt.Sprintf(" in the header at %s", where(s.headerNum))
		}
		if len(unplaced) > 0 {
			msg += "; could not place " + strings.Join(unplaced, ", ")
		}
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%s; %s", msg, suggestMapping(name))
	}
	for _, u := range unplaced {
		if !strings.Contains(strings.Join(s.notes, "\n"), u+": ") {
			s.notes = append(s.notes, u+": not recognised, not used")
		}
	}
	if s.has(roleAmount) && (s.has(roleDebit) || s.has(roleCredit)) {
		for _, r := range []role{roleDebit, roleCredit} {
			for _, j := range s.col[r] {
				s.notes = append(s.notes, fmt.Sprintf("%s: not used (the amount column carries the amount)", s.colName(j)))
			}
			s.col[r] = nil
		}
	}
	s.resolveK(profiles)
	s.decideBlankSign(data)
	if err := s.decideFormats(profiles, data, where, m, o); err != nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	s.decideSelfNames(data)
	if j := s.first(roleCurrency); j >= 0 {
		// Lines in several currencies never share a statement: their
		// sum means nothing, and each currency keeps its own balance
		// where the file has one (HSBC Hong Kong's CNY and HKD lines).
		codes := map[string]bool{}
		for _, r := range data {
			if c := currencyCode(r.cell(j)); c != "" {
				codes[c] = true
			}
		}
		s.perCurrency = len(codes) > 1
	}
	if hasAnyPart(fold(name), cardWords) {
		s.cardContext = true
	}
	for _, h := range s.header {
		s.cardContext = s.cardContext || len(h) < 80 && hasAnyPart(fold(h), cardWords)
	}
	if m == nil || !m.hasSignRule() {
		s.decideCardSigns(data, where)
		if err := s.decideTypeSigns(data, where); err != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
		}
	}
	s.decideCurrency(profiles, data)
	return s, nil
}

// decideSelfNames finds the account holder's own name among the party
// columns, where an export names both sides of every payment (Volksbank,
// DKB): the name the block above the table gives, or one that fills a
// party cell on most rows. It is never the counterparty.
func (s *spec) decideSelfNames(data []tableRow) {
	s.selfNames = map[string]bool{}
	if s.holder != "" {
		s.selfNames[fold(s.holder)] = true
	}
	if len(s.col[roleCounterparty]) < 2 || len(data) < 1 {
		return
	}
	s.dropHolderColumns(data)
	if len(s.col[roleCounterparty]) < 2 || len(data) < 3 {
		return
	}
	// A name on most rows is the holder's only where it shows up in
	// more than one party column (the payer of debits, the payee of
	// credits), or over many rows: a small file of one merchant's
	// charges names that merchant on every row (bunq's CLOUDFLARE).
	count, cols := map[string]int{}, map[string]map[int]bool{}
	for _, r := range data {
		seen := map[string]bool{}
		for _, j := range s.col[roleCounterparty] {
			if v := fold(r.cell(j)); v != "" {
				if cols[v] == nil {
					cols[v] = map[int]bool{}
				}
				cols[v][j] = true
				if !seen[v] {
					seen[v] = true
					count[v]++
				}
			}
		}
	}
	for v, n := range count {
		if n*10 >= len(data)*7 && (len(cols[v]) >= 2 || len(data) >= 50) {
			s.selfNames[v] = true
			s.notes = append(s.notes, fmt.Sprintf("account holder: %q (a party on most rows), never the counterparty", v))
		}
	}
}

// bareNames are party headers that do not say whose name it is.
var bareNames = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range foldAll("name", "naam", "nom", "nome", "nombre", "név", "nazwa", "název", "名称", "户名") {
		m[w] = true
	}
	return m
}()

// dropHolderColumns takes the account holder's name column out of the
// counterparty columns: a bare "Naam" beside "Naam tegenpartij" (KBC),
// holding the same name on every row, is the holder's own.
func (s *spec) dropHolderColumns(data []tableRow) {
	marked := -1
	for _, j := range s.col[roleCounterparty] {
		if j < len(s.header) && hasAnyPart(fold(s.header[j]), counterpartyMarks) {
			marked = j
			break
		}
	}
	if marked < 0 {
		return
	}
	var keep, sides []int
	for i, j := range s.col[roleCounterparty] {
		side := 0
		if i < len(s.cpSide) {
			side = s.cpSide[i]
		}
		v := ""
		constant := j < len(s.header) && bareNames[fold(s.header[j])]
		for _, r := range data {
			c := fold(r.cell(j))
			if c == "" || v != "" && c != v {
				constant = false
				break
			}
			v = c
		}
		if constant {
			s.selfNames[v] = true
			s.notes = append(s.notes, fmt.Sprintf("%s: the account holder's name (%q on every row, beside %s), not the counterparty", s.colName(j), r0(data, j), s.colName(marked)))
			continue
		}
		keep, sides = append(keep, j), append(sides, side)
	}
	s.col[roleCounterparty] = keep
	if s.cpSide != nil {
		s.cpSide = sides
	}
}

// r0 is column j of the first row, for messages.
func r0(data []tableRow, j int) string { return data[0].cell(j) }

// cardPayments are descriptions of a payment to a card account: a credit
// on the card statement whatever sign the export gives it. The weak ones
// ("还款", repayment) are also a bank account's payment to a loan or a
// card, and count only where the file is a card's.
var (
	cardPayments = foldAll("payment thank you", "payment - thank you", "autopay payment", "thank you for your payment",
		"payment thankyou", "mobile payment - thank you", "online payment - thank you", "direct debit payment - thank you",
		"payment received - thank you", "autopay pymt")
	cardPaymentsWeak = foldAll("payment received", "paiement reçu", "zahlung erhalten", "pagamento ricevuto", "自动还款",
		"还款", "repayment", "directdebit payment")
	cardWords = foldAll("信用卡", "credit card", "creditcard", "kreditkarte", "carta di credito", "tarjeta de crédito",
		"carte de crédit", "karta kredytowa", "hitelkártya", "card statement", "card account", "american express", "amex",
		"mastercard", "visa card", "卡号末四位", "卡号后四位")
)

// decideCardSigns reads a card export's sign convention where nothing
// else states it: some card issuers (American Express, BMO, CMB) print
// charges positive and payments negative. When every payment to the card
// in the first rows is negative and most other lines are positive, the
// amounts are negated; the statement says so.
func (s *spec) decideCardSigns(data []tableRow, where func(int) string) {
	j := s.first(roleAmount)
	if j < 0 || s.has(roleSign) || s.has(roleDebit) || s.has(roleCredit) || s.has(roleBalance) || s.has(roleBalanceBefore) {
		return // the signs are stated, or a balance chain checks them
	}
	payments := cardPayments
	if s.cardContext {
		payments = append(append([]string(nil), cardPayments...), cardPaymentsWeak...)
	}
	pay, payNeg, other, otherPos := 0, 0, 0, 0
	example := ""
	for _, r := range data {
		var d decimal.Decimal
		var err error
		if r.kind(j) == cellNumber {
			d, err = decimal.NewFromString(r.cell(j))
		} else {
			d, _, err = parseAmount(r.cell(j), s.dec)
		}
		if err != nil || d.IsZero() {
			continue
		}
		text := ""
		for _, c := range append(append([]int(nil), s.col[roleDescription]...), s.col[roleCounterparty]...) {
			text += " " + fold(r.cell(c))
		}
		if hasAnyPart(text, payments) {
			pay++
			if d.IsNegative() {
				payNeg++
				if example == "" {
					example = fmt.Sprintf("%q at %s", r.cell(j), where(r.num))
				}
			}
			continue
		}
		other++
		if d.IsPositive() {
			otherPos++
		}
	}
	if pay > 0 && payNeg == pay && other >= 2 && otherPos*10 >= other*6 {
		s.flip = true
		s.notes = append(s.notes, fmt.Sprintf("%s: amounts negated: a card export that prints charges positive and payments to the card negative (%s)", s.colName(j), example))
		s.warnings = append(s.warnings, fmt.Sprintf("signs taken from a card export's convention: %s prints charges positive and payments negative; check the signs", s.colName(j)))
	}
}

// Transaction types written in a row's text that say which way the money
// went, whatever sign the export prints: a purchase, a cash advance, a
// fee or card interest is a charge; a refund, a return, a reversal or a
// repayment to the card is a credit. The longest word found decides
// ("消费撤销", a purchase reversed, is a credit; "存款利息", deposit
// interest, too). "Purchase" and plain 利息 are left out: a merchant's
// purchases and a deposit's interest are credits. They are read only
// where the file states no signs
// of its own (no sign, debit or credit column, no balances): then a
// repayment (还款) is one to the card whose export this is.
var (
	chargeTypes = foldAll("消费", "取现", "预借现金", "年费", "循环利息", "透支利息", "手续费", "分期", "滞纳金", "超限费", "扣款", "支出",
		"cash advance", "annual fee", "interest charge", "late fee", "finance charge")
	creditTypes = append(foldAll("还款", "退货", "退款", "返现", "存款利息", "结息", "利息收入", "消费撤销", "撤销", "冲正",
		"收入", "存入", "refund", "return", "cashback", "cash back", "reversal", "repayment"), cardPayments...)
)

// rowType reads a row's transaction type from its description and
// counterparty cells: -1 a charge, +1 a credit, 0 not said (or both
// sides' words equally long).
func (s *spec) rowType(r tableRow) (int, string) {
	best, side, word := 0, 0, ""
	for _, c := range append(append([]int(nil), s.col[roleDescription]...), s.col[roleCounterparty]...) {
		text := fold(r.cell(c))
		if text == "" {
			continue
		}
		for k, ws := range [2][]string{chargeTypes, creditTypes} {
			for _, w := range ws {
				if len(w) < best || !(hasCJK(w) && strings.Contains(text, w) || containsWord(text, w)) {
					continue
				}
				sd := 2*k - 1
				if len(w) == best && sd != side {
					side = 0 // "退款" and "消费" alike: not said
					continue
				}
				best, side, word = len(w), sd, w
			}
		}
	}
	if side == 0 {
		word = ""
	}
	return side, word
}

// decideTypeSigns reads the signs of an amount column that nothing else
// states from the transaction types in the rows' text (see chargeTypes).
// Where the typed rows agree with the printed signs, they stand; where
// every typed row has the opposite sign (广发's 消费 15.90 and 还款
// −1130.68), the amounts are negated, as a card export's convention;
// where every amount is unsigned (交通银行's card export), each row takes
// its sign from its type, and a row without one is an error when read.
// Typed rows that disagree among themselves are an error.
func (s *spec) decideTypeSigns(data []tableRow, where func(int) string) error {
	j := s.first(roleAmount)
	if j < 0 {
		return nil
	}
	for _, r := range data {
		if v := r.cell(j); v != "" {
			if d, _, err := parseAmount(v, s.dec); err == nil && d.IsNegative() || r.kind(j) == cellNumber && strings.HasPrefix(v, "-") {
				s.negSeen = true // the column is signed, on a row left out too
			}
		}
	}
	if s.flip || s.has(roleSign) || s.has(roleDebit) || s.has(roleCredit) || s.has(roleBalance) || s.has(roleBalanceBefore) {
		return nil
	}
	typed, neg, normal, flipped, chargesUp := 0, 0, 0, 0, 0
	var normalAt, flippedAt string
	for _, r := range data {
		var d decimal.Decimal
		var err error
		if r.kind(j) == cellNumber {
			d, err = decimal.NewFromString(r.cell(j))
		} else {
			d, _, err = parseAmount(r.cell(j), s.dec)
		}
		if err != nil || d.IsZero() {
			continue
		}
		if d.IsNegative() {
			neg++
		}
		side, w := s.rowType(r)
		if side == 0 {
			continue
		}
		typed++
		at := fmt.Sprintf("%q %s at %s", w, r.cell(j), where(r.num))
		if side == d.Sign() {
			normal++
			if normalAt == "" {
				normalAt = at
			}
		} else {
			flipped++
			if side < 0 {
				chargesUp++
			}
			if flippedAt == "" {
				flippedAt = at
			}
		}
	}
	switch {
	case typed == 0:
	case neg == 0:
		s.typeSigns = true
		s.notes = append(s.notes, fmt.Sprintf("%s: unsigned amounts; each row's sign from its transaction type (charges such as 消费 negative, refunds and repayments such as 退货 还款 positive; e.g. %s)", s.colName(j), firstOf(flippedAt, normalAt)))
		s.warnings = append(s.warnings, fmt.Sprintf("signs taken from the transaction types in the rows' text: %s is unsigned; check the signs", s.colName(j)))
	case flipped > 0 && normal == 0 && chargesUp == 0:
		// Only credits printed negative (a merchant's refunds): no
		// charge shows the convention; the signs stand as printed.
	case flipped > 0 && normal == 0:
		s.flip = true
		s.notes = append(s.notes, fmt.Sprintf("%s: amounts negated: every row whose type says charge or credit has the opposite sign (%s), a card export's convention", s.colName(j), flippedAt))
		s.warnings = append(s.warnings, fmt.Sprintf("signs taken from a card export's convention: %s prints charges positive and credits negative, as the transaction types show; check the signs", s.colName(j)))
	case normal > 0 && flipped == 0:
		s.notes = append(s.notes, fmt.Sprintf("%s: signs agree with the transaction types (%s)", s.colName(j), normalAt))
	default:
		return fmt.Errorf("the signs in %s contradict each other by the transaction types: %s, but %s; give the signs in a mapping (--mapping)", s.colName(j), normalAt, flippedAt)
	}
	return nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// decideBlankSign reads the convention of a sign column that marks only
// one side, as card statements do: "CR" beside credits and nothing beside
// charges. Blank cells under amounts then mean the other side; with marks
// of both sides a blank stays an error.
func (s *spec) decideBlankSign(data []tableRow) {
	k, j := s.first(roleSign), s.first(roleAmount)
	if k < 0 || j < 0 {
		return
	}
	debit, credit, blank := 0, 0, 0
	for _, r := range data {
		if r.cell(j) == "" {
			continue
		}
		switch v := signMark(r.cell(k), s.debitW, s.creditW); {
		case v == "":
			blank++
		case s.debitW[v]:
			debit++
		case s.creditW[v]:
			credit++
		}
	}
	switch {
	case blank == 0:
	case credit > 0 && debit == 0:
		s.blankSign = -1
		s.notes = append(s.notes, fmt.Sprintf("%s: marks credits only; a blank is a debit", s.colName(k)))
	case debit > 0 && credit == 0:
		s.blankSign = 1
		s.notes = append(s.notes, fmt.Sprintf("%s: marks debits only; a blank is a credit", s.colName(k)))
	}
}

// resolveK settles the mark K in a sign column by the marks beside it:
// with D it is kredit, credit (Lithuanian, Latvian and Czech D/K); with J
// (jóváírás, credit) it is ki, out, a debit (Hungarian Be/Ki exports).
func (s *spec) resolveK(profiles []*colProfile) {
	j := s.first(roleSign)
	if j < 0 || j >= len(profiles) || profiles[j].eitherW == 0 || s.debitW["k"] || s.creditW["k"] {
		return
	}
	p := profiles[j]
	debit, credit := false, false
	for v := range p.distinct {
		f := fold(v)
		debit = debit || debitWords[f]
		credit = credit || creditWords[f]
	}
	if debit == credit {
		return // K stays unknown: its rows are errors naming the column
	}
	d, c := map[string]bool{}, map[string]bool{}
	for w := range s.debitW {
		d[w] = true
	}
	for w := range s.creditW {
		c[w] = true
	}
	if debit {
		c["k"] = true
		s.notes = append(s.notes, fmt.Sprintf("%s: K is credit (kredit), beside D", s.colName(j)))
	} else {
		d["k"] = true
		s.notes = append(s.notes, fmt.Sprintf("%s: K is debit (ki, out), beside J", s.colName(j)))
	}
	s.debitW, s.creditW = d, c
}

// refine chooses between own and counterparty account by content: the
// own account is the same on every row (or a handful, in a file of
// several accounts); counterparties vary.
func (s *spec) refine(r role, header string, p *colProfile) role {
	h := fold(header)
	if r.isMoney() {
		switch {
		case hasAnyWord(h, foreignWords):
			return roleIgnore // the amount before conversion, third-party fees
		case r == roleFee:
		case hasAnyWord(h, sideWords):
			return roleIgnore // shipping, tax: not the transaction's amount
		case r != roleBalance && r != roleBalanceBefore && hasAnyWord(h, feeWords):
			return roleSkip // "Montant des frais": a fee, if anything
		}
	}
	if r == roleCounterparty && hasAnyWord(h, codeWords) && !(hasAnyPart(h, counterpartyMarks) && endsWithName(h)) {
		return roleSkip // "Partner BIC", "Auftraggeber IBAN": a code, not a name
	}
	if r == roleAccount && hasAnyPart(h, counterpartyMarks) {
		r = roleCounterpartyAccount // "Payee Account Number", "Gegenkonto"
	}
	if r == roleCounterparty && p.mostly(p.ibans) {
		return roleCounterpartyAccount // ING's English "Counterparty" holds IBANs
	}
	if r == roleAccount && !p.empty() && !p.mostly(p.accounts) {
		return roleNone // mBank's "#Rachunek" holds the product name, not the number
	}
	if r != roleAccount && r != roleCounterpartyAccount || p.empty() || !genericAccount[fold(header)] {
		return r
	}
	// A bare "IBAN" or "Kontonummer": the own account is the same on every
	// row (or one of a few, in a file of several accounts); DKB's
	// "Kontonummer" is the counterparty's, different on every row.
	if p.constant() || len(p.distinct)*3 <= p.nonEmpty {
		return roleAccount
	}
	return roleCounterpartyAccount
}

// roleSkip, from refine, passes over a candidate role to the next.
const roleSkip = numRoles + 1

// Words that make a money header something other than the transaction's
// amount: a side charge, the amount in a foreign currency, a fee.
var (
	sideWords = foldAll("shipping", "handling", "livraison", "versand", "spedizione", "envío", "envio", "insurance", "tax",
		"taxe", "tva", "vat", "mwst", "ust", "iva", "áfa", "podatek", "daň", "税", "税额", "运费", "tip", "tips", "trinkgeld")
	foreignWords = foldAll("original", "originale", "origine", "foreign", "local", "fremdwährung", "fremdwaehrung", "oorspr",
		"ursprung", "ursprungsbetrag", "orig", "původní", "puvodni", "pôvodná", "原币", "交易地", "外币", "cizí měna", "devizában", "fremde", "third party")
	feeWords = foldAll("fee", "fees", "frais", "gebühr", "gebühren", "commission", "commissione", "commissioni", "comisión",
		"díj", "prowizja", "poplatek", "手续费", "服务费")
	// counterpartyMarks are parts of a header that make an account the
	// other party's ("Empfängerkonto", "Tegenrekening", "对方账号").
	counterpartyMarks = foldAll("payee", "payer", "beneficiar", "recipient", "counterpart", "counter part", "counteraccount",
		"partner", "tegen", "gegen", "empfänger", "empfaenger", "auftraggeber", "zahlungspflichtig", "begünstigt", "beguenstigt",
		"kontrahent", "controparte", "contrepartie", "contrapartida", "destino", "ordenante", "beneficiario", "ordinante",
		"对方", "收款", "付款", "收(付)", "ellenoldal", "protiúč", "protiuc", "protistran", "sender", "receiver")
	// payerMarks and payeeMarks tell a payer column from a payee column.
	payerMarks = foldAll("zahlungspflichtig", "auftraggeber", "payer", "sender", "remitter", "from", "nadawca", "付款",
		"ordinante", "ordenante", "donneur", "emetteur", "absender", "betaler", "opdrachtgever", "befizető")
	payeeMarks = foldAll("empfänger", "empfaenger", "begünstigt", "beguenstigt", "beneficiar", "payee", "recipient",
		"odbiorca", "收款", "bénéficiaire", "destinatario", "ontvanger", "begunstigde", "kedvezményezett", "merchant")
	// codeWords make a party header name a code or an address, not a name.
	codeWords = foldAll("bic", "swift", "blz", "iban", "code", "konto", "kontonummer", "account", "rekening", "number", "nummer",
		"no", "nr", "id", "email", "e-mail", "address", "adresse", "adres", "indirizzo", "dirección", "ort", "city", "land",
		"country", "postcode", "plz", "账号", "卡号", "账户", "bank", "banque", "bankleitzahl", "sort code")
	// preferredWords name the better of two candidate columns.
	preferredWords = foldAll("net", "net amount", "netto", "nettobetrag", "neto", "importe neto", "montant net", "importo netto",
		"实付金额", "实收金额", "buchungstag", "buchungsdatum", "booking date", "posting date", "posted date", "post date",
		"könyvelés dátuma", "data contabile", "data registrazione", "fecha contable", "date comptable", "boekdatum",
		"boekingsdatum", "记账日期", "记账日", "入账日期", "银行记账日", "completed date", "data księgowania",
		"date de comptabilisation", "datum zaúčtování", "dátum zaúčtovania")
)

// nameEnds are last words that make a header a name even where it also
// holds a code word: "对方账户名" and "Counteraccount name" are the other
// party's name, not its account.
var nameEnds = foldAll("名", "名称", "户名", "name", "naam", "nom", "nome", "nombre", "név", "neve", "nazwa", "název", "názov")

// endsWithName reports whether the folded header h ends in a name word.
func endsWithName(h string) bool {
	for _, w := range nameEnds {
		if strings.HasSuffix(h, w) && (hasCJK(w) || containsWord(h, w)) {
			return true
		}
	}
	return false
}

func foldAll(ws ...string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fold(w)
	}
	return out
}

// hasAnyWord reports whether the folded header h holds one of the words
// at word bounds (anywhere, for Chinese).
func hasAnyWord(h string, words []string) bool {
	for _, w := range words {
		if hasCJK(w) && strings.Contains(h, w) || containsWord(h, w) {
			return true
		}
	}
	return false
}

// hasAnyPart reports whether h holds one of the parts anywhere.
func hasAnyPart(h string, parts []string) bool {
	for _, w := range parts {
		if strings.Contains(h, w) {
			return true
		}
	}
	return false
}

// preferredHeader reports whether a header names the better of two
// candidates for one role (see preferredWords).
func preferredHeader(h string) bool {
	f := fold(h)
	for _, w := range preferredWords {
		if f == w || hasCJK(w) && strings.Contains(f, w) {
			return true
		}
	}
	return false
}

// genericAccount are account headers that do not say whose account.
var genericAccount = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"iban", "iban/bban", "account", "account number", "account no", "account no.", "konto", "kontonummer",
		"rekening", "rekeningnummer", "rachunek", "numer rachunku", "nr rachunku", "számlaszám", "számla", "conto", "compte", "cuenta",
		"账号", "账户", "帐号", "卡号"} {
		m[fold(w)] = true
	}
	return m
}()

// place gives column j the role r, unless r is taken. Descriptions may
// span several columns; a second date column becomes the value date.
func (s *spec) place(r role, j int, p *colProfile, why string) bool {
	if s.has(r) {
		switch r {
		case roleDescription, roleCounterparty:
			// Several name columns: the first filled one per row (Wise's
			// Payer Name, Payee Name, Merchant).
		case roleBooking:
			if s.has(roleValue) {
				return false
			}
			r = roleValue
			why += ", the second date column"
		default:
			return false
		}
	}
	s.col[r] = append(s.col[r], j)
	s.notes = append(s.notes, fmt.Sprintf("%s: %s (%s)", s.colName(j), r, why))
	return true
}

func headerBlank(h []string, j int) bool { return j >= len(h) || strings.TrimSpace(h[j]) == "" }

// findHeader returns the sample row that best reads as a table header:
// most cells in the vocabulary, with a date and an amount among them.
func findHeader(rows []tableRow, v vocabIndex) int {
	best, bestScore := -1, 0
	for i, r := range rows {
		if i > 200 {
			break
		}
		score, date, money := 0, false, false
		for j, c := range r.cells {
			if strings.TrimSpace(c) == "" || r.kind(j) != cellText {
				continue
			}
			if _, ok := splitDate(c); ok || looksLikeMoney(c) {
				score = -100 // a data row
				break
			}
			roles := v.headerRoles(c)
			if len(roles) > 0 {
				score++
			}
			for _, ro := range roles {
				date = date || ro.isDate()
				money = money || ro.isMoney()
			}
		}
		if date && money && score >= 2 && score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// firstDataRow finds, in a table without a header, the first row of the
// run of rows that share the most common width and have a date.
func firstDataRow(rows []tableRow) int {
	widths := map[int]int{}
	for _, r := range rows {
		if hasDate(r) {
			widths[len(r.cells)]++
		}
	}
	w, n := 0, 0
	for k, c := range widths {
		if c > n || c == n && k > w {
			w, n = k, c
		}
	}
	if n == 0 || w < 2 {
		return -1
	}
	for i, r := range rows {
		if len(r.cells) == w && hasDate(r) {
			return i
		}
	}
	return -1
}

func hasDate(r tableRow) bool {
	for j, c := range r.cells {
		if r.kind(j) == cellDate {
			return true
		}
		if _, ok := splitDate(c); ok && r.kind(j) == cellText {
			return true
		}
	}
	return false
}

// tableRows keeps the rows that are transactions for profiling: not
// blank, not balance or total rows, not a repeated header.
func (s *spec) tableRows(rows []tableRow) []tableRow {
	var out []tableRow
	width := len(s.header)
	for _, r := range rows {
		if r.blank() || s.isHeaderAgain(r) || s.badWidth(r) != "" {
			continue // a row that does not line up would mislead the profiles
		}
		first, filled := -1, 0
		for j, c := range r.cells {
			if strings.TrimSpace(c) != "" {
				if first < 0 {
					first = j
				}
				filled++
			}
		}
		if k, at := s.labels.rowLabel(r.cells); k != labelNone && (at == first || !hasDate(r)) {
			continue // a balance or total row
		}
		if k, _ := s.datedBalanceLabel(r); k != labelNone || s.datedSummaryRow(r) {
			continue // a balance or total row with a date
		}
		if filled == 1 && (width >= 3 || len(r.cells) == 1) {
			continue // a comment or footer line
		}
		out = append(out, r)
	}
	return out
}

func (s *spec) isHeaderAgain(r tableRow) bool {
	if len(s.header) == 0 || len(r.cells) != len(s.header) {
		return false
	}
	for i := range r.cells {
		if strings.TrimSpace(r.cells[i]) != strings.TrimSpace(s.header[i]) {
			return false
		}
	}
	return true
}

// periodEnd is the last day the statement covers, where the file says:
// the period's end, else the end of the statement month in its title.
func (s *spec) periodEnd() ferry.Date {
	if !s.to.IsZero() {
		return s.to
	}
	return s.month
}

// statementMonth finds "2024年01月" or "January 2024" in a title cell:
// the month a card statement covers.
var statementMonthRe = regexp.MustCompile(`(20\d\d)\s*年\s*(\d{1,2})\s*月`)

func statementMonth(cell string) ferry.Date {
	if len(cell) > 200 {
		return ferry.Date{}
	}
	if m := statementMonthRe.FindStringSubmatch(cell); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo >= 1 && mo <= 12 {
			return ferry.NewDate(y, time.Month(mo)+1, 1).AddDays(-1)
		}
	}
	return ferry.Date{}
}

// readBlock reads the key-value rows above the table.
func (s *spec) readBlock(rows []tableRow, where func(int) string) {
	for _, r := range rows {
		for _, c := range r.cells {
			if d := statementMonth(c); !d.IsZero() && s.month.IsZero() {
				s.month = d
			}
			if y := yuanAmount.FindString(c); y != "" && s.blockYuan == "" {
				s.blockYuan = y
			}
			if !s.cardContext && len(c) < 200 && hasAnyPart(fold(c), cardWords) {
				s.cardContext = true
			}
		}
	}
	for i, r0 := range rows {
		r := splitBlockRow(r0)
		for j := 0; j < len(r.cells); j++ {
			k, rest := s.labels.match(r.cells[j])
			if k == labelNone {
				continue
			}
			rest = strings.Trim(rest, "[]【】 ")
			val, kind, next := rest, cellText, j
			if k2, rest2 := s.labels.match(rest); k2 == k && rest2 == "" {
				val = "" // the label's other language: "账号 Account No."
			}
			if k == labelOpening || k == labelClosing {
				if _, _, err := blockAmount(val, cellText); err != nil {
					val = "" // "Kontostand vom 31.01.2024:": the amount is beside it
				}
			}
			if val == "" {
				for t := j + 1; t < len(r.cells); t++ {
					if strings.TrimSpace(r.cells[t]) != "" {
						val, kind, next = strings.TrimSpace(r.cells[t]), r.kind(t), t
						break
					}
				}
			}
			if val == "" && i+1 < len(rows) && lastFilled(r.cells) == j {
				// mBank writes the label on one line, the value on the next.
				next := rows[i+1]
				if f := firstFilled(next.cells); f >= 0 {
					val, kind = strings.TrimSpace(next.cells[f]), next.kind(f)
					if k == labelPeriod && f+1 < len(next.cells) {
						val += " - " + strings.TrimSpace(next.cells[f+1])
					}
				}
			}
			val = strings.Trim(val, "[]【】 ")
			if val == "" {
				continue
			}
			at := where(r.num)
			switch k {
			case labelAccount:
				if s.account == "" {
					// "DE12 ... / Girokonto": the number is the first part.
					acct := strings.TrimSpace(strings.FieldsFunc(val, func(r rune) bool { return r == '/' || r == '(' || r == '[' || r == ']' })[0])
					if iban := findIBAN(val); iban != "" {
						s.account, s.accountWhy = iban, "the label at "+at
					} else if accountLike(acct) {
						s.account, s.accountWhy = normAccount(acct), "the label at "+at
					} else if a := extractAccount(val); a != "" {
						// "FRANK Account 666-666666-666": the holder's
						// name and the product before the number.
						s.account, s.accountWhy = a, "the label at "+at
					}
				}
			case labelName:
				if s.holder == "" {
					s.holder = val
				}
			case labelCurrency:
				if c := currencyCode(val); c != "" && s.currency == "" {
					s.currency, s.currencyWhy = c, "the label at "+at
				}
			case labelFrom, labelTo:
				if d, err := blockDate(val, kind); err == nil {
					if k == labelFrom {
						s.from = d
					} else {
						s.to = d
					}
				}
			case labelPeriod:
				s.readPeriod(val)
			case labelOpening, labelClosing:
				v, cur, err := blockAmount(val, kind)
				if err != nil {
					s.warnings = append(s.warnings, fmt.Sprintf("%s: %s balance %q not read: %v", at, map[labelKind]string{labelOpening: "opening", labelClosing: "closing"}[k], val, err))
					continue
				}
				if k == labelOpening {
					s.opening = &v
				} else {
					s.closing = &v
				}
				if cur != "" && s.currency == "" {
					s.currency, s.currencyWhy = cur, "the balance at "+at
				}
			}
			j = next // go on after the value: a row may hold several pairs
		}
		if s.account == "" {
			for _, c := range r.cells {
				if iban := findIBAN(c); iban != "" {
					s.account, s.accountWhy = iban, "an IBAN at "+where(r.num)
					break
				}
			}
		}
		if s.account == "" {
			// A label the vocabulary does not know but that names an
			// account and ends in a colon ("Account details for:"),
			// with a number in the next cell.
			for j, c := range r.cells {
				f := fold(c)
				if !strings.HasSuffix(f, ":") || !hasAnyWord(f, accountLabelWords) {
					continue
				}
				for t := j + 1; t < len(r.cells); t++ {
					if v := strings.TrimSpace(r.cells[t]); v != "" {
						if a := extractAccount(v); a != "" {
							s.account, s.accountWhy = a, "beside "+strconv.Quote(strings.TrimSpace(c))+" at "+where(r.num)
						}
						break
					}
				}
				if s.account != "" {
					break
				}
			}
		}
	}
}

// accountLabelWords name an account in a label above the table.
var accountLabelWords = foldAll("account", "konto", "rekening", "compte", "conto", "cuenta", "számla", "rachunek", "účet", "账号", "账户", "帐号", "卡号")

// splitBlockRow splits cells that hold several "label: value" pairs
// apart at runs of spaces ("起始日期: [20230201]   终止日期: [20230228]").
func splitBlockRow(r tableRow) tableRow {
	var cells []string
	var kinds []cellKind
	for j, c := range r.cells {
		if strings.Contains(c, "   ") {
			for _, part := range strings.Split(c, "   ") {
				if part = strings.TrimSpace(part); part != "" {
					cells = append(cells, part)
					kinds = append(kinds, cellText)
				}
			}
			continue
		}
		cells = append(cells, c)
		kinds = append(kinds, r.kind(j))
	}
	return tableRow{cells: cells, kinds: kinds, num: r.num}
}

func firstFilled(cells []string) int {
	for j, c := range cells {
		if strings.TrimSpace(c) != "" {
			return j
		}
	}
	return -1
}

func lastFilled(cells []string) int {
	for j := len(cells) - 1; j >= 0; j-- {
		if strings.TrimSpace(cells[j]) != "" {
			return j
		}
	}
	return -1
}

// readPeriod reads "01.01.2024 - 31.01.2024" or "2024-01-01 至 2024-01-31".
func (s *spec) readPeriod(v string) {
	for _, sep := range []string{" - ", " – ", " bis ", " to ", " tot ", " au ", " al ", "至", "~", "—", " -", "- "} {
		a, b, ok := strings.Cut(v, sep)
		if !ok {
			continue
		}
		da, err1 := blockDate(a, cellText)
		db, err2 := blockDate(b, cellText)
		if err1 == nil && err2 == nil {
			s.from, s.to = da, db
			return
		}
	}
}

// blockDate reads a date in the block above the table, where day-first
// and month-first cannot be told apart from one cell: only unambiguous
// dates are taken.
func blockDate(v string, k cellKind) (ferry.Date, error) {
	p, ok := splitDate(v)
	if !ok {
		return ferry.Date{}, fmt.Errorf("not a date")
	}
	if k == cellDate || p.month != 0 || p.digits[0] == 4 || p.cjk {
		return p.date(orderYMD)
	}
	var e dateEvidence
	e.add(v, "")
	o, _, err := e.decide(orderUnknown, "")
	if err != nil {
		return ferry.Date{}, err
	}
	return p.date(o)
}

// blockAmount reads a balance in the block above the table.
func blockAmount(v string, k cellKind) (decimal.Decimal, string, error) {
	if k == cellNumber {
		d, err := decimal.NewFromString(v)
		return d, "", err
	}
	d, m, err := parseAmount(v, 0)
	return d, m.currency, err
}

// accountLike reports whether v reads as an account number: an IBAN, or
// digits (at least six) with separators and at most a few letters
// ("20-32-06 13152170", "11773016-11111111-00000000", "6214830100001234").
func accountLike(v string) bool {
	digits, letters := 0, 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
			letters++
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '*':
		default:
			return false
		}
	}
	return digits >= 6 && letters <= 8 && len(v) <= 42
}

// currencyCode reads a currency cell: an ISO code, or a name banks print.
func currencyCode(v string) string {
	u := strings.ToUpper(strings.TrimSpace(v))
	if isISOCode(u) {
		if u == "RMB" || u == "CNH" {
			return "CNY"
		}
		return u
	}
	switch fold(v) {
	case "人民币", "人民币元", "rmb":
		return "CNY"
	case "€", "euro":
		return "EUR"
	case "美元":
		return "USD"
	case "港币", "港元":
		return "HKD"
	}
	return ""
}

// placeByContent places the columns of a table without a header row.
func (s *spec) placeByContent(profiles []*colProfile, taken []bool, data []tableRow) error {
	var dates, money, texts []int
	for j, p := range profiles {
		if taken[j] || p.empty() {
			continue
		}
		switch {
		case p.isDate():
			dates = append(dates, j)
		case p.realMoney():
			money = append(money, j)
		case p.mostly(p.money) && p.fraction == 0 && p.repeats():
			// The same integer on every row (or a few, each on many rows):
			// an account number. Serial numbers differ on every row.
			if !s.has(roleAccount) && len(p.sample) >= 6 {
				s.place(roleAccount, j, p, "content: the same number on every row")
				taken[j] = true
			}
		case p.mostly(p.money) && p.fraction == 0:
			texts = append(texts, j) // serial numbers, references
		default:
			if iban := findIBAN(p.sample); iban != "" && p.repeats() && !s.has(roleAccount) {
				s.place(roleAccount, j, p, "content: the same IBAN on every row")
				taken[j] = true
				continue
			}
			texts = append(texts, j)
		}
	}
	switch {
	case s.has(roleBooking):
	case len(dates) == 0:
		return fmt.Errorf("no date column")
	default:
		s.place(roleBooking, dates[0], profiles[dates[0]], "content: the first date column")
		if len(dates) > 1 && !s.has(roleValue) {
			s.place(roleValue, dates[1], profiles[dates[1]], "content: the second date column")
		}
	}
	if s.has(roleDescription) && (s.has(roleAmount) || s.has(roleDebit)) {
		return nil
	}
	switch len(money) {
	case 0:
		if s.has(roleAmount) || s.has(roleDebit) {
			break
		}
		return fmt.Errorf("no amount column")
	case 1:
		if !s.has(roleAmount) && !s.has(roleDebit) {
			s.place(roleAmount, money[0], profiles[money[0]], "content: the only amount column")
		}
	case 2, 3:
		if !s.chainRoles(money, profiles, data) {
			var names []string
			for _, j := range money {
				names = append(names, s.colName(j))
			}
			return fmt.Errorf("several amount columns (%s) and no balance chain to tell the amount from the balances", strings.Join(names, ", "))
		}
	default:
		return fmt.Errorf("%d amount-like columns: cannot tell which is the amount", len(money))
	}
	// The longest text is the description; others are kept in Details.
	if len(texts) > 0 && !s.has(roleDescription) {
		sort.SliceStable(texts, func(a, b int) bool { return profiles[texts[a]].avgText() > profiles[texts[b]].avgText() })
		s.place(roleDescription, texts[0], profiles[texts[0]], "content: the longest text column")
	}
	return nil
}

// chainRoles tells amount and balance columns apart in a headerless table
// by the arithmetic that links them: balance before + amount = balance
// after on each row, each balance = the previous one + the amount (the
// balance after the line, or before it, as ASN writes it), or the same
// with a debit and a credit column that are never both filled (TD). The
// rows may run oldest or newest first.
func (s *spec) chainRoles(money []int, profiles []*colProfile, data []tableRow) bool {
	type column struct {
		v   []decimal.Decimal
		set []bool
	}
	read := func(j int) (column, bool) {
		var c column
		for _, r := range data {
			v := r.cell(j)
			if v == "" {
				c.v, c.set = append(c.v, decimal.Zero), append(c.set, false)
				continue
			}
			var d decimal.Decimal
			var err error
			if r.kind(j) == cellNumber {
				d, err = decimal.NewFromString(v)
			} else if d, _, err = parseAmount(v, 0); err != nil {
				d, _, err = parseAmount(v, ',')
			}
			if err != nil {
				return c, false
			}
			c.v, c.set = append(c.v, d), append(c.set, true)
		}
		return c, len(c.v) >= 2
	}
	cols := make([]column, len(money))
	for i, j := range money {
		var ok bool
		if cols[i], ok = read(j); !ok {
			return false
		}
	}
	full := func(c column) bool {
		for _, ok := range c.set {
			if !ok {
				return false
			}
		}
		return true
	}
	// chains reports whether bal follows amt, forward or newest first, as
	// the balance after each line or (before) the balance before it.
	chains := func(amt []decimal.Decimal, bal column, before bool) bool {
		fwd, rev := true, true
		for i := 1; i < len(amt); i++ {
			if before {
				fwd = fwd && bal.v[i].Equal(bal.v[i-1].Add(amt[i-1]))
				rev = rev && bal.v[i-1].Equal(bal.v[i].Add(amt[i]))
			} else {
				fwd = fwd && bal.v[i].Equal(bal.v[i-1].Add(amt[i]))
				rev = rev && bal.v[i-1].Equal(bal.v[i].Add(amt[i-1]))
			}
		}
		return fwd || rev
	}
	const why = "content: the balances follow from the amounts"
	if len(money) == 2 {
		for a := 0; a < 2; a++ {
			b := 1 - a
			if !full(cols[a]) || !full(cols[b]) {
				continue
			}
			for _, before := range []bool{false, true} {
				if chains(cols[a].v, cols[b], before) {
					s.place(roleAmount, money[a], profiles[money[a]], why)
					if before {
						s.place(roleBalanceBefore, money[b], profiles[money[b]], why+" (the balance before each line)")
					} else {
						s.place(roleBalance, money[b], profiles[money[b]], why)
					}
					return true
				}
			}
		}
		return false
	}
	// Three columns: balance before + amount = balance after on each row,
	// each row's balance before the previous row's after.
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			for c := 0; c < 3; c++ {
				if a == b || b == c || a == c || !full(cols[a]) || !full(cols[b]) || !full(cols[c]) {
					continue
				}
				ok, fwd, rev := true, true, true
				for i := range cols[a].v {
					if !cols[b].v[i].Add(cols[a].v[i]).Equal(cols[c].v[i]) {
						ok = false
						break
					}
					if i > 0 {
						fwd = fwd && cols[b].v[i].Equal(cols[c].v[i-1])
						rev = rev && cols[b].v[i-1].Equal(cols[c].v[i])
					}
				}
				if ok && (fwd || rev) {
					s.place(roleAmount, money[a], profiles[money[a]], "content: balance before + amount = balance after")
					s.place(roleBalanceBefore, money[b], profiles[money[b]], "content: balance before + amount = balance after")
					s.place(roleBalance, money[c], profiles[money[c]], "content: balance before + amount = balance after")
					return true
				}
			}
		}
	}
	// A debit and a credit column, never both filled, and a balance.
	for d := 0; d < 3; d++ {
		for c := 0; c < 3; c++ {
			b := 3 - d - c
			if d == c || b == d || b == c || !full(cols[b]) {
				continue
			}
			amt := make([]decimal.Decimal, len(cols[b].v))
			ok := true
			for i := range amt {
				if cols[d].set[i] == cols[c].set[i] && !(cols[d].v[i].IsZero() || cols[c].v[i].IsZero()) {
					ok = false // both or neither filled
					break
				}
				amt[i] = cols[c].v[i].Abs().Sub(cols[d].v[i].Abs())
			}
			if ok && chains(amt, cols[b], false) {
				s.place(roleDebit, money[d], profiles[money[d]], why+" (debits)")
				s.place(roleCredit, money[c], profiles[money[c]], why+" (credits)")
				s.place(roleBalance, money[b], profiles[money[b]], why)
				return true
			}
		}
	}
	return false
}

// decideFormats fixes the date order and the decimal mark from every
// cell of the sample.
func (s *spec) decideFormats(profiles []*colProfile, data []tableRow, where func(int) string, m *Mapping, o Options) error {
	// Decimal mark: every text amount cell of the used money columns
	// votes; XLSX numbers are machine values and prove nothing.
	var dot, comma, amb int
	var dotAt, commaAt, ambAt string
	for r := role(1); r < numRoles; r++ {
		if !r.isMoney() {
			continue
		}
		for _, j := range s.col[r] {
			for _, row := range data {
				v := row.cell(j)
				if v == "" || row.kind(j) != cellText {
					continue
				}
				mt, err := splitMoney(v)
				if err != nil {
					continue
				}
				at := fmt.Sprintf("%q at %s", v, where(row.num))
				switch markEvidence(mt.digits) {
				case '.':
					if dot++; dotAt == "" {
						dotAt = at
					}
				case ',':
					if comma++; commaAt == "" {
						commaAt = at
					}
				case '?':
					if amb++; ambAt == "" {
						ambAt = at
					}
				}
			}
		}
	}
	switch {
	case m != nil && m.DecimalSeparator != "":
		s.dec = m.DecimalSeparator[0]
		s.notes = append(s.notes, fmt.Sprintf("decimal mark: %q (mapping)", s.dec))
	case dot > 0 && comma > 0:
		return fmt.Errorf("amounts use both \".\" (%s) and \",\" (%s) as the decimal mark; set decimal_separator in a mapping", dotAt, commaAt)
	case dot > 0:
		s.dec = '.'
		s.notes = append(s.notes, "decimal mark: \".\" (e.g. "+dotAt+")")
	case comma > 0:
		s.dec = ','
		s.notes = append(s.notes, "decimal mark: \",\" (e.g. "+commaAt+")")
	case amb > 0:
		return fmt.Errorf("cannot tell the decimal mark: every amount has one separator and three digits after it (%s); set decimal_separator in a mapping", ambAt)
	default:
		s.notes = append(s.notes, "decimal mark: not shown by any amount in the first rows (whole numbers)")
	}
	// Dates: per column, from its own evidence, else the file's.
	s.dates = make([]dateFormat, len(profiles))
	var pooled dateEvidence
	for _, r := range []role{roleBooking, roleValue} {
		for _, j := range s.col[r] {
			pooled.merge(&profiles[j].dates)
		}
	}
	layout := ""
	forced := orderUnknown
	if m != nil && m.DateFormat != "" {
		if forced = orderOfPattern(m.DateFormat); forced == orderUnknown {
			l, err := goLayout(m.DateFormat)
			if err != nil {
				return fmt.Errorf("mapping %s: %v", m.Path, err)
			}
			layout = l
		}
	}
	if o.DateOrder != "" && forced == orderUnknown && layout == "" {
		if forced = orderOfPattern(o.DateOrder); forced == orderUnknown {
			return fmt.Errorf("Options.DateOrder %q: want DMY, MDY or YMD", o.DateOrder)
		}
	}
	for _, r := range []role{roleBooking, roleValue} {
		for _, j := range s.col[r] {
			f := dateFormat{layout: layout, order: forced, end: s.periodEnd()}
			why := "mapping"
			if layout == "" && forced == orderUnknown {
				ev := &profiles[j].dates
				o, w, err := ev.decide(orderUnknown, "")
				if err != nil && ev.dayFirst == 0 && ev.monFirst == 0 {
					o, w, err = pooled.decide(s.hintOrder(), "the file's decimal comma: its locale writes the day first")
				}
				if err != nil {
					return fmt.Errorf("%s: %v", s.colName(j), err)
				}
				f.order, why = o, w
			}
			s.dates[j] = f
			if f.layout != "" {
				s.notes = append(s.notes, fmt.Sprintf("%s: dates as %s (mapping)", s.colName(j), m.DateFormat))
			} else {
				s.notes = append(s.notes, fmt.Sprintf("%s: date order %s (%s)", s.colName(j), f.order, why))
			}
		}
	}
	return nil
}

// hintOrder is the date order the file's other conventions imply: a
// decimal comma is written only where dates are day-first.
func (s *spec) hintOrder() dateOrder {
	if s.dec == ',' {
		return orderDMY
	}
	return orderUnknown
}

// decideCurrency finds the statement's currency where no column gives it
// per line: a header such as "Betrag (EUR)", or the amount cells.
func (s *spec) decideCurrency(profiles []*colProfile, data []tableRow) {
	if s.currency != "" || s.has(roleCurrency) && !profiles[s.first(roleCurrency)].empty() {
		return // an empty currency column (ZKB's "Curr") says nothing
	}
	for r := role(1); r < numRoles; r++ {
		if !r.isMoney() {
			continue
		}
		for _, j := range s.col[r] {
			if j < len(s.header) {
				h := strings.ToUpper(s.header[j])
				for _, w := range strings.FieldsFunc(h, func(r rune) bool {
					return r == '(' || r == ')' || r == ' ' || r == '[' || r == ']' || r == '/' || r == ',' || r == ':'
				}) {
					if isISOCode(w) && !wordCodes[w] {
						s.currency, s.currencyWhy = currencyCode(w), "the header "+s.colName(j)
						return
					}
				}
				if strings.Contains(h, "€") || containsWord(fold(h), "euro") || containsWord(fold(h), "euros") {
					s.currency, s.currencyWhy = "EUR", "the header "+s.colName(j)
					return
				}
				if strings.Contains(h, "人民币") || strings.Contains(h, "(元)") || strings.Contains(h, "（元）") {
					s.currency, s.currencyWhy = "CNY", "the header "+s.colName(j)
					return
				}
			}
		}
	}
	for _, r := range data {
		for _, ro := range []role{roleAmount, roleDebit, roleCredit, roleBalance} {
			for _, j := range s.col[ro] {
				if r.kind(j) != cellText {
					continue
				}
				if m, err := splitMoney(r.cell(j)); err == nil && m.currency != "" {
					s.currency, s.currencyWhy = m.currency, fmt.Sprintf("the amounts (%q)", r.cell(j))
					return
				}
			}
		}
	}
	// ¥ and 元 are yuan in a file whose headers are Chinese (in a
	// Japanese one ¥ is yen): 美团's "¥22.30", Alipay's "28.50元" in
	// the block above the table.
	chinese := false
	for _, h := range s.header {
		chinese = chinese || hasCJK(h)
	}
	if !chinese {
		return
	}
	for _, r := range data {
		for _, ro := range []role{roleAmount, roleDebit, roleCredit, roleBalance} {
			for _, j := range s.col[ro] {
				if m, err := splitMoney(r.cell(j)); err == nil && (m.symbol == "¥" || m.symbol == "￥" || m.symbol == "元") {
					s.currency, s.currencyWhy = "CNY", fmt.Sprintf("the amounts (%q) under Chinese headers", r.cell(j))
					return
				}
			}
		}
	}
	if s.blockYuan != "" {
		s.currency, s.currencyWhy = "CNY", fmt.Sprintf("the amounts in yuan above the table (%q)", s.blockYuan)
	}
}

// yuanAmount finds an amount in yuan in a text: "16.54元".
var yuanAmount = regexp.MustCompile(`[0-9][0-9,]*(?:\.[0-9]+)?\s*元`)

// suggestMapping is the advice every unrecognised-table error ends with.
func suggestMapping(name string) string {
	return fmt.Sprintf("describe the table in a mapping file and pass it with --mapping (ferry mapping suggest %s prints a starting point; see docs/mapping.md)", strconv.Quote(name))
}
