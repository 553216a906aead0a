package scripts

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/selectors"
)

// loopScript is a script around steps (indented as steps' items), with a
// login block.
func loopScript(steps string) string {
	return "bot: t\nsite: etax\ncredential: etax\nblocks:\n  login:\n    - open: \"${site.url}/login\"\nsteps:\n" + steps
}

func TestLoopsParse(t *testing.T) {
	sel, err := selectors.Load("", "etax")
	if err != nil {
		t.Fatal(err)
	}
	src := loopScript(`  - call: login
  - for_each_range:
      too_many: query.too_many
      ready: query.total
      max: 16
      query:
        - open: "${site.url}/invoices?from=${from}&to=${to}"
      steps:
        - for_each_row:
            rows: query.row
            values: {number: query.row.number}
            key: "${var.number}"
            next: query.next
            total: query.total
            max: 100
            relogin: {when: session.kicked, call: login}
            steps:
              - download: query.row.pdf
                format: pdf
                as: invoice
                account: issued
`)
	s, err := Parse("t.yaml", []byte(src), sel)
	if err != nil {
		t.Fatal(err)
	}
	rg := s.Steps[1].ForEachRange
	if s.Steps[1].Line != 9 || rg.Query[0].Line != 14 || rg.Steps[0].Line != 16 || rg.Steps[0].ForEachRow.Steps[0].Line != 25 {
		t.Errorf("lines: range %d, query %d, rows %d, download %d", s.Steps[1].Line, rg.Query[0].Line, rg.Steps[0].Line, rg.Steps[0].ForEachRow.Steps[0].Line)
	}
	// Walk goes into the loops and the called block.
	var actions []string
	Walk(s.Steps, func(st Step) {
		a, _ := st.Action()
		actions = append(actions, a)
	})
	if got := strings.Join(actions, " "); got != "call open for_each_range open for_each_row download" {
		t.Errorf("walked %s", got)
	}
	if d := s.Declarations()["pdf"]; d.As != AsInvoice {
		t.Errorf("the row's download declares %+v", d)
	}
	refs, err := ElementRefs("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range refs {
		names = append(names, r.Name)
	}
	for _, want := range []string{"query.row", "query.row.number", "query.too_many", "query.next", "session.kicked", "query.row.pdf"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("element refs %v lack %s", names, want)
		}
	}
}

func TestLoopsChecked(t *testing.T) {
	sel, err := selectors.Load("", "etax")
	if err != nil {
		t.Fatal(err)
	}
	row := func(body string) string {
		return "  - for_each_row:\n" + body
	}
	const dl = "      steps:\n        - download: query.row.pdf\n          format: pdf\n          as: invoice\n          account: issued\n"
	for _, tc := range []struct{ steps, want, line string }{
		{row("      rows: query.row\n      key: \"${var.n}\"\n      values: {n: query.row.number}\n" + dl), "needs max: N", "t.yaml:8"},
		{row("      rows: query.total\n      key: \"${var.n}\"\n      values: {n: query.row.number}\n      max: 5\n" + dl), "must be declared many: true", "t.yaml:8"},
		{row("      rows: query.row\n      key: \"fixed\"\n      max: 5\n" + dl), "uses no variable", "t.yaml:8"},
		{row("      rows: query.row\n      key: \"${var.m}\"\n      values: {n: query.row.number}\n      max: 5\n" + dl), "${var.m} is not set", "t.yaml:8"},
		{row("      rows: query.row\n      key: \"${var.n}\"\n      values: {n: query.row.nmber}\n      max: 5\n" + dl), `"query.row.nmber" is not in`, "t.yaml:8"},
		{row("      rows: query.row\n      key: \"${var.n}\"\n      values: {n: query.row.number}\n      max: 5\n      relogin: {when: session.kicked, call: logon}\n" + dl), `call "logon": no such block`, "t.yaml:13"},
		{row("      rows: query.row\n      key: \"${var.n}\"\n      values: {n: query.row.number}\n      max: 5\n      restarts: 50\n" + dl), "restarts 50 is out of range", "t.yaml:8"},
		{row("      rows: query.row\n      key: \"${var.n}\"\n      values: {n: query.row.number}\n      max: 5\n      steps:\n        - download: query.row.pdf\n          format: docx\n          as: invoice\n"), `format "docx"`, "t.yaml:14"},
		{"  - for_each_range:\n      too_many: query.too_many\n      max: 4\n      query:\n        - open: \"${site.url}/q\"\n      steps:\n        - wait: query.total\n", "needs too_many: ELEMENT", "t.yaml:8"},
		{"  - for_each_range:\n      too_many: query.too_many\n      ready: query.total\n      query:\n        - open: \"${site.url}/q\"\n      steps:\n        - wait: query.total\n", "needs max: N", "t.yaml:8"},
		{"  - for_each_range:\n      from: \"2026-13-01\"\n      too_many: query.too_many\n      ready: query.total\n      max: 4\n      query:\n        - open: \"${site.url}/q\"\n      steps:\n        - wait: query.total\n", "for_each_range.from", "t.yaml:8"},
		{"  - for_each_range:\n      too_many: query.too_many\n      ready: query.total\n      max: 4\n      query:\n        - open: \"http://evil/q\"\n      steps:\n        - wait: query.total\n", "open must start with ${site.url}", "t.yaml:13"},
		{"  - call: nosuch\n", `call "nosuch": no such block`, "t.yaml:8"},
	} {
		_, err := Parse("t.yaml", []byte(loopScript(tc.steps)), sel)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.steps, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.line+":") {
			t.Errorf("%s: error names not line %s: %v", tc.steps, tc.line, err)
		}
	}
}

func TestBlockMayNotCall(t *testing.T) {
	src := "bot: t\nsite: etax\ncredential: etax\nblocks:\n  login:\n    - call: login\nsteps:\n  - call: login\n"
	sel, err := selectors.Load("", "etax")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("t.yaml", []byte(src), sel); err == nil || !strings.Contains(err.Error(), "a block does not call blocks") || !strings.Contains(err.Error(), "t.yaml:6") {
		t.Errorf("got %v", err)
	}
}
