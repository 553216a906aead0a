package tax

import (
	"fmt"
	"html/template"
	"net/http"
)

// ids are the element ids of one version of the pages, by a stable name.
// Version 2 (the redesign) renames every one and restructures the forms.
var ids = map[int]map[string]string{
	1: {"taxid": "nsrsbh", "account": "account", "password": "password", "submit": "login-btn", "qrlink": "qr-login",
		"code": "sms-code", "verify": "sms-btn", "resend": "sms-resend", "masked": "sms-phone", "error": "error-msg", "info": "info-msg",
		"enter": "role-btn", "qrimg": "qr-image", "qrstatus": "qr-status",
		"direction": "direction", "from": "kprq-from", "to": "kprq-to", "type": "fppz", "status": "fpzt", "query": "query-btn",
		"table": "invoice-table", "total": "total", "next": "next-page", "prev": "prev-page", "export": "export-btn", "logout": "logout-btn"},
	2: {"taxid": "uscc-input", "account": "user-input", "password": "pwd-input", "submit": "btn-submit", "qrlink": "scan-login",
		"code": "verify-code", "verify": "btn-verify", "resend": "btn-resend", "masked": "phone-tip", "error": "alert-error", "info": "alert-info",
		"enter": "btn-enter", "qrimg": "qrcode-img", "qrstatus": "qrcode-tip",
		"direction": "q-direction", "from": "q-start", "to": "q-end", "type": "q-type", "status": "q-status", "query": "btn-search",
		"table": "result-grid", "total": "result-count", "next": "pager-next", "prev": "pager-prev", "export": "btn-export", "logout": "btn-logout"},
}

