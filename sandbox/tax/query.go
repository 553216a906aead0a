package tax

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Query selects invoices as the portal's 发票查询 form does.
type Query struct {
	Direction string     // Issued (销项) or Received (进项)
	From, To  ferry.Date // 开票日期, inclusive
	Type      string     // "" for all, or TypeDigitalSpecial …
	Status    string     // "" for all, or StatusNormal …
}

// PageSize is how many invoices a result page lists by default.
const PageSize = 20

// parseQuery reads a query from a request's form values.
func parseQuery(v url.Values) (Query, error) {
	q := Query{Direction: v.Get("direction"), Type: v.Get("type"), Status: v.Get("status")}
	if q.Direction == "" {
		q.Direction = Issued
	}
	if q.Direction != Issued && q.Direction != Received {
		return q, fmt.Errorf("查询方向 %q 无效（issued 销项 或 received 进项）", q.Direction)
	}
	var err error
	if q.From, err = ferry.ParseDate(v.Get("from")); err != nil {
		return q, fmt.Errorf("开票日期起 %q 无效", v.Get("from"))
	}
	if q.To, err = ferry.ParseDate(v.Get("to")); err != nil {
		return q, fmt.Errorf("开票日期止 %q 无效", v.Get("to"))
	}
	if q.To.Before(q.From) {
		return q, fmt.Errorf("开票日期止不能早于开票日期起")
	}
	switch q.Type {
	case "", TypeDigitalSpecial, TypeDigitalGeneral, TypeOldGeneral, TypeOldSpecial:
	default:
		return q, fmt.Errorf("发票票种 %q 无效", q.Type)
	}
	switch q.Status {
	case "", StatusNormal, StatusVoid, StatusRed:
	default:
		return q, fmt.Errorf("发票状态 %q 无效", q.Status)
	}
	return q, nil
}

func (q Query) values() url.Values {
	v := url.Values{"direction": {q.Direction}, "from": {q.From.String()}, "to": {q.To.String()}}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	return v
}

func (p *Portal) matches(q Query, r *Record) bool {
	if q.Direction == Issued && r.SellerTaxID != p.home.TaxID || q.Direction == Received && r.BuyerTaxID != p.home.TaxID {
		return false
	}
	return !r.IssueDate.Before(q.From) && !r.IssueDate.After(q.To) && (q.Type == "" || r.Type == q.Type) && (q.Status == "" || r.Status == q.Status)
}

// Invoices returns every invoice the query matches, newest first, as the
// portal holds them now (without the query limit).
func (p *Portal) Invoices(q Query) []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Record
	for _, r := range p.records {
		if p.matches(q, r) {
			out = append(out, *r)
		}
	}
	return out
}

// Invoice returns the invoice with the portal id (the 数电 number, or code
// and number joined by an underscore).
func (p *Portal) Invoice(id string) (Record, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.byID[id]
	if !ok {
		return Record{}, false
	}
	return *r, true
}

// Void marks an invoice void (作废), as its issuer does after delivery;
// false if there is no such invoice.
func (p *Portal) Void(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.byID[id]
	if ok {
		r.Status = StatusVoid
		p.event("void", "", id)
	}
	return ok
}

// Issue adds a new invoice inside the query's range, issued after every
// other on its last day, as happens while a client pages through a result.
func (p *Portal) Issue(q Query) Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.issue(q)
}

// issue is Issue; the caller holds p.mu.
func (p *Portal) issue(q Query) *Record {
	p.issued++
	day := q.To
	if day.After(dataTo) {
		day = dataTo
	}
	cp := Counterparties()[p.issued%len(Counterparties())]
	seller, buyer := p.home, cp
	if q.Direction == Received {
		seller, buyer = cp, p.home
	}
	typ := q.Type
	if typ == "" || typ == TypeOldGeneral || typ == TypeOldSpecial {
		typ = TypeDigitalGeneral
	}
	rec := &Record{Type: typ, Status: StatusNormal, Drawer: drawers[0], Seq: 1000 + p.issued}
	rec.Invoice = ferry.Invoice{Kind: titleOf(typ), IssueDate: day, SellerName: seller.Name, SellerTaxID: seller.TaxID,
		BuyerName: buyer.Name, BuyerTaxID: buyer.TaxID, Currency: "CNY", AmountStated: true}
	rec.IssuedAt = day.Time(cst).Add(24*time.Hour - time.Duration(100-p.issued%100)*time.Second)
	rec.Number = fmt.Sprintf("%02d%s9%015d", rec.IssuedAt.Year()%100, seller.Region, p.issued)
	it := ferry.InvoiceItem{Name: "*信息技术服务*技术服务费", Unit: "次", TaxRate: "6%", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.New(int64(50_000+p.issued*100), -2),
		QuantityStated: true, PriceStated: true}
	it.Amount = it.UnitPrice
	it.Tax = it.Amount.Mul(decimal.New(6, -2)).Round(2)
	rec.Items = []ferry.InvoiceItem{it}
	totals(rec)
	p.records = append(p.records, rec)
	p.byID[rec.ID()] = rec
	sortRecords(p.records)
	p.event("issued", "", rec.ID())
	return rec
}

