// Package tax is the sandbox tax portal: a stand-in for China's electronic
// tax bureau (电子税务局) and its 数电 invoice service (全面数字化电子发票),
// served beside the sandbox bank by `ferry sandbox`. It logs in by tax id,
// personal account and password with an SMS code (or by QR scan), keeps a
// trusted-device window, kicks a session out when the account logs in
// elsewhere, answers invoice queries (销项/进项) with the portal's limits,
// and serves each invoice as PDF, OFD and XML, the list as XLSX.
//
// Everything it shows is derived from a seed and its clock is injected, so
// tests assert exact records and drive expiry without waiting.
//
// Pages: /login (nsrsbh, account, password), /login/sms (code; resend),
// /login/qr (the QR image at /login/qr/ID/image, its status polled at
// /api/qr/ID), /login/role, /invoices (the query form and result),
// /api/invoices (the same as JSON), /api/session (a cheap check that the
// session is live), /export.xlsx, /download/ID/{pdf,ofd,xml}, /logout.
// The sandbox phone, loopback only: GET /_sandbox/phone?user=U (the last
// SMS code and its expiry), POST /_sandbox/phone/scan?user=U[&qr=ID] and
// POST /_sandbox/phone/confirm[?qr=ID]; in Go, Portal.LastSMS, ScanQR and
// ConfirmQR.
package tax

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Taxpayer is an enterprise known to the portal (a seller or buyer).
type Taxpayer struct {
	TaxID   string // 统一社会信用代码 (18 characters with its check character)
	Name    string
	Address string // 地址、电话
	Bank    string // 开户行及账号
	Region  string // two-digit province code in 数电 numbers (31 上海)
}

// User is a personal account (自然人) that acts for a taxpayer.
type User struct {
	Name     string // 姓名
	IDNumber string // 居民身份证号码 (with its check digit)
	Phone    string
	UserName string
	Password string
	TaxID    string   // the enterprise the account acts for
	Roles    []string // 办税员, 财务负责人 …
}

// The roles a personal account can take for an enterprise.
const (
	RoleClerk   = "办税员"
	RoleFinance = "财务负责人"
)

// Invoice types as the portal's query form names them.
const (
	TypeDigitalSpecial = "数电专票"
	TypeDigitalGeneral = "数电普票"
	TypeOldGeneral     = "电子普通发票"
	TypeOldSpecial     = "电子专用发票"
)

// Invoice statuses as the portal lists them.
const (
	StatusNormal = "正常"
	StatusVoid   = "作废"
	StatusRed    = "红冲" // offset by a red-letter invoice
)

// Directions of a query.
const (
	Issued   = "issued"   // 销项: invoices the enterprise issued
	Received = "received" // 进项: invoices issued to it
)

// Record is one invoice as the portal holds it: the invoice itself and
// what the portal's list shows around it.
type Record struct {
	ferry.Invoice
	Type   string // TypeDigitalSpecial …
	Status string // StatusNormal …
	// IssuedAt is the issue time (the date is Invoice.IssueDate).
	IssuedAt time.Time
	// Drawer is 开票人.
	Drawer string
	// Remark is 备注 (on a red-letter invoice, the blue one it offsets).
	Remark string
	// Seq orders invoices issued on the same day.
	Seq int
}

// ID is the invoice's id in the portal's URLs: the 数电 number, or code and
// number joined by an underscore.
func (r Record) ID() string {
	if r.Code == "" {
		return r.Number
	}
	return r.Code + "_" + r.Number
}

// Digital reports whether the record is a 数电 invoice.
func (r Record) Digital() bool { return r.Type == TypeDigitalGeneral || r.Type == TypeDigitalSpecial }

// usccAlphabet is GB 32100-2015's alphabet for 统一社会信用代码.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// USCC completes a 17-character 统一社会信用代码 body with its check
// character (GB 32100-2015: weights 3^i mod 31).
func USCC(body string) string {
	sum, w := 0, 1
	for i := 0; i < len(body); i++ {
		sum += strings.IndexByte(usccAlphabet, body[i]) * w
		w = w * 3 % 31
	}
	return body + string(usccAlphabet[(31-sum%31)%31])
}

// ValidUSCC reports whether id is an 18-character 统一社会信用代码 whose
// check character matches.
func ValidUSCC(id string) bool {
	if len(id) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if strings.IndexByte(usccAlphabet, id[i]) < 0 {
			return false
		}
	}
	return USCC(id[:17]) == id
}