// page renders one of the portal's pages in the version the switches pick.
func (p *Portal) page(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	p.mu.Lock()
	v := 1
	if p.sw.Redesign {
		v = 2
	}
	data["Guard"] = p.sw.ClientStore
	p.mu.Unlock()
	data["V"] = v
	data["I"] = ids[v]
	data["Types"] = []string{TypeDigitalSpecial, TypeDigitalGeneral, TypeOldGeneral, TypeOldSpecial}
	data["Statuses"] = []string{StatusNormal, StatusVoid, StatusRed}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		fmt.Fprintf(w, "<!-- template error: %v -->", err)
	}
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{.}} - 国家税务总局电子税务局（沙箱）</title>
<style>body{font-family:sans-serif;margin:0;background:#f3f6fa}header{background:#c8161d;color:#fff;padding:10px 24px}main{max-width:1100px;margin:24px auto;background:#fff;padding:24px}
.v2 header{background:#1d4f91}label{display:inline-block;min-width:9em}.err{color:#c8161d}.info{color:#1d6f42}table{border-collapse:collapse;width:100%;font-size:13px}td,th{border:1px solid #ccd;padding:4px}
.field{margin:8px 0}.btn{padding:6px 18px}</style></head>{{end}}

{{define "top"}}<header><b>国家税务总局 电子税务局</b> <small>（沙箱 sandbox）</small></header>{{end}}

{{define "msgs"}}{{if .Error}}<p class="err" id="{{.I.error}}" role="alert">{{.Error}}</p>{{end}}{{if .Info}}<p class="info" id="{{.I.info}}">{{.Info}}</p>{{end}}{{end}}

{{define "login"}}{{template "head" "登录"}}<body class="v{{.V}}">{{template "top"}}<main>
{{if eq .V 1}}<h2>企业业务登录</h2>{{template "msgs" .}}
<form method="post" action="/login" id="login-form">
<div class="field"><label for="{{.I.taxid}}">统一社会信用代码/纳税人识别号</label><input id="{{.I.taxid}}" name="nsrsbh" value="{{.TaxID}}" autocomplete="off" maxlength="20"></div>
<div class="field"><label for="{{.I.account}}">居民身份证号码/手机号码/用户名</label><input id="{{.I.account}}" name="account" value="{{.Account}}" autocomplete="username"></div>
<div class="field"><label for="{{.I.password}}">个人用户密码</label><input id="{{.I.password}}" name="password" type="password" autocomplete="current-password"></div>
<button id="{{.I.submit}}" class="btn" type="submit">登录</button> <a id="{{.I.qrlink}}" href="/login/qr">扫码登录</a>
</form>
{{else}}<section class="login-card"><div class="tabs"><span class="tab active">密码登录</span><a class="tab" id="{{.I.qrlink}}" href="/login/qr">扫码登录</a></div>{{template "msgs" .}}
<form method="post" action="/login"><div class="row"><input id="{{.I.taxid}}" name="nsrsbh" placeholder="请输入统一社会信用代码/纳税人识别号" value="{{.TaxID}}"></div>
<div class="row"><input id="{{.I.account}}" name="account" placeholder="居民身份证号码/手机号码/用户名" value="{{.Account}}"></div>
<div class="row"><input id="{{.I.password}}" name="password" type="password" placeholder="请输入个人用户密码"></div>
<div class="row"><div role="button" tabindex="0" id="{{.I.submit}}" class="el-button" onclick="this.closest('form').submit()">登 录</div></div></form></section>
{{end}}</main></body></html>{{end}}

{{define "sms"}}{{template "head" "短信验证"}}<body class="v{{.V}}">{{template "top"}}<main>
<h2>身份验证</h2>{{template "msgs" .}}
<p>验证码将发送至 <span id="{{.I.masked}}">{{.Masked}}</span></p>
<form method="post" action="/login/sms"><div class="field"><label for="{{.I.code}}">短信验证码</label><input id="{{.I.code}}" name="code" inputmode="numeric" maxlength="6" autocomplete="one-time-code"></div>
<button id="{{.I.verify}}" class="btn" type="submit">{{if eq .V 1}}确定{{else}}验 证{{end}}</button></form>
<form method="post" action="/login/sms/resend"><button id="{{.I.resend}}" type="submit">重新获取验证码</button></form>
<form method="post" action="/login/sms/cancel"><button id="sms-cancel" type="submit">取消登录</button></form>
</main></body></html>{{end}}

{{define "qr"}}{{template "head" "扫码登录"}}<body class="v{{.V}}">{{template "top"}}<main>
<h2>扫码登录</h2><p>请使用电子税务局APP扫描二维码登录</p>
<img id="{{.I.qrimg}}" alt="登录二维码" width="198" height="198" src="/login/qr/{{.QR}}/image" data-qr="{{.QR}}">
<p id="{{.I.qrstatus}}" data-status="pending">请使用电子税务局APP扫码登录</p><p><a href="/login/qr">刷新二维码</a> <a href="/login">密码登录</a></p>
<script>(function(){var id={{.QR}},el=document.getElementById({{.I.qrstatus}});
function poll(){fetch('/api/qr/'+id).then(function(r){return r.json()}).then(function(j){el.textContent=j.message;el.dataset.status=j.status;
if(j.status==='confirmed'){location.href='/login/qr/'+id+'/complete';return}if(j.status!=='expired')setTimeout(poll,1000)}).catch(function(){setTimeout(poll,2000)})}poll()})();</script>
</main></body></html>{{end}}

{{define "role"}}{{template "head" "选择身份"}}<body class="v{{.V}}">{{template "top"}}<main>
<h2>请选择登录身份</h2><p>{{.Name}}，您在 {{.Company}} 有以下身份：</p>{{template "msgs" .}}
<form method="post" action="/login/role">{{range $i, $r := .Roles}}<div class="field"><label><input type="radio" name="role" value="{{$r}}" data-role="{{$r}}"{{if eq $i 0}} checked{{end}}> {{$r}}</label></div>{{end}}
<button id="{{.I.enter}}" class="btn" type="submit">确定</button></form></main></body></html>{{end}}

{{define "message"}}{{template "head" "提示"}}<body class="v{{.V}}">{{template "top"}}<main>
<p class="err" id="{{.ID}}" role="alert">{{.Error}}</p><p><a href="/login">重新登录</a></p></main></body></html>{{end}}

{{define "invoices"}}{{template "head" "发票查询统计"}}{{if .Guard}}<script src="/_etax/client.js"></script>{{end}}<body class="v{{.V}}">{{template "top"}}<main>
<p>{{.Company}} · 身份：<span id="role">{{.Role}}</span> <form method="post" action="/logout" style="display:inline"><button id="{{.I.logout}}">退出</button></form></p>
<h2>全量发票查询</h2>
<form method="get" action="/invoices" id="query-form">
<div class="field"><label for="{{.I.direction}}">查询类型</label><select id="{{.I.direction}}" name="direction"><option value="issued"{{if eq .Q.Direction "issued"}} selected{{end}}>销项发票</option><option value="received"{{if eq .Q.Direction "received"}} selected{{end}}>进项发票</option></select></div>
<div class="field"><label for="{{.I.from}}">开票日期起</label><input id="{{.I.from}}" name="from" type="date" value="{{if not .Q.From.IsZero}}{{.Q.From}}{{end}}">
<label for="{{.I.to}}">开票日期止</label><input id="{{.I.to}}" name="to" type="date" value="{{if not .Q.To.IsZero}}{{.Q.To}}{{end}}"></div>
<div class="field"><label for="{{.I.type}}">发票票种</label><select id="{{.I.type}}" name="type"><option value="">全部</option>{{range .Types}}<option{{if eq . $.Q.Type}} selected{{end}}>{{.}}</option>{{end}}</select>
<label for="{{.I.status}}">发票状态</label><select id="{{.I.status}}" name="status"><option value="">全部</option>{{range .Statuses}}<option{{if eq . $.Q.Status}} selected{{end}}>{{.}}</option>{{end}}</select></div>
<button id="{{.I.query}}" class="btn" type="submit">查询</button></form>
{{with .Result}}{{if .Error}}<p class="err" id="{{$.I.error}}" role="alert" data-code="{{.Code}}">{{.Error}}</p>{{else}}
<p>{{.DirectionName}} 共 <span id="{{$.I.total}}" data-total="{{.Total}}">{{.Total}}</span> 条，第 <span id="page-no">{{.Page}}</span>/<span id="page-count">{{.Pages}}</span> 页 <a id="{{$.I.export}}" href="{{.ExportURL}}">导出</a></p>
<table id="{{$.I.table}}"><thead><tr><th>发票代码</th><th>发票号码</th><th>开票日期</th><th>{{if eq .Query.Direction "issued"}}购买方名称{{else}}销售方名称{{end}}</th><th>金额</th><th>税额</th><th>价税合计</th><th>票种</th><th>状态</th><th>下载</th></tr></thead><tbody>
{{range .Rows}}<tr data-id="{{.ID}}"><td class="fpdm">{{.Code}}</td><td class="fphm">{{.Number}}</td><td>{{.IssuedAt}}</td><td>{{if eq $.Result.Query.Direction "issued"}}{{.BuyerName}}{{else}}{{.SellerName}}{{end}}</td><td>{{.Amount}}</td><td>{{.Tax}}</td><td>{{.Total}}</td><td>{{.Type}}</td><td class="status">{{.Status}}</td>
<td><a class="dl-pdf" href="{{.PDF}}">PDF</a> <a class="dl-ofd" href="{{.OFD}}">OFD</a>{{if .XML}} <a class="dl-xml" href="{{.XML}}">XML</a>{{end}}</td></tr>{{end}}
</tbody></table><p>{{if .Prev}}<a id="{{$.I.prev}}" href="{{.Prev}}">上一页</a>{{end}} {{if .Next}}<a id="{{$.I.next}}" href="{{.Next}}">下一页</a>{{end}}</p>{{end}}{{end}}
</main></body></html>{{end}}
`))
