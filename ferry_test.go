package ferry

import (
	"errors"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestReconcile(t *testing.T) {
	t.Parallel()
	s := Statement{Account: "A1", Opening: d("100.00"), Closing: d("70.50"), Lines: []StatementLine{
		{Amount: d("-50.00"), BalanceAfter: d("50.00"), Reference: "R1"},
		{Amount: d("20.50"), BalanceAfter: d("70.50"), Reference: "R2"},
	}}
	if err := s.Reconcile(); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	s.Closing = d("70.51")
	if err := s.Reconcile(); !errors.Is(err, ErrUnreconciled) {
		t.Fatalf("closing off by 0.01: got %v, want ErrUnreconciled", err)
	}
	s.Closing = d("70.50")
	s.Lines[0].BalanceAfter = d("50.01")
	err := s.Reconcile()
	if !errors.Is(err, ErrUnreconciled) || !strings.Contains(err.Error(), "line 1 (ref R1)") {
		t.Fatalf("broken chain: got %v, want error naming line 1 ref R1", err)
	}
}

func TestDedupKeyStable(t *testing.T) {
	t.Parallel()
	a := StatementLine{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("-12.5"), Currency: "CNY", TransactionID: "X1", Reference: "E2E-1", BalanceAfter: d("100")}
	b := a
	b.Amount = d("-12.50") // same value, other scale: same key
	b.Description = "other text"
	b.Reference = "NOTPROVIDED" // another format's reference field
	b.BalanceAfter = d("0")     // a format without balances: same key
	if a.DedupKey(0) != b.DedupKey(0) {
		t.Fatalf("same bank id, different keys: %s vs %s", a.DedupKey(0), b.DedupKey(0))
	}
	c := a
	c.TransactionID = "X2"
	if a.DedupKey(0) == c.DedupKey(0) {
		t.Fatal("different bank ids gave the same key")
	}
	other := a
	other.Account = "6222-02"
	if a.DedupKey(0) == other.DedupKey(0) {
		t.Fatal("one bank id in two accounts gave the same key")
	}
	// Without a bank id: account, date, amount, counterparty and
	// description, plus the occurrence among identical lines.
	fee := StatementLine{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("-2.00"), Currency: "CNY", Counterparty: "Bank", Description: "SMS  fee"}
	st := Statement{Lines: []StatementLine{fee, a, fee}}
	keys := st.DedupKeys()
	if keys[0] == keys[2] {
		t.Fatal("two genuine identical fees on one day share a key")
	}
	again := Statement{Lines: []StatementLine{fee, fee}}.DedupKeys()
	if again[0] != keys[0] || again[1] != keys[2] {
		t.Fatal("keys of identical lines are not stable across statements")
	}
	spaced := fee
	spaced.Description = "SMS fee"
	if spaced.DedupKey(0) != fee.DedupKey(0) {
		t.Fatal("whitespace in the description changed the key")
	}
}

// TestDedupKeyPlaceholderReferences is issue 9's case: camt falls back to
// the EndToEndId, which is often NOTPROVIDED, and the previous keys gave
// different transactions on different days one key.
func TestDedupKeyPlaceholderReferences(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"NOTPROVIDED", "NONREF", "NOREF", "NONE", "-", "", "0000000000", "n/a", "NOT PROVIDED", " notprovided "} {
		x := StatementLine{Account: "DE89370400440532013000", BookingDate: NewDate(2026, 10, 1), Amount: d("-50.00"), Currency: "EUR", Description: "Miete", Reference: ref}
		y := StatementLine{Account: "DE89370400440532013000", BookingDate: NewDate(2026, 10, 2), Amount: d("-30.00"), Currency: "EUR", Description: "Strom", Reference: ref}
		if NormalizeReference(ref) != "" {
			t.Errorf("NormalizeReference(%q) = %q, want \"\" (a placeholder)", ref, NormalizeReference(ref))
		}
		// Each in its own statement (two runs) and both in one.
		k1, k2 := Statement{Lines: []StatementLine{x}}.DedupKeys()[0], Statement{Lines: []StatementLine{y}}.DedupKeys()[0]
		if k1 == k2 {
			t.Errorf("reference %q: two transactions on different days share key %s", ref, k1)
		}
		both := Statement{Lines: []StatementLine{x, y}}.DedupKeys()
		if both[0] != k1 || both[1] != k2 {
			t.Errorf("reference %q: keys changed when the statement covers both days: %v, want [%s %s]", ref, both, k1, k2)
		}
		// A placeholder is no reference: the same line from a format
		// without a reference column has the same key.
		none := x
		none.Reference = ""
		if none.DedupKey(0) != x.DedupKey(0) {
			t.Errorf("reference %q: key differs from the line without a reference", ref)
		}
		// A placeholder in the bank-id field is not a bank id.
		asID := x
		asID.TransactionID = ref
		if asID.DedupKey(0) != x.DedupKey(0) {
			t.Errorf("transaction id %q was taken as a bank id", ref)
		}
	}
	for _, ref := range []string{"E2E-2026-0001", "RF18539007547034", "0000000001", "NONREF2", "A"} {
		if NormalizeReference(ref) == "" {
			t.Errorf("NormalizeReference(%q) = \"\", want a reference", ref)
		}
	}
	// A customer reference that payers repeat (a monthly rent) is part of
	// the identity, not the identity.
	rent := StatementLine{Account: "NL91ABNA0417164300", BookingDate: NewDate(2026, 9, 1), Amount: d("-950"), Currency: "EUR", Reference: "HUUR"}
	next := rent
	next.BookingDate = NewDate(2026, 10, 1)
	if rent.DedupKey(0) == next.DedupKey(0) {
		t.Error("a repeated customer reference gave two months' rent one key")
	}
}