// ResidentID completes a 17-digit 居民身份证号码 body with its check digit
// (GB 11643-1999).
func ResidentID(body string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// MaskPhone writes a phone number as the portal shows it: 138****5678.
func MaskPhone(p string) string {
	if len(p) != 11 {
		return p
	}
	return p[:3] + "****" + p[7:]
}

// Home is the enterprise the sandbox's accounts act for.
func Home() Taxpayer {
	return Taxpayer{TaxID: USCC("91310115MA1H7QK2X"), Name: "上海渡船科技有限公司", Region: "31",
		Address: "上海市浦东新区张江路88号 021-58880000", Bank: "招商银行上海张江支行 121900000000001"}
}

// Counterparties are the enterprises the home enterprise trades with.
func Counterparties() []Taxpayer {
	return []Taxpayer{
		{TaxID: USCC("91330106MA2CFY8N1"), Name: "杭州云栈信息服务有限公司", Region: "33", Address: "杭州市西湖区文三路 0571-88880000", Bank: "中国工商银行杭州高新支行 1202020000000000001"},
		{TaxID: USCC("91110108MA01K3JX2"), Name: "北京京东世纪贸易有限公司", Region: "11", Address: "北京市大兴区亦庄经济开发区 010-89110000", Bank: "中国银行北京亦庄支行 3355000000001"},
		{TaxID: USCC("91320211MA1W2P6Q3"), Name: "无锡爱尔拓燃气技术设备有限公司", Region: "32", Address: "无锡市滨湖区建筑西路 0510-85550000", Bank: "中国建设银行无锡分行 3205000000000002"},
		{TaxID: USCC("91440300MA5F4LXB4"), Name: "深圳市前海纸品供应链有限公司", Region: "44", Address: "深圳市南山区前海大道 0755-86660000", Bank: "平安银行深圳前海支行 1500000000000003"},
		{TaxID: USCC("91310000MA1G8RTU5"), Name: "上海顺路物流有限公司", Region: "31", Address: "上海市闵行区申长路 021-64440000", Bank: "上海银行虹桥支行 3160000000000004"},
		{TaxID: USCC("91310104MA1FR2W06"), Name: "上海徐汇餐饮管理有限公司", Region: "31", Address: "上海市徐汇区漕溪北路 021-64880000", Bank: "交通银行徐汇支行 3100000000000005"},
	}
}

// DefaultUsers are the portal's personal accounts: published sandbox
// credentials, not secrets.
func DefaultUsers() []User {
	home := Home().TaxID
	return []User{
		{Name: "张伟", IDNumber: ResidentID("31011519900307123"), Phone: "13812345678", UserName: "zhangwei", Password: "Ferry#Tax2026",
			TaxID: home, Roles: []string{RoleClerk, RoleFinance}},
		{Name: "李娜", IDNumber: ResidentID("31010419920815234"), Phone: "13998765432", UserName: "lina", Password: "Ferry#Tax2026",
			TaxID: home, Roles: []string{RoleClerk}},
	}
}

// The sandbox holds invoices issued in this period.
var (
	dataFrom = ferry.NewDate(2026, 1, 1)
	dataTo   = ferry.NewDate(2026, 12, 31)
	// oldUntil is the last day the older 电子普通/专用发票 are issued.
	oldUntil = ferry.NewDate(2026, 6, 30)
)

// China Standard Time, in which the portal dates invoices.
var cst = time.FixedZone("CST", 8*3600)

type catalogItem struct {
	name, spec, unit string
	rate             int64 // percent
	service          bool  // often printed without quantity and price
	maxPrice         int   // fen
}

var catalog = []catalogItem{
	{"*信息技术服务*软件开发服务", "", "项", 6, true, 5_000_000},
	{"*信息技术服务*云服务器租用", "c6.large", "月", 6, false, 300_000},
	{"*计算机外部设备*激光打印机", "M7400", "台", 13, false, 400_000},
	{"*纸制品*复印纸", "A4 70g", "箱", 13, false, 30_000},
	{"*运输服务*国内道路货物运输服务", "", "次", 9, true, 800_000},
	{"*餐饮服务*餐饮服务", "", "", 6, true, 200_000},
	{"*现代服务*技术咨询服务", "", "次", 6, true, 2_000_000},
	{"*电子元件*贴片电阻", "R0603", "盘", 13, false, 20_000},
}

var drawers = []string{"王芳", "刘洋", "陈静", "赵磊"}

func fen(c int64) decimal.Decimal { return decimal.New(c, -2) }

// generate builds every invoice of the data period from the seed, in issue
// order, numbering them as the issuing systems would.
func generate(seed int64, home Taxpayer, parties []Taxpayer) []*Record {
	var out []*Record
	serial := map[string]int64{} // per issuing region and kind of number
	type redLater struct {
		day  ferry.Date
		blue *Record
	}
	var reds []redLater
	for d := dataFrom; !d.After(dataTo); d = d.AddDays(1) {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d|%s", seed, d)
		r := rand.New(rand.NewPCG(h.Sum64(), 0x7a4))
		seq := 0
		// Red-letter invoices due today, issued by the blue one's seller.
		for i := 0; i < len(reds); {
			if reds[i].day != d {
				i++
				continue
			}
			red := redOf(reds[i].blue, d, seq, serial, r)
			seq++
			out = append(out, red)
			reds = append(reds[:i], reds[i+1:]...)
		}
		if d.Time(cst).Weekday() == time.Sunday {
			continue
		}
		n := r.IntN(4) + r.IntN(3) // 0..5 a day, issued and received
		for i := 0; i < n; i++ {
			cp := parties[r.IntN(len(parties))]
			seller, buyer := home, cp
			if r.IntN(5) < 2 {
				seller, buyer = cp, home
			}
			rec := &Record{Seq: seq, Drawer: drawers[r.IntN(len(drawers))]}
			seq++
			typ := TypeDigitalGeneral
			switch k := r.IntN(10); {
			case k < 4:
				typ = TypeDigitalSpecial
			case k < 7 || d.After(oldUntil):
			case k < 9:
				typ = TypeOldGeneral
			default:
				typ = TypeOldSpecial
			}
			rec.Type = typ
			rec.Kind = titleOf(typ)
			rec.IssueDate = d
			rec.IssuedAt = d.Time(cst).Add(time.Duration(8*3600+r.IntN(10*3600)) * time.Second)
			rec.SellerName, rec.SellerTaxID = seller.Name, seller.TaxID
			rec.BuyerName, rec.BuyerTaxID = buyer.Name, buyer.TaxID
			rec.Currency = "CNY"
			rec.AmountStated = true
			number(rec, seller, serial, r)
			items := 1 + r.IntN(3)
			for j := 0; j < items; j++ {
				c := catalog[r.IntN(len(catalog))]
				it := ferry.InvoiceItem{Name: c.name, Spec: c.spec, Unit: c.unit, TaxRate: fmt.Sprintf("%d%%", c.rate)}
				price := int64(100 + r.IntN(c.maxPrice))
				if c.service && r.IntN(2) == 0 {
					it.Amount = fen(price)
				} else {
					q := int64(1 + r.IntN(10))
					it.Quantity, it.UnitPrice = decimal.NewFromInt(q), fen(price)
					it.QuantityStated, it.PriceStated = true, true
					it.Amount = fen(price * q)
				}
				it.Tax = it.Amount.Mul(decimal.New(c.rate, -2)).Round(2)
				rec.Items = append(rec.Items, it)
			}
			totals(rec)
			switch k := r.IntN(100); {
			case k < 5 && !rec.Digital():
				rec.Status = StatusVoid // only 税控 invoices can be voided; 数电 ones are offset
			case k < 10:
				rec.Status = StatusRed
				if day := d.AddDays(1 + r.IntN(5)); !day.After(dataTo) {
					reds = append(reds, redLater{day, rec})
				} else {
					rec.Status = StatusNormal
				}
			default:
				rec.Status = StatusNormal
			}
			out = append(out, rec)
		}
	}
	return out
}

func titleOf(typ string) string {
	switch typ {
	case TypeDigitalSpecial:
		return "电子发票（增值税专用发票）"
	case TypeDigitalGeneral:
		return "电子发票（普通发票）"
	case TypeOldSpecial:
		return "增值税电子专用发票"
	}
	return "增值税电子普通发票"
}

// number gives rec its 发票号码 (and 发票代码, 校验码 and 机器编号 on the
// older kinds): 数电 numbers are year, region, channel and a serial.
func number(rec *Record, seller Taxpayer, serial map[string]int64, r *rand.Rand) {
	yy := rec.IssueDate.Time(cst).Year() % 100
	if rec.Digital() {
		k := "d" + seller.Region
		serial[k]++
		rec.Number = fmt.Sprintf("%02d%s2%015d", yy, seller.Region, 1_000_000+serial[k])
		return
	}
	k := "o" + seller.Region + rec.Type
	serial[k]++
	kind := "11"
	if rec.Type == TypeOldSpecial {
		kind = "13"
	}
	rec.Code = fmt.Sprintf("0%s00%02d001%s", seller.Region, yy, kind)
	rec.Number = fmt.Sprintf("%08d", 10_000_000+serial[k])
	rec.MachineNo = fmt.Sprintf("6618%08d", r.IntN(100_000_000))
	if rec.Type == TypeOldGeneral {
		var b strings.Builder
		b.WriteByte(byte('1' + r.IntN(9)))
		for i := 1; i < 20; i++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		rec.CheckCode = b.String()
	}
}

// totals sums the items into the invoice's figures and words.
func totals(rec *Record) {
	rec.Amount, rec.Tax = decimal.Zero, decimal.Zero
	for _, it := range rec.Items {
		rec.Amount = rec.Amount.Add(it.Amount)
		rec.Tax = rec.Tax.Add(it.Tax)
	}
	rec.Total = rec.Amount.Add(rec.Tax)
	rec.TotalInWords = AmountInWords(rec.Total)
	rec.Red = rec.Total.IsNegative()
}

// redOf is the red-letter invoice that offsets blue in full, issued on day.
func redOf(blue *Record, day ferry.Date, seq int, serial map[string]int64, r *rand.Rand) *Record {
	red := &Record{Seq: seq, Type: blue.Type, Status: StatusNormal, Drawer: blue.Drawer}
	red.Invoice = ferry.Invoice{Kind: blue.Kind, IssueDate: day, SellerName: blue.SellerName, SellerTaxID: blue.SellerTaxID,
		BuyerName: blue.BuyerName, BuyerTaxID: blue.BuyerTaxID, Currency: "CNY", AmountStated: true}
	red.IssuedAt = day.Time(cst).Add(time.Duration(9*3600+r.IntN(8*3600)) * time.Second)
	number(red, Taxpayer{Region: regionOf(blue)}, serial, r)
	for _, it := range blue.Items {
		n := it
		n.Amount, n.Tax = it.Amount.Neg(), it.Tax.Neg()
		if it.QuantityStated {
			n.Quantity = it.Quantity.Neg()
		}
		red.Items = append(red.Items, n)
	}
	totals(red)
	if blue.Digital() {
		red.Remark = "被红冲蓝字数电发票号码：" + blue.Number
	} else {
		red.Remark = "对应正数发票代码:" + blue.Code + "号码:" + blue.Number
	}
	return red
}

// regionOf reads the issuing region back from a number or code.
func regionOf(r *Record) string {
	if r.Code != "" {
		return r.Code[1:3]
	}
	return r.Number[2:4]
}

var cnDigit = []string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}

