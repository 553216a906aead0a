package statements

// Labels outside the transaction table: the key-value block above it
// (account, holder, currency, period, balances) and the balance and total
// rows inside or below it.

import (
	"math/big"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// labelKind is what a label names.
type labelKind int

const (
	labelNone labelKind = iota
	labelAccount
	labelName
	labelCurrency
	labelFrom
	labelTo
	labelPeriod
	labelOpening
	labelClosing
	labelSummary
)

// labelWords lists label texts per kind, all languages together.
var labelWords = []struct {
	kind  labelKind
	words []string
}{
	{labelOpening, []string{
		"opening balance", "opening", "previous balance", "balance brought forward", "brought forward", "start balance", "starting balance",
		"beginning balance", "anfangssaldo", "alter kontostand", "alter saldo", "saldo alt", "anfangsbestand", "startsaldo", "saldo vortrag",
		"saldo iniziale", "saldo precedente", "saldo iniziale contabile", "beginsaldo", "oud saldo", "vorig saldo", "saldo begin",
		"solde initial", "solde précédent", "ancien solde", "solde de début", "saldo inicial", "saldo anterior",
		"nyitó egyenleg", "nyitóegyenleg", "nyitó", "saldo początkowe", "saldo otwarcia", "期初余额", "上期余额", "期初",
	}},
	{labelClosing, []string{
		"closing balance", "closing", "new balance", "balance carried forward", "carried forward", "ending balance", "end balance",
		"final balance", "endsaldo", "kontostand", "neuer kontostand", "neuer saldo", "saldo neu", "kontostand vom", "kontostand am", "endbestand",
		"schlusssaldo", "saldo finale", "saldo finale contabile", "saldo contabile finale", "eindsaldo", "nieuw saldo", "saldo eind",
		"solde final", "nouveau solde", "solde de fin", "saldo final", "saldo actual", "záró egyenleg", "záróegyenleg", "záró",
		"saldo końcowe", "saldo zamknięcia", "期末余额", "本期余额", "期末",
	}},
	{labelSummary, []string{
		"summe", "total", "totals", "totale", "gesamt", "totaal", "összesen", "suma", "razem", "合计", "总计", "本页合计", "sum",
		"umsatzsumme", "totale movimenti", "total débit", "total crédit", "total debits", "total credits", "totale dare",
		"totale avere", "total movimientos", "totaal af", "totaal bij", "summe soll", "summe haben", "借方合计", "贷方合计",
		"借方总额", "贷方总额", "笔数", "总笔数", "count", "turnover", "apyvarta", "apgrozījums", "käive", "obrat", "forgalom",
		"total turnover", "subtotal", "zwischensumme", "subtotale", "小计",
	}},
	{labelAccount, []string{
		"account", "account number", "account no", "account no.", "iban", "kontonummer", "konto", "konto-nr.", "kontonr",
		"rekeningnummer", "rekening", "numéro de compte", "compte", "n° de compte", "conto", "numero conto", "conto corrente",
		"cuenta", "número de cuenta", "számlaszám", "számla", "numer rachunku", "rachunek", "nr rachunku", "账号", "账户", "帐号",
		"auftragskonto", "查询账号", "卡号",
	}},
	{labelName, []string{
		"account name", "account holder", "name", "kontoinhaber", "inhaber", "kontobezeichnung", "naam", "tenaamstelling",
		"titulaire", "intestatario", "intestazione", "titular", "számlatulajdonos", "właściciel", "户名", "账户名称", "账户名",
		"客户名称", "单位名称",
	}},
	{labelCurrency, []string{
		"currency", "währung", "waehrung", "munt", "valuta", "devise", "divisa", "moneda", "deviza", "pénznem", "waluta",
		"币种", "货币",
	}},
	{labelFrom, []string{
		"from", "von", "start date", "van", "du", "dal", "desde", "起始日期", "开始日期", "起始日", "date from", "from date",
	}},
	{labelTo, []string{
		"to", "bis", "end date", "tot", "au", "al", "hasta", "截止日期", "结束日期", "终止日期", "截止日", "date to", "to date",
	}},
	{labelPeriod, []string{
		"period", "statement period", "za okres", "zeitraum", "periode", "période", "periodo", "período", "időszak", "okres", "查询期间",
		"起止日期", "交易期间", "账单周期",
	}},
}

type labelEntry struct {
	word string
	kind labelKind
	cjk  bool
}

// labelIndex is the folded label vocabulary, longest first.
type labelIndex []labelEntry

func buildLabels() labelIndex {
	var out labelIndex
	for _, l := range labelWords {
		for _, w := range l.words {
			f := fold(w)
			out = append(out, labelEntry{word: f, kind: l.kind, cjk: hasCJK(f)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].word) > len(out[j].word) })
	return out
}

// match tells what a label cell names. The label must start with the
// word (labels lead their cell: "Kontostand vom 31.01.2023:"), after
// which the rest of the cell is returned (it may hold the value:
// "Kontonummer: DE12..."). Bilingual labels ("账号 Account No.") start
// with their Chinese word.
func (x labelIndex) match(cell string) (labelKind, string) {
	f := strings.TrimLeft(fold(cell), "#*=-> ")
	if f == "" || len(f) > 120 {
		return labelNone, ""
	}
	for _, e := range x {
		if e.cjk && e.kind == labelSummary && strings.Contains(f, e.word) {
			return e.kind, "" // "人民币合计", "# 收入合计: 15002.15 元"
		}
		if !strings.HasPrefix(f, e.word) {
			continue
		}
		rest := f[len(e.word):]
		if !e.cjk && rest != "" && isWordRune(firstRune(rest)) {
			continue
		}
		return e.kind, strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), ":"))
	}
	return labelNone, ""
}

