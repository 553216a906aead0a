package sandbox

import (
	"fmt"
	"html/template"
	"strings"
)

// UI is one version of the bank's pages: the ids, classes, test ids and
// texts of every element the bots touch, named by the element's oracle
// name (the name the demobank selector file uses). Version 2 is a
// redesign: every id and class renamed, test ids gone, new texts, fields
// in wrappers, the search button and downloads moved, and a cookie-consent
// overlay that must be dismissed.
//
// Every rendered element carries data-oracle="NAME", which the pages' own
// scripts use and the event recorder reports. Selector files must never use
// it (lint rejects it): it is the test's ground truth, not the site's.
type UI struct {
	Version int
	ID      map[string]string
	Class   map[string]string
	TestID  map[string]string
	Text    map[string]string
}

var uiV1 = UI{
	Version: 1,
	ID: map[string]string{
		"login.form": "login-form", "login.user": "user-id", "login.password": "password", "login.submit": "login-button",
		"login.error": "login-error", "login.expired": "login-info", "login.locked": "locked-message",
		"otp.code": "otp-code", "otp.submit": "otp-submit", "otp.error": "otp-error",
		"nav.accounts": "nav-accounts", "nav.statements": "nav-statements", "nav.logout": "logout",
		"accounts.title": "accounts-title", "accounts.table": "accounts-table",
		"statement.title": "statements-title", "statement.form": "search-form", "statement.account": "account-select",
		"statement.from": "date-from", "statement.to": "date-to", "statement.search": "search-button",
		"statement.spinner": "spinner", "statement.error": "search-error", "statement.section": "results",
		"statement.summary": "result-summary", "statement.results": "result-table", "statement.body": "result-rows",
		"statement.prev_page": "prev-page", "statement.page_info": "page-info", "statement.next_page": "next-page",
		"statement.download_xlsx": "download-xlsx", "statement.download_csv": "download-csv", "statement.download_pdf": "download-pdf",
	},
	Class: map[string]string{
		"login.submit": "primary", "otp.submit": "primary", "statement.search": "primary",
		"login.error": "error", "login.expired": "info", "otp.error": "error", "statement.error": "error",
		"statement.spinner": "spinner", "statement.row": "result-row", "statement.pager": "pager", "statement.downloads": "downloads",
	},
	TestID: map[string]string{
		"login.submit": "login-submit", "otp.submit": "otp-submit", "statement.search": "search",
		"statement.download_xlsx": "download-xlsx", "statement.download_csv": "download-csv", "statement.download_pdf": "download-pdf",
	},
	Text: map[string]string{
		"login.title": "企业网银登录 Corporate banking log in", "login.user": "用户名 User ID", "login.password": "密码 Password",
		"login.submit": "登录 Log in", "otp.code": "动态口令 One-time code", "otp.submit": "验证 Verify",
		"nav.accounts": "账户总览 Accounts", "nav.statements": "账户明细 Statements", "nav.logout": "退出 Log out",
		"accounts.title": "账户总览 Accounts", "statement.title": "账户明细查询 Statement search",
		"statement.account": "账户 Account", "statement.from": "起始日期 From (YYYY-MM-DD)", "statement.to": "截止日期 To (YYYY-MM-DD)",
		"statement.search": "查询 Search", "statement.prev_page": "上一页 Previous", "statement.next_page": "下一页 Next",
		"statement.download_xlsx": "Excel 文件 (XLSX)", "statement.download_csv": "CSV 文件", "statement.download_pdf": "PDF 对账单",
		"statement.downloads": "下载 Download:", "statement.spinner": "加载中… Loading…",
	},
}

var uiV2 = UI{
	Version: 2,
	ID: map[string]string{
		"login.form": "auth-form", "login.user": "f-login-name", "login.password": "f-secret", "login.submit": "btn-signin",
		"login.error": "auth-alert", "login.expired": "auth-notice", "login.locked": "lock-notice",
		"otp.code": "f-token", "otp.submit": "btn-token", "otp.error": "token-alert",
		"nav.accounts": "menu-overview", "nav.statements": "menu-history", "nav.logout": "menu-exit",
		"accounts.title": "overview-heading", "accounts.table": "overview-grid",
		"statement.title": "history-heading", "statement.form": "history-filter", "statement.account": "f-acct",
		"statement.from": "f-start", "statement.to": "f-end", "statement.search": "btn-find",
		"statement.spinner": "busy", "statement.error": "history-alert", "statement.section": "history-output",
		"statement.summary": "history-summary", "statement.results": "history-grid", "statement.body": "history-lines",
		"statement.prev_page": "pg-back", "statement.page_info": "pg-status", "statement.next_page": "pg-forward",
		"statement.download_xlsx": "exp-excel", "statement.download_csv": "exp-text", "statement.download_pdf": "exp-print",
		"consent.overlay": "cc-layer", "consent.accept": "cc-yes",
	},
	Class: map[string]string{
		"login.submit": "btn btn-main", "otp.submit": "btn btn-main", "statement.search": "btn btn-main",
		"login.error": "alert alert-bad", "login.expired": "alert alert-note", "otp.error": "alert alert-bad", "statement.error": "alert alert-bad",
		"statement.spinner": "busy-indicator", "statement.row": "txn-line", "statement.pager": "paging", "statement.downloads": "export-bar",
		"consent.accept": "btn btn-main",
	},
	TestID: map[string]string{},
	Text: map[string]string{
		"login.title": "网上银行 Online banking", "login.user": "登录名 Login name", "login.password": "登录密码 Secret",
		"login.submit": "登录网银 Sign in", "otp.code": "短信/令牌验证码 Security code", "otp.submit": "确认 Confirm",
		"nav.accounts": "我的账户 My accounts", "nav.statements": "交易查询 Transactions", "nav.logout": "安全退出 Sign out",
		"accounts.title": "我的账户 My accounts", "statement.title": "交易明细 Transaction history",
		"statement.account": "选择账户 Choose account", "statement.from": "开始 Start date", "statement.to": "结束 End date",
		"statement.search": "搜索 Find transactions", "statement.prev_page": "‹ 上页 Back", "statement.next_page": "下页 More ›",
		"statement.download_xlsx": "导出 Excel", "statement.download_csv": "导出 CSV", "statement.download_pdf": "打印版 PDF",
		"statement.downloads": "导出 Export:", "statement.spinner": "请稍候… Please wait…",
		"consent.text": "本网站使用 Cookie 以保障安全。This site uses cookies to keep your session safe.", "consent.accept": "接受全部 Accept all",
	},
}

// A renders an element's attributes: id, class, data-testid and the
// oracle name.
func (u UI) A(name string, extra ...string) template.HTMLAttr {
	var b strings.Builder
	if id := u.ID[name]; id != "" {
		fmt.Fprintf(&b, ` id="%s"`, template.HTMLEscapeString(id))
	}
	class := strings.TrimSpace(u.Class[name] + " " + strings.Join(extra, " "))
	if class != "" {
		fmt.Fprintf(&b, ` class="%s"`, template.HTMLEscapeString(class))
	}
	if t := u.TestID[name]; t != "" {
		fmt.Fprintf(&b, ` data-testid="%s"`, template.HTMLEscapeString(t))
	}
	fmt.Fprintf(&b, ` data-oracle="%s"`, template.HTMLEscapeString(name))
	return template.HTMLAttr(b.String())
}

// I is an element's id.
func (u UI) I(name string) string { return u.ID[name] }

// T is an element's text.
func (u UI) T(name string) string { return u.Text[name] }

// C is a class name.
func (u UI) C(name string) string { return u.Class[name] }