// AmountInWords writes an amount in Chinese capital numerals as 价税合计
// （大写） prints it: 21100 → 贰万壹仟壹佰圆整; negative amounts (red-letter
// invoices) start with （负数）.
func AmountInWords(d decimal.Decimal) string {
	prefix := ""
	if d.IsNegative() {
		prefix, d = "（负数）", d.Neg()
	}
	f := d.Shift(2).Round(0).IntPart()
	yuan, jiao, cent := f/100, f/10%10, f%10
	var b strings.Builder
	if yuan > 0 {
		var sections []int64
		for y := yuan; y > 0; y /= 10000 {
			sections = append(sections, y%10000)
		}
		zero := false
		for i := len(sections) - 1; i >= 0; i-- {
			sec := sections[i]
			if sec == 0 {
				zero = b.Len() > 0
				continue
			}
			if b.Len() > 0 && sec < 1000 {
				zero = true
			}
			if zero {
				b.WriteString("零")
				zero = false
			}
			b.WriteString(section(sec))
			b.WriteString([]string{"", "万", "亿", "万"}[i])
		}
		b.WriteString("圆")
	}
	switch {
	case jiao == 0 && cent == 0:
		b.WriteString("整")
	default:
		if jiao > 0 {
			b.WriteString(cnDigit[jiao] + "角")
		} else if yuan > 0 {
			b.WriteString("零")
		}
		if cent > 0 {
			b.WriteString(cnDigit[cent] + "分")
		} else {
			b.WriteString("整")
		}
	}
	return prefix + b.String()
}