// Row is one invoice of a result page, as the query API lists it.
type Row struct {
	ID           string `json:"id"`
	Code         string `json:"fpdm"`
	Number       string `json:"fphm"`
	Type         string `json:"fppz"`
	Status       string `json:"fpzt"`
	IssuedAt     string `json:"kprq"`
	SellerTaxID  string `json:"xsfnsrsbh"`
	SellerName   string `json:"xsfmc"`
	BuyerTaxID   string `json:"gmfnsrsbh"`
	BuyerName    string `json:"gmfmc"`
	Amount       string `json:"hjje"`
	Tax          string `json:"hjse"`
	Total        string `json:"jshj"`
	Red          bool   `json:"red"`
	PDF, OFD     string
	XML          string `json:",omitempty"`
	DownloadBase string `json:"-"`
}

func rowOf(r *Record) Row {
	id := url.PathEscape(r.ID())
	row := Row{ID: r.ID(), Code: r.Code, Number: r.Number, Type: r.Type, Status: r.Status, IssuedAt: r.IssuedAt.Format("2006-01-02 15:04:05"),
		SellerTaxID: r.SellerTaxID, SellerName: r.SellerName, BuyerTaxID: r.BuyerTaxID, BuyerName: r.BuyerName,
		Amount: r.Amount.StringFixed(2), Tax: r.Tax.StringFixed(2), Total: r.Total.StringFixed(2), Red: r.Red,
		PDF: "/download/" + id + "/pdf", OFD: "/download/" + id + "/ofd"}
	if r.Digital() {
		row.XML = "/download/" + id + "/xml"
	}
	return row
}

// result is one page of a query's result, or the reason there is none.
type result struct {
	Query         Query
	Total, Pages  int
	Page, Size    int
	Rows          []Row
	Error         string // the portal's message (请限制开票日期 …)
	Code          string // its code for the API
	Prev, Next    string // links to the neighbouring pages
	ExportURL     string
	QueryString   string
	DirectionName string
}

// run answers a query's page under the portal's rules: the result limit,
// and a new invoice issued between pages when the switch says so.
func (p *Portal) run(v url.Values) result {
	q, err := parseQuery(v)
	if err != nil {
		return result{Query: q, Error: err.Error(), Code: "BAD_QUERY"}
	}
	page, _ := strconv.Atoi(v.Get("page"))
	page = max(page, 1)
	size, _ := strconv.Atoi(v.Get("size"))
	if size <= 0 || size > 100 {
		size = PageSize
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Queries++
	// Tests read which ranges and pages a client asked for.
	p.event("query", "", fmt.Sprintf("%s %s..%s page %d", q.Direction, q.From, q.To, page))
	if page > 1 && p.sw.IssueBetweenPages > 0 {
		p.sw.IssueBetweenPages--
		p.issue(q)
	}
	var all []*Record
	for _, r := range p.records {
		if p.matches(q, r) {
			all = append(all, r)
		}
	}
	res := result{Query: q, Total: len(all), Page: page, Size: size, QueryString: q.values().Encode()}
	res.DirectionName = map[string]string{Issued: "销项发票", Received: "进项发票"}[q.Direction]
	if limit := p.sw.QueryLimit; limit > 0 && len(all) > limit {
		res.Error, res.Code = fmt.Sprintf(MsgRangeTooWide, limit), "QUERY_LIMIT"
		return res
	}
	res.Pages = max(1, (len(all)+size-1)/size)
	for _, r := range all[min((page-1)*size, len(all)):min(page*size, len(all))] {
		res.Rows = append(res.Rows, rowOf(r))
	}
	link := func(n int) string {
		v := q.values()
		v.Set("page", strconv.Itoa(n))
		if size != PageSize {
			v.Set("size", strconv.Itoa(size))
		}
		return "/invoices?" + v.Encode()
	}
	if page > 1 {
		res.Prev = link(page - 1)
	}
	if page < res.Pages {
		res.Next = link(page + 1)
	}
	res.ExportURL = "/export.xlsx?" + q.values().Encode()
	return res
}

func (p *Portal) invoicesAPI(w http.ResponseWriter, r *http.Request, _ *session) {
	res := p.run(r.URL.Query())
	if res.Error != "" {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "code": res.Code, "message": res.Error})
		return
	}
	rows := res.Rows
	if rows == nil {
		rows = []Row{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "total": res.Total, "page": res.Page, "pages": res.Pages, "size": res.Size, "rows": rows,
		"export": res.ExportURL})
}

