// Package sandbox serves realistic stand-ins for the websites Ferry's bots
// visit: for now a bank portal ("demobank") in the style of a Chinese
// commercial bank's corporate online banking. Tests serve it in-process on
// 127.0.0.1:0; `ferry sandbox` serves it for people and the demo.
//
// Everything the bank shows is derived from a seed, so tests can assert
// exact records.
package sandbox

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Account is one bank account of the sandbox.
type Account struct {
	ID       string // the account number as the bank prints it
	LabelZH  string
	LabelEN  string
	Currency string
	Holder   string
	// InlinePDF makes the PDF statement open in the browser's viewer
	// instead of downloading, as some real portals do.
	InlinePDF bool
	opening   int64 // balance in cents on epoch
}

// User is a login of the sandbox bank.
type User struct {
	ID       string
	Password string
	// TOTPSecret, when set, adds an RFC 6238 second step after the password.
	TOTPSecret string
	Accounts   []string
}

// epoch is the first day the sandbox has transactions for.
var epoch = ferry.NewDate(2025, 1, 1)

// DefaultAccounts are the sandbox bank's accounts.
func DefaultAccounts() []Account {
	return []Account{
		{ID: "6222021000010001", LabelZH: "基本存款账户", LabelEN: "Basic account", Currency: "CNY", Holder: "上海渡船科技有限公司", opening: 125_000_00},
		{ID: "6222021000010002", LabelZH: "一般存款账户", LabelEN: "General account", Currency: "CNY", Holder: "上海渡船科技有限公司", InlinePDF: true, opening: 48_200_50},
		{ID: "9558800100003003", LabelZH: "美元现汇账户", LabelEN: "USD current account", Currency: "USD", Holder: "上海渡船科技有限公司", opening: 30_000_00},
		{ID: "6222021000020004", LabelZH: "基本存款账户", LabelEN: "Basic account", Currency: "CNY", Holder: "杭州摆渡贸易有限公司", opening: 8_800_00},
	}
}

// DemoTOTPSecret is the base32 TOTP seed of the sandbox's second-factor user.
const DemoTOTPSecret = "JBSWY3DPEHPK3PXPFERRYDEMOTOTPAB2"

// DefaultUsers are the sandbox bank's logins. They are published sandbox
// credentials, not secrets.
func DefaultUsers() []User {
	return []User{
		{ID: "zhangwei", Password: "Ferry#Demo2026", Accounts: []string{"6222021000010001", "6222021000010002", "9558800100003003"}},
		{ID: "lina", Password: "Ferry#Totp2026", TOTPSecret: DemoTOTPSecret, Accounts: []string{"6222021000020004"}},
	}
}

var counterparties = []string{
	"北京京东世纪贸易有限公司", "阿里云计算有限公司", "中国移动通信集团上海有限公司",
	"上海浦东发展银行", "深圳市腾讯计算机系统有限公司", "国家税务总局上海市税务局",
	"上海市电力公司", "顺丰速运有限公司", "杭州海康威视数字技术股份有限公司", "招商局物业管理有限公司",
}

var usCounterparties = []string{
	"Amazon Web Services, Inc.", "Shenzhen Huaqiang Electronics Ltd", "DHL Express (USA)", "Global Parts Trading LLC",
}

var descriptions = []struct {
	zh, en string
	sign   int // +1 credit, -1 debit
}{
	{"货款", "Payment for goods", +1},
	{"服务费", "Service fee", -1},
	{"工资代发", "Payroll", -1},
	{"电费", "Electricity", -1},
	{"退款", "Refund", +1},
	{"增值税", "VAT payment", -1},
	{"房租", "Rent", -1},
	{"技术服务收入", "Consulting income", +1},
}

type txn struct {
	day          ferry.Date
	cents        int64
	counterparty string
	desc         string
	ref          string
}

func (b *Bank) dayTxns(acc Account, day ferry.Date) []txn {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s", b.seed, acc.ID, day)
	r := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	if day.Time(time.UTC).Weekday() == time.Sunday {
		return nil
	}
	n := r.IntN(4) // 0..3 a day
	out := make([]txn, 0, n)
	for i := 0; i < n; i++ {
		d := descriptions[r.IntN(len(descriptions))]
		var cents int64
		if d.sign > 0 {
			cents = int64(r.IntN(4_000_000)) + 100 // up to 40,000.00
		} else {
			cents = -(int64(r.IntN(1_500_000)) + 1) // up to 15,000.00
		}
		cp := counterparties[r.IntN(len(counterparties))]
		if acc.Currency == "USD" {
			cp = usCounterparties[r.IntN(len(usCounterparties))]
			cents /= 7
		}
		out = append(out, txn{
			day:          day,
			cents:        cents,
			counterparty: cp,
			desc:         d.zh + " " + d.en,
			ref:          fmt.Sprintf("FT%s%s%02d", day.Time(time.UTC).Format("060102"), acc.ID[len(acc.ID)-4:], i+1),
		})
	}
	return out
}

// Statement returns the account's statement for [from, to], exactly as the
// bank's downloads carry it.
func (b *Bank) Statement(accountID string, from, to ferry.Date) (ferry.Statement, error) {
	acc, ok := b.accounts[accountID]
	if !ok {
		return ferry.Statement{}, fmt.Errorf("sandbox: no account %s", accountID)
	}
	if to.Before(from) {
		return ferry.Statement{}, fmt.Errorf("sandbox: period %s to %s is backwards", from, to)
	}
	bal := acc.opening
	for d := epoch; d.Before(from); d = d.AddDays(1) {
		for _, t := range b.dayTxns(acc, d) {
			bal += t.cents
		}
	}
	st := ferry.Statement{
		Account: acc.ID, Name: acc.Holder, Currency: acc.Currency, From: from, To: to,
		Opening: cents(bal),
	}
	for d := from; !d.After(to); d = d.AddDays(1) {
		if d.Before(epoch) {
			continue
		}
		for _, t := range b.dayTxns(acc, d) {
			bal += t.cents
			st.Lines = append(st.Lines, ferry.StatementLine{
				Account: acc.ID, BookingDate: d, ValueDate: d, Amount: cents(t.cents), Currency: acc.Currency,
				Counterparty: t.counterparty, Description: t.desc, Reference: t.ref, TransactionID: t.ref, BalanceAfter: cents(bal),
			})
		}
	}
	st.Closing = cents(bal)
	return st, nil
}

func cents(c int64) decimal.Decimal { return decimal.New(c, -2) }

// Credentials returns the sandbox's logins as Ferry credentials named
// demobank-USER: the published test logins, with the TOTP seed where the
// user has a second step.
func Credentials() map[string]ferry.Credential {
	out := map[string]ferry.Credential{}
	for _, u := range DefaultUsers() {
		f := map[string]string{"user": u.ID, "password": u.Password}
		if u.TOTPSecret != "" {
			f["totp"] = u.TOTPSecret
		}
		out["demobank-"+u.ID] = ferry.Credential{Name: "demobank-" + u.ID, Fields: f}
	}
	return out
}
