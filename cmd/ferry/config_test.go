package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/delivery"
)

func TestEndpointSinksFromConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "ferry.yaml")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	t.Setenv("ERP_TOKEN", "t0k")
	good := `sinks:
  endpoints:
    - name: erp
      url: https://erp.example/api/vouchers
      body: '{"amount": {{.amount}}, "ref": {{json .reference}}}'
      auth:
        bearer: {env: ERP_TOKEN}
      batch: 100
      results: data.results
      result_key: id
      rules:
        - class: 2xx
          path: success
          equals: "false"
          outcome: rejected
          message: error.message
`
	cfg, err := loadConfig(write(good), "")
	if err != nil {
		t.Fatal(err)
	}
	sinks, err := cfg.sinks()
	if err != nil || len(sinks) != 1 {
		t.Fatalf("%v %v", sinks, err)
	}
	e := sinks[0].(*delivery.Endpoint)
	if e.Name() != "erp" || e.Auth.Bearer != "t0k" || e.Batch != 100 || len(e.Rules) != 1 || e.Rules[0].Outcome != delivery.Refused {
		t.Fatalf("%+v", e)
	}
	for _, tc := range []struct{ edit, want string }{
		{strings.Replace(good, "outcome: rejected", "outcome: maybe", 1), `outcome "maybe"`},
		{strings.Replace(good, `{{json .reference}}}`, `{{json .reference}`, 1), "template"},
		{strings.Replace(good, "        bearer: {env: ERP_TOKEN}\n", "        bearer: {env: ERP_TOKEN}\n        hmac: secret\n", 1), "one of bearer"},
		{strings.Replace(good, "ERP_TOKEN", "NO_SUCH_VAR_FOR_FERRY", 1), "NO_SUCH_VAR_FOR_FERRY is not set"},
	} {
		cfg, err := loadConfig(write(tc.edit), "")
		if err == nil {
			_, err = cfg.sinks()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "erp") {
			t.Errorf("want an error naming the sink and %q, got %v", tc.want, err)
		}
	}
}