// balanceLabel tells whether a cell is, on its own, an opening or closing
// balance label: the label and at most a date or a few short words after
// it ("SALDO INIZIALE", "|SALDO FINALE", "Kontostand am 31.01.2024",
// "Saldo iniziale al 31/12/2017"). A dated table row whose description is
// such a cell is the balance, not a transaction (BancoPosta, Intesa and
// others print their balance rows with a date); "CLOSING COSTS" or
// "OPENING HOURS LTD" stay descriptions.
func (x labelIndex) balanceLabel(cell string) labelKind {
	f := strings.Trim(fold(cell), "|#*=-:>.;, ")
	if f == "" || len(f) > 60 {
		return labelNone
	}
	for _, e := range x {
		if e.kind != labelOpening && e.kind != labelClosing || !strings.HasPrefix(f, e.word) {
			continue
		}
		rest := f[len(e.word):]
		if !e.cjk && rest != "" && isWordRune(firstRune(rest)) {
			continue
		}
		letters := 0
		for _, r := range rest {
			if unicode.IsLetter(r) {
				if letters++; letters >= 4 {
					break
				}
			} else {
				letters = 0
			}
		}
		if letters < 4 {
			return e.kind
		}
	}
	return labelNone
}

// summaryCell tells whether a cell is exactly a total label
// ("Turnover", "Summe", "合计"): a dated row with one is a total row.
// Only the whole cell counts: "TOTAL 1234 PARIS" is a fuel purchase.
func (x labelIndex) summaryCell(cell string) bool {
	f := strings.Trim(fold(cell), "|#*=-:>.;, ")
	for _, e := range x {
		if e.kind == labelSummary && f == e.word {
			return true
		}
	}
	return false
}

// rowLabel finds a balance or total label in any cell of a row.
func (x labelIndex) rowLabel(cells []string) (labelKind, int) {
	for i, c := range cells {
		if k, _ := x.match(c); k == labelOpening || k == labelClosing || k == labelSummary {
			return k, i
		}
	}
	return labelNone, -1
}

var ibanRe = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`)

// findIBAN returns the first valid IBAN in s (spaces removed).
func findIBAN(s string) string {
	if len(s) > 4096 {
		s = s[:4096]
	}
	for _, m := range ibanRe.FindAllString(strings.ToUpper(s), 8) {
		c := strings.ReplaceAll(m, " ", "")
		if isIBAN(c) {
			return c
		}
	}
	return ""
}

// isIBAN checks an IBAN's length and its ISO 7064 mod-97 check digits.
func isIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	var b strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// accountFromFileName finds an IBAN in a file's name.
func accountFromFileName(name string) string {
	base := filepath.Base(name)
	return findIBAN(strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(base))
}

// extractAccount takes the account number out of a cell such as
// "Konto 1234567890" or "DE89 3704 0044 0532 0130 00 / Girokonto".
func extractAccount(v string) string {
	if iban := findIBAN(v); iban != "" {
		return iban
	}
	longWord := false
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') }) {
		longWord = longWord || len(f) > 4
	}
	if !longWord && accountLike(strings.TrimSpace(v)) {
		return normAccount(v)
	}
	for _, f := range strings.Fields(v) {
		if accountLike(f) {
			return normAccount(f)
		}
	}
	return ""
}

// normAccount writes an account number without spaces, upper case.
func normAccount(s string) string {
	compact := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if isIBAN(compact) || !strings.ContainsAny(compact, "-/.") {
		return compact
	}
	return strings.ToUpper(strings.Join(strings.Fields(s), " ")) // "20-32-06 13152170": a sort code and a number
}