// TestDedupKeyNormalisation lists what must not change a key (formatting
// that differs between one bank's exports) and what must.
func TestDedupKeyNormalisation(t *testing.T) {
	t.Parallel()
	base := StatementLine{Account: "DE89370400440532013000", BookingDate: NewDate(2026, 10, 5), ValueDate: NewDate(2026, 10, 6),
		Amount: d("-1234.5"), Currency: "EUR", Counterparty: "Stadtwerke München GmbH", Description: "Abschlag Strom Oktober", Reference: "EREF 4711"}
	same := []struct {
		name string
		edit func(*StatementLine)
	}{
		{"IBAN printed in groups", func(l *StatementLine) { l.Account = "DE89 3704 0044 0532 0130 00" }},
		{"account in lower case", func(l *StatementLine) { l.Account = "de89370400440532013000" }},
		{"amount scale", func(l *StatementLine) { l.Amount = d("-1234.5000") }},
		{"currency case and space", func(l *StatementLine) { l.Currency = " eur" }},
		{"description spacing and case", func(l *StatementLine) { l.Description = "ABSCHLAG  STROM\nOKTOBER" }},
		{"MT940 line break inside a word", func(l *StatementLine) { l.Description = "Abschlag Str\nom Oktober" }},
		{"punctuation", func(l *StatementLine) { l.Counterparty = "Stadtwerke München, GmbH." }},
		{"upper case", func(l *StatementLine) {
			l.Description, l.Counterparty = "ABSCHLAG STROM OKTOBER", "STADTWERKE MÜNCHEN GMBH"
		}},
		{"reference spacing", func(l *StatementLine) { l.Reference = "EREF4711" }},
		{"value date, balance and details", func(l *StatementLine) {
			l.ValueDate = NewDate(2026, 10, 7)
			l.BalanceAfter = d("10")
			l.Details = "?20EREF+4711"
		}},
	}
	for _, c := range same {
		l := base
		c.edit(&l)
		if l.DedupKey(0) != base.DedupKey(0) {
			t.Errorf("%s changed the key", c.name)
		}
	}
	street := base
	street.Counterparty = "Straßenbau Süd GmbH"
	streetUpper := street
	streetUpper.Counterparty = "STRASSENBAU SÜD GMBH"
	if street.DedupKey(0) != streetUpper.DedupKey(0) {
		t.Error("ß against SS changed the key")
	}
	zh := StatementLine{Account: "6222021000010001", BookingDate: NewDate(2026, 10, 5), Amount: d("88"), Currency: "CNY", Counterparty: "阿里云计算有限公司", Description: "服务费 ABC123"}
	zhWide := zh
	zhWide.Currency, zhWide.Description = "人民币", "服务费\u3000ＡＢＣ１２３"
	if zh.DedupKey(0) != zhWide.DedupKey(0) {
		t.Error("full-width forms or 人民币 changed the key")
	}
	differ := []struct {
		name string
		edit func(*StatementLine)
	}{
		{"booking date", func(l *StatementLine) { l.BookingDate = NewDate(2026, 10, 6) }},
		{"amount", func(l *StatementLine) { l.Amount = d("-1234.51") }},
		{"sign", func(l *StatementLine) { l.Amount = d("1234.5") }},
		{"account", func(l *StatementLine) { l.Account = "DE89370400440532013001" }},
		{"currency", func(l *StatementLine) { l.Currency = "CHF" }},
		{"counterparty", func(l *StatementLine) { l.Counterparty = "Stadtwerke Augsburg" }},
		{"description", func(l *StatementLine) { l.Description = "Abschlag Gas Oktober" }},
		{"reference", func(l *StatementLine) { l.Reference = "EREF 4712" }},
		{"bank id added", func(l *StatementLine) { l.TransactionID = "2026100500123" }},
	}
	for _, c := range differ {
		l := base
		c.edit(&l)
		if l.DedupKey(0) == base.DedupKey(0) {
			t.Errorf("a different %s kept the key", c.name)
		}
	}
	if base.DedupKey(0) == base.DedupKey(1) {
		t.Error("occurrences 0 and 1 share a key")
	}
}

