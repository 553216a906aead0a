package statements_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/statements"
)

// genCAMT writes a camt.053 statement with n entries the way a German bank
// does (one TxDtls per entry, remittance text, counterparty), balances that
// reconcile.
func genCAMT(n int) []byte {
	var b strings.Builder
	b.Grow(n * 700)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>GEN</MsgId><CreDtTm>2024-03-06T06:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>GEN-1</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-04</Dt></Dt></Bal>
`)
	total := 0
	var entries strings.Builder
	for i := 0; i < n; i++ {
		cents := 100 + i%9000
		ind := "CRDT"
		if i%3 == 0 {
			ind = "DBIT"
			total -= cents
		} else {
			total += cents
		}
		fmt.Fprintf(&entries, `<Ntry><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>%s</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-03-05+01:00</Dt></BookgDt><ValDt><Dt>2024-03-05</Dt></ValDt><AcctSvcrRef>2024030500%07d</AcctSvcrRef>
<BkTxCd><Prtry><Cd>NTRF+166+9249</Cd><Issr>DK</Issr></Prtry></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>Kunde %d GmbH</Nm></Dbtr><Cdtr><Nm>Lieferant %d AG</Nm></Cdtr></RltdPties>
<RmtInf><Ustrd>Rechnung 2024-%06d vom 01.03.2024 Kundennummer %d</Ustrd></RmtInf></TxDtls></NtryDtls>
<AddtlNtryInf>GUTSCHR. UEBERWEISUNG</AddtlNtryInf></Ntry>
`, cents/100, cents%100, ind, i, i, i, i, i)
	}
	ind := "CRDT"
	if total < 0 {
		ind = "DBIT"
	}
	fmt.Fprintf(&b, `<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>%s</CdtDbtInd><Dt><Dt>2024-03-05</Dt></Dt></Bal>
`, abs(total)/100, abs(total)%100, ind)
	b.WriteString(entries.String())
	b.WriteString("</Stmt></BkToCstmrStmt></Document>\n")
	return []byte(b.String())
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// genMT940 writes one MT940 statement with n lines as German banks do
// (?NN sub-fields with SEPA identifiers), balances that reconcile.
func genMT940(n int) []byte {
	var lines strings.Builder
	lines.Grow(n * 260)
	total := 0
	for i := 0; i < n; i++ {
		cents := 100 + i%9000
		mark := "C"
		if i%3 == 0 {
			mark = "D"
			total -= cents
		} else {
			total += cents
		}
		fmt.Fprintf(&lines, ":61:2403050305%sR%d,%02dNTRFNONREF//B%09d\n:86:166?00SEPA-UEBERWEISUNG?109249?20EREF+E2E-%d?21SVWZ+Rechnung 2024-%06d vom 01.03?22.2024 Kundennummer %d?30COBADEFFXXX\n?31DE89370400440532013000?32Kunde %d GmbH\n", mark, cents/100, cents%100, i, i, i, i, i)
	}
	mark := "C"
	if total < 0 {
		mark = "D"
	}
	return []byte(fmt.Sprintf(":20:STARTUMSE\n:25:50050201/0123456789\n:28C:00012/001\n:60F:C240304EUR0,00\n%s:62F:%s240305EUR%d,%02d\n-\n", lines.String(), mark, abs(total)/100, abs(total)%100))
}

// BenchmarkCAMTEntries shows camt parsing is linear: entries/s stays the
// same from 1,000 to 100,000 entries (it was quadratic: 2,000 entries took
// 6.6 s, 5,000 took 40 s).
func BenchmarkCAMTEntries(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		data := genCAMT(n)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				sts, err := statements.ParseCAMT("gen.xml", data)
				if err != nil || len(sts[0].Lines) != n {
					b.Fatalf("%v, %d lines", err, len(sts[0].Lines))
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkMT940Large parses a generated MT940 statement of about 26 MB
// (100,000 lines) and reports the peak heap against the file's size.
func BenchmarkMT940Large(b *testing.B) {
	data := genMT940(100_000)
	benchPeak(b, data, func() (any, error) { return statements.ParseMT940("gen.sta", data) })
}

// BenchmarkCAMTLarge does the same for a camt.053 file of about 54 MB.
func BenchmarkCAMTLarge(b *testing.B) {
	data := genCAMT(100_000)
	benchPeak(b, data, func() (any, error) { return statements.ParseCAMT("gen.xml", data) })
}

// benchPeak reports the most heap in use during the parse and the heap
// the result holds after it, both against the file's size.
func benchPeak(b *testing.B, data []byte, parse func() (any, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var peak, live uint64
	for b.Loop() {
		runtime.GC()
		var base, after runtime.MemStats
		runtime.ReadMemStats(&base)
		var err error
		var res any
		p := peakHeap(func() { res, err = parse() })
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(res)
		if p > base.HeapInuse {
			peak = max(peak, p-base.HeapInuse)
		}
		if after.HeapInuse > base.HeapInuse {
			live = max(live, after.HeapInuse-base.HeapInuse)
		}
	}
	b.ReportMetric(float64(peak)/float64(len(data)), "peak-heap/file-byte")
	b.ReportMetric(float64(live)/float64(len(data)), "result-heap/file-byte")
	b.ReportMetric(float64(len(data))/1e6, "file-MB")
}

// camt and MT940 parsing are linear: the allocations per entry at 10,000
// entries are those at 1,000 (a quadratic parse multiplied them).
func TestTextFormatsLinear(t *testing.T) { // not parallel: AllocsPerRun
	for _, f := range []struct {
		name  string
		gen   func(int) []byte
		parse func([]byte) (int, error)
	}{
		{"camt", genCAMT, func(b []byte) (int, error) { s, err := statements.ParseCAMT("g.xml", b); return lines(s), err }},
		{"mt940", genMT940, func(b []byte) (int, error) { s, err := statements.ParseMT940("g.sta", b); return lines(s), err }},
	} {
		per := map[int]float64{}
		for _, n := range []int{1_000, 10_000} {
			data := f.gen(n)
			var err error
			var got int
			allocs := testing.AllocsPerRun(1, func() { got, err = f.parse(data) })
			if err != nil || got != n {
				t.Fatalf("%s %d: %v, %d lines", f.name, n, err, got)
			}
			per[n] = allocs / float64(n)
		}
		if per[10_000] > 1.2*per[1_000] {
			t.Errorf("%s: %.1f allocations per entry at 10,000 entries, %.1f at 1,000: not linear", f.name, per[10_000], per[1_000])
		}
	}
}

func lines(sts []ferry.Statement) int {
	n := 0
	for _, s := range sts {
		n += len(s.Lines)
	}
	return n
}

// genOFX writes an OFX 1.x (SGML) bank statement with n transactions.
func genOFX(n int) []byte {
	var b strings.Builder
	b.Grow(n*220 + 1000)
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240306120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>30004<BRANCHID>00001<ACCTID>00012345678<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20240301<DTEND>20240305\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<STMTTRN>\n<TRNTYPE>DEBIT\n<DTPOSTED>20240305\n<TRNAMT>-%d,%02d\n<FITID>24030500%07d\n<NAME>PRLV SEPA FOURNISSEUR %d\n<MEMO>FACTURE 2024-%06d\n</STMTTRN>\n", 1+i%900, i%100, i, i, i)
	}
	b.WriteString("</BANKTRANLIST>\n<LEDGERBAL><BALAMT>0,00<DTASOF>20240305</LEDGERBAL>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n")
	return []byte(b.String())
}

// BenchmarkOFXLarge reports the peak heap of a 100,000-transaction OFX
// file against its size.
func BenchmarkOFXLarge(b *testing.B) {
	data := genOFX(100_000)
	benchPeak(b, data, func() (any, error) { return statements.ParseOFX("gen.ofx", data) })
}
