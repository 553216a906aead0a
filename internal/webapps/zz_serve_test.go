package webapps

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZServe(t *testing.T) {
	if os.Getenv("W11_SERVE") == "" {
		return
	}
	a := StartPhpMyAdmin(t)
	fmt.Println("URL", a.URL)
	os.WriteFile("/tmp/w11-pma-url2", []byte(a.URL), 0o644)
	time.Sleep(75 * time.Minute)
}