// TestLegacyDedupKeyVerbatim pins LegacyDedupKey to the keys Ferry wrote
// before: the expected values were printed by Statement.DedupKeys at commit
// dd1f99d. Databases written by that version hold them.
func TestLegacyDedupKeyVerbatim(t *testing.T) {
	t.Parallel()
	st := Statement{Lines: []StatementLine{
		{Account: " de89 3704 ", BookingDate: NewDate(2026, 10, 1), Amount: d("-50.00"), Currency: "EUR", Reference: "NOTPROVIDED", Description: "a"},
		{Account: "DE89 3704", BookingDate: NewDate(2026, 10, 2), Amount: d("-30"), Currency: "EUR", Reference: " NOTPROVIDED "},
		{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("-2.005"), Currency: "cny", Counterparty: " Bank ", Description: "SMS   fee"},
		{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("-2.005"), Currency: "CNY", Counterparty: "Bank", Description: "SMS fee"},
		{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("12"), Currency: "CNY", Description: "工资\u3000发放"},
	}}
	want := []string{
		"sl_c442c6f926647bd67dabeefe375de35a875df7b2",
		"sl_b754e52fcc7340ded770b82d9f6d721294f72a26",
		"sl_7e10cedb124d049de729288cc8436b403b35d0c5",
		"sl_3f43c2b5e8ce6fe7efe9a5bb1f0ce1279dec5fb3",
		"sl_b9f991dd1922fc84e973b3aee2d91dfa9e86ff68",
	}
	got := st.LegacyDedupKeys()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: LegacyDedupKeys = %s, want %s", i+1, got[i], want[i])
		}
	}
	if k := st.Lines[1].LegacyDedupKey(0); k != want[0] {
		t.Errorf("LegacyDedupKey(0) of line 2 = %s, want %s (the old keys joined NOTPROVIDED lines)", k, want[0])
	}
	for i, k := range st.DedupKeys() {
		for _, old := range want {
			if k == old {
				t.Errorf("line %d: the new key equals an old key %s", i+1, old)
			}
		}
	}
}

