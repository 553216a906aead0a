package statements

// The header vocabulary: what banks call their export columns, in the
// languages of the banks Ferry meets. A header can name several roles
// (Dutch and Italian "Valuta" is the currency, German "Valuta" the value
// date); the cells under it decide between them.

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// role is what a table column means for a statement line.
type role int

const (
	roleNone role = iota
	roleBooking
	roleValue
	roleAmount
	roleDebit
	roleCredit
	roleSign
	roleCurrency
	roleCounterparty
	roleCounterpartyAccount
	roleAccount
	roleDescription
	roleReference
	roleTransactionID
	roleBalance
	roleBalanceBefore
	roleStatus // booked, pending, declined ...: rows that are not booked are left out
	roleFee    // a fee charged with the transaction, on the same row (Revolut)
	roleIgnore // a known column Ferry deliberately leaves out (original amount, BIC ...)
	numRoles
)

// roleKeys are the roles' names in mapping files and notes.
var roleKeys = [numRoles]string{
	roleNone: "", roleBooking: "booking_date", roleValue: "value_date", roleAmount: "amount",
	roleDebit: "debit", roleCredit: "credit", roleSign: "sign", roleCurrency: "currency",
	roleCounterparty: "counterparty", roleCounterpartyAccount: "counterparty_account",
	roleAccount: "account", roleDescription: "description", roleReference: "reference",
	roleTransactionID: "transaction_id", roleBalance: "balance", roleBalanceBefore: "balance_before",
	roleStatus: "status", roleFee: "fee", roleIgnore: "ignore",
}

func (r role) String() string {
	if r <= roleNone || r >= numRoles {
		return "none"
	}
	return roleKeys[r]
}

// isMoney reports whether the role's cells are amounts.
func (r role) isMoney() bool {
	return r == roleAmount || r == roleDebit || r == roleCredit || r == roleBalance || r == roleBalanceBefore || r == roleFee
}

// isDate reports whether the role's cells are dates.
func (r role) isDate() bool { return r == roleBooking || r == roleValue }

