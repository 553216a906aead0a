package sandbox

import (
	"html/template"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPCode returns the sandbox's current one-time code for secret, as the
// user's phone app would show it.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

const layout = `{{define "head"}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}} - 渡船银行 DemoBank</title>
<style>
body{font-family:"Droid Sans Fallback","Noto Sans CJK SC",sans-serif;margin:0;background:#f3f5f8;color:#222}
header{background:#a31d24;color:#fff;padding:10px 24px;display:flex;justify-content:space-between;align-items:center}
header a,header button{color:#fff;margin-left:16px;background:none;border:0;font:inherit;cursor:pointer}
main{max-width:1100px;margin:24px auto;background:#fff;padding:24px;border-radius:6px;box-shadow:0 1px 3px #0002}
label{display:block;margin:10px 0 4px}
input,select{padding:6px;font-size:14px;min-width:240px}
button.primary{background:#a31d24;color:#fff;border:0;padding:8px 22px;margin-top:14px;cursor:pointer;border-radius:4px}
.error{color:#b00020;background:#fdecee;padding:8px;margin:10px 0}
.info{color:#055;background:#e6f6f6;padding:8px;margin:10px 0}
table{border-collapse:collapse;width:100%;margin-top:16px;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:5px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
[hidden]{display:none !important}
.spinner{display:inline-block;margin:12px 0;color:#666}
.pager{margin-top:10px}
.downloads a{margin-right:16px}
</style></head><body>
<header><strong>渡船银行 DemoBank · 企业网银 Corporate Banking</strong>
{{if .User}}<nav><a id="nav-accounts" href="/accounts">账户总览 Accounts</a>{{if not (call .Removed "nav-statements")}}<a id="nav-statements" href="/statements">账户明细 Statements</a>{{end}}
<form method="post" action="/logout" style="display:inline"><button id="logout" type="submit">退出 Log out</button></form></nav>{{end}}
</header><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "login"}}{{template "head" (with_title . "登录 Log in")}}
<h1>企业网银登录 Corporate banking log in</h1>
{{if .Info}}<div class="info" id="login-info">{{.Info}}</div>{{end}}
{{if .Error}}<div class="error" id="login-error" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label for="user-id">用户名 User ID</label><input id="user-id" name="user_id" autocomplete="username" value="{{.UserID}}">
<label for="password">密码 Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<div>{{if not (call .Removed "login-button")}}<button class="primary" id="login-button" type="submit" data-testid="login-submit">登录 Log in</button>{{end}}</div>
</form>{{template "foot"}}{{end}}

{{define "otp"}}{{template "head" (with_title . "动态口令 One-time code")}}
<h1>动态口令验证 Two-step verification</h1>
<p>请输入手机令牌上的 6 位动态口令。Enter the 6-digit code from your authenticator app.</p>
{{if .Error}}<div class="error" id="otp-error" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="/login/otp">
<label for="otp-code">动态口令 One-time code</label><input id="otp-code" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6">
<div><button class="primary" id="otp-submit" type="submit" data-testid="otp-submit">验证 Verify</button></div>
</form>{{template "foot"}}{{end}}

{{define "locked"}}{{template "head" (with_title . "账户已锁定 Locked")}}
<h1 id="locked-title">账户已锁定 Account locked</h1>
<p id="locked-message" role="alert">密码错误次数过多，登录已被锁定，请联系开户行。Too many wrong passwords: this login is locked. Contact your branch.</p>
{{template "foot"}}{{end}}

{{define "error"}}{{template "head" (with_title . "错误 Error")}}
<h1>错误 Error</h1><p class="error" role="alert">{{.Message}}</p>{{template "foot"}}{{end}}

{{define "accounts"}}{{template "head" (with_title . "账户总览 Accounts")}}
<h1 id="accounts-title">账户总览 Accounts</h1>
<table id="accounts-table"><thead><tr><th>账号 Account No.</th><th>账户名称 Account</th><th>币种 Currency</th><th>户名 Holder</th></tr></thead><tbody>
{{range .Accounts}}<tr data-account="{{.ID}}"><td>{{.ID}}</td><td>{{.LabelZH}} {{.LabelEN}}</td><td>{{.Currency}}</td><td>{{.Holder}}</td></tr>{{end}}
</tbody></table>{{template "foot"}}{{end}}

{{define "statements"}}{{template "head" (with_title . "账户明细 Statements")}}
<h1 id="statements-title">账户明细查询 Statement search</h1>
<form id="search-form" onsubmit="return false">
<label for="account-select">账户 Account</label>
<select id="account-select" name="account">
{{range .Accounts}}<option value="{{.ID}}">{{.LabelZH}} {{.LabelEN}} · {{.ID}} · {{.Currency}}</option>{{end}}
</select>
<label for="date-from">起始日期 From (YYYY-MM-DD)</label><input id="date-from" name="from" placeholder="YYYY-MM-DD">
<label for="date-to">截止日期 To (YYYY-MM-DD)</label><input id="date-to" name="to" placeholder="YYYY-MM-DD">
<div>{{if not (call .Removed "search-button")}}<button class="primary" id="search-button" type="button" data-testid="search">查询 Search</button>{{end}}</div>
</form>
<div id="spinner" class="spinner" role="status" hidden>加载中… Loading…</div>
<div id="search-error" class="error" role="alert" hidden></div>
<section id="results" hidden>
<p id="result-summary"></p>
<table id="result-table"><thead><tr><th>交易日期 Date</th><th>起息日 Value date</th><th>借方 Debit</th><th>贷方 Credit</th><th>余额 Balance</th><th>对方户名 Counterparty</th><th>摘要 Description</th><th>流水号 Reference</th></tr></thead><tbody id="result-rows"></tbody></table>
<div class="pager"><button id="prev-page" type="button">上一页 Previous</button> <span id="page-info"></span> <button id="next-page" type="button">下一页 Next</button></div>
<p class="downloads">下载 Download:
<a id="download-xlsx" data-testid="download-xlsx" href="#">Excel 文件 (XLSX)</a>
<a id="download-csv" data-testid="download-csv" href="#">CSV 文件</a>
<a id="download-pdf" data-testid="download-pdf" href="#">PDF 对账单</a></p>
</section>
<script>
(function(){
  var page = 1, q = null;
  function $(id){ return document.getElementById(id); }
  function cell(tr, text, cls){ var td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  function load(){
    $('results').hidden = true; $('search-error').hidden = true; $('spinner').hidden = false;
    var u = '/api/statements?account=' + encodeURIComponent(q.account) + '&from=' + encodeURIComponent(q.from) + '&to=' + encodeURIComponent(q.to) + '&page=' + page;
    fetch(u, {credentials: 'same-origin'}).then(function(r){
      if (r.status === 401) { location.href = '/login?expired=1'; throw new Error('expired'); }
      if (!r.ok) return r.text().then(function(t){ throw new Error(t || r.statusText); });
      return r.json();
    }).then(function(d){
      var body = $('result-rows'); body.innerHTML = '';
      d.lines.forEach(function(l){
        var tr = document.createElement('tr'); tr.className = 'result-row';
        cell(tr, l.booking_date); cell(tr, l.value_date); cell(tr, l.debit, 'num'); cell(tr, l.credit, 'num');
        cell(tr, l.balance, 'num'); cell(tr, l.counterparty); cell(tr, l.description); cell(tr, l.reference);
        body.appendChild(tr);
      });
      $('result-summary').textContent = '共 ' + d.total + ' 笔 ' + d.total + ' transactions · 期初 Opening ' + d.opening + ' · 期末 Closing ' + d.closing + ' ' + d.currency;
      $('page-info').textContent = '第 ' + d.page + ' / ' + d.pages + ' 页 Page ' + d.page + ' of ' + d.pages;
      $('prev-page').disabled = d.page <= 1; $('next-page').disabled = d.page >= d.pages;
      ['xlsx','csv','pdf'].forEach(function(f){ $('download-' + f).href = d.download + '&format=' + f; });
      $('spinner').hidden = true; $('results').hidden = false;
    }).catch(function(e){
      if (e.message === 'expired') return;
      $('spinner').hidden = true; $('search-error').textContent = '查询失败 Search failed: ' + e.message; $('search-error').hidden = false;
    });
  }
  var sb = $('search-button');
  if (sb) sb.addEventListener('click', function(){
    q = {account: $('account-select').value, from: $('date-from').value.trim(), to: $('date-to').value.trim()};
    page = 1; load();
  });
  $('next-page').addEventListener('click', function(){ page++; load(); });
  $('prev-page').addEventListener('click', function(){ page--; load(); });
})();
</script>
{{template "foot"}}{{end}}
`

var pages = template.Must(template.New("bank").Funcs(template.FuncMap{
	"with_title": func(data map[string]any, title string) map[string]any {
		out := map[string]any{"Title": title}
		for k, v := range data {
			out[k] = v
		}
		return out
	},
}).Parse(layout))