// section writes 1..9999 with 仟佰拾, one 零 for each run of zeros inside.
func section(n int64) string {
	units := []string{"仟", "佰", "拾", ""}
	var b strings.Builder
	zero := false
	for i, div := range []int64{1000, 100, 10, 1} {
		d := n / div % 10
		if d == 0 {
			zero = b.Len() > 0
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(cnDigit[d] + units[i])
	}
	return b.String()
}

// sortRecords orders records as the portal lists them: newest first.
func sortRecords(rs []*Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].IssuedAt.Equal(rs[j].IssuedAt) {
			return rs[i].IssuedAt.After(rs[j].IssuedAt)
		}
		return rs[i].Number > rs[j].Number
	})
}

// Credentials returns the portal's accounts as Ferry credentials named
// etax-USER, with the fields a login needs: nsrsbh (the enterprise's tax
// id), account and password. They are the published sandbox logins; the
// SMS code comes from the sandbox phone at login.
func Credentials() map[string]ferry.Credential {
	out := map[string]ferry.Credential{}
	for _, u := range DefaultUsers() {
		out["etax-"+u.UserName] = ferry.Credential{Name: "etax-" + u.UserName,
			Fields: map[string]string{"nsrsbh": u.TaxID, "account": u.UserName, "password": u.Password}}
	}
	return out
}
