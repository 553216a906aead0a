package statements_test

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/statements"
	"golang.org/x/text/encoding/charmap"
)

// Hand-written imitations of real banks' MT940 quirks (the real files are
// in testdata/real with their goldens): each case is one quirk with other
// data.
func TestMT940Variants(t *testing.T) {
	t.Parallel()
	head := ":20:T1\n:25:123456789\n:28C:1/1\n:60F:C240301EUR100,00\n"
	cases := []struct {
		name, body, close  string
		cp, desc, ref, txt string
	}{{
		// Komercijalna banka: the MT103 50K/59 party form in :86:.
		name:  "party lines",
		body:  ":61:2403010301DD10,NMSC77001234\n:86:/BENM/300000000000999\n/EXAMPLE TRADING DOOEL SKOPJE\n/Provizija//5500112233-01\n/Nadomest za mart 2024\n",
		close: ":62F:C240301EUR90,00\n",
		cp:    "EXAMPLE TRADING DOOEL SKOPJE", desc: "Nadomest za mart 2024", ref: "77001234",
	}, {
		// Triodos and Polish banks: ">" marks the sub-fields; BIC and
		// IBAN in >20/>21 are no text.
		name:  "> sub-fields",
		body:  ":61:240301D10,00NTRFNONREF\n:86:000>100123456789\n>20ABCDNL2A\n>21NL00ABCD0123456789\n>22HUUR MAART>23 2024\n>310987654321\n>32J. JANSEN\n",
		close: ":62F:C240301EUR90,00\n",
		cp:    "J. JANSEN", desc: "HUUR MAART 2024",
	}, {
		// German "MT940 mit Feld NS": purpose and name in :NS: after :61:.
		name:  ":NS: after :61:",
		body:  ":61:2403010301DM10,00S05112345678\n:NS:01Rechnung 4711\n02vom 1. Maerz\n15Beispiel GmbH\n17Ueberweisung\n",
		close: ":62F:C240301EUR90,00\n",
		cp:    "Beispiel GmbH", desc: "Rechnung 4711 vom 1. Maerz", ref: "12345678",
	}, {
		// HBOS: 34-character supplementary details go on in :86:.
		name:  "supplementary details overflow",
		body:  ":61:2403010301D10,NMSCNONREF\nFT240301000001           FOREIGN U\n:86:SD\n",
		close: ":62F:C240301EUR90,00\n",
		desc:  "FT240301000001 FOREIGN USD",
	}, {
		// ... and shorter ones are kept before an unstructured :86:.
		name:  "supplementary details kept",
		body:  ":61:2403010301D10,NMSCNONREF\nEXAMPLE LTD    FPO\n:86:INVOICE 2024-03\n",
		close: ":62F:C240301EUR90,00\n",
		desc:  "EXAMPLE LTD FPO INVOICE 2024-03",
	}, {
		// Danske Bank: text after // is no transaction id.
		name:  "text bank reference",
		body:  ":61:2403010301D10,NCHGGebyrer ifolge//nota\n",
		close: ":62F:C240301EUR90,00\n",
		desc:  "", ref: "Gebyrer ifolge//nota",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sts, err := statements.ParseMT940("v.sta", []byte(head+c.body+c.close))
			if err != nil {
				t.Fatal(err)
			}
			l := sts[0].Lines[0]
			if l.Counterparty != c.cp || l.Description != c.desc || l.Reference != c.ref || l.TransactionID != "" {
				t.Errorf("got cp %q desc %q ref %q txid %q; want %q %q %q \"\"", l.Counterparty, l.Description, l.Reference, l.TransactionID, c.cp, c.desc, c.ref)
			}
			if err := sts[0].Reconcile(); err != nil {
				t.Error(err)
			}
		})
	}
}

// A DOS code page 850 export that was read as Windows-1252 and saved as
// UTF-8 (Sparkasse: "MšLLER") is read as the code page it was; real
// Windows-1252 and UTF-8 text stays as it is.
func TestMT940CodePageMojibake(t *testing.T) {
	t.Parallel()
	doc := func(name string) string {
		return ":20:T1\n:25:123456789\n:60F:C240301EUR100,00\n:61:2403010301C10,00N051NONREF\n:86:051?00Gutschrift?20MIETE?32" + name + "\n:62F:C240301EUR110,00\n"
	}
	cp850, _ := charmap.CodePage850.NewEncoder().String("BÄCKER MÜLLER")
	mojibake, _ := charmap.Windows1252.NewDecoder().String(cp850) // "BŽCKER MšLLER"
	for _, c := range []struct{ in, want string }{
		{mojibake, "BÄCKER MÜLLER"},
		{"Müller & Söhne", "Müller & Söhne"},
		{"MIŠKO NOVAK", "MIŠKO NOVAK"},
	} {
		sts, err := statements.ParseMT940("m.sta", []byte(doc(c.in)))
		if err != nil {
			t.Fatal(err)
		}
		if got := sts[0].Lines[0].Counterparty; got != c.want {
			t.Errorf("%q: got %q, want %q (notes %q)", c.in, got, c.want, strings.Join(sts[0].Notes, "; "))
		}
	}
}

// A period never runs backwards: Zenith Bank dates its opening balance
// on the print day, after the closing balance.
func TestMT940PeriodNotInverted(t *testing.T) {
	t.Parallel()
	data := ":20:T1\n:25:123456789\n:60F:C240418EUR100,00\n:61:2403280328D10,00NMSCNONREF//19239782213\n:61:2403300330D5,00NMSCNONREF//19239782214\n:62F:C240331EUR85,00\n"
	sts, err := statements.ParseMT940("p.sta", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if st.From.String() != "2024-03-28" || st.To.String() != "2024-03-31" || !strings.Contains(strings.Join(st.Notes, " "), "after the closing balance") {
		t.Errorf("period %s to %s, notes %q; want 2024-03-28 to 2024-03-31 and a note", st.From, st.To, st.Notes)
	}
	if st.Balances[0].Date.String() != "2024-04-18" {
		t.Errorf("the opening balance's own date changed: %s", st.Balances[0].Date)
	}
}