// vocabulary lists header texts per role. Entries are folded (see fold)
// when compared, so "Währung", "Waehrung" and "WÄHRUNG" are one entry.
// Matching takes the longest entry found in the header at word bounds
// (anywhere for Chinese), so "Valutadatum" beats "Datum" and "Af Bij"
// beats "Af".
var vocabulary = []struct {
	role  role
	words []string
}{
	{roleBooking, []string{
		// English
		"date", "booking date", "transaction date", "posting date", "posted date", "post date", "trans date", "trans. date",
		"entry date", "date posted", "txn date", "completed date", "started date", "booked", "created", "created at",
		"date processed", "processed date", "transaction time", "settlement date", "date of transaction", "transactiondate",
		"bookingdate", "postingdate", "booked at", "date op", "dateop",
		// German
		"datum", "buchungstag", "buchungsdatum", "buchung", "buchungsdat.", "umsatzdatum", "belegdatum",
		// Dutch
		"boekdatum", "transactiedatum", "boekingsdatum", "datum transactie",
		// French
		"date opération", "date operation", "date d'opération", "date de l'opération", "date comptable", "date de comptabilisation", "date de transaction",
		// Italian
		"data", "data operazione", "data contabile", "data registrazione", "data movimento", "data op.", "data contabilizzazione",
		// Spanish
		"fecha", "fecha operación", "fecha de operación", "fecha contable", "f. operación", "f.operación", "fecha movimiento",
		// Hungarian
		"dátum", "könyvelés dátuma", "könyvelési dátum", "tranzakció dátuma", "könyvelés napja", "terhelés dátuma",
		"tranzakció időpontja", "könyvelés időpontja",
		// Czech and Slovak
		"datum zaúčtování", "datum zauctovani", "datum transakce", "datum pohybu", "dátum zaúčtovania", "dátum transakcie",
		"datum provedení", "dátum realizácie", "zaúčtováno", "datum odepsání",
		// Polish
		"data operacji", "data księgowania", "data transakcji", "data zaksięgowania",
		// Chinese
		"交易日期", "记账日期", "交易时间", "日期", "入账日期", "记账日", "交易日", "入账时间", "记账时间",
		"交易创建时间", "交易成功时间", "付款时间", "创建时间", "银行记账日", "交易发生日期",
	}},
	{roleValue, []string{
		"value date", "valuta", "valutadatum", "valuta datum", "wertstellung", "wertstellungsdatum", "wert", "rentedatum",
		"date de valeur", "date valeur", "valeur", "data valuta", "fecha valor", "f. valor", "fecha de valor",
		"értéknap", "értéknap dátuma", "data waluty", "起息日", "起息日期", "f.valor", "f.valor:",
		"datum splatnosti", "valuta datum", "dátum valuty", "valuedate", "date val", "dateval", "valuta date", "value dated",
	}},
	{roleAmount, []string{
		"amount", "transaction amount", "amount (eur)", "betrag", "umsatz", "buchungsbetrag", "betrag (eur)", "umsatz in eur",
		"bedrag", "bedrag (eur)", "transactiebedrag", "montant", "montant (eur)", "importo", "importo (eur)", "importo euro",
		"importe", "cantidad", "monto", "összeg", "kwota", "kwota operacji", "kwota transakcji",
		"tranzakció összege", "összege", "könyvelt összeg", "částka", "castka", "suma", "objem", "částka v měně účtu",
		"billing amount", "transaction amount", "amount in account currency", "amount (account currency)", "value",
		"credit/debit amount", "debit/credit amount",
		"gross", "gross amount", "brut", "montant brut", "brutto", "bruttobetrag", "bruto", "lordo", "importo lordo",
		"net", "net amount", "netto", "nettobetrag", "neto", "importe neto", "montant net", "importo netto", "amount (net)",
		"交易金额", "金额", "发生额", "交易额", "人民币金额", "实付金额", "实收金额", "交易金额(元)", "金额(元)",
	}},
	{roleDebit, []string{
		"debit", "debit amount", "debits", "withdrawal", "withdrawals", "paid out", "money out", "withdrawal amount", "amount debit",
		"soll", "lastschrift", "ausgang", "belastung", "ausgabe", "af", "bedrag af", "débit", "dare", "addebiti", "uscite", "addebito",
		"cargo", "cargos", "debe", "terhelés", "tartozik", "obciążenia", "wypłata", "obciążenie", "wydatki",
		"借方", "支出", "借方发生额", "借方金额", "支出金额", "付款金额", "借", "交易金额(支出)", "记账金额(支出)", "支出(元)",
	}},
	{roleCredit, []string{
		"credit", "credit amount", "credits", "deposit", "deposits", "paid in", "money in", "deposit amount", "amount credit",
		"haben", "gutschrift", "eingang", "einnahme", "bij", "bedrag bij", "crédit", "avere", "accrediti", "entrate", "accredito",
		"abono", "abonos", "haber", "jóváírás", "követel", "uznania", "wpłata", "uznanie", "wpływy",
		"贷方", "收入", "贷方发生额", "贷方金额", "收入金额", "存入", "存入金额", "收款金额", "贷", "交易金额(收入)", "记账金额(收入)", "收入(元)",
	}},
	{roleSign, []string{
		"debit/credit", "credit/debit", "dr/cr", "cr/dr", "d/c", "c/d", "debit or credit", "credit or debit", "cr/db", "db/cr",
		"soll/haben", "s/h", "soll-haben", "af bij", "af/bij", "bij/af", "sens", "débit/crédit", "segno", "dare/avere", "d/a",
		"signo", "cargo/abono", "d/h", "t/j", "terhelés/jóváírás", "irány", "wn/ma", "strona", "借贷标志", "借贷", "收支",
		"借/贷", "收/支", "借贷方向", "收支方向", "借贷标识", "sign", "indicator", "debit credit indicator",
		"bevétel/kiadás", "kiadás/bevétel", "jóváírás/terhelés", "credit / debit", "debit / credit", "in/out", "inflow/outflow",
		"příjem/výdaj", "typ pohybu", "d/k", "k/d", "be/ki", "ki/be", "deb/kred", "credit debit indicator", "creditdebet", "credit debet", "debet/credit", "debet credit",
	}},
	{roleCurrency, []string{
		"currency", "ccy", "cur", "curr", "währung", "waehrung", "whrg", "munt", "valuta", "devise", "monnaie", "divisa",
		"moneda", "deviza", "pénznem", "waluta", "币种", "货币", "币别", "币种名称", "monn.", "monn", "měna", "mena",
		"devizanem", "valutacode", "billing currency", "account currency", "währung konto", "交易币种", "入账币种",
		"buchungswährung", "booking currency", "posting currency", "记账币种",
	}},
	{roleCounterparty, []string{
		"payee", "payer", "counterparty", "counterparty name", "name", "beneficiary", "merchant", "paid to", "recipient",
		"payee name", "beneficiary name", "counter party", "name / description",
		"empfänger", "auftraggeber", "auftraggeber/empfänger", "auftraggeber / begünstigter", "begünstigter/zahlungspflichtiger",
		"beguenstigter/zahlungspflichtiger", "zahlungsempfänger", "zahlungspflichtige*r", "zahlungsempfänger*in", "gegenpartei",
		"name zahlungsbeteiligter", "partner", "partnername", "empfänger/zahlungspflichtiger", "auftraggeber/zahlungsempfänger",
		"naam", "naam / omschrijving", "naam tegenpartij", "tegenpartij", "naam tegenrekening",
		"bénéficiaire", "tiers", "contrepartie", "nom du tiers", "nom", "beneficiario", "ordinante", "controparte",
		"beneficiario/ordinante", "ordenante", "ordenante/beneficiario", "kedvezményezett", "partner neve", "ellenoldali név",
		"partner név", "kedvezményezett neve", "kontrahent", "nazwa kontrahenta", "nadawca/odbiorca", "odbiorca", "nadawca",
		"dane kontrahenta", "对方户名", "对方名称", "对方账户名称", "交易对方", "对方单位", "收(付)方名称", "对方户名称", "收款人", "付款人",
		"对方账户名", "交易对手", "název protiúčtu", "nazev protiuctu", "název účtu protistrany", "protistrana", "counteraccount name",
		"obchodník", "názov protiúčtu", "商户名称", "交易商户", "商户", "payee/payer", "payer/payee", "to/from", "from/to",
		"handelaar", "merchant name", "händler", "haendler", "commerçant", "esercente", "comercio",
	}},
	{roleCounterpartyAccount, []string{
		"counterparty account", "counterparty iban", "payee account", "beneficiary account", "iban", "account number counterparty",
		"kontonummer/iban", "iban zahlungsbeteiligter", "gegenkonto", "empfänger iban", "iban gegenkonto", "konto gegenpartei",
		"iban auftraggeber", "iban empfänger", "partner iban", "partner kontonummer",
		"tegenrekening", "tegenrekening iban/bban", "tegenrekening iban",
		"compte contrepartie", "iban contrepartie", "iban controparte", "conto controparte", "cuenta contrapartida", "cuenta destino",
		"partner számlaszáma", "ellenoldali számlaszám", "partner számla", "ellenoldali számla", "rachunek kontrahenta",
		"numer rachunku kontrahenta", "konto kontrahenta", "对方账号", "对方账户", "对方帐号", "对方卡号", "收(付)方账号",
		"protiúčet", "protiucet", "číslo protiúčtu", "bankovní spojení", "counteraccount", "counter account", "payee account number",
		"payee account", "payer account", "beneficiary account number", "recipient account", "partner számlaszám",
	}},
	{roleAccount, []string{
		"account", "account number", "account no", "account no.", "own account", "account iban", "iban/bban",
		"auftragskonto", "kontonummer", "konto", "iban auftragskonto", "eigene iban", "eigenes konto",
		"rekening", "rekeningnummer", "eigen rekening", "compte", "numéro de compte", "n° de compte", "conto", "numero conto",
		"conto corrente", "cuenta", "número de cuenta", "számlaszám", "számla", "saját számlaszám", "rachunek", "numer rachunku",
		"nr rachunku", "账号", "本方账号", "账户", "帐号", "卡号", "本方账户", "produit", "číslo účtu", "vlastní účet",
	}},
	{roleDescription, []string{
		"description", "details", "memo", "narrative", "transaction details", "particulars", "transaction description",
		"remarks", "payment details", "transaction type", "reference text", "narration", "notifications", "buchungs-info", "label",
		"verwendungszweck", "buchungstext", "beschreibung", "umsatztext", "text", "vorgang", "buchungsinformationen",
		"umsatzart", "buchungsdetails", "zahlungsreferenz",
		"omschrijving", "mededelingen", "omschrijving-1", "omschrijving-2", "omschrijving-3", "mutatiesoort", "transactiesoort",
		"libellé", "libellé de l'opération", "détail", "détails", "informations complémentaires", "libelle", "nature de l'opération",
		"descrizione", "causale", "descrizione operazione", "dettagli", "dettaglio", "descrizione estesa",
		"concepto", "descripción", "concepto común", "más datos", "observaciones", "movimiento",
		"közlemény", "tranzakció leírása", "leírás", "megjegyzés", "tranzakció típusa", "típus", "könyvelési információ",
		"opis", "opis operacji", "tytuł", "tytuł operacji", "szczegóły", "typ operacji", "typ transakcji", "tytułem",
		"摘要", "用途", "备注", "附言", "交易摘要", "交易类型", "说明", "交易说明", "交易用途", "业务摘要", "交易备注",
		"商品", "商品说明", "订单标题", "交易描述", "交易分类",
		"zpráva pro příjemce", "zprava pro prijemce", "zpráva", "poznámka", "popis", "popis transakce", "informace k platbě",
		"správa pre prijímateľa", "poznámka pre mňa", "message for payee", "message for me", "transaction message",
		"részletek", "tranzakció részletei", "typ transakce", "typ platby",
		// Field names of apps and card exports (Outbank, Neon, DKB's and
		// KBC's card exports)
		"reason", "subject", "posting text", "purpose", "reason for payment", "transaktionsbeschreibung",
		"transaktionsbeschreibung zusatz", "toelichting", "omschrijving transactie",
	}},
	{roleReference, []string{
		"reference", "ref", "ref.", "customer reference", "end-to-end", "end to end reference", "check number", "check or slip #",
		"cheque number", "check no", "payment reference", "your reference",
		"kundenreferenz", "kundenreferenz (end-to-end)", "end-to-end-referenz", "referenz", "betalingskenmerk", "kenmerk",
		"referentie", "référence", "riferimento", "referencia", "hivatkozás", "referencia", "referencje",
		"numer referencyjny", "凭证号", "业务参考号", "参考号", "凭证号码", "客户参考号",
		"variabilní symbol", "variabilni symbol", "variabilný symbol", "vs", "variable symbol", "variable symbol 1",
		"payment reference", "megbízás azonosító",
	}},
	{roleTransactionID, []string{
		"transaction id", "transaction number", "bank reference", "txn id", "transaction ref", "id", "transaktions-id",
		"transaktionsnummer", "buchungs-id", "buchungsreferenz", "volgnr", "volgnummer", "transactiereferentie", "numéro d'opération",
		"référence de l'opération", "numero operazione", "id operazione", "número de operación", "nº operación",
		"tranzakció azonosító", "tranzakcióazonosító", "azonosító", "numer transakcji", "id transakcji", "numer operacji",
		"流水号", "交易流水号", "交易流水", "流水编号", "交易序号", "交易编号", "银行流水号", "交易单号", "交易订单号",
		"n° de transaction", "numéro de transaction", "no de transaction", "transaction no", "transaction no.", "transaction reference",
		"transaction reference number", "id transakce", "číslo transakce", "referenční číslo transakce", "banki azonosító",
		"transferwise id", "wise id",
	}},
	{roleBalance, []string{
		"balance", "running balance", "balance after", "running bal.", "closing balance", "ledger balance", "account balance",
		"saldo", "kontostand", "saldo nach buchung", "saldo na trn", "saldo na mutatie", "saldo na boeking", "saldo na transactie",
		"solde", "saldo contabile", "saldo disponibile", "saldo disponible", "egyenleg", "egyenleg könyvelés után",
		"számla egyenleg", "könyvelt egyenleg", "saldo po operacji", "saldo po transakcji", "saldo księgowe",
		"resulting balance", "disponible", "saldo disponible", "余额", "账户余额", "交易后余额", "当前余额", "账面余额", "联机余额",
		"zůstatek", "zustatek", "zostatok", "zůstatek po transakci", "balance after transaction", "new balance", "boeksaldo",
		"endsaldo", "eindsaldo", "running bal.", "running bal",
	}},
	{roleBalanceBefore, []string{
		"balance before", "opening balance", "startsaldo", "saldo vor buchung", "saldo voor trn", "saldo voor mutatie",
		"solde avant", "egyenleg könyvelés előtt", "saldo przed operacją", "交易前余额", "beginsaldo", "startsaldo",
	}},
	{roleStatus, []string{
		"state", "status", "transaction status", "transaction state", "stato", "stato operazione", "estado", "statut",
		"buchungsstatus", "umsatzstatus", "status transakcji", "állapot", "tranzakció állapota", "stav", "stav transakce",
		"交易状态", "当前状态", "状态", "订单状态",
	}},
	{roleFee, []string{
		"fee", "fees", "fee amount", "frais", "gebühr", "gebuehr", "gebühren", "commissione", "commissioni",
		"comisión", "comision", "díj", "prowizja", "poplatek", "手续费", "服务费",
	}},
	{roleIgnore, []string{
		"oorspr bedrag", "oorspr munt", "koers", "original amount", "original currency", "ursprungsbetrag", "lastschrift ursprungsbetrag",
		"auslagenersatz ruecklastschrift", "auslagenersatz rücklastschrift", "bic", "bic (swift-code)", "bic tegenpartij",
		"glaeubiger id", "gläubiger id", "gläubiger-id", "mandatsreferenz", "sammlerreferenz", "info", "code", "kategorie",
		"category", "subcategory", "tag", "tags", "exchange rate", "bic/swift", "fx rate", "local amount", "local currency",
		"amount (foreign currency)", "foreign amount", "foreign currency", "betrag (fremdwährung)", "fremdwährung", "original currency amount",
		"交易地金额", "原币金额", "原始金额", "订单金额", "transfer amount", "transfer amount currency", "balance currency", "余额币种",
		"emoji", "receipt", "address", "total fees", "account balance at export", "accountbalance", "kurs", "árfolyam", "konstantní symbol", "specifický symbol", "constant symbol", "specific symbol",
		"storno", "cancellation", "card number", "kártyaszám", "card no.", "card #", "item #", "card used for transaction",
		"batch id", "reden retour", "instructie id", "machtigingskenmerk", "incassant id", "betalingskenm.", "zeitstempel",
		"timestamp", "number", "nr", "lp", "lp.", "no", "no.", "序号",
		"originalwährung", "originalbetrag", "umrechnungskurs", "kaarthouder", "cardholder", "card holder", "karteninhaber", "kredietkaart", "kartennummer", "uitgavenstaat", "type", "subcategory", "blz", "交易时间", "交易场所", "交易国家或地区简称", "钞/汇",
	}},
}