func TestCheckTransactionIDs(t *testing.T) {
	t.Parallel()
	fee := StatementLine{Account: "DE89370400440532013000", BookingDate: NewDate(2026, 10, 1), Amount: d("-2.50"), Currency: "EUR", TransactionID: "0815"}
	other := fee
	other.BookingDate = NewDate(2026, 10, 2)
	cases := []struct {
		name  string
		lines []StatementLine
		want  string
	}{
		{"unique ids", []StatementLine{fee, {Account: fee.Account, BookingDate: fee.BookingDate, Amount: d("-2.50"), TransactionID: "0816"}}, ""},
		{"identical bookings under one id", []StatementLine{fee, fee}, ""},
		{"placeholders are no ids", []StatementLine{{TransactionID: "NONREF", Amount: d("1")}, {TransactionID: "NONREF", Amount: d("2")}}, ""},
		{"one id, two days", []StatementLine{fee, other}, `lines 1 and 2 both carry "0815", with different booking date`},
	}
	for _, c := range cases {
		err := Statement{Lines: c.lines}.CheckTransactionIDs()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: got %v, want nil", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrTransactionIDReused) || !strings.Contains(fmt.Sprint(err), c.want)):
			t.Errorf("%s: got %v, want ErrTransactionIDReused: %s", c.name, err, c.want)
		}
	}
}

// TestDedupKeyPinned pins keys of this scheme. A change to DedupKey's
// fields or normalisation gives every stored line a new key, so a rerun
// would deliver everything again: such a change needs its own migration
// (as LegacyDedupKey had), not an update of these values.
func TestDedupKeyPinned(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line       StatementLine
		key0, key1 string
	}{
		{StatementLine{Account: "DE89 3704 0044 0532 0130 00", BookingDate: NewDate(2026, 10, 1), Amount: d("-50.00"), Currency: "EUR",
			Counterparty: "Stadtwerke München GmbH", Description: "Abschlag Strom", Reference: "NOTPROVIDED"},
			"sl_0838c766ec2032ea5fcc50e5dfd81014a4a4f65e", "sl_5a6cab2a827d989de883043dc827e2ef9371aae8"},
		{StatementLine{Account: "DE89370400440532013000", BookingDate: NewDate(2026, 10, 1), Amount: d("-50.00"), Currency: "EUR", TransactionID: "2026100100123"},
			"sl_d5a745b78c1a3fe6a0a57d48c0349a38ad902a91", "sl_0954fed369936c1e233f0c3b32db3bf6236a05c3"},
		{StatementLine{Account: "6222021000010001", BookingDate: NewDate(2026, 10, 3), Amount: d("5000"), Currency: "人民币",
			Counterparty: "阿里云计算有限公司", Description: "货款\u3000ＡＢＣ", Reference: "E2E-1"},
			"sl_8e04fc3ae9e7ce346ac54c7cfcc51ddb235d2969", "sl_a30b122550d5fae596370743e666d33b9c1fdbbc"},
	}
	for i, c := range cases {
		if got := c.line.DedupKey(0); got != c.key0 {
			t.Errorf("case %d: DedupKey(0) = %s, want %s", i+1, got, c.key0)
		}
		if got := c.line.DedupKey(1); got != c.key1 {
			t.Errorf("case %d: DedupKey(1) = %s, want %s", i+1, got, c.key1)
		}
	}
}