func (p *Portal) invoicesPage(w http.ResponseWriter, r *http.Request, s *session) {
	data := map[string]any{"Role": s.role, "User": s.user, "Company": p.home.Name}
	if r.URL.Query().Get("from") != "" {
		res := p.run(r.URL.Query())
		data["Result"] = res
		data["Q"] = res.Query
	} else {
		data["Q"] = Query{Direction: Issued}
	}
	p.page(w, r, http.StatusOK, "invoices", data)
}

func (p *Portal) export(w http.ResponseWriter, r *http.Request, _ *session) {
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "code": "BAD_QUERY", "message": err.Error()})
		return
	}
	p.mu.Lock()
	var all []*Record
	for _, rec := range p.records {
		if p.matches(q, rec) {
			c := *rec
			all = append(all, &c)
		}
	}
	limit := p.sw.QueryLimit
	p.mu.Unlock()
	if limit > 0 && len(all) > limit {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "code": "QUERY_LIMIT", "message": fmt.Sprintf(MsgRangeTooWide, limit)})
		return
	}
	body, err := RenderXLSX(all)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.stats.Exports++
	p.mu.Unlock()
	name := fmt.Sprintf("全量发票查询导出结果_%s_%s.xlsx", strings.ReplaceAll(q.From.String(), "-", ""), strings.ReplaceAll(q.To.String(), "-", ""))
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="invoices.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func (p *Portal) download(w http.ResponseWriter, r *http.Request, s *session) {
	id, format := r.PathValue("id"), r.PathValue("format")
	p.mu.Lock()
	rec0, ok := p.byID[id]
	var rec Record
	if ok {
		rec = *rec0
	}
	p.mu.Unlock()
	if !ok || rec.SellerTaxID != p.home.TaxID && rec.BuyerTaxID != p.home.TaxID {
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "code": "NOT_FOUND", "message": "未查询到该发票"})
		return
	}
	var (
		body []byte
		err  error
		ct   string
	)
	switch format {
	case "pdf":
		ct = "application/pdf"
		body, err = p.file(&rec, format, RenderPDF)
	case "ofd":
		ct = "application/ofd"
		body, err = p.file(&rec, format, RenderOFD)
	case "xml":
		if !rec.Digital() {
			writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "code": "NO_XML", "message": "该发票不支持XML格式下载"})
			return
		}
		ct = "application/xml"
		body, err = p.file(&rec, format, RenderXML)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "code": "BAD_FORMAT", "message": "不支持的文件格式"})
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.stats.Downloads++
	p.event("download", s.user, id+"."+format)
	if n := p.sw.KickAfterDownloads; n > 0 && p.stats.Downloads >= n {
		p.sw.KickAfterDownloads = 0
		p.startSession(s.user) // the account logs in elsewhere
	}
	p.mu.Unlock()
	// Named as the bureau names them: dzfp_<number>_<seller>_<issue time>.
	name := fmt.Sprintf("dzfp_%s_%s_%s.%s", strings.TrimPrefix(rec.Code+"_"+rec.Number, "_"), rec.SellerName, rec.IssuedAt.Format("20060102150405"), format)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dzfp_%s.%s"; filename*=UTF-8''%s`, strings.TrimPrefix(rec.Code+"_"+rec.Number, "_"), format, url.PathEscape(name)))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