// fold makes header and label texts comparable: lower case, German
// umlauts spelt out (Sparkasse writes "Waehrung" as often as "Währung"),
// other accents dropped, punctuation around words kept, runs of spaces
// and line breaks one space.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		if strings.IndexByte(s, '_') >= 0 {
			s = strings.ReplaceAll(s, "_", " ") // local_amount, Buchungs_Datum
		}
		return strings.Join(strings.Fields(strings.ToLower(s)), " ")
	}
	s = strings.ReplaceAll(s, "_", " ")
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "ł", "l", "đ", "d", "ø", "o", "\u00a0", " ", "：", ":").Replace(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// vocabEntry is one folded vocabulary word.
type vocabEntry struct {
	word string
	role role
	cjk  bool
}

// vocab is the folded vocabulary, longest words first.
type vocabIndex []vocabEntry

func buildVocab() vocabIndex {
	var out vocabIndex
	for _, v := range vocabulary {
		for _, w := range v.words {
			f := fold(w)
			out = append(out, vocabEntry{word: f, role: v.role, cjk: hasCJK(f)})
		}
	}
	// Longest first, so the first hit in a header is its best.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].word) > len(out[j].word) })
	return out
}

// theVocab and theLabels are built once; they are never changed.
var (
	theVocab  = buildVocab()
	theLabels = buildLabels()
)

func hasCJK(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// isWordByte reports whether c continues a word (so a vocabulary hit
// must not stop or start next to it).
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// containsWord reports whether w occurs in s at word bounds.
func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before, after := rune(' '), rune(' ')
		if j > 0 {
			before = lastRune(s[:j])
		}
		if j+len(w) < len(s) {
			after = firstRune(s[j+len(w):])
		}
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		i = j + 1
	}
	return false
}