func TestDedupConflict(t *testing.T) {
	t.Parallel()
	a := StatementLine{Account: "DE89 3704 0044 0532 0130 00", BookingDate: NewDate(2026, 10, 1), Amount: d("-50.00"), Currency: "EUR", TransactionID: "T1"}
	cases := []struct {
		name string
		edit func(*StatementLine)
		want string
	}{
		{"same booking, other text and format", func(l *StatementLine) {
			l.Account, l.Amount, l.Currency, l.Description = "DE89370400440532013000", d("-50"), "eur", "x"
		}, ""},
		{"account missing on one side", func(l *StatementLine) { l.Account = "" }, ""},
		{"currency missing on one side", func(l *StatementLine) { l.Currency = "" }, ""},
		{"other account", func(l *StatementLine) { l.Account = "DE02120300000000202051" }, "account"},
		{"other day", func(l *StatementLine) { l.BookingDate = NewDate(2026, 10, 2) }, "booking date"},
		{"other amount", func(l *StatementLine) { l.Amount = d("-50.01") }, "amount"},
		{"other currency", func(l *StatementLine) { l.Currency = "CHF" }, "currency"},
	}
	for _, c := range cases {
		b := a
		c.edit(&b)
		if got := a.DedupConflict(b); got != c.want {
			t.Errorf("%s: DedupConflict = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"2026-10-03", "2026/10/03", "20261003", "2026年10月03日"} {
		got, err := ParseDate(in)
		if err != nil || got != NewDate(2026, 10, 3) {
			t.Errorf("ParseDate(%q) = %v, %v; want 2026-10-03", in, got, err)
		}
	}
	if _, err := ParseDate("03.10.2026x"); err == nil {
		t.Error("bad date accepted")
	}
}

func TestClassOf(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("run 3: %w", Errorf(ClassSiteChanged, "selector login.user", "no match"))
	if got := ClassOf(err); got != ClassSiteChanged {
		t.Fatalf("got %s, want site_changed", got)
	}
	if ClassOf(errors.New("x")) != ClassInternal {
		t.Fatal("plain error should be internal")
	}
	if ClassCredentialsRejected.Retryable() || !ClassSiteUnavailable.Retryable() {
		t.Fatal("retry policy wrong")
	}
}

// dedupTxn is one transaction of the property test's bank, before any
// format renders it.
type dedupTxn struct {
	id      int    // the truth: one per transaction
	class   string // the identity without the bank id: same class = indistinguishable without it
	account int
	day     Date
	cents   int64
	cp      string
	desc    string
	ref     string // the customer reference; "" when the payer gave none
	bankID  string
}

var dedupAccounts = []struct{ number, printed, currency string }{
	{"DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "EUR"},
	{"6222021000010001", "6222 0210 0001 0001", "CNY"},
	{"NL91ABNA0417164300", "nl91 abna 0417 1643 00", "EUR"},
}

// dedupBank generates 60 days of three accounts' transactions from a fixed
// seed, with what makes keys hard: placeholder references on many lines,
// repeated customer references, equal amounts on one day, and runs of
// identical fees (identical but for the bank's id).
func dedupBank(seed uint64) []dedupTxn {
	r := rand.New(rand.NewPCG(seed, 9))
	cps := []string{"Stadtwerke München GmbH", "阿里云计算有限公司", "Albert Heijn B.V.", "Bank", ""}
	descs := []string{"Abschlag Strom", "服务费", "Boodschappen", "Kontoführung", "SEPA Lastschrift Miete", "Gehalt Oktober"}
	placeholders := []string{"NOTPROVIDED", "NONREF", "", "-", "0000000000", "NONE"}
	var out []dedupTxn
	seq := make([]int, len(dedupAccounts))
	add := func(t dedupTxn) {
		seq[t.account]++
		t.id = len(out)
		t.bankID = fmt.Sprintf("%s%06d", []string{"25100", "FT26", "N"}[t.account], seq[t.account])
		t.class = strings.Join([]string{fmt.Sprint(t.account), t.day.String(), fmt.Sprint(t.cents), t.cp, t.desc, NormalizeReference(t.ref)}, "|")
		out = append(out, t)
	}
	for day := 0; day < 60; day++ {
		date := NewDate(2026, 9, 1).AddDays(day)
		for acct := range dedupAccounts {
			for range r.IntN(6) {
				t := dedupTxn{account: acct, day: date, cp: cps[r.IntN(len(cps))], desc: descs[r.IntN(len(descs))]}
				switch r.IntN(3) {
				case 0:
					t.cents = -5000 // equal amounts on one day
				default:
					t.cents = r.Int64N(2_000_000) - 1_000_000
				}
				switch p := r.IntN(10); {
				case p < 5:
					t.ref = placeholders[r.IntN(len(placeholders))]
				case p < 7:
					t.ref = []string{"HUUR", "PAYROLL 2026"}[r.IntN(2)] // repeated
				default:
					t.ref = fmt.Sprintf("E2E-%d-%d", acct, r.IntN(1_000_000))
				}
				add(t)
			}
			if r.IntN(4) == 0 { // identical fees, 2 or 3 of them
				for range 2 + r.IntN(2) {
					add(dedupTxn{account: acct, day: date, cents: -200, cp: "Bank", desc: "SMS fee", ref: "NONREF"})
				}
			}
		}
	}
	return out
}

// dedupFormats render a transaction the way one format of the bank does.
// camt, OFX and MT940 carry the bank's id; CSV and XLSX exports do not, and
// write the same facts with other spacing, case, scale and placeholders.
var dedupFormats = []struct {
	name   string
	bankID bool
	render func(dedupTxn) StatementLine
}{
	{"camt", true, func(t dedupTxn) StatementLine {
		ref := t.ref
		if NormalizeReference(ref) == "" {
			ref = "NOTPROVIDED" // EndToEndId is mandatory in camt
		}
		a := dedupAccounts[t.account]
		return StatementLine{Account: a.number, BookingDate: t.day, Amount: decimal.New(t.cents, -2), Currency: a.currency,
			Counterparty: t.cp, Description: t.desc, Reference: ref, TransactionID: t.bankID}
	}},
	{"ofx", true, func(t dedupTxn) StatementLine {
		a := dedupAccounts[t.account]
		return StatementLine{Account: strings.ToLower(a.number), BookingDate: t.day, Amount: decimal.RequireFromString(decimal.New(t.cents, -2).String()),
			Currency: a.currency, Counterparty: strings.ToUpper(t.cp), Description: t.desc, TransactionID: " " + t.bankID + " "}
	}},
	{"mt940", true, func(t dedupTxn) StatementLine {
		a := dedupAccounts[t.account]
		desc := strings.ToUpper(t.cp + " " + t.desc)
		if len(desc) > 20 {
			desc = desc[:20] + "\n" + desc[20:] // a :86: continuation line
		}
		return StatementLine{Account: a.printed, BookingDate: t.day, Amount: decimal.New(t.cents, -2), Currency: a.currency,
			Description: desc, Reference: "NONREF", TransactionID: t.bankID}
	}},
	{"csv", false, func(t dedupTxn) StatementLine {
		a := dedupAccounts[t.account]
		ref := t.ref
		if NormalizeReference(ref) == "" {
			ref = ""
		}
		cur := strings.ToLower(a.currency)
		if cur == "cny" {
			cur = "RMB"
		}
		return StatementLine{Account: a.printed, BookingDate: t.day, Amount: decimal.New(t.cents, -2), Currency: cur,
			Counterparty: "  " + t.cp, Description: strings.ReplaceAll(t.desc, " ", "  "), Reference: ref}
	}},
	{"xlsx", false, func(t dedupTxn) StatementLine {
		a := dedupAccounts[t.account]
		ref := t.ref
		if NormalizeReference(ref) == "" {
			ref = "NOTPROVIDED"
		}
		return StatementLine{Account: a.number, BookingDate: t.day, Amount: decimal.New(t.cents*100, -4), Currency: a.currency,
			Counterparty: strings.ToUpper(t.cp), Description: strings.ReplaceAll(t.desc, " ", "\u3000"), Reference: strings.ToLower(ref)}
	}},
}

// TestDedupKeyProperties checks, on a seeded generated bank, that different
// transactions never share a key and that each transaction keeps its key
// across formats of the same kind, reruns, periods that overlap or contain
// each other, and exports that list the newest line first.
//
// "The same transaction" is what DedupKey documents: for formats with the
// bank's id, the id; for formats without, the transaction's identity class
// (account, day, amount, currency, counterparty, description, reference)
// and its rank among the class's transactions. So the properties are, per
// kind of format: a key never stands for two transactions (bank id) or two
// classes (content), and every transaction (bank id) or class of k
// transactions (content) has exactly one key or k keys over every
// statement of every period and format.
func TestDedupKeyProperties(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		txns := dedupBank(seed)
		classSize := map[string]int{}
		for _, x := range txns {
			classSize[x.class]++
		}
		periods := [][2]int{{0, 9}, {0, 19}, {5, 25}, {20, 59}, {0, 59}, {0, 59}} // the last twice: a rerun
		type owner struct{ id, class string }
		for _, bankID := range []bool{true, false} {
			keyOwner := map[string]owner{}
			idKeys, classKeys := map[string]map[string]bool{}, map[string]map[string]bool{}
			for _, f := range dedupFormats {
				if f.bankID != bankID {
					continue
				}
				for acct := range dedupAccounts {
					for pi, p := range periods {
						for _, newestFirst := range []bool{false, true} {
							var in []dedupTxn
							for _, x := range txns {
								if x.account == acct && x.day.t.Sub(txns[0].day.t) >= time.Duration(p[0])*24*time.Hour && x.day.t.Sub(txns[0].day.t) <= time.Duration(p[1])*24*time.Hour {
									in = append(in, x)
								}
							}
							if newestFirst {
								slices.Reverse(in)
							}
							st := Statement{Account: dedupAccounts[acct].number}
							for _, x := range in {
								st.Lines = append(st.Lines, f.render(x))
							}
							keys := st.DedupKeys()
							where := fmt.Sprintf("seed %d %s account %d period %d newest-first %v", seed, f.name, acct, pi, newestFirst)
							seen := map[string]bool{}
							for i, k := range keys {
								if seen[k] {
									t.Fatalf("%s: line %d: key %s twice in one statement", where, i+1, k)
								}
								seen[k] = true
								x := in[i]
								o := owner{class: x.class}
								if bankID {
									o.id = x.bankID
								}
								if prev, ok := keyOwner[k]; ok && prev != o {
									t.Fatalf("%s: key %s stands for %+v and %+v", where, k, prev, o)
								}
								keyOwner[k] = o
								m := classKeys
								name := x.class
								if bankID {
									m, name = idKeys, x.bankID
								}
								if m[name] == nil {
									m[name] = map[string]bool{}
								}
								m[name][k] = true
							}
						}
					}
				}
			}
			if bankID {
				for id, ks := range idKeys {
					if len(ks) != 1 {
						t.Errorf("seed %d: bank id %s has %d keys, want 1", seed, id, len(ks))
					}
				}
				if len(idKeys) != len(txns) {
					t.Errorf("seed %d: %d bank ids keyed, want %d", seed, len(idKeys), len(txns))
				}
				continue
			}
			for class, ks := range classKeys {
				if len(ks) != classSize[class] {
					t.Errorf("seed %d: class %q of %d transactions has %d keys", seed, class, classSize[class], len(ks))
				}
			}
			if len(classKeys) != len(classSize) {
				t.Errorf("seed %d: %d classes keyed, want %d", seed, len(classKeys), len(classSize))
			}
		}
		// The generator must produce the hard cases, or the test proves
		// nothing.
		var repeated, placeholder int
		for _, n := range classSize {
			if n > 1 {
				repeated++
			}
		}
		for _, x := range txns {
			if NormalizeReference(x.ref) == "" {
				placeholder++
			}
		}
		if repeated < 5 || placeholder < 100 {
			t.Fatalf("seed %d: %d classes with identical transactions, %d placeholder references: the generator lost its hard cases", seed, repeated, placeholder)
		}
	}
}

// TestDedupKeyFormattingQuick checks with testing/quick (fixed seed) that
// formatting never changes a key and a different amount or day always does.
func TestDedupKeyFormattingQuick(t *testing.T) {
	t.Parallel()
	cfg := &quick.Config{MaxCount: 2000, Rand: mrand.New(mrand.NewSource(7))}
	reformat := func(s string) string { // what another export of the same bank does to text
		return " " + strings.ToUpper(strings.ReplaceAll(s, " ", "\n  ")) + "\t"
	}
	prop := func(acct, cp, desc, ref string, cents int64, day uint16, withID bool) bool {
		l := StatementLine{Account: acct, BookingDate: NewDate(2020, 1, 1).AddDays(int(day % 3000)), Amount: decimal.New(cents, -2),
			Currency: "eur", Counterparty: cp, Description: desc, Reference: ref}
		if withID {
			l.TransactionID = "T" + fmt.Sprint(cents)
		}
		m := l
		m.Account, m.Counterparty, m.Description, m.Reference = reformat(acct), reformat(cp), reformat(desc), reformat(ref)
		m.Amount, m.Currency = decimal.RequireFromString(l.Amount.StringFixed(5)), "EUR"
		if m.DedupKey(3) != l.DedupKey(3) {
			return false
		}
		other := l
		other.Amount = l.Amount.Add(decimal.New(1, -2))
		other.TransactionID = ""
		l.TransactionID = ""
		later := l
		later.BookingDate = l.BookingDate.AddDays(1)
		return other.DedupKey(0) != l.DedupKey(0) && later.DedupKey(0) != l.DedupKey(0) && l.DedupKey(0) != l.DedupKey(1)
	}
	if err := quick.Check(prop, cfg); err != nil {
		t.Fatal(err)
	}
}

// benchLines is a 10,000-line statement of the generated bank's kind.
func benchLines() Statement {
	var st Statement
	for _, x := range dedupBank(1) {
		st.Lines = append(st.Lines, dedupFormats[3].render(x)) // csv: content keys
	}
	for len(st.Lines) < 10000 {
		st.Lines = append(st.Lines, st.Lines...)
	}
	st.Lines = st.Lines[:10000]
	return st
}

func BenchmarkDedupKeys(b *testing.B) {
	st := benchLines()
	for b.Loop() {
		st.DedupKeys()
	}
}

func BenchmarkLegacyDedupKeys(b *testing.B) {
	st := benchLines()
	for b.Loop() {
		st.LegacyDedupKeys()
	}
}

// A LineKeyer over many lines grows its set and keeps every rank: each
// distinct line has rank 0, and a line repeated k times has ranks 0..k-1.
func TestLineKeyerManyLines(t *testing.T) {
	t.Parallel()
	var k LineKeyer
	seen := map[string]bool{}
	for i := 0; i < 200_000; i++ {
		l := StatementLine{Account: "A", BookingDate: NewDate(2026, 1, 1+i%28), Amount: decimal.New(int64(i), -2), Currency: "EUR", Description: "fee"}
		key := k.Key(l)
		if want := l.DedupKey(0); key != want {
			t.Fatalf("line %d: got %s, want rank 0 key %s", i, key, want)
		}
		seen[key] = true
	}
	fee := StatementLine{Account: "A", BookingDate: NewDate(2026, 2, 1), Amount: decimal.New(-150, -2), Currency: "EUR", Description: "card fee"}
	for rank := 0; rank < 5; rank++ {
		if got, want := k.Key(fee), fee.DedupKey(rank); got != want {
			t.Fatalf("repeat %d: got %s, want %s", rank, got, want)
		}
	}
	if len(seen) != 200_000 {
		t.Fatalf("got %d distinct keys, want 200000", len(seen))
	}
}
