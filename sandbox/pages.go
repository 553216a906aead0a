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

const layout = `{{define "head"}}{{$u := .UI}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="ui-version" content="{{$u.Version}}"><title>{{.Title}} - 渡船银行 DemoBank</title>
<style>
body{font-family:"Droid Sans Fallback","Noto Sans CJK SC",sans-serif;margin:0;background:#f3f5f8;color:#222}
header{background:#a31d24;color:#fff;padding:10px 24px;display:flex;justify-content:space-between;align-items:center}
header a,header button{color:#fff;margin-left:16px;background:none;border:0;font:inherit;cursor:pointer}
main{max-width:1100px;margin:24px auto;background:#fff;padding:24px;border-radius:6px;box-shadow:0 1px 3px #0002}
label{display:block;margin:10px 0 4px}
input,select{padding:6px;font-size:14px;min-width:240px}
.primary,.btn-main{background:#a31d24;color:#fff;border:0;padding:8px 22px;margin-top:14px;cursor:pointer;border-radius:4px}
.error,.alert-bad{color:#b00020;background:#fdecee;padding:8px;margin:10px 0}
.info,.alert-note{color:#055;background:#e6f6f6;padding:8px;margin:10px 0}
table{border-collapse:collapse;width:100%;margin-top:16px;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:5px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
[hidden]{display:none !important}
.spinner,.busy-indicator{display:inline-block;margin:12px 0;color:#666}
.pager,.paging{margin-top:10px}
.downloads a,.export-bar a{margin-right:16px}
.field{margin:6px 0;padding:4px 0}
.cc-layer{position:fixed;inset:0;background:#0009;z-index:100;display:flex;align-items:center;justify-content:center}
.cc-box{background:#fff;padding:24px;max-width:420px;border-radius:6px}
</style>
<script>
(function(){
  // The sandbox's event recorder: every click, input and change, by the
  // oracle name of the element it hit, so tests can tell what a bot did.
  var seq = 0;
  function send(type, e){
    var t = e.target && e.target.closest ? e.target.closest('[data-oracle]') : null;
    var body = JSON.stringify({type: type, oracle: t ? t.getAttribute('data-oracle') : '', page: location.pathname,
      at: performance.timeOrigin + performance.now(), seq: seq++});
    if (navigator.sendBeacon) navigator.sendBeacon('/__events', body);
  }
  document.addEventListener('click', function(e){ send('click', e); }, true);
  document.addEventListener('input', function(e){ send('input', e); }, true);
  document.addEventListener('change', function(e){ send('change', e); }, true);
})();
function oracle(n){ return document.querySelector('[data-oracle="' + n + '"]'); }
</script>{{if .Rerender}}
<script>
(function(){
  // Switches.Rerender: the first focus of a form field in main
  // replaces it with a fresh copy that keeps its value and handlers.
  var add = EventTarget.prototype.addEventListener, handlers = new WeakMap();
  EventTarget.prototype.addEventListener = function(t, f, o){
    if (this instanceof Element) { var l = handlers.get(this) || []; l.push([t, f, o]); handlers.set(this, l); }
    return add.call(this, t, f, o);
  };
  document.addEventListener('focus', function(e){
    var el = e.target;
    if (!(el instanceof Element) || !el.matches('main input, main select, main textarea') || el.hasAttribute('data-rerendered')) return;
    var n = el.cloneNode(true);
    n.setAttribute('data-rerendered', '1');
    (handlers.get(el) || []).forEach(function(h){ add.call(n, h[0], h[1], h[2]); });
    handlers.set(n, handlers.get(el) || []);
    var v = el.value;
    el.replaceWith(n);
    if ('value' in n) n.value = v;
  }, true);
})();
</script>{{end}}</head><body>
{{if .Consent}}<div {{$u.A "consent.overlay" "cc-layer"}} role="dialog" aria-modal="true"><div class="cc-box"><p>{{$u.T "consent.text"}}</p>
<button type="button" {{$u.A "consent.accept"}}>{{$u.T "consent.accept"}}</button></div></div>
<script>oracle('consent.accept').addEventListener('click', function(){ document.cookie = 'consent=1; path=/'; oracle('consent.overlay').remove(); });</script>{{end}}
<header><strong>渡船银行 DemoBank · {{if eq $u.Version 2}}网上银行 Online{{else}}企业网银 Corporate Banking{{end}}</strong>
{{if .User}}<nav><a {{$u.A "nav.accounts"}} href="/accounts">{{$u.T "nav.accounts"}}</a>{{if call .Shown "nav.statements"}}<a {{$u.A "nav.statements"}} href="/statements">{{$u.T "nav.statements"}}</a>{{end}}
<form method="post" action="/logout" style="display:inline"><button {{$u.A "nav.logout"}} type="submit">{{$u.T "nav.logout"}}</button></form></nav>{{end}}
</header><main>{{end}}
{{define "foot"}}{{if .Mutation}}<script>{{.Mutation}}</script>{{end}}</main></body></html>{{end}}

{{define "login"}}{{$u := .UI}}{{template "head" (with_title . "登录 Log in")}}
<h1>{{$u.T "login.title"}}</h1>
{{if .Info}}<div {{$u.A "login.expired"}}>{{.Info}}</div>{{end}}
{{if .Error}}<div {{$u.A "login.error"}} role="alert">{{.Error}}</div>{{end}}
<form method="post" action="/login" {{$u.A "login.form"}}>
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
{{if eq $u.Version 2}}<div class="field"><div class="field-inner">{{end}}<label for="{{$u.I "login.user"}}" data-oracle="login.user.label">{{$u.T "login.user"}}</label><input {{$u.A "login.user"}} name="user_id" autocomplete="username" value="{{.UserID}}">{{if eq $u.Version 2}}</div></div>{{end}}
{{if eq $u.Version 2}}<div class="field"><div class="field-inner">{{end}}<label for="{{$u.I "login.password"}}" data-oracle="login.password.label">{{$u.T "login.password"}}</label><input {{$u.A "login.password"}} name="password" type="password" autocomplete="current-password">{{if eq $u.Version 2}}</div></div>{{end}}
<div>{{if call .Shown "login.submit"}}<button {{$u.A "login.submit"}} type="submit">{{$u.T "login.submit"}}</button>{{end}}</div>
</form>{{template "foot" .}}{{end}}

{{define "otp"}}{{$u := .UI}}{{template "head" (with_title . "动态口令 One-time code")}}
<h1>动态口令验证 Two-step verification</h1>
<p>请输入手机令牌上的 6 位动态口令。Enter the 6-digit code from your authenticator app.</p>
{{if .Error}}<div {{$u.A "otp.error"}} role="alert">{{.Error}}</div>{{end}}
<form method="post" action="/login/otp">
{{if eq $u.Version 2}}<div class="field">{{end}}<label for="{{$u.I "otp.code"}}" data-oracle="otp.code.label">{{$u.T "otp.code"}}</label><input {{$u.A "otp.code"}} name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6">{{if eq $u.Version 2}}</div>{{end}}
<div><button {{$u.A "otp.submit"}} type="submit">{{$u.T "otp.submit"}}</button></div>
</form>{{template "foot" .}}{{end}}

{{define "locked"}}{{$u := .UI}}{{template "head" (with_title . "账户已锁定 Locked")}}
<h1>账户已锁定 Account locked</h1>
<p {{$u.A "login.locked"}} role="alert">密码错误次数过多，登录已被锁定，请联系开户行。Too many wrong passwords: this login is locked. Contact your branch.</p>
{{template "foot" .}}{{end}}

{{define "error"}}{{template "head" (with_title . "错误 Error")}}
<h1>错误 Error</h1><p class="error" role="alert">{{.Message}}</p>{{template "foot" .}}{{end}}

{{define "accounts"}}{{$u := .UI}}{{template "head" (with_title . "账户总览 Accounts")}}
<h1 {{$u.A "accounts.title"}}>{{$u.T "accounts.title"}}</h1>
<table {{$u.A "accounts.table"}}><thead><tr><th>账号 Account No.</th><th>账户名称 Account</th><th>币种 Currency</th><th>户名 Holder</th></tr></thead><tbody>
{{range .Accounts}}<tr data-account="{{.ID}}"><td>{{.ID}}</td><td>{{.LabelZH}} {{.LabelEN}}</td><td>{{.Currency}}</td><td>{{.Holder}}</td></tr>{{end}}
</tbody></table>{{template "foot" .}}{{end}}

{{define "search_button"}}{{$u := .UI}}<div>{{if call .Shown "statement.search"}}<button {{$u.A "statement.search"}} type="button">{{$u.T "statement.search"}}</button>{{end}}</div>{{end}}
{{define "downloads"}}{{$u := .UI}}<p class="{{$u.C "statement.downloads"}}">{{$u.T "statement.downloads"}}
<a {{$u.A "statement.download_xlsx"}} href="#">{{$u.T "statement.download_xlsx"}}</a>
<a {{$u.A "statement.download_csv"}} href="#">{{$u.T "statement.download_csv"}}</a>
<a {{$u.A "statement.download_pdf"}} href="#">{{$u.T "statement.download_pdf"}}</a></p>{{end}}

{{define "statements"}}{{$u := .UI}}{{template "head" (with_title . "账户明细 Statements")}}
<h1 {{$u.A "statement.title"}}>{{$u.T "statement.title"}}</h1>
<form {{$u.A "statement.form"}} onsubmit="return false">
{{if eq $u.Version 2}}{{template "search_button" .}}<div class="field">{{end}}<label for="{{$u.I "statement.account"}}" data-oracle="statement.account.label">{{$u.T "statement.account"}}</label>
<select {{$u.A "statement.account"}} name="account">
{{range .Accounts}}<option value="{{.ID}}">{{.LabelZH}} {{.LabelEN}} · {{.ID}} · {{.Currency}}</option>{{end}}
</select>{{if eq $u.Version 2}}</div><div class="field">{{end}}
<label for="{{$u.I "statement.from"}}" data-oracle="statement.from.label">{{$u.T "statement.from"}}</label><input {{$u.A "statement.from"}} name="from" placeholder="YYYY-MM-DD">{{if eq $u.Version 2}}</div><div class="field">{{end}}
<label for="{{$u.I "statement.to"}}" data-oracle="statement.to.label">{{$u.T "statement.to"}}</label><input {{$u.A "statement.to"}} name="to" placeholder="YYYY-MM-DD">{{if eq $u.Version 2}}</div>{{end}}
{{if ne $u.Version 2}}{{template "search_button" .}}{{end}}
</form>
<div {{$u.A "statement.spinner"}} role="status" hidden>{{$u.T "statement.spinner"}}</div>
<div {{$u.A "statement.error"}} role="alert" hidden></div>
<section {{$u.A "statement.section"}} hidden>
{{if eq $u.Version 2}}{{template "downloads" .}}{{end}}
<p {{$u.A "statement.summary"}}></p>
<table {{$u.A "statement.results"}}><thead><tr><th>交易日期 Date</th><th>起息日 Value date</th><th>借方 Debit</th><th>贷方 Credit</th><th>余额 Balance</th><th>对方户名 Counterparty</th><th>摘要 Description</th><th>流水号 Reference</th></tr></thead><tbody {{$u.A "statement.body"}}></tbody></table>
<div class="{{$u.C "statement.pager"}}"><button {{$u.A "statement.prev_page"}} type="button">{{$u.T "statement.prev_page"}}</button> <span {{$u.A "statement.page_info"}}></span> <button {{$u.A "statement.next_page"}} type="button">{{$u.T "statement.next_page"}}</button></div>
{{if ne $u.Version 2}}{{template "downloads" .}}{{end}}
</section>
<script>
function bankInit(){
  var page = 1, q = null, rowClass = {{$u.C "statement.row"}};
  var $ = oracle;
  function cell(tr, text, cls){ var td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  function load(){
    $('statement.section').hidden = true; $('statement.error').hidden = true; $('statement.spinner').hidden = false;
    var u = '/api/statements?account=' + encodeURIComponent(q.account) + '&from=' + encodeURIComponent(q.from) + '&to=' + encodeURIComponent(q.to) + '&page=' + page;
    fetch(u, {credentials: 'same-origin'}).then(function(r){
      if (r.status === 401) { location.href = '/login?expired=1'; throw new Error('expired'); }
      if (!r.ok) return r.text().then(function(t){ throw new Error(t || r.statusText); });
      return r.json();
    }).then(function(d){
      var body = $('statement.body'); body.innerHTML = '';
      d.lines.forEach(function(l){
        var tr = document.createElement('tr'); tr.className = rowClass; tr.setAttribute('data-oracle', 'statement.rows');
        cell(tr, l.booking_date); cell(tr, l.value_date); cell(tr, l.debit, 'num'); cell(tr, l.credit, 'num');
        cell(tr, l.balance, 'num'); cell(tr, l.counterparty); cell(tr, l.description); cell(tr, l.reference);
        body.appendChild(tr);
      });
      $('statement.summary').textContent = '共 ' + d.total + ' 笔 ' + d.total + ' transactions · 期初 Opening ' + d.opening + ' · 期末 Closing ' + d.closing + ' ' + d.currency;
      $('statement.page_info').textContent = '第 ' + d.page + ' / ' + d.pages + ' 页 Page ' + d.page + ' of ' + d.pages;
      $('statement.prev_page').disabled = d.page <= 1; $('statement.next_page').disabled = d.page >= d.pages;
      ['xlsx','csv','pdf'].forEach(function(f){ $('statement.download_' + f).href = d.download + '&format=' + f; });
      $('statement.spinner').hidden = true; $('statement.section').hidden = false;
    }).catch(function(e){
      if (e.message === 'expired') return;
      $('statement.spinner').hidden = true; $('statement.error').textContent = '查询失败 Search failed: ' + e.message; $('statement.error').hidden = false;
    });
  }
  var sb = $('statement.search');
  if (sb) sb.addEventListener('click', function(){
    q = {account: $('statement.account').value, from: $('statement.from').value.trim(), to: $('statement.to').value.trim()};
    page = 1; load();
  });
  $('statement.next_page').addEventListener('click', function(){ page++; load(); });
  $('statement.prev_page').addEventListener('click', function(){ page--; load(); });
}
{{if .Late}}addEventListener('load', function(){ var s = document.createElement('script'); s.src = '/__late.js'; document.head.appendChild(s); });{{else}}bankInit();{{end}}
</script>
{{template "foot" .}}{{end}}
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