func lastRune(s string) rune {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xC0 {
			r := []rune(s[i:])
			return r[0]
		}
	}
	return ' '
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return ' '
}

// headerRoles returns the roles a header text names, best first: every
// role whose longest hit is as long as the best hit, then the others by
// hit length. An exact match of the whole header ranks first.
func (v vocabIndex) headerRoles(header string) []role {
	h := fold(splitCamel(header))
	if h == "" || len(h) > 200 {
		return nil
	}
	var out []role
	seen := [numRoles]bool{}
	add := func(r role) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, e := range v {
		if e.word == h {
			add(e.role)
		}
	}
	for _, e := range v {
		hit := false
		if e.cjk {
			hit = strings.Contains(h, e.word)
		} else {
			hit = containsWord(h, e.word)
		}
		if hit {
			add(e.role)
		}
	}
	if seen[roleDebit] && seen[roleCredit] {
		// "Credit/Debit Amount", "Debit/Credit": one column for both
		// sides, never one side's.
		kept := out[:0]
		for _, r := range out {
			if r != roleDebit && r != roleCredit {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	return out
}

// splitCamel writes "dateOp" and "accountNumber" as "date Op" and
// "account Number" (Boursorama, ABN AMRO), leaving other text alone.
func splitCamel(h string) string {
	var b strings.Builder
	prev := rune(0)
	changed := false
	for _, r := range h {
		if r >= 'A' && r <= 'Z' && prev >= 'a' && prev <= 'z' {
			b.WriteByte(' ')
			changed = true
		}
		b.WriteRune(r)
		prev = r
	}
	if !changed {
		return h
	}
	return b.String()
}
